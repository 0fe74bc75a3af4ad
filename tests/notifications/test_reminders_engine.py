"""The one reminder engine: each source tells the right people before, on and after the due date, escalates to
the right organ only, and never sends the same reminder twice."""

import datetime
import io

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.template.loader import render_to_string
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from assessments.choices import ProblemSource, ProblemStatus, ReportStatus
from assessments.models import DutyReport, DutyReportPeriod, Problem
from assessments.reminders import problem_reminders, report_reminders
from assessments.reports import ensure_periods
from branches import kept, orglife
from branches import reminders as branch_reminders
from branches.choices import MeetingKind
from branches.models import Meeting, OrganisationRules, RequirementExemption
from branches.reminders import term_reminders
from notifications import reminders
from notifications.models import Notification, ReminderRules
from notifications.reminders import send_reminders
from notifications.tasks import send_reminders_task
from portal.due import due_this_month
from tests.factories import (
    BranchFactory,
    CommitteeMemberFactory,
    CommitteeTermFactory,
    MemberFactory,
    Role,
    UserFactory,
    grant,
)
from tests.projects.factories import MilestoneFactory, ProjectFactory, SupervisionFactory

TODAY = datetime.date(2026, 11, 22)


def days(n: int, start: datetime.date = TODAY) -> datetime.date:
    return start + datetime.timedelta(days=n)


def keys_of(user) -> set[str]:
    return set(Notification.objects.filter(recipient=user).values_list("key", flat=True))


@pytest.fixture
def everyone(secretary_of_branch_a, organ_staff_a, organ_staff_b, secretary_of_branch_b, gongwei_staff):
    return {
        "branch": secretary_of_branch_a,
        "organ": organ_staff_a,
        "bystanders": [organ_staff_b, secretary_of_branch_b, gongwei_staff],
    }


def nobody_else(everyone) -> None:
    for bystander in everyone["bystanders"]:
        assert keys_of(bystander) == set()


# --- 一岗双责 reports ----------------------------------------------------------------------------------


@pytest.fixture
def h1(db):
    """2026's first half-year, due on a date each test sets; the other periods are out of reach on TODAY."""
    ensure_periods([2025, 2026])
    return DutyReportPeriod.objects.get(year=2026, half=1)


def due_in(period: DutyReportPeriod, n: int) -> DutyReportPeriod:
    DutyReportPeriod.objects.filter(pk=period.pk).update(due_on=days(n))
    period.refresh_from_db()
    return period


@pytest.fixture
def leader(branch_a):
    return MemberFactory(branch=branch_a, name="王副局长", is_leader=True, user=UserFactory(username="wang"))


@pytest.mark.parametrize(
    ("due", "leader_stages", "organ_stages"),
    [
        (8, set(), set()),  # beyond the 7-day window
        (7, {"before"}, set()),
        (1, {"before"}, set()),
        (0, {"due"}, set()),
        (-7, {"due"}, set()),  # a missed due-date run still tells the leader, through the grace period
        (-8, set(), {"escalated"}),
    ],
)
def test_report_stages_start_at_their_boundaries(h1, leader, everyone, due, leader_stages, organ_stages):
    period = due_in(h1, due)

    report_reminders(TODAY)

    assert keys_of(leader.user) == {f"report:{period.pk}:{leader.pk}:{s}" for s in leader_stages}
    organ_keys = {f"report:{period.pk}:organ:{leader.branch.organ_id}:escalated"} if organ_stages else set()
    assert keys_of(everyone["organ"]) == organ_keys
    assert keys_of(everyone["branch"]) == set()
    nobody_else(everyone)


def test_the_report_message_says_when_and_links_to_the_form(h1, leader):
    period = due_in(h1, 0)

    report_reminders(TODAY)

    message = Notification.objects.get(recipient=leader.user)
    assert message.title == "一岗双责报告今日到期：2026年上半年"
    assert "应于 2026-11-22 前提交，今天到期" in message.body
    assert message.url == reverse("assessments:report_edit", args=[period.pk, leader.pk])


