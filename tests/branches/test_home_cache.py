"""The kept home page (branches.views.home): a secretary's or member's body comes from the cache on a warm visit
for the queries of any page, every change the body shows appears on the very next visit (the user's unread
messages and open tasks included), and staff homes are never kept.

Each dependency test warms the home first, makes the change the way the portal makes it and reads the very
next visit: a missing `branches.apps._watch_home` line leaves the old body on screen and fails the test.
"""

import datetime
import re
from decimal import Decimal

import pytest
from django.core.cache import caches
from django.db import connection
from django.middleware.csrf import _unmask_cipher_token
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts import services as accounts
from accounts.models import Role
from assessments import ledger, ratings, reports
from assessments.choices import ProblemSource, ReportStatus
from assessments.ledger import ProblemData
from branches import home as home_page
from branches import orglife
from branches.choices import CommitteePost, MeetingKind
from branches.meetings import record_meeting
from branches.models import CommitteeMember, MeetingRequirement
from branches.roster import import_roster
from branches.services import save_committee_term
from notifications.models import Notification
from partybuild import figures as figure_cache
from partybuild.pages import CSRF_SLOT_PREFIX
from projects import progress
from projects import services as project_services
from projects.choices import SupervisionKind, TaskStatus
from tests.assessments.factories import RatingResultFactory, RatingRunFactory
from tests.assessments.test_ledger import make_problem
from tests.branches.test_home import HALF, NOW, TODAY, YEAR, message, populate, published_result, report
from tests.branches.test_organisation_changes import member_data
from tests.branches.test_roster import as_file, row, workbook
from tests.factories import (
    CommitteeMemberFactory,
    CommitteeTermFactory,
    MemberFactory,
    PartyGroupFactory,
)
from tests.projects.factories import MilestoneFactory, ProjectFactory, SupervisionFactory, TaskFactory

pytestmark = pytest.mark.django_db

# A secretary's warm home with unread messages: the session, the user, their roles and member record (the
# scope), the unread count, the latest unread messages and the open tasks. Nothing of the body is read.
WARM_SECRETARY = 5
CSRF_TOKEN = re.compile(r'(name="csrfmiddlewaretoken" value="|"X-CSRFToken": ")([A-Za-z0-9]+)')
THEME_DAY_DUE = "主题党日（11月，应开 1 次，已开 0 次）"


@pytest.fixture(autouse=True)
def today(time_machine):
    time_machine.move_to(NOW, tick=False)
    return TODAY


@pytest.fixture
def period(db):
    reports.ensure_periods([YEAR - 1, YEAR])
    return reports.periods_for_year(YEAR)[HALF - 1]


@pytest.fixture
def secretary(secretary_of_branch_a, branch_a):
    """The secretary of branch A, a 班子成员 on its roster (as in test_home.py)."""
    MemberFactory(branch=branch_a, name="综合处书记", is_leader=True, user=secretary_of_branch_a)
    return secretary_of_branch_a


# --- helpers ------------------------------------------------------------------------------------------


def warm_queries(user) -> int:
    """What a kept home costs: what any page costs, i.e. the session, the user, their roles and member record (the
    scope) and the bell's unread count."""
    return WARM_SECRETARY


def visit(client) -> tuple[str, int]:
    """The home page's HTML and its number of queries; no CSRF slot is ever left in a response."""
    with CaptureQueriesContext(connection) as captured:
        response = client.get(reverse("home"))
    assert response.status_code == 200
    html = response.content.decode()
    assert not re.search(rf"{CSRF_SLOT_PREFIX}[0-9a-f]{{32}}", html)
    return html, len(captured.captured_queries)


