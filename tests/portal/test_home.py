"""The secretary's home: what the branch owes (reports of its leaders, milestones, meetings, 督办), its stars and
where it lost points, and the unread messages. Every item links to where it is done; nothing of another branch
shows; the page costs the same number of queries however much there is."""

import datetime
import itertools
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import NoReverseMatch, reverse

from accounts.models import Role
from assessments.choices import ReportStatus, RunStatus
from assessments.models import DutyReport, DutyReportPeriod, RatingRun
from assessments.reports import ensure_periods
from branches import kept, orglife
from branches.choices import CommitteePost, MeetingKind
from branches.models import CommitteeTerm, Meeting, MeetingRequirement
from notifications.models import Notification
from tests.assessments.factories import RatingResultFactory, RatingRunFactory, keep_filing
from tests.factories import (
    BranchFactory,
    CommitteeMemberFactory,
    CommitteeTermFactory,
    MemberFactory,
    UserFactory,
    grant,
)
from tests.projects.factories import MilestoneFactory, ProjectFactory, SupervisionFactory, TaskFactory

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2026, 11, 22, 9, 0, tzinfo=datetime.UTC)
TODAY = datetime.date(2026, 11, 22)
# On TODAY the reports due now are those of 2026's first half (due 2026-07-15): the overview's default.
YEAR, HALF = 2026, 1


@pytest.fixture(autouse=True)
def today(time_machine):
    time_machine.move_to(NOW, tick=False)
    return TODAY


@pytest.fixture
def period(db) -> DutyReportPeriod:
    ensure_periods([YEAR - 1, YEAR])
    return DutyReportPeriod.objects.get(year=YEAR, half=HALF)


@pytest.fixture
def year_open(branch_a):
    """This year's 组织生活要求 are open, as the yearly job leaves them: branch A's completion is kept."""
    return orglife.ensure_requirements(YEAR)


@pytest.fixture
def secretary(secretary_of_branch_a, branch_a):
    """The secretary of branch A is on its roster and is a 班子成员 (owes a report)."""
    MemberFactory(branch=branch_a, name="综合处书记", is_leader=True, user=secretary_of_branch_a)
    return secretary_of_branch_a


def report(member, period, status, **fields) -> DutyReport:
    submitted = status in (ReportStatus.SUBMITTED, ReportStatus.ACCEPTED)
    created = DutyReport.objects.create(
        member=member,
        period=period,
        business_work="分管业务",
        party_work="分管党建",
        problems="问题",
        next_steps="措施",
        status=status,
        submitted_at=NOW if submitted else None,
        return_reason="请补充数据" if status == ReportStatus.RETURNED else "",
        **fields,
    )
    return keep_filing(created)


def published_result(branch, year: int, **fields):
    """The branch's result in the year's published run (one per year, shared by the branches)."""
    run = RatingRun.objects.published().filter(year=year).first() or RatingRunFactory(
        year=year, status=RunStatus.PUBLISHED
    )
    return RatingResultFactory(run=run, branch=branch, **fields)


def message(user, title: str, read: bool = False) -> Notification:
    return Notification.objects.create(
        recipient=user, title=title, url="/projects/", read_at=NOW if read else None, key=f"test:{title}"
    )


def page_of(client, user) -> str:
    client.force_login(user)
    response = client.get(reverse("home"))
    assert response.status_code == 200
    return response.content.decode()


def hrefs(html: str) -> set[str]:
    return {href.replace("&amp;", "&") for href in re.findall(r'href="([^"]+)"', html)}


def actions(html: str) -> set[str]:
    return set(re.findall(r'action="([^"]+)"', html))


# --- What the branch owes ------------------------------------------------------------------------------


