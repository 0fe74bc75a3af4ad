"""一岗双责 reports: periods, who owes (from the roster), filing, late marking, review, scoping,
the staff overview with its export, and due-date changes."""

import datetime
import io

import openpyxl
import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from assessments import reports
from assessments.choices import ReportStatus
from assessments.models import DutyReport, DutyReportPeriod
from branches.models import Member
from core.errors import IllegalTransition
from notifications.models import Notification
from tests.assessments.factories import keep_filing
from tests.factories import BranchFactory, MemberFactory, OrganFactory, Role, UserFactory, grant, keep_figures

pytestmark = pytest.mark.django_db

TEXT = {
    "business_work": "推进项目审批提速，办结率 98%。",
    "party_work": "指导联系支部开展主题党日 6 次。",
    "problems": "调研不够深入。",
    "next_steps": "下半年开展专题调研。",
}


@pytest.fixture(autouse=True)
def frozen_today(time_machine):
    time_machine.move_to("2026-11-22 10:00 +0800", tick=False)


@pytest.fixture(autouse=True)
def opened_years(db):
    """Last year and this one are open, as the yearly job leaves them on a live install."""
    reports.ensure_periods([2025, 2026])


def leader(branch, name: str = "", **kwargs) -> Member:
    if name:
        kwargs["name"] = name
    return MemberFactory(branch=branch, is_leader=True, **kwargs)


def h1(year: int = 2026) -> DutyReportPeriod:
    return reports.ensure_periods([year])[0]


def h2(year: int = 2026) -> DutyReportPeriod:
    return reports.ensure_periods([year])[1]


def filed(member, period, *, status=ReportStatus.SUBMITTED, late=False) -> DutyReport:
    """A report in a given state without walking the workflow (for lists and counts)."""
    report = DutyReport.objects.create(
        member=member,
        period=period,
        status=status,
        is_late=late,
        submitted_at=None if status == ReportStatus.DRAFT else timezone.now(),
        **TEXT,
    )
    return keep_filing(report)


@pytest.fixture
def leader_user(branch_a):
    """A 班子成员 of branch_a with their own account."""
    user = UserFactory(username="lingdao", full_name="王局长")
    leader(branch_a, "王局长", user=user, post="副局长")
    return user


# --- periods ---------------------------------------------------------------------------


def test_a_year_not_opened_reads_the_default_halves_and_due_dates_without_saving_them():
    with CaptureQueriesContext(connection) as queries:
        first, second = reports.periods_for_year(2027)
    assert (first.pk, first.half, first.starts_on, first.ends_on, first.due_on) == (
        None,
        1,
        datetime.date(2027, 1, 1),
        datetime.date(2027, 6, 30),
        datetime.date(2027, 7, 15),
    )
    assert (second.pk, second.half, second.starts_on, second.ends_on, second.due_on) == (
        None,
        2,
        datetime.date(2027, 7, 1),
        datetime.date(2027, 12, 31),
        datetime.date(2028, 1, 15),
    )
    assert [q["sql"].split()[0] for q in queries.captured_queries] == ["SELECT"]
    assert not DutyReportPeriod.objects.filter(year=2027).exists()


def test_opening_a_year_saves_the_defaults_once_and_keeps_a_moved_due_date():
    first, second = reports.ensure_periods([2027])
    assert (first.half, first.due_on, second.half, second.due_on) == (
        1,
        datetime.date(2027, 7, 15),
        2,
        datetime.date(2028, 1, 15),
    )
    # A year starts from the default dates, not from a date moved in the year before.
    DutyReportPeriod.objects.filter(pk=first.pk).update(due_on=datetime.date(2027, 7, 31))
    again = reports.ensure_periods([2027])
    assert DutyReportPeriod.objects.filter(year=2027).count() == 2
    assert again[0].due_on == datetime.date(2027, 7, 31)
    assert reports.periods_for_year(2027) == again
    assert reports.periods_for_year(2028)[0].due_on == datetime.date(2028, 7, 15)