class Home:
    """One person's home page, visited through `client`."""

    def __init__(self, client, user):
        self.client, self.user = client, user

    def warm(self) -> str:
        """Log in and visit until the body is kept; the warm visit costs exactly `warm_queries`."""
        self.client.force_login(self.user)
        # The first visit creates the year's rules, requirements and report periods, which replaces the
        # tokens its body was read under; the second computes the body under the settled tokens.
        visit(self.client)
        visit(self.client)
        return self.kept()

    def kept(self) -> str:
        """The next visit, whose body must come from the cache."""
        html, n = visit(self.client)
        assert n == warm_queries(self.user), "the body was not served from the cache"
        return html

    def recomputed(self) -> str:
        """The next visit, which must compute the body again (a change replaced one of its tokens)."""
        html, n = visit(self.client)
        assert n > warm_queries(self.user), "the body was served from the cache after a change it shows"
        return html


def without_tokens(html: str) -> str:
    # Every rendering masks the CSRF token afresh.
    return CSRF_TOKEN.sub(r"\1", html)


def csrf_tokens(html: str) -> list[str]:
    return [token for _, token in CSRF_TOKEN.findall(html)]


def stat(html: str, label: str) -> int:
    found = re.search(rf'<div class="text-muted small">{label}</div>\s*<div class="stat-value[^"]*">(\d+)</div>', html)
    assert found, label
    return int(found.group(1))


def filed(html: str) -> int:
    found = re.findall(r'已提交 <span class="home-filed">(\d+)</span> 人', html)
    assert len(found) == 1
    return int(found[0])


def record_theme_day(branch, by) -> None:
    data = {"kind": MeetingKind.THEME_DAY, "held_on": datetime.date(2026, 11, 5), "topic": "学习"}
    record_meeting(branch, data, by=by)


def duty_report_data() -> dict:
    return {"business_work": "分管业务", "party_work": "分管党建", "problems": "问题", "next_steps": "措施"}


# --- a warm visit ------------------------------------------------------------------------------------------


def test_a_secretarys_second_visit_reads_the_kept_body(client, secretary, branch_a, period, monkeypatch):
    populate(branch_a, period, secretary, 3)
    client.force_login(secretary)
    visit(client)  # first use: the year's rules and periods
    cold_html, cold = visit(client)

    with CaptureQueriesContext(connection) as captured:
        warm_html, n = visit(client)

    assert n == warm_queries(secretary) == WARM_SECRETARY < cold
    assert without_tokens(warm_html) == without_tokens(cold_html)
    sql = " ".join(q["sql"] for q in captured.captured_queries)
    for table in ("branches_meeting", "projects_milestone", "assessments_dutyreport", "assessments_ratingresult"):
        assert table not in sql
    # The kept body, with the requester's CSRF token put in, is the page rendered straight through.
    monkeypatch.setattr(home_page, "keeps", lambda scope: False)
    straight_html, straight = visit(client)
    assert straight > n
    assert without_tokens(straight_html) == without_tokens(warm_html)


def test_a_members_second_visit_reads_the_kept_body(client, member_user, branch_a, period):
    project = ProjectFactory(branch=branch_a, filed=True)
    TaskFactory(
        project=project, title="整理办事指南", assignees=[member_user.member], due_on=datetime.date(2026, 12, 1)
    )
    html = Home(client, member_user).warm()
    assert "我的党员档案" in html and "整理办事指南" in html


def test_a_secretary_without_a_member_record_gets_no_tasks_card(client, secretary_of_branch_a, period):
    html = Home(client, secretary_of_branch_a).warm()
    assert 'id="home-unread"' in html and "我的任务" not in html


# --- every dependency shows on the very next visit ------------------------------------------------------


def test_a_meeting_recorded_is_no_longer_due(client, secretary, branch_a, period):
    home = Home(client, secretary)
    assert THEME_DAY_DUE in home.warm()
    record_theme_day(branch_a, by=secretary)
    assert "主题党日（11月" not in home.recomputed()


def test_an_exemption_takes_the_meeting_off_the_list(client, secretary, branch_a, organ_staff_a, period):
    home = Home(client, secretary)
    assert THEME_DAY_DUE in home.warm()
    orglife.grant_exemption(
        branch_a, kind=MeetingKind.THEME_DAY, starts_on=datetime.date(2026, 11, 1),
        ends_on=datetime.date(2026, 11, 30), reason="集中整训", by=organ_staff_a,
    )  # fmt: skip
    assert "主题党日（11月" not in home.recomputed()


