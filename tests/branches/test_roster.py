"""Roster in Excel: template, export of the member list, and import with preview and confirmation."""

import datetime
import io
import time
import zipfile

import openpyxl
import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from branches import roster
from branches.choices import Education, Gender, MemberStatus
from branches.models import Member
from branches.roster import COLUMNS, RosterFileError, RosterImportError, import_roster, parse_roster
from branches.views.roster import SESSION_KEY, UPLOAD_DIR
from core.excel import XLSX_CONTENT_TYPE
from core.validators import mask_id_number
from tests.factories import MemberFactory, PartyGroupFactory

pytestmark = pytest.mark.django_db

HEADER = [c.label for c in COLUMNS]
_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def make_id(birth: datetime.date, seq: int) -> str:
    """A valid 18-digit ID number (correct check digit) for a birth date."""
    body = f"320102{birth:%Y%m%d}{seq:03d}"
    return body + "10X98765432"[sum(int(d) * w for d, w in zip(body, _WEIGHTS, strict=True)) % 11]


def row(**values) -> dict:
    """One roster row for 综合处党支部 of 市发改委, keyed by column label; override by label."""
    data = {
        "姓名": "张伟", "性别": "男", "民族": "汉族", "出生日期": datetime.date(1985, 3, 12), "身份证号": None,
        "学历": "大学本科", "所在机关": "市发展和改革委员会", "所在支部": "综合处党支部", "党小组": None,
        "工作单位": None, "职务": "科员", "联系电话": "13812345678", "党员状态": "正式党员",
        "入党日期": datetime.date(2008, 6, 1), "转正日期": datetime.date(2009, 6, 1),
        "班子成员": "否", "党务干部": "否",
    }  # fmt: skip
    data.update(values)
    return data


def workbook(*rows: dict, header=HEADER, gap_after: int | None = None) -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "党员名册"
    ws.append(header)
    for index, data in enumerate(rows):
        ws.append([data.get(label) for label in header])
        if gap_after is not None and index == gap_after:
            ws.append([])
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def as_file(content: bytes, name: str = "名册.xlsx") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=XLSX_CONTENT_TYPE)


def sheet_rows(content: bytes) -> list[tuple]:
    wb = openpyxl.load_workbook(io.BytesIO(content))
    return list(wb["党员名册"].iter_rows(values_only=True))


def stored_uploads() -> list[str]:
    try:
        return default_storage.listdir(UPLOAD_DIR)[1]
    except FileNotFoundError:
        return []


def export(client, query: str = "") -> list[tuple]:
    response = client.get(reverse("branches:roster_export") + (f"?{query}" if query else ""))
    assert response.status_code == 200
    assert response["Content-Type"] == XLSX_CONTENT_TYPE
    return sheet_rows(response.content)


@pytest.fixture
def roster_org(organ_a, organ_b, branch_a, branch_a2, branch_b):
    """Members in three branches, with groups, flags, a probationary member and ID numbers."""
    group = PartyGroupFactory(branch=branch_a, name="第一党小组")
    birth = datetime.date(1980, 5, 20)
    MemberFactory(
        branch=branch_a, name="王芳", gender=Gender.FEMALE, birth_date=birth, id_number=make_id(birth, 1),
        party_group=group, education=Education.MASTER, post="处长", phone="0516-83731234", is_leader=True,
    )  # fmt: skip
    MemberFactory(
        branch=branch_a, name="赵磊", status=MemberStatus.PROBATIONARY, confirmed_on=None,
        joined_on=datetime.date(2026, 3, 1), organ=organ_b, ethnicity="回族", is_party_worker=True,
    )  # fmt: skip
    MemberFactory(branch=branch_a2, name="陈静", gender=Gender.FEMALE, post='=HYPERLINK("http://x")')
    birth_b = datetime.date(1979, 1, 2)
    MemberFactory(branch=branch_b, name="刘洋", birth_date=birth_b, id_number=make_id(birth_b, 7))
    return group