def test_two_requests_opening_the_same_year_do_not_fail(monkeypatch):
    # Given another request saves the same halves between our look-up and our insert
    read = reports.periods_for_years

    def raced(years):
        found = read(years)
        DutyReportPeriod.objects.bulk_create(reports.default_periods(2030))
        return found

    monkeypatch.setattr(reports, "periods_for_years", raced)
    # When this request opens the year, then it takes the other request's rows
    periods = reports.ensure_periods([2030])
    assert [p.half for p in periods] == [1, 2]
    assert all(p.pk for p in periods)
    assert DutyReportPeriod.objects.filter(year=2030).count() == 2


def test_staff_look_at_the_latest_ended_period_by_default():
    assert reports.default_period(datetime.date(2026, 11, 22)) == h1(2026)
    assert reports.default_period(datetime.date(2027, 1, 5)) == h2(2026)
    assert reports.default_period(datetime.date(2026, 7, 1)) == h1(2026)


def test_the_default_period_is_a_saved_one_while_there_is_one():
    # 2027 not opened: in its summer the latest ended saved period is still 2026's second half.
    assert reports.default_period(datetime.date(2027, 8, 1)) == h2(2026)
    # Neither year opened: the period is read as the defaults, unsaved.
    unopened = reports.default_period(datetime.date(2029, 3, 1))
    assert (unopened.pk, unopened.year, unopened.half) == (None, 2028, 2)


# --- who owes --------------------------------------------------------------------------


def test_who_owes_is_derived_from_the_roster(branch_a, branch_b, gongwei_staff):
    wang, zhao = leader(branch_a, "王局长"), leader(branch_b, "赵局长")
    MemberFactory(branch=branch_a, name="普通党员")
    dissolved = BranchFactory(organ=branch_a.organ, dissolved_on=datetime.date(2026, 3, 1))
    leader(dissolved, "已撤销支部的领导")
    period = h1()
    assert set(reports.owed(period)) == {wang, zhao}
    # When a member becomes a 班子成员 on the roster, they owe from then on
    li = MemberFactory(branch=branch_a, name="李处长")
    Member.objects.filter(pk=li.pk).update(is_leader=True)
    keep_figures([li.branch_id])
    assert set(reports.owed(period)) == {wang, zhao, li}
    # Outstanding: no report, a draft or a returned report; filed ones are not
    filed(wang, period)
    filed(zhao, period, status=ReportStatus.RETURNED)
    filed(li, period, status=ReportStatus.DRAFT)
    assert set(reports.outstanding(period)) == {zhao, li}


# --- filing and late marking -----------------------------------------------------------


def test_a_leader_files_their_own_report_through_the_pages(client_for, leader_user, organ_staff_a):
    client = client_for(leader_user)
    me = leader_user.member
    period = h1()
    # Given the leader opens their page, then the oldest overdue report waits for them with the form
    page = client.get(reverse("assessments:my_reports"))
    assert page.status_code == 200
    assert page.context["next_up"] == h2(2025)
    owed = [(str(p), p.overdue) for p in page.context["page"].object_list]
    assert owed == [("2026年下半年", False), ("2026年上半年", True), ("2025年下半年", True)]
    url = reverse("assessments:report_edit", args=[period.pk, me.pk])
    # When they save a partial draft, then it is kept as a draft
    response = client.post(url, {"business_work": "推进审批提速", "action": "draft"})
    report = DutyReport.objects.get(member=me, period=period)
    assert response.status_code == 302 and report.status == ReportStatus.DRAFT
    # When they submit with parts missing, then the form says which and nothing is submitted
    response = client.post(url, {"business_work": "推进审批提速", "action": "submit"})
    assert response.status_code == 200
    assert "提交前请填写此项。" in response.content.decode()
    report.refresh_from_db()
    assert report.status == ReportStatus.DRAFT
    # When they submit the full report after the due date, then it is accepted and marked late
    response = client.post(url, {**TEXT, "action": "submit"})
    report.refresh_from_db()
    assert response.status_code == 302
    assert report.status == ReportStatus.SUBMITTED and report.is_late
    assert report.business_work == TEXT["business_work"]
    # And the organ's staff hear about it
    assert Notification.objects.filter(
        recipient=organ_staff_a, url=reverse("assessments:report_detail", args=[report.pk])
    ).exists()
    detail = client.get(reverse("assessments:report_detail", args=[report.pk]))
    assert detail.status_code == 200 and "逾期提交" in detail.content.decode()