def test_a_change_to_the_years_requirements_shows(client, secretary, gongwei_staff, period):
    home = Home(client, secretary)
    assert THEME_DAY_DUE in home.warm()
    requirement = MeetingRequirement.objects.get(year=YEAR, kind=MeetingKind.THEME_DAY)
    requirement.min_count = 2
    orglife.save_requirement(requirement, by=gongwei_staff)
    assert "主题党日（11月，应开 2 次，已开 0 次）" in home.recomputed()


def test_a_completed_milestone_leaves_the_list(client, secretary, branch_a, period):
    project = ProjectFactory(branch=branch_a, filed=True, title="企业开办一件事")
    milestone = MilestoneFactory(project=project, title="完成走访", planned_on=datetime.date(2026, 11, 10))
    home = Home(client, secretary)
    assert "《企业开办一件事》完成走访" in home.warm()
    progress.file_progress(milestone, by=secretary, text="走访全部完成", percent=100)
    assert "完成走访" not in home.recomputed()


def test_a_milestone_moved_or_added_into_this_month_shows(client, secretary, branch_a, period):
    project = ProjectFactory(branch=branch_a, filed=True, title="企业开办一件事")
    later = MilestoneFactory(project=project, title="明年节点", planned_on=datetime.date(2027, 3, 1))
    home = Home(client, secretary)
    assert "明年节点" not in home.warm()
    project_services.change_milestone_date(later, planned_on=datetime.date(2026, 11, 30), reason="提前", by=secretary)
    assert "《企业开办一件事》明年节点" in home.recomputed()
    home.kept()
    MilestoneFactory(project=project, title="新增节点", planned_on=datetime.date(2026, 11, 26))
    assert "《企业开办一件事》新增节点" in home.recomputed()


def test_a_duban_issued_and_answered_shows(client, secretary, branch_a, organ_staff_a, period):
    project = ProjectFactory(branch=branch_a, filed=True, title="企业开办一件事")
    home = Home(client, secretary)
    assert "《企业开办一件事》督办" not in home.warm()
    duban = progress.add_supervision(
        project,
        by=organ_staff_a,
        kind=SupervisionKind.DUBAN,
        text="请加快进度",
        answer_due_on=datetime.date(2026, 11, 27),
    )
    assert "《企业开办一件事》督办" in home.recomputed()
    home.kept()
    progress.answer_duban(duban, by=secretary, answer="已部署落实")
    assert "《企业开办一件事》督办" not in home.recomputed()


def test_a_project_approved_brings_its_milestones_due(client, secretary, branch_a, organ_staff_a, period):
    project = ProjectFactory(branch=branch_a, submitted=True, title="企业开办一件事")
    MilestoneFactory(project=project, title="完成走访", planned_on=datetime.date(2026, 11, 25))
    home = Home(client, secretary)
    assert "完成走访" not in home.warm()
    project_services.approve_project(project, by=organ_staff_a)
    assert "《企业开办一件事》完成走访" in home.recomputed()


def test_ledger_items_of_the_branch_and_of_the_member_show(
    client, secretary, branch_a, branch_b, organ_staff_b, period
):
    owner = MemberFactory(branch=branch_a, name="张整改")
    home = Home(client, secretary)
    assert "学习记录不完整" not in home.warm()
    ledger.open_problem(
        branch_a,
        ProblemData(source=ProblemSource.SELF, title="学习记录不完整", responsible=owner, measures="补学",
                    deadline=datetime.date(2026, 11, 28)),
        by=secretary,
    )  # fmt: skip
    assert "学习记录不完整" in home.recomputed()
    home.kept()
    # Another branch's item naming the secretary as responsible (entered before they changed branch).
    make_problem(
        branch_b, secretary.member, by=organ_staff_b, title="预算台账未更新", deadline=datetime.date(2026, 11, 29)
    )
    assert "预算台账未更新" in home.recomputed()