class TestPreviewAndErrors:
    def test_a_file_with_bad_rows_reports_each_row_and_writes_nothing(self, gongwei_staff, branch_a):
        # Given a roster where rows 3-7 each have one problem (and one empty row is skipped)
        PartyGroupFactory(branch=branch_a, name="第一党小组")
        content = workbook(
            row(姓名="张伟"),
            row(姓名="李娜", 性别="男性"),
            row(姓名="王强", 出生日期="1985年13月40日"),
            row(姓名="刘敏", 党小组="第九党小组"),
            row(姓名="陈杰", 党员状态="预备党员"),  # a probationary member has no 转正日期
            row(姓名="张伟"),  # same branch, name and birth date as row 2
            gap_after=4,
        )
        # When it is previewed
        preview = parse_roster(io.BytesIO(content), user=gongwei_staff)
        # Then each bad row is reported with its Excel row number and column
        by_row = {(r, label): message for r, label, message in preview.errors}
        assert set(by_row) == {(3, "性别"), (4, "出生日期"), (5, "党小组"), (6, "转正日期"), (8, "姓名")}
        assert "男、女" in by_row[(3, "性别")]
        assert "第 2 行" in by_row[(8, "姓名")]
        assert [r.row for r in preview.rows] == [2, 3, 4, 5, 6, 8]
        # And nothing can be imported
        with pytest.raises(RosterImportError):
            import_roster(preview, user=gongwei_staff)
        assert not Member.objects.exists()

    def test_the_preview_page_lists_errors_without_a_confirm_button(self, client_for, secretary_of_branch_a):
        # Given a secretary uploading a roster with an invalid phone on row 3
        client = client_for(secretary_of_branch_a)
        content = workbook(row(姓名="张伟"), row(姓名="李娜", 联系电话="12345"))
        # When the file is uploaded
        response = client.post(reverse("branches:roster_import"), {"file": as_file(content)})
        # Then the preview names the row and asks for a corrected file, offering no confirmation
        page = response.content.decode()
        assert response.status_code == 200
        assert "请修改后重新上传" in page
        assert "第 3 行" in page and "联系电话" in page
        assert reverse("branches:roster_confirm") not in page
        assert not Member.objects.exists()

    def test_id_numbers_are_checked_and_repeats_are_errors_on_the_later_row(self, gongwei_staff, branch_a):
        birth = datetime.date(1985, 3, 12)
        good = make_id(birth, 1)
        content = workbook(
            row(姓名="甲", 身份证号=good),
            row(姓名="乙", 身份证号=good),
            row(姓名="丙", 身份证号=good[:-1] + ("0" if good[-1] != "0" else "1")),
            row(姓名="丁", 身份证号=make_id(datetime.date(1990, 1, 1), 2)),
            row(姓名="戊", 身份证号="3201**********1234"),
        )
        errors = {(r, label) for r, label, _ in parse_roster(io.BytesIO(content), user=gongwei_staff).errors}
        assert errors == {(3, "身份证号"), (4, "身份证号"), (5, "身份证号"), (6, "身份证号")}

    def test_dates_are_read_from_excel_dates_and_common_text_forms(self, gongwei_staff, branch_a):
        content = workbook(
            row(姓名="甲", 出生日期="1985-03-12", 入党日期="2008/6/1", 转正日期="2009.06.01"),
            row(姓名="乙", 出生日期=19850312, 入党日期="20080601", 转正日期="2009年6月1日"),
        )
        preview = parse_roster(io.BytesIO(content), user=gongwei_staff)
        assert preview.errors == []
        import_roster(preview, user=gongwei_staff)
        for member in Member.objects.all():
            assert (member.birth_date, member.joined_on, member.confirmed_on) == (
                datetime.date(1985, 3, 12),
                datetime.date(2008, 6, 1),
                datetime.date(2009, 6, 1),
            )


