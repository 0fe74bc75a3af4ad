"""佐证材料: uploads are checked by content and size, nothing is kept from a refused upload,
and a file is downloadable only by those who may see its project."""

import hashlib
import io
import os
import zipfile
from urllib.parse import quote

import openpyxl
import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from core.uploads import UploadRejected, check_upload, clean_filename, sniff
from projects.models import Evidence, MilestoneProgress
from projects.services import ensure_config
from tests.projects.factories import EvidenceFactory, MilestoneFactory, ProjectFactory, TaskFactory

pytestmark = pytest.mark.django_db
MB = 1024 * 1024

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 40
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 40
GIF = b"GIF89a" + b"\x01\x00\x01\x00" + b"\x00" * 40
WEBP = b"RIFF\x24\x00\x00\x00WEBPVP8 " + b"\x00" * 40
PDF = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n"
OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 16 + b"\x3e\x00\x03\x00\xfe\xff\x09\x00" + b"\x00" * 480
HTML = b"<!doctype html><html><script>alert(document.cookie)</script></html>"
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00" + b"\x00" * 60 + b"This program cannot be run in DOS mode."

OOXML_MAIN = {
    "docx": ("/word/document.xml", "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"),
    "pptx": (
        "/ppt/presentation.xml",
        "application/vnd.openxmlformats-officedocument.presentationml.presentation.main+xml",
    ),
    "docm": ("/word/document.xml", "application/vnd.ms-word.document.macroEnabled.main+xml"),
}


def ooxml(kind: str) -> bytes:
    part, content_type = OOXML_MAIN[kind]
    types = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="xml" ContentType="application/xml"/>'
        f'<Override PartName="{part}" ContentType="{content_type}"/></Types>'
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", types)
        archive.writestr(part.lstrip("/"), "<document/>")
    return buffer.getvalue()


def xlsx() -> bytes:
    wb = openpyxl.Workbook()
    wb.active["A1"] = "完成情况"
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def plain_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("readme.txt", "not an office file")
    return buffer.getvalue()


def upload(name: str, content: bytes, content_type: str = "application/octet-stream") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=content_type)


@pytest.fixture(autouse=True)
def today():
    with time_machine.travel("2026-11-22 10:00 +0800", tick=False):
        yield


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    return tmp_path


@pytest.fixture
def project(branch_a):
    return ProjectFactory(branch=branch_a, filed=True)


@pytest.fixture
def milestone(project):
    return MilestoneFactory(project=project, title="完成窗口改造", planned_on=project.end_on)


def stored_files(root) -> list[str]:
    return [os.path.join(d, f) for d, _, files in os.walk(root) for f in files]


def post_progress(client, milestone, files, percent=40):
    return client.post(
        reverse("projects:milestone_progress", args=[milestone.pk]),
        {"text": "窗口改造完成一半。", "percent": percent, "files": files},
    )


# --- recognising content ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "content", "kind"),
    [
        ("现场.png", PNG, "png"),
        ("现场.JPG", JPEG, "jpeg"),
        ("现场.jpeg", JPEG, "jpeg"),
        ("动图.gif", GIF, "gif"),
        ("照片.webp", WEBP, "webp"),
        ("方案.pdf", PDF, "pdf"),
        ("方案.docx", ooxml("docx"), "docx"),
        ("台账.xlsx", xlsx(), "xlsx"),
        ("汇报.pptx", ooxml("pptx"), "pptx"),
        ("旧方案.doc", OLE2, "ole2"),
        ("旧台账.xls", OLE2, "ole2"),
    ],
)
def test_genuine_files_are_accepted_with_the_type_found_in_their_content(name, content, kind):
    checked = check_upload(upload(name, content, "text/html"), max_bytes=MB)

    assert checked.kind == kind
    assert checked.content_type != "text/html"
    assert checked.sha256 == hashlib.sha256(content).hexdigest()
    assert checked.size == len(content)


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("通知.pdf", HTML, "内容不是可接受"),
        ("照片.jpg", EXE, "内容不是可接受"),
        ("照片.png", HTML, "内容不是可接受"),
        ("方案.docx", plain_zip(), "内容不是可接受"),
        ("宏.docx", ooxml("docm"), "内容不是可接受"),
        ("照片.pdf", PNG, "扩展名与实际内容（PNG 图片）不符"),
        ("表格.docx", xlsx(), "扩展名与实际内容（Excel 表格）不符"),
        ("文档.xlsx", ooxml("docx"), "扩展名与实际内容（Word 文档）不符"),
        ("旧文档.pdf", OLE2, "扩展名与实际内容（Office 97–2003 文档）不符"),
        ("页面.html", HTML, "类型不允许上传"),
        ("程序.exe", EXE, "类型不允许上传"),
        ("无扩展名", PDF, "类型不允许上传"),
        ("空.pdf", b"", "空文件"),
    ],
)
def test_forged_or_unknown_files_are_refused_with_a_clear_message(name, content, reason):
    with pytest.raises(UploadRejected) as refused:
        check_upload(upload(name, content), max_bytes=MB)

    assert reason in str(refused.value)