def test_a_ledger_item_naming_a_plain_member_shows_on_their_home(client, member_user, branch_a, secretary_of_branch_a):
    home = Home(client, member_user)
    assert "党费缴纳不及时" not in home.warm()
    ledger.open_problem(
        branch_a,
        ProblemData(source=ProblemSource.SELF, title="党费缴纳不及时", responsible=member_user.member, measures="补缴",
                    deadline=datetime.date(2026, 11, 28)),
        by=secretary_of_branch_a,
    )  # fmt: skip
    assert "党费缴纳不及时" in home.recomputed()


def test_a_report_filed_for_a_leader_changes_the_roster_card(client, secretary, branch_a, period):
    leader = MemberFactory(branch=branch_a, name="未交领导", is_leader=True)
    home = Home(client, secretary)
    html = home.warm()
    assert filed(html) == 0 and "未交领导" in html and "草稿未提交" not in html
    draft = reports.save_draft(leader, period, data=duty_report_data(), by=secretary)
    assert "草稿未提交" in home.recomputed()
    home.kept()
    reports.submit_report(draft, by=secretary)
    html = home.recomputed()
    assert filed(html) == 1 and "未交领导" not in html


def test_a_members_own_report_changes_their_card(client, member_user, period):
    me = member_user.member
    me.is_leader = True
    me.save()
    home = Home(client, member_user)
    html = home.warm()
    assert "我的2026年上半年一岗双责报告" in html and "填写报告" in html
    draft = reports.save_draft(me, period, data=duty_report_data(), by=member_user)
    reports.submit_report(draft, by=member_user)
    html = home.recomputed()
    assert reverse("assessments:report_detail", args=[draft.pk]) in html and "填写报告" not in html


def test_a_leader_added_and_renamed_through_the_forms_shows(client, secretary, branch_a, period):
    home = Home(client, secretary)
    html = home.warm()
    assert stat(html, "党员") == 1
    response = client.post(reverse("branches:member_create"), member_data(branch_a, name="新任领导", is_leader="on"))
    assert response.status_code == 302
    html = home.recomputed()
    assert "新任领导" in html and stat(html, "党员") == 2
    home.kept()
    leader = branch_a.members.get(name="新任领导")
    response = client.post(
        reverse("branches:member_edit", args=[leader.pk]), member_data(branch_a, name="更名领导", is_leader="on")
    )
    assert response.status_code == 302
    html = home.recomputed()
    assert "更名领导" in html and "新任领导" not in html


def test_a_plain_members_record_edited_by_the_secretary_shows(client, member_user, branch_a, secretary_of_branch_a):
    home = Home(client, member_user)
    assert "李明 · 综合处党支部" in home.warm()
    editor = Client()
    editor.force_login(secretary_of_branch_a)
    url = reverse("branches:member_edit", args=[member_user.member.pk])
    assert editor.post(url, member_data(branch_a, name="李明华")).status_code == 302
    assert "李明华 · 综合处党支部" in home.recomputed()


def test_a_roster_import_shows(client, secretary, gongwei_staff, period):
    home = Home(client, secretary)
    assert "张伟" not in home.warm()
    # The import writes in bulk, without model signals; it announces itself with bulk_written.
    import_roster(as_file(workbook(row(姓名="张伟", 班子成员="是"))), user=gongwei_staff)
    assert "张伟" in home.recomputed()


def test_the_branch_renamed_through_its_form_shows(client, secretary, branch_a, period):
    home = Home(client, secretary)
    assert "综合处党支部 · 2026年上半年一岗双责报告" in home.warm()
    data = {
        "organ": branch_a.organ_id,
        "name": "综合法规处党支部",
        "kind": "organ",
        "founded_on": "2015-07-01",
        "note": "",
    }
    assert client.post(reverse("branches:branch_edit", args=[branch_a.pk]), data).status_code == 302
    assert "综合法规处党支部 · 2026年上半年一岗双责报告" in home.recomputed()