def test_escalation_names_the_late_leaders_once_per_organ(
    h1, leader, branch_a2, branch_b, organ_staff_a, organ_staff_b
):
    due_in(h1, -10)
    MemberFactory(branch=branch_a2, name="赵处长", is_leader=True)
    MemberFactory(branch=branch_b, name="钱局长", is_leader=True)

    counts = report_reminders(TODAY)

    assert counts == {"before": 0, "due": 0, "escalated": 2}
    to_a = Notification.objects.get(recipient=organ_staff_a)
    to_b = Notification.objects.get(recipient=organ_staff_b)
    assert to_a.title == "一岗双责报告逾期未交：市发改委 2 人"
    assert "王副局长" in to_a.body and "赵处长" in to_a.body and "钱局长" not in to_a.body
    assert "已逾期 10 天" in to_a.body
    assert "钱局长" in to_b.body


@pytest.mark.parametrize(
    ("status", "reminded"),
    [
        (None, True),
        (ReportStatus.DRAFT, True),
        (ReportStatus.RETURNED, True),
        (ReportStatus.SUBMITTED, False),
        (ReportStatus.ACCEPTED, False),
    ],
)
def test_only_leaders_who_have_not_filed_are_reminded(h1, leader, status, reminded):
    period = due_in(h1, 3)
    if status is not None:
        DutyReport.objects.create(
            member=leader, period=period, business_work="业务", party_work="党建", problems="问题", next_steps="措施",
            status=status,
        )  # fmt: skip

    report_reminders(TODAY)

    assert bool(keys_of(leader.user)) is reminded


def test_a_leader_without_an_account_is_reminded_through_the_branch(h1, branch_a, secretary_of_branch_a):
    due_in(h1, 2)
    leader = MemberFactory(branch=branch_a, name="孙主任", is_leader=True)

    report_reminders(TODAY)

    message = Notification.objects.get(recipient=secretary_of_branch_a)
    assert message.title == "一岗双责报告即将到期：2026年上半年（孙主任）"
    assert "孙主任的2026年上半年一岗双责报告" in message.body
    assert message.key == f"report:{h1.pk}:{leader.pk}:before"


def test_members_who_are_not_leaders_and_dissolved_branches_owe_nothing(h1, branch_a, organ_a):
    due_in(h1, 2)
    plain = MemberFactory(branch=branch_a, user=UserFactory())
    gone = BranchFactory(organ=organ_a, dissolved_on=datetime.date(2026, 1, 1))
    former = MemberFactory(branch=gone, is_leader=True, user=UserFactory())

    assert report_reminders(TODAY) == {"before": 0, "due": 0, "escalated": 0}
    assert keys_of(plain.user) == keys_of(former.user) == set()


def test_the_years_reminder_rules_set_the_windows(h1, leader, everyone):
    ReminderRules.objects.create(year=2026, days_before=14, escalate_after_days=2)
    due_in(h1, -3)
    second_half = DutyReportPeriod.objects.get(year=2026, half=2)

    report_reminders(TODAY)

    assert keys_of(everyone["organ"]) == {f"report:{h1.pk}:organ:{leader.branch.organ_id}:escalated"}
    # H2 is due 2027-01-15: the 2027 rules (none, so 2026's 14 days) start later than TODAY.
    assert not Notification.objects.filter(key__startswith=f"report:{second_half.pk}:").exists()


@pytest.mark.parametrize(
    ("late", "escalated"), [(reminders.REPORT_LOOKBACK_DAYS, True), (reminders.REPORT_LOOKBACK_DAYS + 1, False)]
)
def test_a_period_long_past_its_due_date_is_left_to_the_overview(h1, leader, everyone, late, escalated):
    due_in(h1, 30)
    last_year = due_in(DutyReportPeriod.objects.get(year=2025, half=2), -late)

    report_reminders(TODAY)

    expected = {f"report:{last_year.pk}:organ:{leader.branch.organ_id}:escalated"} if escalated else set()
    assert keys_of(everyone["organ"]) == expected