def test_the_secretary_sees_the_leaders_who_still_owe_this_periods_report(client, secretary, branch_a, period):
    me = secretary.member
    filed = MemberFactory(branch=branch_a, name="已交领导", is_leader=True)
    report(filed, period, ReportStatus.SUBMITTED)
    drafting = MemberFactory(branch=branch_a, name="草稿领导", is_leader=True)
    report(drafting, period, ReportStatus.DRAFT)
    returned = MemberFactory(branch=branch_a, name="退回领导", is_leader=True)
    report(returned, period, ReportStatus.RETURNED)
    missing = MemberFactory(branch=branch_a, name="未交领导", is_leader=True)
    MemberFactory(branch=branch_a, name="普通党员甲")

    html = page_of(client, secretary)

    assert "2026年上半年一岗双责报告" in html
    assert '应报 5 人，已提交 <span class="home-filed">1</span> 人' in html
    assert "已过截止日期" in html
    for name in ("草稿领导", "退回领导", "未交领导", "综合处书记（本人）"):
        assert name in html
    assert "已交领导" not in html and "普通党员甲" not in html
    assert "草稿未提交" in html and "已退回" in html and "未提交" in html
    links = hrefs(html)
    # The committee files on the others' behalf; the secretary files their own.
    for member in (me, drafting, returned, missing):
        assert reverse("assessments:report_edit", args=[period.pk, member.pk]) in links
    assert reverse("assessments:report_edit", args=[period.pk, filed.pk]) not in links
    assert f"{reverse('assessments:report_overview')}?period={period.pk}" in links


def test_every_report_link_opens_the_form_for_the_secretary(client, secretary, branch_a, period):
    returned = MemberFactory(branch=branch_a, name="退回领导", is_leader=True)
    report(returned, period, ReportStatus.RETURNED)
    MemberFactory(branch=branch_a, name="未交领导", is_leader=True)
    html = page_of(client, secretary)
    edit_links = [link for link in hrefs(html) if "/reports/file/" in link]

    assert len(edit_links) == 3
    for link in edit_links:
        assert client.get(link).status_code == 200


def test_when_everyone_filed_the_card_says_so(client, secretary, branch_a, period):
    report(secretary.member, period, ReportStatus.ACCEPTED)

    html = page_of(client, secretary)

    assert "班子成员均已提交" in html
    assert '已提交 <span class="home-filed">1</span> 人' in html


def test_the_due_list_links_milestones_dubans_and_meetings(client, secretary, branch_a, period, year_open):
    project = ProjectFactory(branch=branch_a, filed=True, title="企业开办一件事")
    late = MilestoneFactory(project=project, title="完成走访", planned_on=datetime.date(2026, 11, 10))
    SupervisionFactory(project=project, duban=True, answer_due_on=datetime.date(2026, 11, 25))
    MilestoneFactory(project=project, title="明年节点", planned_on=datetime.date(2027, 3, 1))

    html = page_of(client, secretary)

    assert "《企业开办一件事》完成走访" in html and "逾期 12 天" in html
    assert "《企业开办一件事》督办" in html
    assert "明年节点" not in html
    assert "主题党日（11月，应开 1 次，已开 0 次）" in html
    links = hrefs(html)
    assert f"{project.get_absolute_url()}#milestone-{late.pk}" in links
    assert f"{reverse('branches:branch_calendar', args=[branch_a.pk])}?year=2026" in links


def test_a_meeting_held_this_month_is_no_longer_due(client, secretary, branch_a, period, year_open):
    assert "主题党日（11月" in page_of(client, secretary)
    Meeting.objects.create(
        branch=branch_a, kind=MeetingKind.THEME_DAY, held_on=datetime.date(2026, 11, 5), topic="学习",
        recorded_by=UserFactory(),
    )  # fmt: skip
    kept.refresh([branch_a], [YEAR])  # as the meeting service does

    html = page_of(client, secretary)

    assert "主题党日（11月" not in html


def test_a_year_not_opened_lists_no_meetings_due_and_writes_nothing(client, secretary, branch_a, period):
    html = page_of(client, secretary)

    assert "主题党日（11月" not in html
    assert not MeetingRequirement.objects.exists()


# --- Stars -----------------------------------------------------------------------------------------