@pytest.mark.parametrize(
    ("moment", "late"),
    [("2026-07-15 23:59 +0800", False), ("2026-07-16 00:00 +0800", True), ("2026-07-15 16:30 +0000", True)],
)
def test_late_marking_at_the_due_date_boundary(time_machine, branch_a, secretary_of_branch_a, moment, late):
    wang = leader(branch_a)
    period = h1()
    time_machine.move_to(moment, tick=False)
    report = reports.save_draft(wang, period, data=TEXT, by=secretary_of_branch_a)
    report = reports.submit_report(report, by=secretary_of_branch_a)
    assert report.status == ReportStatus.SUBMITTED
    assert report.is_late is late


def test_a_returned_report_is_edited_and_resubmitted_keeping_its_timeliness(
    time_machine, branch_a, secretary_of_branch_a, organ_staff_a
):
    wang = leader(branch_a)
    period = h1()
    # Given a report filed in time
    time_machine.move_to("2026-07-10 09:00 +0800", tick=False)
    report = reports.submit_report(
        reports.save_draft(wang, period, data=TEXT, by=secretary_of_branch_a), by=secretary_of_branch_a
    )
    first_submitted = report.submitted_at
    # When the organ returns it after the due date
    time_machine.move_to("2026-07-20 09:00 +0800", tick=False)
    report = reports.return_report(report, by=organ_staff_a, reason="党建部分过于简略")
    assert report.status == ReportStatus.RETURNED and report.return_reason == "党建部分过于简略"
    # Then it can be edited (it stays returned) and resubmitted, still not late
    report = reports.save_draft(
        wang, period, data={**TEXT, "party_work": "补充：指导支部 3 个"}, by=secretary_of_branch_a
    )
    assert report.status == ReportStatus.RETURNED and report.party_work == "补充：指导支部 3 个"
    report = reports.submit_report(report, by=secretary_of_branch_a)
    assert report.status == ReportStatus.SUBMITTED
    assert report.is_late is False and report.submitted_at == first_submitted
    reasons = list(report.history.order_by("history_id").values_list("history_change_reason", flat=True))
    assert reasons == ["起草", "提交", "退回：党建部分过于简略", "修改", "重新提交"]
    assert {h.history_user for h in report.history.all()} == {secretary_of_branch_a, organ_staff_a}


def test_a_branch_writer_files_on_behalf_of_a_leader_without_an_account(client_for, branch_a, secretary_of_branch_a):
    wang = leader(branch_a, "王局长")
    period = h2()
    url = reverse("assessments:report_edit", args=[period.pk, wang.pk])
    response = client_for(secretary_of_branch_a).post(url, {**TEXT, "action": "submit"})
    report = DutyReport.objects.get(member=wang, period=period)
    assert response.status_code == 302
    assert report.status == ReportStatus.SUBMITTED and report.is_late is False


def test_refusals_change_nothing(client_for, branch_a, secretary_of_branch_a, member_user):
    client = client_for(secretary_of_branch_a)
    plain = member_user.member
    # Not a 班子成员: no report can be started
    response = client.post(reverse("assessments:report_edit", args=[h1().pk, plain.pk]), {**TEXT, "action": "submit"})
    assert response.status_code == 302
    assert not DutyReport.objects.exists()
    with pytest.raises(reports.ReportError, match="不是班子成员"):
        reports.save_draft(plain, h1(), data=TEXT, by=secretary_of_branch_a)
    # A period that has not begun
    wang = leader(branch_a)
    with pytest.raises(reports.ReportError, match="尚未开始"):
        reports.save_draft(wang, h1(2027), data=TEXT, by=secretary_of_branch_a)
    assert not DutyReport.objects.exists()


