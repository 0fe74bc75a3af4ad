"""书记述职评议: the secretary writes the year-end report with attachments, submits it, and the
机关党委 of the organ (or the 工委) evaluates it 好/较好/一般/差 with its comments. Files are checked by
content and served only to those who see the branch."""

import datetime
import os

import pytest
import time_machine
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from assessments import secretary
from assessments.choices import SecretaryGrade, SecretaryReportStatus
from assessments.models import SecretaryReport, SecretaryReportAttachment
from assessments.secretary import SecretaryReportError
from branches.choices import CommitteePost
from notifications.models import Notification
from tests.factories import BranchFactory, CommitteeMemberFactory, CommitteeTermFactory, MemberFactory

YEAR = 2026
S = SecretaryReportStatus
PDF = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n"
HTML = b"<!doctype html><html><script>alert(document.cookie)</script></html>"
TEXT = "一年来，支部坚持以党建引领业务，落实“三会一课”，完成项目验收。"


@pytest.fixture(autouse=True)
def today():
    with time_machine.travel(datetime.datetime(2027, 1, 10, 10, 0), tick=False):
        yield


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    return tmp_path


def stored_files(root) -> list[str]:
    return [os.path.join(d, f) for d, _, files in os.walk(root) for f in files]


def pdf(name="述职报告签字版.pdf", content=PDF):
    return SimpleUploadedFile(name, content, content_type="application/pdf")


def seat_secretary(branch, name="张书记"):
    term = CommitteeTermFactory(branch=branch)
    return CommitteeMemberFactory(term=term, member__name=name, post=CommitteePost.SECRETARY).member


@pytest.fixture
def shuji(branch_a):
    return seat_secretary(branch_a)


@pytest.fixture
def submitted(branch_a, shuji, secretary_of_branch_a):
    report = secretary.save_draft(branch_a, YEAR, text=TEXT, files=[pdf()], by=secretary_of_branch_a)
    return secretary.submit(report, by=secretary_of_branch_a)


# --- Writing and submitting ------------------------------------------------------------------


def test_the_secretary_writes_a_draft_with_an_attachment_and_submits_it(
    branch_a, shuji, secretary_of_branch_a, organ_staff_a, organ_staff_b, media
):
    report = secretary.save_draft(branch_a, YEAR, text=TEXT, files=[pdf()], by=secretary_of_branch_a)

    assert (report.status, report.secretary, report.text) == (S.DRAFT, shuji, TEXT)
    attachment = report.attachments.get()
    assert (attachment.original_name, attachment.content_type) == ("述职报告签字版.pdf", "application/pdf")
    assert len(stored_files(media)) == 1

    secretary.submit(report, by=secretary_of_branch_a)

    report.refresh_from_db()
    assert report.status == S.SUBMITTED and report.submitted_at is not None
    assert Notification.objects.filter(recipient=organ_staff_a, title__contains="待评议").exists()
    assert not Notification.objects.filter(recipient=organ_staff_b).exists()
    assert [h.history_change_reason for h in report.history.order_by("history_id")] == [
        "起草：上传附件：述职报告签字版.pdf",
        "提交",
    ]


def test_an_empty_report_cannot_be_submitted(branch_a, shuji, secretary_of_branch_a):
    report = secretary.save_draft(branch_a, YEAR, text="  ", by=secretary_of_branch_a)
    with pytest.raises(SecretaryReportError, match="请先填写述职报告内容再提交"):
        secretary.submit(report, by=secretary_of_branch_a)


def test_without_a_recorded_secretary_the_report_cannot_start(branch_a, secretary_of_branch_a):
    with pytest.raises(SecretaryReportError, match="支部届次中未登记书记"):
        secretary.save_draft(branch_a, YEAR, text=TEXT, by=secretary_of_branch_a)
    assert not SecretaryReport.objects.exists()


def test_staff_and_other_branches_do_not_write_the_branchs_report(
    branch_a, shuji, secretary_of_branch_b, organ_staff_a, gongwei_staff
):
    for user in (secretary_of_branch_b, organ_staff_a, gongwei_staff):
        with pytest.raises(PermissionDenied):
            secretary.save_draft(branch_a, YEAR, text=TEXT, by=user)