def test_the_branch_stars_come_from_the_latest_published_run_with_the_largest_losses(client, secretary, branch_a):
    published_result(branch_a, 2024, stars=3, total=Decimal("80.00"))
    latest = published_result(branch_a, 2025, stars=4, previous_stars=3, total=Decimal("90.50"), rank=7)
    # A draft run of this year is not a result yet.
    RatingResultFactory(run=RatingRunFactory(year=2026, status=RunStatus.DRAFT), branch=branch_a, stars=1)

    html = page_of(client, secretary)

    assert "2025年度" in html and "★★★★☆" in html and "总分 90.50" in html and "第 7 名" in html
    assert "较上年升1星" in html
    assert "★☆☆☆☆" not in html and "2026年度" not in html
    assert "失分较多的指标" in html
    # The factory scores every indicator at 90%: the biggest indicators lose the most.
    biggest = max(latest.breakdown, key=lambda row: Decimal(row["max"]))
    assert biggest["name"] in html
    assert reverse("assessments:result_detail", args=[latest.pk]) in hrefs(html)
    assert client.get(reverse("assessments:result_detail", args=[latest.pk])).status_code == 200


def test_without_a_published_run_the_card_says_so(client, secretary):
    assert "尚无已发布的星级评定结果" in page_of(client, secretary)


# --- Unread notifications ---------------------------------------------------------------------------


def test_the_latest_five_unread_messages_and_their_count(client, secretary):
    for n in range(1, 8):
        message(secretary, f"未读消息{n:02d}")
    message(secretary, "已读的消息", read=True)
    message(UserFactory(), "别人的消息")

    html = page_of(client, secretary)

    assert 'id="home-unread">未读消息 <span class="badge text-bg-danger">7</span>' in html
    for n in range(3, 8):
        assert f"未读消息{n:02d}" in html
    assert "未读消息01" not in html and "未读消息02" not in html
    assert "已读的消息" not in html and "别人的消息" not in html
    newest = Notification.objects.get(title="未读消息07")
    assert reverse("notifications:read", args=[newest.pk]) in actions(html)
    assert reverse("notifications:list") in hrefs(html)


def test_opening_a_message_from_home_marks_it_read(client, secretary):
    note = message(secretary, "节点已逾期")
    html = page_of(client, secretary)
    assert reverse("notifications:read", args=[note.pk]) in actions(html)

    response = client.post(reverse("notifications:read", args=[note.pk]))

    assert response.status_code == 302 and response["Location"] == "/projects/"
    assert "节点已逾期" not in page_of(client, secretary)


# --- Nothing of another branch ----------------------------------------------------------------------


def test_nothing_of_another_branch_appears(client, secretary, branch_a, branch_b, secretary_of_branch_b, period):
    other_leader = MemberFactory(branch=branch_b, name="乙支部领导", is_leader=True)
    other_project = ProjectFactory(branch=branch_b, filed=True, title="乙支部项目")
    MilestoneFactory(project=other_project, title="乙支部节点", planned_on=datetime.date(2026, 11, 10))
    SupervisionFactory(project=other_project, duban=True, answer_due_on=datetime.date(2026, 11, 25))
    other_result = published_result(branch_b, 2025, stars=2, total=Decimal("66.66"))
    message(secretary_of_branch_b, "乙支部的消息")
    published_result(branch_a, 2025, stars=4, total=Decimal("90.00"))

    html = page_of(client, secretary)

    for text in ("乙支部领导", "乙支部项目", "乙支部节点", "预算处党支部", "66.66", "乙支部的消息"):
        assert text not in html
    links = hrefs(html)
    assert reverse("assessments:result_detail", args=[other_result.pk]) not in links
    assert reverse("assessments:report_edit", args=[period.pk, other_leader.pk]) not in links


def test_a_secretary_of_two_branches_gets_a_card_for_each(client, secretary, branch_a, organ_a, period):
    second = BranchFactory(organ=organ_a, name="规划处党支部")
    grant(secretary, Role.BRANCH, branch=second)
    MemberFactory(branch=second, name="规划处领导", is_leader=True)
    published_result(second, 2025, stars=5, total=Decimal("96.00"))

    html = page_of(client, secretary)

    assert "综合处党支部 · 2026年上半年一岗双责报告" in html
    assert "规划处党支部 · 2026年上半年一岗双责报告" in html
    assert "规划处领导" in html and "★★★★★" in html


# --- Other roles ----------------------------------------------------------------------------------------