class TestImport:
    def test_a_good_file_imports_every_row_with_history_of_the_importer(self, gongwei_staff, organ_b, branch_a):
        # Given a valid roster of three members, one in a party group and one working in another organ
        group = PartyGroupFactory(branch=branch_a, name="第一党小组")
        birth = datetime.date(1988, 8, 8)
        content = workbook(
            row(姓名="张伟", 党小组="第一党小组", 班子成员="是"),
            row(姓名="李娜", 性别="女", 出生日期=birth, 身份证号=make_id(birth, 5), 工作单位="市财政局"),
            row(姓名="王强", 党员状态="预备党员", 入党日期=datetime.date(2026, 5, 1), 转正日期=None, 学历=None),
        )
        # When it is imported
        result = import_roster(as_file(content), user=gongwei_staff)
        # Then every row is on the roster, with the importer in the history
        assert (result.created, result.updated, result.unchanged) == (3, 0, 0)
        zhang, li, wang = (Member.objects.get(name=n) for n in ("张伟", "李娜", "王强"))
        assert zhang.party_group == group and zhang.is_leader and zhang.organ == branch_a.organ
        assert li.organ == organ_b and li.id_number == make_id(birth, 5) and li.gender == Gender.FEMALE
        assert wang.status == MemberStatus.PROBATIONARY and wang.education == ""
        assert zhang.name_pinyin == "zhang wei"
        records = Member.history.filter(id__in=[zhang.pk, li.pk, wang.pk])
        assert records.count() == 3
        assert {(r.history_type, r.history_user_id, r.history_change_reason) for r in records} == {
            ("+", gongwei_staff.pk, roster.CHANGE_REASON)
        }

    def test_existing_members_are_matched_and_updated(self, gongwei_staff, branch_a):
        # Given one member with an ID number and one without
        birth = datetime.date(1980, 5, 20)
        with_id = MemberFactory(branch=branch_a, name="王芳", birth_date=birth, id_number=make_id(birth, 1))
        without_id = MemberFactory(branch=branch_a, name="赵磊")
        # When a roster renames the first (matched by ID) and fills in the second's ID number
        content = workbook(
            row(姓名="王芳芳", 出生日期=birth, 身份证号=make_id(birth, 1), 职务="处长", 学历=None, 联系电话=None),
            row(姓名="赵磊", 身份证号=make_id(without_id.birth_date, 3), 职务=None, 学历=None, 联系电话=None),
        )
        preview = parse_roster(io.BytesIO(content), user=gongwei_staff)
        assert [r.action for r in preview.rows] == ["update", "update"]
        assert set(preview.rows[0].change_labels) == {"姓名", "职务"}
        import_roster(preview, user=gongwei_staff)
        # Then both are updated in place, with a history record naming the importer
        with_id.refresh_from_db()
        without_id.refresh_from_db()
        assert (with_id.name, with_id.name_pinyin, with_id.post) == ("王芳芳", "wang fang fang", "处长")
        assert without_id.id_number == make_id(without_id.birth_date, 3)
        assert Member.objects.count() == 2
        latest = Member.history.filter(id=with_id.pk).latest("history_date")
        assert (latest.history_type, latest.history_user_id) == ("~", gongwei_staff.pk)

    def test_a_masked_id_number_of_an_unknown_member_is_an_error(self, gongwei_staff, branch_a):
        content = workbook(row(身份证号=mask_id_number(make_id(datetime.date(1985, 3, 12), 1))))
        errors = parse_roster(io.BytesIO(content), user=gongwei_staff).errors
        assert [(r, label) for r, label, _ in errors] == [(2, "身份证号")]

    def test_a_2000_row_roster_imports_in_seconds(self, gongwei_staff, branch_a):
        content = workbook(*(row(姓名=f"党员{i}号") for i in range(2000)))
        started = time.monotonic()
        result = import_roster(as_file(content), user=gongwei_staff)
        assert result.created == 2000
        assert time.monotonic() - started < 10
        assert Member.history.filter(history_user=gongwei_staff).count() == 2000


class TestScope:
    def test_a_secretary_cannot_import_into_another_branch(self, secretary_of_branch_a, branch_b):
        # Given rows for the secretary's branch, another organ's branch and a branch that does not exist
        content = workbook(
            row(姓名="张伟"),
            row(姓名="李娜", 所在机关="市财政局", 所在支部="预算处党支部"),
            row(姓名="王强", 所在机关="市财政局", 所在支部="不存在的党支部"),
        )
        # When the secretary previews it
        preview = parse_roster(io.BytesIO(content), user=secretary_of_branch_a)
        # Then both foreign rows get the same message, so nothing is revealed about branch B
        messages = {r: (label, message) for r, label, message in preview.errors}
        assert set(messages) == {3, 4}
        assert messages[3] == messages[4]
        assert messages[3][0] == "所在支部" and "无权向该支部导入" in messages[3][1]
        with pytest.raises(RosterImportError):
            import_roster(preview, user=secretary_of_branch_a)
        assert not Member.objects.exists()

    def test_a_secretary_cannot_take_over_a_member_of_another_branch(self, secretary_of_branch_a, branch_b):
        birth = datetime.date(1979, 1, 2)
        other = MemberFactory(branch=branch_b, name="刘洋", birth_date=birth, id_number=make_id(birth, 7))
        content = workbook(row(姓名="刘洋", 出生日期=birth, 身份证号=other.id_number))
        errors = parse_roster(io.BytesIO(content), user=secretary_of_branch_a).errors
        assert [(r, label) for r, label, _ in errors] == [(2, "身份证号")]
        other.refresh_from_db()
        assert other.branch == branch_b

    def test_a_secretary_cannot_name_an_organ_outside_their_scope_for_a_new_member(
        self, secretary_of_branch_a, branch_b
    ):
        content = workbook(row(工作单位="市财政局"))
        errors = parse_roster(io.BytesIO(content), user=secretary_of_branch_a).errors
        assert [(r, label) for r, label, _ in errors] == [(2, "工作单位")]

    @pytest.mark.parametrize("persona", ["member_user", "outsider"])
    @pytest.mark.parametrize("name", ["roster_import", "roster_template", "roster_export"])
    def test_plain_members_and_outsiders_are_refused(self, request, client_for, persona, name):
        client = client_for(request.getfixturevalue(persona))
        assert client.get(reverse(f"branches:{name}")).status_code == 403

    @pytest.mark.parametrize("name", ["roster_import", "roster_template", "roster_export"])
    def test_anonymous_users_are_sent_to_log_in(self, client, name):
        response = client.get(reverse(f"branches:{name}"))
        assert response.status_code == 302
        assert reverse("accounts:login") in response["Location"]