def test_the_party_group_renamed_through_its_form_shows(client, secretary, branch_a, period):
    group = PartyGroupFactory(branch=branch_a, name="第一党小组")
    me = secretary.member
    me.party_group = group
    me.save()
    home = Home(client, secretary)
    assert "综合处书记 · 综合处党支部 · 第一党小组" in home.warm()
    url = reverse("branches:group_edit", args=[branch_a.pk, group.pk])
    assert client.post(url, {"name": "先锋党小组", "leader": ""}).status_code == 302
    assert "综合处书记 · 综合处党支部 · 先锋党小组" in home.recomputed()


def test_a_rating_run_published_shows_its_stars(client, secretary, branch_a, gongwei_staff, period):
    published_result(branch_a, 2025, stars=3)
    run = RatingRunFactory(year=2026)  # a draft: not a result yet
    RatingResultFactory(run=run, branch=branch_a, stars=5, previous_stars=3)
    home = Home(client, secretary)
    html = home.warm()
    assert "2025年度" in html and "2026年度" not in html
    ratings.publish_run(run, by=gongwei_staff)
    html = home.recomputed()
    assert "2026年度" in html and "★★★★★" in html


@pytest.fixture
def settled(secretary, branch_a):
    """Branch A without any warning: three full members and a secretary in office."""
    MemberFactory.create_batch(2, branch=branch_a)
    term = CommitteeTermFactory(branch=branch_a)
    CommitteeMemberFactory(term=term, member=secretary.member, post=CommitteePost.SECRETARY)
    return term


WARNED = "有组织设置预警的支部"


def test_committee_seats_and_terms_change_the_warning_count(client, secretary, branch_a, settled, period):
    home = Home(client, secretary)
    assert stat(home.warm(), WARNED) == 0
    CommitteeMember.objects.get(term=settled).delete()
    assert stat(home.recomputed(), WARNED) == 1
    home.kept()
    save_committee_term(settled, [(secretary.member, CommitteePost.SECRETARY)], by=secretary)
    assert stat(home.recomputed(), WARNED) == 0
    home.kept()
    # A new term without seats: the branch has no secretary in office.
    CommitteeTermFactory(branch=branch_a, elected_on=datetime.date(2026, 6, 1))
    assert stat(home.recomputed(), WARNED) == 1


def test_new_organisation_rules_change_the_warning_count(client, secretary, settled, gongwei_staff, period):
    home = Home(client, secretary)
    assert stat(home.warm(), WARNED) == 0
    staff = Client()
    staff.force_login(gongwei_staff)
    rules = {
        "year": YEAR, "min_full_members": 4, "committee_threshold": 7, "committee_min_size": 3,
        "committee_max_size": 7, "no_committee_max_size": 2, "max_members": 50, "term_years": 3,
    }  # fmt: skip
    assert staff.post(reverse("branches:rules_create"), rules).status_code == 302
    assert stat(home.recomputed(), WARNED) == 1  # three full members are too few now


def test_the_organ_renamed_shows(client, secretary, organ_a, period):
    home = Home(client, secretary)
    assert "市发改委 · 综合处党支部" in home.warm()
    organ_a.short_name = "发展改革委"
    organ_a.save()
    html = home.recomputed()
    assert "发展改革委 · 综合处党支部" in html and "市发改委 ·" not in html


def test_a_result_added_to_a_published_run_shows(client, secretary, branch_a, branch_b, period):
    published_result(branch_b, 2025)  # the run exists before the visits
    home = Home(client, secretary)
    assert "尚无已发布的星级评定结果" in home.warm()
    published_result(branch_a, 2025, stars=2, total=Decimal("70.00"))
    html = home.recomputed()
    assert "2025年度" in html and "★★☆☆☆" in html


def test_a_moved_due_date_shows(client, secretary, gongwei_staff, period):
    home = Home(client, secretary)
    assert "截止 2026-07-15（已过截止日期）" in home.warm()
    reports.change_due_date(period, due_on=datetime.date(2026, 12, 31), reason="统一延期", by=gongwei_staff)
    html = home.recomputed()
    assert "截止 2026-12-31" in html and "已过截止日期" not in html