def test_illegal_transitions_are_refused_with_a_reason(branch_a, secretary_of_branch_a, organ_staff_a):
    wang = leader(branch_a)
    draft = reports.save_draft(wang, h1(), data=TEXT, by=secretary_of_branch_a)
    with pytest.raises(IllegalTransition, match="只有待审阅的报告可以审阅通过（当前状态：草稿）"):
        reports.accept_report(draft, by=organ_staff_a)
    report = reports.accept_report(reports.submit_report(draft, by=secretary_of_branch_a), by=organ_staff_a)
    assert report.status == ReportStatus.ACCEPTED and report.reviewed_by == organ_staff_a
    with pytest.raises(IllegalTransition, match="只有待审阅的报告可以退回"):
        reports.return_report(report, by=organ_staff_a, reason="再改改")
    with pytest.raises(IllegalTransition, match="只有草稿或被退回的报告可以提交"):
        reports.submit_report(report, by=secretary_of_branch_a)
    with pytest.raises(IllegalTransition, match="报告已提交，不能再修改"):
        reports.save_draft(wang, h1(), data=TEXT, by=secretary_of_branch_a)
    report.refresh_from_db()
    assert report.status == ReportStatus.ACCEPTED and report.business_work == TEXT["business_work"]


def test_a_submitted_report_cannot_be_edited_from_the_form(client_for, branch_a, secretary_of_branch_a, gongwei_staff):
    wang = leader(branch_a)
    report = filed(wang, h1())
    client = client_for(secretary_of_branch_a)
    response = client.post(
        reverse("assessments:report_edit", args=[h1().pk, wang.pk]), {**TEXT, "problems": "改", "action": "draft"}
    )
    assert response.status_code == 302 and response.url == reverse("assessments:report_detail", args=[report.pk])
    report.refresh_from_db()
    assert report.problems == TEXT["problems"]


# --- review by the right roles only ----------------------------------------------------


def test_review_by_the_organ_staff_and_the_gongwei_only(
    client_for, branch_a, gongwei_staff, organ_staff_a, organ_staff_b, secretary_of_branch_a, leader_user
):
    report = filed(leader_user.member, h1())
    review = reverse("assessments:report_review", args=[report.pk])
    # Another organ's staff do not even see it; the branch's secretary and the leader see it but may not review
    assert client_for(organ_staff_b).post(review, {"action": "accept"}).status_code == 404
    assert client_for(secretary_of_branch_a).post(review, {"action": "accept"}).status_code == 403
    assert client_for(leader_user).post(review, {"action": "accept"}).status_code == 403
    report.refresh_from_db()
    assert report.status == ReportStatus.SUBMITTED
    # The organ's staff return it; without a reason nothing happens
    client = client_for(organ_staff_a)
    response = client.post(review, {"action": "return", "reason": "  "})
    assert response.status_code == 200 and "退回时请写明原因" in response.content.decode()
    report.refresh_from_db()
    assert report.status == ReportStatus.SUBMITTED
    response = client.post(review, {"action": "return", "reason": "问题查摆不具体"})
    assert response.status_code == 302
    report.refresh_from_db()
    assert report.status == ReportStatus.RETURNED and report.return_reason == "问题查摆不具体"
    assert Notification.objects.filter(recipient=leader_user, title__contains="退回").exists()
    # Resubmitted, the 工委 accepts it
    reports.submit_report(report, by=leader_user)
    assert client_for(gongwei_staff).post(review, {"action": "accept"}).status_code == 302
    report.refresh_from_db()
    assert report.status == ReportStatus.ACCEPTED and report.reviewed_by == gongwei_staff
    assert Notification.objects.filter(recipient=leader_user, title__contains="已审阅").exists()


def test_organ_staff_cannot_review_their_own_report(organ_a, branch_a):
    user = UserFactory()
    grant(user, Role.ORGAN, organ=organ_a)
    me = leader(branch_a, user=user)
    report = filed(me, h1())
    with pytest.raises(PermissionDenied):
        reports.accept_report(report, by=user)