class TestUploadPages:
    def test_upload_preview_and_confirm(self, client_for, secretary_of_branch_a, branch_a):
        # Given a secretary with a filled-in template
        client = client_for(secretary_of_branch_a)
        page = client.get(reverse("branches:roster_import")).content.decode()
        for step in ("下载模板", "上传预览", "确认导入", reverse("branches:roster_template")):
            assert step in page
        template = client.get(reverse("branches:roster_template"))
        assert template.status_code == 200
        wb = openpyxl.load_workbook(io.BytesIO(template.content))
        assert wb.sheetnames[:2] == ["党员名册", "填写说明"]
        assert [c.value for c in wb["党员名册"][1]] == HEADER
        assert wb["党员名册"].max_row == 1  # no example row that would be imported
        assert len(wb["党员名册"].data_validations.dataValidation) == 6  # drop-downs for the choice columns
        guide = [cell for r in wb["填写说明"].iter_rows(values_only=True) for cell in r if cell]
        assert "综合处党支部" in guide and "身份证号" in guide
        content = workbook(row(姓名="张伟"), row(姓名="李娜", 性别="女"))
        # When it is uploaded, the preview shows what will happen and writes nothing
        response = client.post(reverse("branches:roster_import"), {"file": as_file(content)})
        page = response.content.decode()
        assert "新增" in page and reverse("branches:roster_confirm") in page
        assert not Member.objects.exists()
        token = client.session[SESSION_KEY]["token"]
        assert f"{token}.xlsx" in stored_uploads()
        # And when the import is confirmed
        response = client.post(reverse("branches:roster_confirm"), {"token": token})
        # Then the members are on the roster and the kept file is gone
        assert response.status_code == 302
        assert response["Location"] == reverse("branches:member_list")
        assert set(Member.objects.values_list("name", flat=True)) == {"张伟", "李娜"}
        assert Member.history.filter(history_user=secretary_of_branch_a).count() == 2
        assert f"{token}.xlsx" not in stored_uploads()
        assert SESSION_KEY not in client.session

    def test_confirm_checks_the_file_again(self, client_for, secretary_of_branch_a, branch_a, branch_b):
        # Given a previewed roster with an ID number nobody holds yet
        client = client_for(secretary_of_branch_a)
        birth = datetime.date(1985, 3, 12)
        content = workbook(row(姓名="张伟", 身份证号=make_id(birth, 9)))
        client.post(reverse("branches:roster_import"), {"file": as_file(content)})
        token = client.session[SESSION_KEY]["token"]
        # When, before confirmation, that ID number is registered in another organ's branch
        MemberFactory(branch=branch_b, name="张伟", id_number=make_id(birth, 9))
        response = client.post(reverse("branches:roster_confirm"), {"token": token})
        # Then the confirmation shows the error instead of importing
        assert response.status_code == 200
        assert "请修改后重新上传" in response.content.decode()
        assert Member.objects.count() == 1

    def test_cancelling_deletes_the_kept_file(self, client_for, secretary_of_branch_a, branch_a):
        client = client_for(secretary_of_branch_a)
        client.post(reverse("branches:roster_import"), {"file": as_file(workbook(row()))})
        token = client.session[SESSION_KEY]["token"]
        client.post(reverse("branches:roster_cancel"))
        assert f"{token}.xlsx" not in stored_uploads()
        assert client.post(reverse("branches:roster_confirm"), {"token": token}).status_code == 302
        assert not Member.objects.exists()

    def test_a_stale_token_is_refused(self, client_for, secretary_of_branch_a, branch_a):
        client = client_for(secretary_of_branch_a)
        response = client.post(reverse("branches:roster_confirm"), {"token": "0" * 32})
        assert response.status_code == 302
        assert not Member.objects.exists()

    @pytest.mark.parametrize(
        ("content", "message"),
        [
            ("姓名,性别\n张伟,男\n".encode(), "不是 Excel 工作簿"),
            (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600, ".xls"),
            (b"PK\x03\x04" + b"broken" * 100, "已损坏"),
        ],
        ids=["csv-renamed", "xls", "broken-zip"],
    )
    def test_files_that_are_not_xlsx_are_refused(self, client_for, secretary_of_branch_a, content, message):
        client = client_for(secretary_of_branch_a)
        response = client.post(reverse("branches:roster_import"), {"file": as_file(content, "名册.xlsx")})
        assert response.status_code == 200
        assert message in response.content.decode()
        assert SESSION_KEY not in client.session
        assert not Member.objects.exists()

    def test_a_zip_that_is_not_a_workbook_is_refused(self, secretary_of_branch_a):
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            archive.writestr("[Content_Types].xml", '<Types><Override ContentType="wordprocessingml"/></Types>')
            archive.writestr("word/document.xml", "<w/>")
        with pytest.raises(RosterFileError, match="不是 Excel 工作簿"):
            parse_roster(io.BytesIO(buffer.getvalue()), user=secretary_of_branch_a)

    def test_an_oversized_file_is_refused(self, client_for, secretary_of_branch_a, branch_a, settings):
        settings.MAX_UPLOAD_BYTES = 1024
        client = client_for(secretary_of_branch_a)
        response = client.post(reverse("branches:roster_import"), {"file": as_file(workbook(row()))})
        assert "大小上限" in response.content.decode()
        assert not Member.objects.exists()
        assert SESSION_KEY not in client.session

    def test_too_many_rows_are_refused(self, secretary_of_branch_a, branch_a, monkeypatch):
        monkeypatch.setattr(roster, "MAX_ROWS", 3)
        content = workbook(*(row(姓名=f"党员{i}") for i in range(4)))
        with pytest.raises(RosterFileError, match="数据超过 3 行"):
            parse_roster(io.BytesIO(content), user=secretary_of_branch_a)

    def test_a_sheet_without_the_template_header_is_refused(self, secretary_of_branch_a):
        content = workbook(row(), header=HEADER[:-1])
        with pytest.raises(RosterFileError, match="党务干部"):
            parse_roster(io.BytesIO(content), user=secretary_of_branch_a)