# --- the user's own cards: messages and tasks -------------------------------------------------------------


def test_a_new_message_shows(client, secretary, period):
    home = Home(client, secretary)
    assert "没有未读消息" in home.warm()
    message(secretary, "节点已逾期")
    html = home.recomputed()
    assert "节点已逾期" in html and '未读消息 <span class="badge text-bg-danger">1</span>' in html
    home.kept()


def test_messages_marked_read_leave_at_once(client, secretary, period):
    first = message(secretary, "第一条消息")
    message(secretary, "第二条消息")
    home = Home(client, secretary)
    html = home.warm()
    assert "第一条消息" in html and "第二条消息" in html

    # Reading marks messages with an UPDATE (no model signal): it announces the rows it changed.
    assert client.post(reverse("notifications:read", args=[first.pk])).status_code == 302
    html = home.recomputed()
    assert "第一条消息" not in html and "第二条消息" in html

    assert client.post(reverse("notifications:read_all")).status_code == 302
    html = home.recomputed()
    assert "第二条消息" not in html and "没有未读消息" in html


def test_messages_read_through_the_api_leave_at_once(client, secretary, period):
    first = message(secretary, "第一条消息")
    message(secretary, "第二条消息")
    home = Home(client, secretary)
    home.warm()
    assert client.post(f"/api/notifications/{first.pk}/read/").status_code == 200
    assert "第一条消息" not in home.recomputed()
    assert client.post("/api/notifications/read-all/").status_code == 200
    assert "没有未读消息" in home.recomputed()


def test_another_persons_messages_leave_the_home_kept(client, secretary, secretary_of_branch_b, period):
    home = Home(client, secretary)
    home.warm()
    other = message(secretary_of_branch_b, "别人的消息")
    Notification.objects.filter(pk=other.pk).mark_read()
    home.kept()


def test_a_task_in_another_branchs_project_shows_and_follows_the_project(client, secretary, branch_b, period):
    project = ProjectFactory(branch=branch_b, filed=True, title="跨支部协作项目")
    home = Home(client, secretary)
    assert "跨支部协作项目" not in home.warm()
    task = TaskFactory(project=project, title="整理调研材料", due_on=datetime.date(2026, 12, 5))
    home.kept()  # nobody is assigned yet
    task.assignees.add(secretary.member)
    html = home.recomputed()
    assert "整理调研材料" in html and "《跨支部协作项目》" in html

    project.title = "跨支部协作课题"
    project.save()
    assert "《跨支部协作课题》" in home.recomputed()


@pytest.mark.parametrize("how", ["removed", "removed_from_member", "cleared", "deleted", "done"])
def test_a_task_taken_away_leaves_the_card(client, secretary, branch_b, period, how):
    project = ProjectFactory(branch=branch_b, filed=True, title="跨支部协作项目")
    task = TaskFactory(project=project, title="整理调研材料", assignees=[secretary.member])
    home = Home(client, secretary)
    assert "整理调研材料" in home.warm()
    if how == "removed":
        task.assignees.remove(secretary.member)
    elif how == "removed_from_member":
        secretary.member.tasks.remove(task)
    elif how == "cleared":
        task.assignees.clear()
    elif how == "deleted":
        task.delete()
    else:
        task.status = TaskStatus.DONE
        task.save()
    assert "整理调研材料" not in home.recomputed()


def test_a_task_assigned_through_the_service_shows(client, secretary, branch_a, period):
    project = ProjectFactory(branch=branch_a, filed=True, title="企业开办一件事")
    home = Home(client, secretary)
    home.warm()
    progress.create_task(
        project, by=secretary, title="梳理办事清单", description="", assignees=[secretary.member],
        due_on=datetime.date(2026, 12, 10),
    )  # fmt: skip
    html = home.recomputed()
    assert "梳理办事清单" in html


# --- whose body -----------------------------------------------------------------------------------------