# --- 换届 ---------------------------------------------------------------------------------------------


def term_ending_in(branch, n: int, today: datetime.date = TODAY):
    ends = days(n, today)
    return CommitteeTermFactory(branch=branch, elected_on=ends.replace(year=ends.year - 3), term_years=3)


@pytest.mark.parametrize(
    ("ends_in", "notice"),
    [(91, None), (90, 90), (31, 90), (30, 30), (0, 30), (-1, None)],
)
def test_term_notices_start_at_the_configured_days(branch_a, everyone, ends_in, notice):
    term = term_ending_in(branch_a, ends_in)

    term_reminders(TODAY)

    expected = {f"term:{term.pk}:{notice}"} if notice else set()
    assert keys_of(everyone["branch"]) == expected
    assert keys_of(everyone["organ"]) == expected
    nobody_else(everyone)


def test_a_term_first_seen_close_to_its_end_gets_only_the_nearest_notice(branch_a, everyone):
    term = term_ending_in(branch_a, 25)

    for n in range(3):
        term_reminders(days(n))

    assert keys_of(everyone["branch"]) == {f"term:{term.pk}:30"}


def test_a_term_gets_each_notice_once_as_its_end_approaches(branch_a, everyone):
    term = term_ending_in(branch_a, 100)

    sent = [term_reminders(days(n))["notice"] for n in range(0, 101, 5)]

    assert keys_of(everyone["branch"]) == {f"term:{term.pk}:90", f"term:{term.pk}:30"}
    assert sum(sent) == 4  # two notices, each to the secretary and the organ's staff


def test_the_notice_days_are_rules_not_code(branch_a, everyone):
    OrganisationRules.objects.create(year=2026, term_notice_days="60，14")
    term = term_ending_in(branch_a, 50)

    term_reminders(TODAY)

    assert keys_of(everyone["branch"]) == {f"term:{term.pk}:60"}
    message = Notification.objects.get(recipient=everyone["branch"])
    assert message.title == "换届提醒：综合处党支部支委会任期将于 2027-01-11 届满"
    assert "还有 50 天" in message.body


def test_only_the_current_term_counts(branch_a, everyone):
    term_ending_in(branch_a, 20)
    CommitteeTermFactory(branch=branch_a, elected_on=days(-10), term_years=3)

    assert term_reminders(TODAY) == {"notice": 0}


def test_a_dissolved_branch_gets_no_term_notice(organ_a, organ_staff_a):
    branch = BranchFactory(organ=organ_a, dissolved_on=days(-1))
    term_ending_in(branch, 30)

    assert term_reminders(TODAY) == {"notice": 0}


# --- 问题整改台账 ---------------------------------------------------------------------------------------


@pytest.fixture
def responsible(branch_a):
    return MemberFactory(branch=branch_a, name="张整改", user=UserFactory(username="zhang"))


def problem(branch, responsible, deadline, status=ProblemStatus.OPEN, **fields) -> Problem:
    values = {"source": ProblemSource.SUPERVISION, "title": "学习记录不完整", "measures": "补学并建立台账"}
    if status in (ProblemStatus.DONE, ProblemStatus.VERIFIED):
        values["closing_note"] = "已整改"
    if status == ProblemStatus.VERIFIED:
        values["verified_by"] = UserFactory()
    values.update(fields)
    return Problem.objects.create(
        branch=branch, responsible=responsible, deadline=deadline, status=status, created_by=UserFactory(), **values
    )