def test_a_file_just_at_the_limit_passes_and_one_byte_more_is_refused():
    at_limit = PDF + b"0" * (MB - len(PDF))

    assert check_upload(upload("a.pdf", at_limit), max_bytes=MB).size == MB
    with pytest.raises(UploadRejected, match="超过单个文件 1 MB 的上限"):
        check_upload(upload("a.pdf", at_limit + b"0"), max_bytes=MB)


def test_sniffing_leaves_the_file_readable_from_the_start():
    file = upload("台账.xlsx", xlsx())

    assert sniff(file) == "xlsx"
    assert file.read(4) == b"PK\x03\x04"


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("../../etc/passwd.pdf", "passwd.pdf"),
        ("C:\\Users\\书记\\Desktop\\现场照片.JPG", "现场照片.jpg"),
        ("报告\u202egpj.pdf", "报告gpj.pdf"),
        ('a<b>:"c|d?*.png', "a_b___c_d__.png"),
        (".pdf", "pdf"),
        ("  .  ", "佐证材料"),
        ("长" * 300 + ".pdf", "长" * 116 + ".pdf"),
    ],
)
def test_file_names_lose_paths_and_dangerous_characters(raw, clean):
    assert clean_filename(raw) == clean


# --- uploading through the page -------------------------------------------------------------


def test_secretary_uploads_evidence_and_it_is_stored_under_a_random_name(
    client_for, secretary_of_branch_a, milestone, media
):
    client = client_for(secretary_of_branch_a)

    response = post_progress(client, milestone, [upload("现场照片.png", PNG), upload("工作方案.pdf", PDF)])

    assert response.status_code == 302
    report = MilestoneProgress.objects.get(milestone=milestone)
    files = list(report.files.order_by("original_name"))
    assert [f.original_name for f in files] == ["工作方案.pdf", "现场照片.png"]
    assert [f.content_type for f in files] == ["application/pdf", "image/png"]
    for evidence in files:
        assert evidence.file.name == f"evidence/{milestone.project_id}/{evidence.token}"
        assert evidence.uploaded_by == secretary_of_branch_a
        assert len(evidence.token) == 32
    assert files[1].sha256 == hashlib.sha256(PNG).hexdigest()
    assert len(stored_files(media)) == 2


@pytest.mark.parametrize(
    ("name", "content"),
    [("通知.pdf", HTML), ("照片.jpg", EXE), ("照片.pdf", PNG)],
)
def test_a_forged_upload_is_refused_and_nothing_is_saved(
    client_for, secretary_of_branch_a, milestone, media, name, content
):
    client = client_for(secretary_of_branch_a)

    response = post_progress(client, milestone, [upload(name, content, "application/pdf")], percent=60)

    assert response.status_code == 200
    assert f"文件“{name}”" in response.content.decode()
    assert not MilestoneProgress.objects.exists()
    assert not Evidence.objects.exists()
    assert stored_files(media) == []
    milestone.refresh_from_db()
    assert milestone.percent == 0


def test_one_bad_file_in_a_batch_refuses_the_whole_batch(client_for, secretary_of_branch_a, milestone, media):
    client = client_for(secretary_of_branch_a)

    response = post_progress(client, milestone, [upload("现场照片.png", PNG), upload("报告.pdf", HTML)])

    assert "文件“报告.pdf”的内容不是可接受的图片、PDF 或 Office 文档" in response.content.decode()
    assert not MilestoneProgress.objects.exists()
    assert not Evidence.objects.exists()
    assert stored_files(media) == []


def test_an_upload_over_the_years_size_limit_is_refused_and_nothing_is_saved(
    client_for, secretary_of_branch_a, milestone, media
):
    config = ensure_config(milestone.project.year)
    config.max_evidence_mb = 1
    config.save()
    client = client_for(secretary_of_branch_a)

    response = post_progress(client, milestone, [upload("扫描件.pdf", PDF + b"0" * MB)])

    assert "超过单个文件 1 MB 的上限" in response.content.decode()
    assert not MilestoneProgress.objects.exists()
    assert not Evidence.objects.exists()
    assert stored_files(media) == []