def test_a_submitted_report_is_no_longer_editable(submitted, secretary_of_branch_a):
    with pytest.raises(SecretaryReportError, match="述职待评议，不能再修改"):
        secretary.save_draft(submitted.branch, YEAR, text="改一改", by=secretary_of_branch_a)


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        (SimpleUploadedFile("述职.pdf", HTML, content_type="application/pdf"), "内容不是可接受的"),
        (SimpleUploadedFile("脚本.html", HTML, content_type="text/html"), "类型不允许上传"),
        (SimpleUploadedFile("空.pdf", b"", content_type="application/pdf"), "空文件"),
    ],
)
def test_bad_uploads_are_refused_and_nothing_is_stored(branch_a, shuji, secretary_of_branch_a, media, upload, message):
    with pytest.raises(SecretaryReportError, match=message):
        secretary.save_draft(branch_a, YEAR, text=TEXT, files=[pdf(), upload], by=secretary_of_branch_a)

    assert not SecretaryReport.objects.exists()
    assert stored_files(media) == []


def test_removing_an_attachment_deletes_its_file_after_commit(
    branch_a, shuji, secretary_of_branch_a, media, django_capture_on_commit_callbacks
):
    report = secretary.save_draft(branch_a, YEAR, text=TEXT, files=[pdf()], by=secretary_of_branch_a)
    attachment = report.attachments.get()

    with django_capture_on_commit_callbacks(execute=True):
        secretary.save_draft(branch_a, YEAR, text=TEXT, remove=[attachment], by=secretary_of_branch_a)

    assert not report.attachments.exists()
    assert stored_files(media) == []
    assert report.history.latest().history_change_reason == "修改：删除附件：述职报告签字版.pdf"


# --- Evaluating ------------------------------------------------------------------------------


def test_the_organ_evaluates_the_report_and_the_branch_is_told(submitted, organ_staff_a, secretary_of_branch_a):
    with pytest.raises(SecretaryReportError, match="请填写评议意见"):
        secretary.evaluate(submitted, grade=SecretaryGrade.FAIR, evaluation="", by=organ_staff_a)

    secretary.evaluate(submitted, grade=SecretaryGrade.FAIR, evaluation="责任落实较好，创新不足。", by=organ_staff_a)

    submitted.refresh_from_db()
    assert (submitted.status, submitted.grade, submitted.evaluated_by) == (S.EVALUATED, "fair", organ_staff_a)
    assert submitted.history.latest().history_change_reason == "评议：较好"
    assert Notification.objects.filter(recipient=secretary_of_branch_a, title__contains="较好").exists()


def test_only_the_branchs_organ_or_the_gongwei_evaluates(
    submitted, organ_staff_b, secretary_of_branch_a, gongwei_staff
):
    for user in (organ_staff_b, secretary_of_branch_a):
        with pytest.raises(PermissionDenied):
            secretary.evaluate(submitted, grade=SecretaryGrade.GOOD, evaluation="好", by=user)
    secretary.evaluate(submitted, grade=SecretaryGrade.GOOD, evaluation="好", by=gongwei_staff)


def test_a_draft_cannot_be_evaluated_and_a_submitted_one_can_be_returned(
    branch_a, shuji, secretary_of_branch_a, organ_staff_a
):
    report = secretary.save_draft(branch_a, YEAR, text=TEXT, by=secretary_of_branch_a)
    with pytest.raises(SecretaryReportError, match="只有待评议的述职可以评议"):
        secretary.evaluate(report, grade=SecretaryGrade.GOOD, evaluation="好", by=organ_staff_a)

    secretary.submit(report, by=secretary_of_branch_a)
    secretary.return_report(report, reason="请补充问题和整改措施", by=organ_staff_a)

    report.refresh_from_db()
    assert report.status == S.DRAFT
    assert report.history.latest().history_change_reason == "退回：请补充问题和整改措施"


# --- Pages -----------------------------------------------------------------------------------


def page_url(branch) -> str:
    return reverse("assessments:secretary_report", args=[branch.pk, YEAR])