def test_another_branchs_changes_leave_the_home_kept(
    client, secretary, branch_a, branch_b, secretary_of_branch_b, organ_staff_b, period
):
    project = ProjectFactory(branch=branch_b, filed=True, title="乙支部项目")
    run = published_result(branch_a, 2025).run  # a new run concerns every home: made before the visits
    home = Home(client, secretary)
    home.warm()
    record_theme_day(branch_b, by=secretary_of_branch_b)
    MilestoneFactory(project=project, title="乙支部节点", planned_on=datetime.date(2026, 11, 10))
    SupervisionFactory(project=project, duban=True)
    leader = MemberFactory(branch=branch_b, name="乙支部领导", is_leader=True)
    report(leader, period, ReportStatus.SUBMITTED)
    make_problem(branch_b, leader, by=organ_staff_b, deadline=datetime.date(2026, 11, 28))
    CommitteeMemberFactory(term=CommitteeTermFactory(branch=branch_b), member=leader)
    RatingResultFactory(run=run, branch=branch_b)
    assert "乙支部" not in home.kept()


def test_two_secretaries_never_see_each_others_body(client, secretary, branch_b, secretary_of_branch_b, period):
    MemberFactory(branch=branch_b, name="乙支部领导", is_leader=True)
    mine = Home(client, secretary).warm()
    theirs = Home(client, secretary_of_branch_b).warm()
    assert "您好，综合处书记" in mine and "综合处党支部" in mine and "乙支部领导" not in mine
    assert "您好，预算处书记" in theirs and "预算处党支部" in theirs and "乙支部领导" in theirs
    assert "综合处党支部" not in theirs
    client.force_login(secretary)
    assert without_tokens(Home(client, secretary).kept()) == without_tokens(mine)


def test_a_new_full_name_shows_in_the_greeting(client, secretary, period):
    home = Home(client, secretary)
    assert "您好，综合处书记" in home.warm()
    secretary.full_name = "王书记"
    secretary.save()
    html = home.recomputed()
    assert "您好，王书记" in html and "您好，综合处书记" not in html


def test_a_second_branch_granted_shows_its_cards(client, secretary, branch_a2, gongwei_staff, period):
    MemberFactory(branch=branch_a2, name="规划处领导", is_leader=True)
    home = Home(client, secretary)
    assert "规划处党支部 · 2026年上半年一岗双责报告" not in home.warm()
    assignment = accounts.grant_role(secretary, Role.BRANCH, branch=branch_a2, by=gongwei_staff)
    html = home.recomputed()
    assert "规划处党支部 · 2026年上半年一岗双责报告" in html and "规划处领导" in html
    home.kept()
    accounts.revoke_role(assignment, by=gongwei_staff)
    # Back to the one branch: the body kept for that scope is still good (nothing it shows changed).
    html = home.kept()
    assert "规划处党支部" not in html and "规划处领导" not in html


@pytest.mark.parametrize("persona", ["gongwei_staff", "organ_staff_a"])
def test_staff_homes_are_never_kept(client, persona, request, branch_a, period):
    user = request.getfixturevalue(persona)
    client.force_login(user)
    # The first visits create the year's rules and periods and fill the figures the staff body reads.
    counts = [visit(client)[1] for _ in range(3)]
    html, n = visit(client)
    assert n == counts[-1] > WARM_SECRETARY
    # A change that replaces a branch's part token only, under which no staff body would be kept.
    MemberFactory(branch=branch_a)
    assert stat(visit(client)[0], "党员") == stat(html, "党员") + 1


# --- what no one may be served ------------------------------------------------------------------------


def test_the_unread_cards_csrf_token_is_the_requesters_own(secretary, period):
    message(secretary, "节点已逾期")
    message(secretary, "督办提醒")
    first, second = Client(enforce_csrf_checks=True), Client(enforce_csrf_checks=True)
    Home(first, secretary).warm()
    # A second session of the same person is served the kept body, its forms carrying the session's own token.
    html = Home(second, secretary).warm()
    note = Notification.objects.get(title="督办提醒")
    action = f'action="{reverse("notifications:read", args=[note.pk])}"'
    assert action in html
    token = csrf_tokens(html.split(action, 1)[1])[0]  # the token of that message's form
    assert _unmask_cipher_token(token) == second.cookies["csrftoken"].value != first.cookies["csrftoken"].value

    refused = first.post(reverse("notifications:read", args=[note.pk]), {"csrfmiddlewaretoken": token})
    assert refused.status_code == 403
    opened = second.post(reverse("notifications:read", args=[note.pk]), {"csrfmiddlewaretoken": token})
    assert opened.status_code == 302
    assert "督办提醒" not in visit(second)[0]