def test_a_failure_after_files_were_written_removes_them(
    client_for, secretary_of_branch_a, milestone, media, monkeypatch
):
    """Evidence rows and files arrive together: if saving a row fails, its file on disk goes too."""
    original_save = Evidence.save
    calls = {"n": 0}

    def failing_save(self, *args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("database went away")
        return original_save(self, *args, **kwargs)

    monkeypatch.setattr(Evidence, "save", failing_save)
    client = client_for(secretary_of_branch_a)
    client.raise_request_exception = True

    with pytest.raises(RuntimeError):
        post_progress(client, milestone, [upload("a.png", PNG), upload("b.pdf", PDF)])

    assert not Evidence.objects.exists()
    assert not MilestoneProgress.objects.exists()
    assert stored_files(media) == []


def test_the_upload_form_shows_the_limit_and_accepted_types(client_for, secretary_of_branch_a, milestone):
    response = client_for(secretary_of_branch_a).get(reverse("projects:milestone_progress", args=[milestone.pk]))

    page = response.content.decode()
    assert response.status_code == 200
    assert "单个不超过 20 MB" in page
    assert 'accept=".jpg,.jpeg,.png,.gif,.webp,.pdf,.docx,.xlsx,.pptx,.doc,.xls"' in page
    assert 'enctype="multipart/form-data"' in page
    assert "multiple" in page


# --- downloading ------------------------------------------------------------------------------


@pytest.fixture
def evidence(project, media):
    return EvidenceFactory(project=project, original_name="现场照片 1.png")


def test_a_user_who_sees_the_project_downloads_the_file_as_an_attachment(client_for, secretary_of_branch_a, evidence):
    response = client_for(secretary_of_branch_a).get(reverse("projects:evidence_download", args=[evidence.token]))

    assert response.status_code == 200
    assert b"".join(response.streaming_content).startswith(b"\x89PNG")
    assert response["Content-Type"] == "image/png"
    assert response["X-Content-Type-Options"] == "nosniff"
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert f"filename*=UTF-8''{quote('现场照片 1.png')}" in disposition
    assert f'filename="evidence-{evidence.pk}.png"' in disposition


@pytest.mark.parametrize("persona", ["organ_staff_a", "gongwei_staff"])
def test_staff_above_the_branch_download_it(request, client_for, persona, evidence):
    client = client_for(request.getfixturevalue(persona))

    assert client.get(reverse("projects:evidence_download", args=[evidence.token])).status_code == 200


def test_a_member_with_a_task_in_the_project_downloads_it(client_for, member_user, project, evidence):
    TaskFactory(project=project, assignees=[member_user.member])

    response = client_for(member_user).get(reverse("projects:evidence_download", args=[evidence.token]))

    assert response.status_code == 200


@pytest.mark.parametrize("persona", ["secretary_of_branch_b", "organ_staff_b", "member_user", "outsider"])
def test_another_branchs_evidence_cannot_be_downloaded_by_guessing_the_url(request, client_for, persona, evidence):
    client = client_for(request.getfixturevalue(persona))

    response = client.get(reverse("projects:evidence_download", args=[evidence.token]))

    assert response.status_code == 404


def test_the_other_branchs_own_evidence_does_not_open_this_one(client_for, secretary_of_branch_b, branch_b, evidence):
    """Holding a valid link of one's own branch gives nothing for a token of another branch."""
    own = EvidenceFactory(project=ProjectFactory(branch=branch_b, filed=True))
    client = client_for(secretary_of_branch_b)

    assert client.get(reverse("projects:evidence_download", args=[own.token])).status_code == 200
    assert client.get(reverse("projects:evidence_download", args=[evidence.token])).status_code == 404


def test_anonymous_visitors_are_sent_to_log_in(client, evidence):
    response = client.get(reverse("projects:evidence_download", args=[evidence.token]))

    assert response.status_code == 302
    assert reverse("accounts:login") in response["Location"]


def test_an_unknown_token_or_a_file_gone_from_disk_is_a_404(client_for, secretary_of_branch_a, evidence):
    client = client_for(secretary_of_branch_a)
    evidence.file.storage.delete(evidence.file.name)

    assert client.get(reverse("projects:evidence_download", args=["0" * 32])).status_code == 404
    assert client.get(reverse("projects:evidence_download", args=[evidence.token])).status_code == 404