class TestExport:
    def test_round_trip_into_an_emptied_roster(self, client_for, gongwei_staff, roster_org):
        # Given the full roster exported by the 工委
        client = client_for(gongwei_staff)
        exported = export(client)
        assert len(exported) == 5
        content = client.get(reverse("branches:roster_export")).content
        # When the roster is emptied and the export imported again
        Member.objects.all().delete()
        result = import_roster(as_file(content), user=gongwei_staff)
        # Then the roster is the same, column by column
        assert result.created == 4
        assert export(client) == exported

    def test_reimporting_an_unchanged_export_changes_nothing(self, client_for, secretary_of_branch_a, roster_org):
        # Given a secretary's export (ID numbers masked)
        client = client_for(secretary_of_branch_a)
        content = client.get(reverse("branches:roster_export")).content
        before = list(Member.objects.order_by("pk").values())
        n_history = Member.history.count()
        # When it is imported again unchanged
        preview = parse_roster(as_file(content), user=secretary_of_branch_a)
        # Then every row is 无变化 and nothing is written
        assert preview.errors == []
        assert [r.action_label for r in preview.rows] == ["无变化", "无变化"]
        assert import_roster(preview, user=secretary_of_branch_a).unchanged == 2
        assert list(Member.objects.order_by("pk").values()) == before
        assert Member.history.count() == n_history

    def test_a_secretary_exports_only_their_branch_with_masked_id_numbers(
        self, client_for, secretary_of_branch_a, roster_org
    ):
        rows = export(client_for(secretary_of_branch_a))
        assert rows[0] == tuple(HEADER)
        assert {r[HEADER.index("姓名")] for r in rows[1:]} == {"王芳", "赵磊"}
        wang = Member.objects.get(name="王芳")
        ids = {r[HEADER.index("身份证号")] for r in rows[1:]}
        assert mask_id_number(wang.id_number) in ids and wang.id_number not in ids

    def test_the_gongwei_sees_full_id_numbers_and_readable_values(self, client_for, gongwei_staff, roster_org):
        rows = export(client_for(gongwei_staff))
        wang = dict(zip(HEADER, next(r for r in rows if r[0] == "王芳"), strict=True))
        assert wang["身份证号"] == Member.objects.get(name="王芳").id_number
        assert (wang["性别"], wang["学历"], wang["党员状态"], wang["班子成员"]) == (
            "女",
            "研究生（硕士）",
            "正式党员",
            "是",
        )
        assert (wang["所在机关"], wang["所在支部"], wang["党小组"]) == (
            "市发展和改革委员会",
            "综合处党支部",
            "第一党小组",
        )
        assert wang["出生日期"] == datetime.datetime(1980, 5, 20)  # a real Excel date
        # In pinyin order: chen, liu, wang, zhao
        assert [r[0] for r in rows[1:]] == ["陈静", "刘洋", "王芳", "赵磊"]

    def test_the_export_follows_the_list_filter(self, client_for, gongwei_staff, roster_org):
        rows = export(client_for(gongwei_staff), "status=probationary")
        assert [r[0] for r in rows[1:]] == ["赵磊"]

    def test_formula_injection_is_neutralised(self, client_for, gongwei_staff, roster_org):
        client = client_for(gongwei_staff)
        response = client.get(reverse("branches:roster_export"))
        ws = openpyxl.load_workbook(io.BytesIO(response.content))["党员名册"]
        chen = next(r for r in ws.iter_rows(min_row=2) if r[0].value == "陈静")
        post = chen[HEADER.index("职务")]
        assert post.data_type == "s"
        assert post.value == '\'=HYPERLINK("http://x")'

    def test_the_download_has_a_dated_chinese_file_name(self, client_for, gongwei_staff):
        response = client_for(gongwei_staff).get(reverse("branches:roster_export"))
        disposition = response["Content-Disposition"]
        assert disposition.startswith("attachment;")
        assert "filename*=UTF-8''%E5%85%9A%E5%91%98%E5%90%8D%E5%86%8C-" in disposition

    def test_export_queries_do_not_grow_with_rows(self, client_for, gongwei_staff, branch_a):
        client = client_for(gongwei_staff)
        group = PartyGroupFactory(branch=branch_a)
        MemberFactory(branch=branch_a, party_group=group)

        def count():
            with CaptureQueriesContext(connection) as ctx:
                assert client.get(reverse("branches:roster_export")).status_code == 200
            return len(ctx.captured_queries)

        one = count()
        MemberFactory.create_batch(29, branch=branch_a, party_group=group)
        assert count() == one