@pytest.mark.parametrize(
    ("deadline_in", "branch_stages", "organ_stages"),
    [
        (8, set(), set()),
        (7, {"before"}, set()),
        (0, {"due"}, set()),
        (-7, {"due"}, set()),
        (-8, set(), {"escalated"}),
    ],
)
def test_problem_stages_start_at_their_boundaries(responsible, everyone, deadline_in, branch_stages, organ_stages):
    item = problem(responsible.branch, responsible, days(deadline_in))

    problem_reminders(TODAY)

    stamp = f"{days(deadline_in):%Y%m%d}"
    assert keys_of(everyone["branch"]) == {f"problem:{item.pk}:{stamp}:{s}" for s in branch_stages}
    assert keys_of(responsible.user) == keys_of(everyone["branch"])
    assert keys_of(everyone["organ"]) == {f"problem:{item.pk}:{stamp}:{s}" for s in organ_stages}
    nobody_else(everyone)


@pytest.mark.parametrize("status", [ProblemStatus.DONE, ProblemStatus.VERIFIED])
def test_a_rectified_problem_is_not_chased(responsible, everyone, status):
    problem(responsible.branch, responsible, days(-20), status=status)

    assert problem_reminders(TODAY) == {"before": 0, "due": 0, "escalated": 0}


def test_a_new_deadline_is_reminded_afresh(responsible, everyone):
    item = problem(responsible.branch, responsible, days(2))
    problem_reminders(TODAY)
    Problem.objects.filter(pk=item.pk).update(deadline=days(20))

    quiet = problem_reminders(TODAY)
    later = problem_reminders(days(14))

    assert quiet == {"before": 0, "due": 0, "escalated": 0}
    assert later["before"] == 2
    assert keys_of(everyone["branch"]) == {
        f"problem:{item.pk}:{days(2):%Y%m%d}:before",
        f"problem:{item.pk}:{days(20):%Y%m%d}:before",
    }


def test_the_escalation_message_names_the_branch_and_the_person(responsible, organ_staff_a):
    item = problem(responsible.branch, responsible, days(-9))

    problem_reminders(TODAY)

    message = Notification.objects.get(recipient=organ_staff_a)
    assert message.title == "整改问题逾期未完成：综合处党支部"
    assert "已逾期 9 天" in message.body and "张整改" in message.body
    assert message.url == reverse("assessments:problem_detail", args=[item.pk])


# --- Required meetings ---------------------------------------------------------------------------------


def year_kept() -> None:
    """2026 is open, as the yearly job leaves it, and its completion is kept: the tests write branches, meetings
    and exemptions with the ORM, past the services that keep it."""
    orglife.ensure_requirements(2026)
    kept.rebuild()


def meeting_reminders(today: datetime.date) -> dict[str, int]:
    year_kept()
    return branch_reminders.meeting_reminders(today)


def meeting(branch, kind, held_on, **fields) -> Meeting:
    return Meeting.objects.create(
        branch=branch, kind=kind, held_on=held_on, topic="学习", recorded_by=UserFactory(), **fields
    )


def test_a_branch_that_missed_a_monthly_meeting_hears_after_the_month(branch_a, everyone):
    meeting_reminders(datetime.date(2026, 11, 1))

    message = Notification.objects.get(recipient=everyone["branch"])
    assert message.key == f"meetings:{branch_a.pk}:20261031:missing"
    assert message.title == "组织生活未达要求：综合处党支部 2026年10月"
    assert "主题党日（应开 1 次，实开 0 次）" in message.body
    # No committee and no groups: those requirements do not apply to this branch.
    assert "支委会" not in message.body and "党小组会" not in message.body
    assert message.url == reverse("branches:branch_calendar", args=[branch_a.pk]) + "?year=2026"
    assert keys_of(everyone["organ"]) == set()
    nobody_else_in_a = {k for u in everyone["bystanders"] for k in keys_of(u) if f":{branch_a.pk}:" in k}
    assert nobody_else_in_a == set()


def test_the_end_of_a_quarter_lists_every_period_that_ended(branch_a, everyone):
    meeting_reminders(datetime.date(2026, 10, 1))

    message = Notification.objects.get(recipient=everyone["branch"])
    assert message.title == "组织生活未达要求：综合处党支部 2026年9月、第三季度"
    for kind in ("支部党员大会", "党课", "主题党日"):
        assert kind in message.body