def test_the_secretary_saves_and_submits_on_the_page(client_for, branch_a, shuji, secretary_of_branch_a):
    client = client_for(secretary_of_branch_a)
    assert client.get(page_url(branch_a)).status_code == 200

    response = client.post(page_url(branch_a), {"text": TEXT, "files": [pdf()], "action": "submit"})

    assert response.status_code == 302
    report = SecretaryReport.objects.get()
    assert report.status == S.SUBMITTED and report.attachments.count() == 1


def test_an_upload_refused_on_the_page_is_explained(client_for, branch_a, shuji, secretary_of_branch_a):
    response = client_for(secretary_of_branch_a).post(
        page_url(branch_a), {"text": TEXT, "files": [SimpleUploadedFile("述职.pdf", HTML)], "action": "draft"}
    )
    assert response.status_code == 200
    assert "内容不是可接受的" in response.text
    assert not SecretaryReport.objects.exists()


def test_the_organ_evaluates_on_the_page(client_for, submitted, organ_staff_a):
    client = client_for(organ_staff_a)
    assert "保存评议" in client.get(page_url(submitted.branch)).text

    response = client.post(
        reverse("assessments:secretary_report_evaluate", args=[submitted.pk]),
        {"grade": "good", "evaluation": "履职尽责，成效明显。"},
    )

    assert response.status_code == 302
    submitted.refresh_from_db()
    assert submitted.get_grade_display() == "好"


def test_the_attachment_is_served_only_within_scope(
    client_for, submitted, organ_staff_a, organ_staff_b, secretary_of_branch_b, member_user
):
    attachment = submitted.attachments.get()
    path = reverse("assessments:secretary_attachment", args=[attachment.token])

    response = client_for(organ_staff_a).get(path)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF
    assert response["X-Content-Type-Options"] == "nosniff"
    for user in (organ_staff_b, secretary_of_branch_b, member_user):
        assert client_for(user).get(path).status_code == 404


def test_other_organs_get_a_404_for_the_report_and_cannot_evaluate(client_for, submitted, organ_staff_b):
    client = client_for(organ_staff_b)
    assert client.get(page_url(submitted.branch)).status_code == 404
    evaluate = reverse("assessments:secretary_report_evaluate", args=[submitted.pk])
    assert client.post(evaluate, {"grade": "poor", "evaluation": "差"}).status_code == 404
    submitted.refresh_from_db()
    assert submitted.status == S.SUBMITTED


def test_the_staff_list_shows_every_branch_with_its_status_in_fixed_queries(
    client_for, gongwei_staff, submitted, branch_a2, branch_b, secretary_of_branch_a
):
    client = client_for(gongwei_staff)
    path = reverse("assessments:secretary_report_list")

    def queries(**params) -> tuple[int, object]:
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(path, {"year": YEAR, **params})
        assert response.status_code == 200
        return len(ctx.captured_queries), response

    few, response = queries()
    assert response.context["counts"] == {"total": 3, "missing": 2, "draft": 0, "submitted": 1, "evaluated": 0}
    _, waiting = queries(status="submitted")
    assert [b.name for b in waiting.context["page"].object_list] == ["综合处党支部"]

    for _ in range(15):
        branch = BranchFactory(organ=branch_b.organ)
        seat_secretary(branch)
        SecretaryReport.objects.create(
            branch=branch, year=YEAR, secretary=branch.members.get(), text=TEXT, created_by=gongwei_staff
        )
    assert queries()[0] == few


def test_secretaries_and_members_do_not_see_the_staff_list(client_for, secretary_of_branch_a, member_user):
    path = reverse("assessments:secretary_report_list")
    assert client_for(secretary_of_branch_a).get(path).status_code == 403
    assert client_for(member_user).get(path).status_code == 403


def test_attachments_cannot_be_removed_from_another_report(
    branch_a, branch_a2, shuji, organ_staff_a, secretary_of_branch_a
):
    other = SecretaryReport.objects.create(
        branch=branch_a2, year=YEAR, secretary=MemberFactory(branch=branch_a2), text=TEXT, created_by=organ_staff_a
    )
    stranger = SecretaryReportAttachment(report=other)
    stranger.pk = 999
    secretary.save_draft(branch_a, YEAR, text=TEXT, by=secretary_of_branch_a)

    with pytest.raises(SecretaryReportError, match="不属于本述职"):
        secretary.save_draft(branch_a, YEAR, text=TEXT, remove=[stranger], by=secretary_of_branch_a)