def test_text_that_looks_like_the_csrf_slot_is_shown_as_typed(client, secretary, period):
    """The slot is drawn afresh for each rendering: a message title cannot be made to print the viewer's token."""
    title = f"{CSRF_SLOT_PREFIX}0123456789abcdef"
    message(secretary, title)
    assert f">{title}</button>" in Home(client, secretary).warm()


def test_the_body_is_computed_again_the_next_day(client, secretary, branch_a, period, time_machine):
    project = ProjectFactory(branch=branch_a, filed=True, title="企业开办一件事")
    MilestoneFactory(project=project, title="完成走访", planned_on=datetime.date(2026, 11, 10))
    # Four minutes either side of midnight in Beijing, within a kept page's lifetime; the 22nd in UTC
    # throughout: the day is the portal's local day.
    assert figure_cache.PAGE_TIMEOUT > 8 * 60
    time_machine.move_to(datetime.datetime(2026, 11, 22, 15, 56, tzinfo=datetime.UTC), tick=False)
    home = Home(client, secretary)
    assert "逾期 12 天" in home.warm()
    time_machine.move_to(datetime.datetime(2026, 11, 22, 16, 4, tzinfo=datetime.UTC), tick=False)
    html = home.recomputed()
    assert "逾期 13 天" in html and "逾期 12 天" not in html


class FailingReads:
    """The figures' cache with reads that answer nothing (as `TolerantRedisCache` does while Redis fails)
    for the keys `failing` picks, and writes that still land."""

    def __init__(self, cache, failing):
        self.cache, self.failing = cache, failing

    def get(self, key, default=None, version=None):
        return default if self.failing(key) else self.cache.get(key, default)

    def get_many(self, keys, version=None):
        return self.cache.get_many([key for key in keys if not self.failing(key)])

    def add(self, key, value, timeout=None, version=None):
        return False if self.failing(key) else self.cache.add(key, value, timeout)

    def __getattr__(self, name):
        return getattr(self.cache, name)


def _is_token(key: str) -> bool:
    return ":version:" in key or ":part-version:" in key


@pytest.mark.parametrize("failing", [lambda key: True, _is_token], ids=["all-reads", "token-reads"])
def test_with_cache_reads_failing_the_page_is_right_and_nothing_stale_is_served(
    client, secretary, branch_a, period, monkeypatch, failing
):
    home = Home(client, secretary)
    home.warm()
    monkeypatch.setattr(figure_cache, "cache", FailingReads(caches["default"], failing))
    # Without tokens every state of the data would share one entry: nothing may be kept or reused.
    html, n = visit(client)
    assert n > warm_queries(secretary) and THEME_DAY_DUE in html
    record_theme_day(branch_a, by=secretary)
    html, _ = visit(client)
    assert "主题党日（11月" not in html and "综合处党支部 · 2026年上半年一岗双责报告" in html
    # Back to normal: the tokens replaced during the failure keep the old body out.
    monkeypatch.undo()
    assert "主题党日（11月" not in home.recomputed()


def test_with_redis_down_the_page_is_right_on_every_visit(client, secretary, branch_a, period, settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "partybuild.cache.TolerantRedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
    client.force_login(secretary)
    first, _ = visit(client)
    html, n = visit(client)
    assert n > warm_queries(secretary) and THEME_DAY_DUE in html and "您好，综合处书记" in html
    assert without_tokens(html) == without_tokens(first)
    record_theme_day(branch_a, by=secretary)
    assert "主题党日（11月" not in visit(client)[0]