def test_a_branch_that_held_its_meetings_hears_nothing(branch_a, secretary_of_branch_a):
    meeting(branch_a, MeetingKind.THEME_DAY, datetime.date(2026, 10, 31))

    meeting_reminders(datetime.date(2026, 11, 1))

    assert keys_of(secretary_of_branch_a) == set()


def test_a_meeting_on_the_first_of_the_next_month_does_not_count(branch_a, secretary_of_branch_a):
    meeting(branch_a, MeetingKind.THEME_DAY, datetime.date(2026, 11, 1))

    meeting_reminders(datetime.date(2026, 11, 2))

    assert keys_of(secretary_of_branch_a) == {f"meetings:{branch_a.pk}:20261031:missing"}


def test_an_exempt_branch_hears_nothing(branch_a, secretary_of_branch_a, gongwei_staff):
    RequirementExemption.objects.create(
        branch=branch_a, starts_on=datetime.date(2026, 10, 1), ends_on=datetime.date(2026, 12, 31),
        reason="新成立", granted_by=gongwei_staff,
    )  # fmt: skip

    meeting_reminders(datetime.date(2026, 11, 1))

    assert keys_of(secretary_of_branch_a) == set()


@pytest.mark.parametrize(("day", "escalated"), [(7, False), (8, True)])
def test_the_organ_hears_after_the_grace_period(branch_a, branch_a2, branch_b, everyone, day, escalated):
    meeting_reminders(datetime.date(2026, 11, day))

    expected = {f"meetings:organ:{branch_a.organ_id}:20261031:escalated"} if escalated else set()
    assert keys_of(everyone["organ"]) == expected
    assert keys_of(everyone["bystanders"][0]) == (  # organ_staff_b hears only about its own organ
        {f"meetings:organ:{branch_b.organ_id}:20261031:escalated"} if escalated else set()
    )
    if escalated:
        message = Notification.objects.get(recipient=everyone["organ"])
        assert message.title == "组织生活未达要求：市发改委 2 个支部（2026年10月）"
        assert "综合处党支部" in message.body and "规划处党支部" in message.body
        assert "预算处党支部" not in message.body


def test_a_period_that_ended_over_a_month_ago_is_not_chased(branch_a, secretary_of_branch_a):
    # On 11-22 the third quarter (ended 9-30) is old news; October is still chased.
    meeting_reminders(TODAY)

    assert keys_of(secretary_of_branch_a) == {f"meetings:{branch_a.pk}:20261031:missing"}


def test_a_new_year_reminds_about_december_the_fourth_quarter_and_the_year(branch_a, secretary_of_branch_a):
    meeting_reminders(datetime.date(2027, 1, 2))

    message = Notification.objects.get(recipient=secretary_of_branch_a)
    assert message.key == f"meetings:{branch_a.pk}:20261231:missing"
    assert message.title == "组织生活未达要求：综合处党支部 2026年12月、第四季度、全年"
    assert "组织生活会" in message.body and "民主评议党员" in message.body


# --- The whole job ---------------------------------------------------------------------------------------


@pytest.fixture
def a_bit_of_everything(h1, leader, branch_a, branch_b, responsible):
    """Something due in every source for branch_a (organ_a); branch_b held its October meetings."""
    meeting(branch_b, MeetingKind.THEME_DAY, datetime.date(2026, 10, 15))
    due_in(h1, -10)
    term_ending_in(branch_a, 30)
    problem(branch_a, responsible, days(3))
    project = ProjectFactory(branch=branch_a, filed=True)
    MilestoneFactory(project=project, planned_on=days(-10))
    SupervisionFactory(project=project, duban=True, answer_due_on=days(-1))
    year_kept()