def test_a_member_who_is_a_leader_sees_their_own_report_tasks_and_messages(client, member_user, branch_a, period):
    me = member_user.member
    me.is_leader = True
    me.save()
    MemberFactory(branch=branch_a, name="同支部领导", is_leader=True)
    project = ProjectFactory(branch=branch_a, filed=True)
    task = TaskFactory(project=project, title="整理办事指南", due_on=datetime.date(2026, 12, 20))
    task.assignees.add(me)
    message(member_user, "任务提醒")

    html = page_of(client, member_user)

    assert "我的2026年上半年一岗双责报告" in html
    assert reverse("assessments:report_edit", args=[period.pk, me.pk]) in hrefs(html)
    assert "同支部领导" not in html and "星级评定" not in html
    assert "整理办事指南" in html and "任务提醒" in html


def test_a_member_who_is_not_a_leader_has_no_report_card(client, member_user, period):
    html = page_of(client, member_user)

    assert "一岗双责报告" not in html
    assert "未读消息" in html and "我的任务" in html


def test_staff_keep_their_home_and_get_the_dashboard(client, gongwei_staff, organ_staff_a, branch_a):
    try:
        dashboard = reverse("portal:dashboard")
    except NoReverseMatch:
        dashboard = None
    for user in (gongwei_staff, organ_staff_a):
        html = page_of(client, user)
        assert "现有党支部" in html and "待我处理" in html
        assert "一岗双责报告（" not in html and 'id="home-unread"' not in html
        if dashboard is None:
            assert "统计看板" not in html
        else:
            assert dashboard in hrefs(html) and "统计看板" in html


def test_the_secretary_gets_no_dashboard_link(client, secretary):
    assert "统计看板" not in page_of(client, secretary)


# --- A fixed number of queries -----------------------------------------------------------------------------


SERIAL = itertools.count()


def _queries(client) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(reverse("home"))
    assert response.status_code == 200
    return len(ctx.captured_queries)


def count_queries(client) -> tuple[int, int]:
    """The home page's queries on two visits in a row: the second costs what the first did."""
    return _queries(client), _queries(client)


def populate(branch, period, secretary, n: int) -> None:
    """n of everything the home page shows: projects, milestones, 督办, tasks, meetings, leaders, reports,
    published results, committee seats and messages."""
    statuses = [ReportStatus.DRAFT, ReportStatus.SUBMITTED, ReportStatus.RETURNED, ReportStatus.ACCEPTED]
    term = CommitteeTerm.objects.filter(branch=branch).first() or CommitteeTermFactory(branch=branch)
    for i in range(n):
        project = ProjectFactory(branch=branch, filed=True)
        MilestoneFactory(project=project, planned_on=datetime.date(2026, 11, 1 + i % 28))
        SupervisionFactory(project=project, duban=True, answer_due_on=datetime.date(2026, 11, 1 + i % 28))
        task = TaskFactory(project=project, due_on=datetime.date(2026, 12, 1))
        task.assignees.add(secretary.member)
        Meeting.objects.create(
            branch=branch, kind=MeetingKind.COMMITTEE, held_on=datetime.date(2026, 1 + i % 11, 3), topic="学习",
            recorded_by=UserFactory(),
        )  # fmt: skip
        leader = MemberFactory(branch=branch, is_leader=True)
        report(leader, period, statuses[i % len(statuses)])
        CommitteeMemberFactory(term=term, member=leader, post=CommitteePost.MEMBER)
        message(secretary, f"消息{next(SERIAL)}")
    if not branch.rating_results.exists():
        for year in (2023, 2024, 2025):
            published_result(branch, year)


def test_the_secretary_home_costs_the_same_queries_for_one_item_and_many(client, secretary, branch_a, organ_a, period):
    client.force_login(secretary)
    populate(branch_a, period, secretary, 1)
    count_queries(client)  # the year's rules and requirements are created on first use
    small = count_queries(client)

    populate(branch_a, period, secretary, 12)
    second = BranchFactory(organ=organ_a)
    grant(secretary, Role.BRANCH, branch=second)
    populate(second, period, secretary, 5)
    large = count_queries(client)

    assert small == large
    html = client.get(reverse("home")).content.decode()
    assert html.count('id="home-reports-') == 2