def test_the_detail_page_offers_each_role_its_actions(client_for, branch_a, gongwei_staff, organ_staff_a, leader_user):
    report = filed(leader_user.member, h1())
    staff_page = client_for(organ_staff_a).get(reverse("assessments:report_detail", args=[report.pk]))
    assert staff_page.context["can_review"] and "审阅通过" in staff_page.content.decode()
    own_page = client_for(leader_user).get(reverse("assessments:report_detail", args=[report.pk]))
    assert not own_page.context["can_review"] and not own_page.context["can_edit"]
    review_page = client_for(organ_staff_a).get(reverse("assessments:report_review", args=[report.pk]))
    assert review_page.status_code == 200 and TEXT["party_work"] in review_page.content.decode()


# --- scoping ---------------------------------------------------------------------------


def test_a_secretary_sees_only_their_branchs_reports(
    client_for, branch_a, branch_a2, branch_b, secretary_of_branch_a, gongwei_staff
):
    mine, neighbour, other = leader(branch_a, "甲"), leader(branch_a2, "乙"), leader(branch_b, "丙")
    period = h1()
    mine_report, neighbour_report = filed(mine, period), filed(neighbour, period)
    filed(other, period)
    client = client_for(secretary_of_branch_a)
    response = client.get(reverse("assessments:report_overview"))
    assert [m.name for m in response.context["page"].object_list] == ["甲"]
    assert client.get(reverse("assessments:report_detail", args=[mine_report.pk])).status_code == 200
    assert client.get(reverse("assessments:report_detail", args=[neighbour_report.pk])).status_code == 404
    assert client.post(reverse("assessments:report_edit", args=[period.pk, other.pk]), TEXT).status_code == 404


def test_a_member_sees_only_their_own(client_for, branch_a, leader_user, gongwei_staff):
    colleague = leader(branch_a, "同支部领导")
    own = filed(leader_user.member, h1())
    theirs = filed(colleague, h1())
    client = client_for(leader_user)
    assert client.get(reverse("assessments:report_detail", args=[own.pk])).status_code == 200
    assert client.get(reverse("assessments:report_detail", args=[theirs.pk])).status_code == 404
    assert client.get(reverse("assessments:report_overview")).status_code == 403
    assert client.get(reverse("assessments:report_export")).status_code == 403
    assert client.get(reverse("assessments:report_edit", args=[h2().pk, colleague.pk])).status_code == 404
    page = client.get(reverse("assessments:my_reports"))
    assert [p.report_id for p in page.context["page"].object_list if p.report_id] == [own.pk]


def test_accounts_without_a_member_record_see_an_explanation(client_for, outsider):
    page = client_for(outsider).get(reverse("assessments:my_reports"))
    assert page.status_code == 200 and "尚未关联党员档案" in page.content.decode()
    assert client_for(outsider).get(reverse("assessments:report_overview")).status_code == 403


def test_a_member_who_is_not_a_leader_owes_nothing(client_for, member_user):
    page = client_for(member_user).get(reverse("assessments:my_reports"))
    assert page.status_code == 200
    assert page.context["next_up"] is None and "无需报告" in page.content.decode()


# --- overview and export ----------------------------------------------------------------


@pytest.fixture
def two_organs(organ_a, branch_a, branch_a2, branch_b, gongwei_staff):
    """Leaders in every filing state: organ_a has five, organ_b two."""
    period = h1()
    states = {
        "准时": (branch_a, ReportStatus.SUBMITTED, False),
        "迟交": (branch_a, ReportStatus.SUBMITTED, True),
        "退回": (branch_a2, ReportStatus.RETURNED, True),
        "通过": (branch_a2, ReportStatus.ACCEPTED, False),
        "草稿": (branch_a, ReportStatus.DRAFT, False),
        "财政通过": (branch_b, ReportStatus.ACCEPTED, True),
    }
    for name, (branch, status, late) in states.items():
        filed(leader(branch, name), period, status=status, late=late)
    leader(branch_b, "财政未交")
    return period


def _names(response) -> set[str]:
    return {m.name for m in response.context["page"].object_list}