def test_running_twice_sends_nothing_twice(a_bit_of_everything, everyone):
    first = send_reminders(TODAY)
    stored = Notification.objects.count()
    second = send_reminders(TODAY)

    assert first == {
        "milestones.due_soon": 0,
        "milestones.overdue": 1,
        "milestones.escalated": 1,
        "milestones.duban_overdue": 1,
        "reports.before": 0,
        "reports.due": 0,
        "reports.escalated": 1,
        "terms.notice": 2,
        "problems.before": 2,
        "problems.due": 0,
        "problems.escalated": 0,
        "meetings.missing": 1,
        "meetings.escalated": 1,
    }
    assert stored == sum(first.values())
    assert set(second.values()) == {0}
    assert Notification.objects.count() == stored
    nobody_else(everyone)


def test_a_failing_source_does_not_silence_the_others(a_bit_of_everything, monkeypatch, secretary_of_branch_a):
    def broken(today):
        raise ValueError("坏了")

    monkeypatch.setattr(reminders, "SOURCES", [("broken", broken), *reminders.SOURCES])

    with pytest.raises(RuntimeError, match="提醒来源 broken 运行失败"):
        send_reminders(TODAY)

    assert Notification.objects.filter(recipient=secretary_of_branch_a).exists()


def test_the_task_runs_the_job(a_bit_of_everything, everyone, eager_celery):
    result = send_reminders_task.delay(TODAY.isoformat()).get()

    assert result["terms.notice"] == 2
    assert send_reminders_task.name in eager_celery.tasks


def test_the_command_reports_what_it_sent(a_bit_of_everything, everyone):
    out = io.StringIO()

    call_command("send_reminders", "--date", "2026-11-22", stdout=out)
    call_command("send_reminders", "--date", "2026-11-22", stdout=out)

    text = out.getvalue()
    assert "2026-11-22 提醒检查完成，新发送提醒 10 条。" in text
    assert "支委会换届提醒：2 条" in text
    assert "新发送提醒 0 条" in text


def test_the_command_refuses_a_malformed_date(db):
    with pytest.raises(CommandError, match="日期格式不正确"):
        call_command("send_reminders", "--date", "22/11/2026")


def test_the_job_costs_the_same_queries_for_one_branch_and_many(organ_a, everyone):
    """A day's re-run reads the same few queries however many branches have something due."""

    def branch_with_things_due():
        branch = BranchFactory(organ=organ_a)
        term_ending_in(branch, 30)
        problem(branch, MemberFactory(branch=branch), days(2))

    branch_with_things_due()
    send_reminders(TODAY)
    with CaptureQueriesContext(connection) as one:
        send_reminders(TODAY)
    for _ in range(10):
        branch_with_things_due()
    send_reminders(TODAY)
    with CaptureQueriesContext(connection) as many:
        send_reminders(TODAY)

    assert len(many) == len(one)


# --- Due this month (secretary home) ---------------------------------------------------------------------


@pytest.fixture
def secretary_leader(secretary_of_branch_a, branch_a):
    """The secretary is also a 班子成员 on the roster."""
    return MemberFactory(branch=branch_a, name="综合处书记", is_leader=True, user=secretary_of_branch_a)


def test_a_secretary_sees_what_the_branch_owes_this_month(secretary_of_branch_a, secretary_leader, branch_a, h1):
    project = ProjectFactory(branch=branch_a, filed=True, title="企业开办一件事")
    MilestoneFactory(project=project, title="完成走访", planned_on=datetime.date(2026, 11, 30))
    MilestoneFactory(project=project, title="下月节点", planned_on=datetime.date(2026, 12, 1))
    SupervisionFactory(project=project, duban=True, answer_due_on=days(-2))
    problem(branch_a, secretary_leader, days(3))
    due_in(h1, 8)
    meeting(branch_a, MeetingKind.GENERAL, datetime.date(2026, 10, 9))
    year_kept()

    items = due_this_month(secretary_of_branch_a, TODAY)

    got = [(i.category, i.title, i.due_on, i.overdue) for i in items]
    assert got == [
        ("督办答复", "《企业开办一件事》督办", days(-2), True),
        ("问题整改", "学习记录不完整", days(3), False),
        ("一岗双责报告", "2026年上半年一岗双责报告", days(8), False),
        ("组织生活", "主题党日（11月，应开 1 次，已开 0 次）", datetime.date(2026, 11, 30), False),
        ("项目节点", "《企业开办一件事》完成走访", datetime.date(2026, 11, 30), False),
        ("组织生活", "党课（第四季度，应开 1 次，已开 0 次）", datetime.date(2026, 12, 31), False),
        ("组织生活", "民主评议党员（全年，应开 1 次，已开 0 次）", datetime.date(2026, 12, 31), False),
        ("组织生活", "组织生活会（全年，应开 1 次，已开 0 次）", datetime.date(2026, 12, 31), False),
    ]
    # The quarter's 党员大会 was held on 10-09: it is not listed.