class TestCommand:
    def test_dry_run_validates_and_writes_nothing(self, branch_a, tmp_path, capsys):
        path = tmp_path / "roster.xlsx"
        path.write_bytes(workbook(row(姓名="张伟"), row(姓名="李娜")))
        call_command("import_members", str(path), "--dry-run")
        assert "新增 2 人" in capsys.readouterr().out
        assert not Member.objects.exists()

    def test_errors_are_printed_with_row_numbers_and_exit_non_zero(self, branch_a, tmp_path, capsys):
        path = tmp_path / "roster.xlsx"
        path.write_bytes(workbook(row(姓名="张伟"), row(姓名="李娜", 入党日期="昨天")))
        with pytest.raises(CommandError, match="未导入任何数据"):
            call_command("import_members", str(path))
        assert "第 3 行【入党日期】" in capsys.readouterr().err
        assert not Member.objects.exists()

    def test_without_a_user_it_imports_into_any_branch(self, branch_a, branch_b, tmp_path):
        path = tmp_path / "roster.xlsx"
        path.write_bytes(workbook(row(姓名="张伟"), row(姓名="李娜", 所在机关="市财政局", 所在支部="预算处党支部")))
        call_command("import_members", str(path))
        assert set(Member.objects.values_list("branch__name", flat=True)) == {"综合处党支部", "预算处党支部"}

    def test_with_a_user_it_acts_within_their_scope(self, secretary_of_branch_a, branch_b, tmp_path, capsys):
        path = tmp_path / "roster.xlsx"
        path.write_bytes(workbook(row(姓名="张伟", 所在机关="市财政局", 所在支部="预算处党支部")))
        with pytest.raises(CommandError):
            call_command("import_members", str(path), "--user", secretary_of_branch_a.username)
        assert "无权向该支部导入" in capsys.readouterr().err
        assert not Member.objects.exists()