def test_the_overview_counts_per_organ_and_filters_by_state(client_for, gongwei_staff, two_organs, organ_a):
    client = client_for(gongwei_staff)
    response = client.get(reverse("assessments:report_overview"))
    assert response.status_code == 200 and response.context["period"] == two_organs
    summary = {row["name"]: row for row in response.context["summary_page"].object_list}
    a = summary["市发改委"]
    assert (a["total"], a["submitted"], a["late"], a["missing"], a["returned"], a["accepted"]) == (5, 1, 1, 1, 1, 1)
    assert a["n_late_any"] == 2 and a["rate"] == 60
    b = summary["市财政局"]
    assert (b["total"], b["accepted"], b["missing"], b["n_late_any"]) == (2, 1, 1, 1)
    assert response.context["totals"]["total"] == 7
    assert _names(client.get(reverse("assessments:report_overview"), {"status": "missing"})) == {"草稿", "财政未交"}
    assert _names(client.get(reverse("assessments:report_overview"), {"status": "late"})) == {"迟交"}
    by_organ = client.get(reverse("assessments:report_overview"), {"organ": organ_a.pk, "status": "accepted"})
    assert _names(by_organ) == {"通过"}
    # Another period shows everyone as not filed
    other = client.get(reverse("assessments:report_overview"), {"period": h1(2025).pk})
    assert {m.filing for m in other.context["page"].object_list} == {"missing"}


def test_a_former_leader_stays_listed_with_their_report(client_for, gongwei_staff, branch_a):
    former = leader(branch_a, "已卸任")
    filed(former, h1(), status=ReportStatus.ACCEPTED)
    Member.objects.filter(pk=former.pk).update(is_leader=False)
    keep_figures([former.branch_id])
    response = client_for(gongwei_staff).get(reverse("assessments:report_overview"))
    assert _names(response) == {"已卸任"}


def test_organ_staff_see_their_organ_only(client_for, organ_staff_a, two_organs):
    response = client_for(organ_staff_a).get(reverse("assessments:report_overview"))
    assert [row["name"] for row in response.context["summary_page"].object_list] == ["市发改委"]
    assert "财政未交" not in _names(response)
    export = client_for(organ_staff_a).get(reverse("assessments:report_export"))
    sheet = openpyxl.load_workbook(io.BytesIO(export.content)).active
    assert {row[1] for row in sheet.iter_rows(min_row=2, values_only=True)} == {"市发改委"}