def test_a_member_sees_only_their_own_report_and_problems(member_user, branch_a, h1):
    me = member_user.member
    me.is_leader = True
    me.save()
    due_in(h1, 5)
    problem(branch_a, me, days(4), title="本人负责的问题")
    problem(branch_a, MemberFactory(branch=branch_a), days(4), title="别人的问题")

    items = due_this_month(member_user, TODAY)

    assert [(i.category, i.title) for i in items] == [
        ("问题整改", "本人负责的问题"),
        ("一岗双责报告", "2026年上半年一岗双责报告"),
    ]


def test_nothing_is_due_for_an_account_without_roles(outsider):
    assert due_this_month(outsider, TODAY) == []


def test_due_this_month_costs_the_same_queries_for_one_item_and_many(secretary_of_branch_a, secretary_leader, h1):
    branch = secretary_leader.branch
    due_in(h1, 5)
    problem(branch, secretary_leader, days(1))
    due_this_month(secretary_of_branch_a, TODAY)
    with CaptureQueriesContext(connection) as one:
        due_this_month(secretary_of_branch_a, TODAY)
    project = ProjectFactory(branch=branch, filed=True)
    for n in range(8):
        problem(branch, secretary_leader, days(n))
        MilestoneFactory(project=project, planned_on=days(n))
        SupervisionFactory(project=project, duban=True, answer_due_on=days(n))
    CommitteeMemberFactory(term=CommitteeTermFactory(branch=branch))
    with CaptureQueriesContext(connection) as many:
        items = due_this_month(secretary_of_branch_a, TODAY)

    assert len(items) > 20
    assert len(many) == len(one)


def test_the_partial_lists_the_items_with_their_state(secretary_of_branch_a, secretary_leader, branch_a):
    problem(branch_a, secretary_leader, days(-3), title="逾期的问题")
    problem(branch_a, secretary_leader, days(6), title="快到期的问题")

    html = render_to_string(
        "portal/_due_this_month.html",
        {"due_items": due_this_month(secretary_of_branch_a, TODAY), "today": TODAY},
    )

    assert "本月待办" in html
    assert "逾期的问题" in html and "逾期 3 天" in html
    assert "快到期的问题" in html and "6 天后到期" in html


def test_the_partial_has_an_empty_state(db):
    html = render_to_string("portal/_due_this_month.html", {"due_items": [], "today": TODAY})

    assert "本月没有待办事项" in html


def test_a_second_organ_role_is_not_a_branch(organ_a, branch_a):
    """Organ staff see their organ's lists elsewhere; the home list is about branches they sit on."""
    staff = UserFactory()
    grant(staff, Role.ORGAN, organ=organ_a)
    problem(branch_a, MemberFactory(branch=branch_a), days(2))

    assert due_this_month(staff, TODAY) == []


def test_each_app_registers_its_own_sources_with_the_engine():
    # The engine imports no app: the apps' `reminders` modules register themselves, in INSTALLED_APPS order.
    assert [name for name, _ in reminders.SOURCES] == ["terms", "meetings", "milestones", "reports", "problems"]
    assert dict(reminders.SOURCES)["reports"] is report_reminders