def test_the_export_holds_exactly_the_filtered_rows_and_defuses_formulas(
    client_for, gongwei_staff, two_organs, branch_b
):
    leader(branch_b, '=HYPERLINK("http://x")', post="+cmd")
    response = client_for(gongwei_staff).get(reverse("assessments:report_export"), {"status": "missing"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert rows[0][:6] == ["报告期", "机关", "支部", "姓名", "职务", "状态"]
    names = {row[3] for row in rows[1:]}
    assert names == {"草稿", "财政未交", '\'=HYPERLINK("http://x")'}
    assert {row[5] for row in rows[1:]} == {"未提交"}
    assert "'+cmd" in {row[4] for row in rows[1:]}
    assert all(row[0] == "2026年上半年" for row in rows[1:])


def _count_queries(client, url, params=None) -> int:
    # The first visit of a year creates its periods; count a settled page.
    client.get(url, params or {})
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url, params or {}).status_code == 200
    return len(ctx.captured_queries)


def test_overview_and_export_queries_do_not_grow_with_rows(client_for, gongwei_staff, organ_a):
    period = h1()
    branch = BranchFactory(organ=organ_a)
    filed(leader(branch), period)
    client = client_for(gongwei_staff)
    overview, export = reverse("assessments:report_overview"), reverse("assessments:report_export")
    one = (
        _count_queries(client, overview),
        _count_queries(client, export),
        _count_queries(client, reverse("assessments:my_reports")),
    )
    for _ in range(3):
        organ = OrganFactory()
        for state in (ReportStatus.SUBMITTED, ReportStatus.RETURNED, ReportStatus.ACCEPTED, ReportStatus.DRAFT):
            filed(leader(BranchFactory(organ=organ)), period, status=state)
        leader(BranchFactory(organ=organ))
    many = (
        _count_queries(client, overview),
        _count_queries(client, export),
        _count_queries(client, reverse("assessments:my_reports")),
    )
    assert one == many


def test_my_reports_queries_do_not_grow_with_reports(client_for, leader_user, gongwei_staff):
    me = leader_user.member
    filed(me, h1(), status=ReportStatus.ACCEPTED)
    client = client_for(leader_user)
    one = _count_queries(client, reverse("assessments:my_reports"))
    for year in (2021, 2022, 2023):
        for period in reports.ensure_periods([year]):
            filed(me, period, status=ReportStatus.ACCEPTED)
    many = _count_queries(client, reverse("assessments:my_reports"))
    assert one == many


# --- due dates -------------------------------------------------------------------------


def test_the_gongwei_moves_a_due_date_and_late_marks_follow(
    client_for, time_machine, gongwei_staff, branch_a, secretary_of_branch_a
):
    period = h1()
    wang = leader(branch_a)
    time_machine.move_to("2026-07-20 09:00 +0800", tick=False)
    report = reports.submit_report(
        reports.save_draft(wang, period, data=TEXT, by=secretary_of_branch_a), by=secretary_of_branch_a
    )
    assert report.is_late
    time_machine.move_to("2026-11-22 10:00 +0800", tick=False)
    url = reverse("assessments:period_edit", args=[period.pk])
    client = client_for(gongwei_staff)
    # A due date before the period ends is refused and nothing changes
    response = client.post(url, {"due_on": "2026-06-01", "reason": ""})
    assert response.status_code == 200 and "不能早于报告期结束日期" in response.content.decode()
    period.refresh_from_db()
    assert period.due_on == datetime.date(2026, 7, 15)
    # An extension to 7/31 makes the 7/20 report timely, and both changes are in the history
    response = client.post(url, {"due_on": "2026-07-31", "reason": "汛期工作顺延"})
    assert response.status_code == 302
    period.refresh_from_db()
    report.refresh_from_db()
    assert period.due_on == datetime.date(2026, 7, 31) and report.is_late is False
    assert period.history.first().history_change_reason == "报告截止日期 2026-07-15 → 2026-07-31：汛期工作顺延"
    assert report.history.first().history_user == gongwei_staff
    listing = client.get(reverse("assessments:period_list"))
    assert listing.status_code == 200 and "汛期工作顺延" in listing.content.decode()


def test_only_the_gongwei_changes_due_dates(client_for, organ_staff_a, secretary_of_branch_a, member_user):
    period = h1()
    url = reverse("assessments:period_edit", args=[period.pk])
    assert client_for(organ_staff_a).get(url).status_code == 403
    assert client_for(organ_staff_a).post(url, {"due_on": "2026-07-31"}).status_code == 403
    listing = client_for(secretary_of_branch_a).get(reverse("assessments:period_list"))
    assert listing.status_code == 200 and not listing.context["can_edit"]
    assert client_for(member_user).get(reverse("assessments:period_list")).status_code == 403
    period.refresh_from_db()
    assert period.due_on == datetime.date(2026, 7, 15)


def test_pages_render_for_each_role(
    client_for, gongwei_staff, organ_staff_a, secretary_of_branch_a, leader_user, two_organs
):
    returned = DutyReport.objects.get(status=ReportStatus.RETURNED)  # in branch_a2
    late = DutyReport.objects.get(member__name="迟交")  # in branch_a
    draft = DutyReport.objects.get(status=ReportStatus.DRAFT)  # in branch_a
    pages = {
        gongwei_staff: [late, returned],
        organ_staff_a: [late, returned],
        secretary_of_branch_a: [late, draft],
    }
    for user, shown in pages.items():
        client = client_for(user)
        urls = [reverse("assessments:report_overview"), reverse("assessments:period_list")]
        urls += [reverse("assessments:report_detail", args=[r.pk]) for r in shown]
        urls.append(reverse("assessments:report_edit", args=[two_organs.pk, shown[-1].member_id]))
        for url in urls:
            response = client.get(url)
            assert response.status_code == 200, (user, url)
            assert response.context["breadcrumbs"] and response.context["nav"] == "duty_reports"
    own = client_for(leader_user)
    for url in (
        reverse("assessments:my_reports"),
        reverse("assessments:report_edit", args=[h2().pk, leader_user.member.pk]),
    ):
        response = own.get(url)
        assert response.status_code == 200 and response.context["nav"] == "my_reports"
