"""The project list: scoping, filters, the Excel export of exactly the filtered rows, and 未立项预警."""

import datetime
import io

import openpyxl
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from projects.choices import Direction, ProjectStatus
from projects.exports import COLUMNS
from projects.views.workflow import unfiled_branches
from tests.factories import BranchFactory, MemberFactory, OrganFactory
from tests.projects.factories import MilestoneFactory, ProjectFactory, TargetFactory, TaskFactory, TopicListFactory

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2026, 11, 22)


@pytest.fixture(autouse=True)
def frozen_today(time_machine):
    time_machine.move_to("2026-11-22 10:00 +0800", tick=False)


def listed(client, **params) -> list:
    response = client.get(reverse("projects:project_list"), params)
    assert response.status_code == 200
    return [row.record for row in response.context["table"].paginated_rows]


def export_rows(client, **params) -> list[list]:
    response = client.get(reverse("projects:project_export"), params)
    assert response.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    return [list(row) for row in sheet.iter_rows(values_only=True)]


# --- scoping ---------------------------------------------------------------------------


def test_each_role_lists_what_it_may_see(
    client_for, branch_a, branch_a2, branch_b, gongwei_staff, organ_staff_a, secretary_of_branch_a, member_user
):
    a, a2, b = ProjectFactory(branch=branch_a), ProjectFactory(branch=branch_a2), ProjectFactory(branch=branch_b)
    TaskFactory(project=a2, assignees=[member_user.member])
    assert set(listed(client_for(gongwei_staff))) == {a, a2, b}
    assert set(listed(client_for(organ_staff_a))) == {a, a2}
    assert set(listed(client_for(secretary_of_branch_a))) == {a}
    assert set(listed(client_for(member_user))) == {a2}


def test_strangers_cannot_list(client_for, outsider):
    assert client_for(outsider).get(reverse("projects:project_list")).status_code == 403
    assert client_for(outsider).get(reverse("projects:project_export")).status_code == 403


def test_members_cannot_export(client_for, member_user, branch_a):
    TaskFactory(project=ProjectFactory(branch=branch_a), assignees=[member_user.member])
    assert client_for(member_user).get(reverse("projects:project_export")).status_code == 403


# --- filters ---------------------------------------------------------------------------


def test_list_opens_on_this_year_and_can_show_all(client_for, gongwei_staff, branch_a):
    this_year = ProjectFactory(branch=branch_a, year=2026)
    last_year = ProjectFactory(branch=branch_a, year=2025)
    client = client_for(gongwei_staff)
    assert listed(client) == [this_year]
    assert listed(client, year="2025") == [last_year]
    assert set(listed(client, year="all")) == {this_year, last_year}


def test_filters_by_organ_branch_direction_status_and_search(client_for, gongwei_staff, branch_a, branch_a2, branch_b):
    a = ProjectFactory(branch=branch_a, title="审批提速", direction=Direction.BUSINESS_ENV, submitted=True)
    a2 = ProjectFactory(branch=branch_a2, title="规划先行", direction=Direction.DEVELOPMENT)
    b = ProjectFactory(branch=branch_b, title="预算绩效", direction=Direction.UPGRADE, filed=True)
    client = client_for(gongwei_staff)
    assert set(listed(client, organ=branch_a.organ_id)) == {a, a2}
    assert listed(client, branch=branch_a2.pk) == [a2]
    assert listed(client, direction=Direction.UPGRADE) == [b]
    assert listed(client, status=ProjectStatus.SUBMITTED) == [a]
    assert listed(client, q="规划") == [a2]
    assert listed(client, q="预算处") == [b]  # the branch name matches too


def test_overdue_filter_uses_milestones_of_running_projects(client_for, gongwei_staff, branch_a):
    late = ProjectFactory(branch=branch_a, filed=True)
    MilestoneFactory(project=late, planned_on=datetime.date(2026, 11, 1))
    on_time = ProjectFactory(branch=branch_a, filed=True)
    MilestoneFactory(project=on_time, planned_on=datetime.date(2026, 12, 1))
    done = ProjectFactory(branch=branch_a, filed=True)
    MilestoneFactory(project=done, planned_on=datetime.date(2026, 11, 1), percent=100, completed_on=TODAY)
    draft = ProjectFactory(branch=branch_a)
    MilestoneFactory(project=draft, planned_on=datetime.date(2026, 11, 1))
    client = client_for(gongwei_staff)
    assert listed(client, overdue="1") == [late]
    assert set(listed(client, overdue="0")) == {on_time, done, draft}
    assert "逾期节点" in client.get(reverse("projects:project_list")).content.decode()


def test_list_shows_weighted_progress(client_for, gongwei_staff, branch_a):
    project = ProjectFactory(branch=branch_a, filed=True, title="加权进度项目")
    MilestoneFactory(project=project, weight=3, percent=100, completed_on=TODAY)
    MilestoneFactory(project=project, weight=1, percent=0, planned_on=datetime.date(2026, 12, 20))
    page = client_for(gongwei_staff).get(reverse("projects:project_list")).content.decode()
    assert "75%" in page


# --- export ----------------------------------------------------------------------------


def test_export_holds_exactly_the_filtered_rows_of_every_page(client_for, gongwei_staff, branch_a, branch_b):
    ProjectFactory.create_batch(35, branch=branch_a, direction=Direction.DEVELOPMENT)
    ProjectFactory(branch=branch_b, direction=Direction.UPGRADE)
    ProjectFactory(branch=branch_a, direction=Direction.DEVELOPMENT, year=2025)
    rows = export_rows(client_for(gongwei_staff), direction=Direction.DEVELOPMENT)
    assert rows[0] == [c.label for c in COLUMNS]
    assert len(rows) == 1 + 35
    assert {r[2] for r in rows[1:]} == {branch_a.name}
    assert {r[0] for r in rows[1:]} == {2026}


def test_export_is_scoped(client_for, secretary_of_branch_a, branch_a, branch_b):
    ProjectFactory(branch=branch_a)
    ProjectFactory(branch=branch_b)
    rows = export_rows(client_for(secretary_of_branch_a), year="all")
    assert [r[2] for r in rows[1:]] == [branch_a.name]


def test_export_values_and_formula_injection(client_for, gongwei_staff, branch_a):
    project = ProjectFactory(
        branch=branch_a,
        title='=HYPERLINK("http://evil.example","点我")',
        is_secretary_project=True,
        accepted=True,
        is_top_ten=True,
    )
    TargetFactory.create_batch(2, project=project)
    MilestoneFactory(project=project, weight=1, percent=100, completed_on=TODAY)
    row = dict(zip([c.label for c in COLUMNS], export_rows(client_for(gongwei_staff))[1], strict=True))
    assert row["项目名称"] == "'" + project.title
    assert row["书记项目"] == "是" and row["十佳"] == "是"
    assert row["指标数"] == 2 and row["进度（%）"] == 100
    assert row["验收得分"] == 85 and row["验收等次"] == "良好"
    assert row["题目"] == "支部自拟"
    assert row["开始日期"] == datetime.datetime(2026, 3, 1)
    assert row["负责支委"] == project.responsible.name


def test_export_filename_is_chinese_with_an_ascii_fallback(client_for, gongwei_staff):
    response = client_for(gongwei_staff).get(reverse("projects:project_export"))
    disposition = response["Content-Disposition"]
    assert 'filename="projects-20261122.xlsx"' in disposition
    assert "filename*=UTF-8''%E6%94%AF%E9%83%A8%E9%A1%B9%E7%9B%AE-20261122.xlsx" in disposition


# --- query counts ----------------------------------------------------------------------


def _populate(n: int):
    for _ in range(n):
        branch = BranchFactory(organ=OrganFactory())
        project = ProjectFactory(branch=branch, filed=True, is_secretary_project=True)
        TargetFactory(project=project)
        MilestoneFactory(project=project, planned_on=datetime.date(2026, 11, 1))
        TaskFactory(project=project, assignees=[MemberFactory(branch=branch)])


@pytest.mark.parametrize(
    ("name", "params"),
    [
        ("projects:project_list", {}),
        ("projects:project_list", {"overdue": "1", "q": "项目"}),
        ("projects:project_export", {}),
        ("projects:unfiled_branches", {}),
    ],
)
@pytest.mark.parametrize("persona", ["gongwei_staff", "organ_staff_a"])
def test_list_queries_do_not_grow_with_rows(client_for, request, persona, name, params, organ_a):
    client = client_for(request.getfixturevalue(persona))
    TopicListFactory(citywide=True, closes_on=datetime.date(2026, 4, 30))

    def count():
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(reverse(name), params).status_code == 200
        return len(ctx.captured_queries)

    _populate(1)
    BranchFactory(organ=organ_a)
    small = count()
    _populate(12)
    BranchFactory.create_batch(5, organ=organ_a)
    assert count() == small


# --- 未立项预警 ------------------------------------------------------------------------


@pytest.fixture
def closed_window(organ_a):
    return TopicListFactory(organ=organ_a, opens_on=datetime.date(2026, 3, 1), closes_on=datetime.date(2026, 4, 30))


def test_branches_without_a_submitted_project_after_the_deadline_are_flagged(
    gongwei_staff, organ_a, branch_a, branch_a2, closed_window
):
    # Given one branch that submitted, one with only a draft, one returned, one with nothing
    ProjectFactory(branch=branch_a, submitted=True)
    ProjectFactory(branch=branch_a2)
    returned = BranchFactory(organ=organ_a, name="退回支部")
    ProjectFactory(branch=returned, status=ProjectStatus.RETURNED)
    BranchFactory(organ=organ_a, name="沉默支部")
    # And branches that are not expected to file
    BranchFactory(organ=organ_a, founded_on=datetime.date(2026, 6, 1))
    BranchFactory(organ=organ_a, dissolved_on=datetime.date(2026, 10, 1))
    ProjectFactory(branch=BranchFactory(organ=organ_a, name="去年支部"), year=2025, accepted=True)
    flagged = {b.name: b for b in unfiled_branches(gongwei_staff, 2026, TODAY)}
    assert branch_a.name not in flagged
    assert flagged[branch_a2.name].has_draft
    assert flagged["退回支部"].has_returned
    assert not flagged["沉默支部"].has_draft and flagged["沉默支部"].deadline == datetime.date(2026, 4, 30)
    assert len(flagged) == 4


def test_no_warning_before_the_deadline_or_without_a_published_list(
    gongwei_staff, organ_a, branch_a, organ_b, branch_b
):
    TopicListFactory(organ=organ_a, closes_on=datetime.date(2026, 11, 30))
    TopicListFactory(organ=organ_b, closes_on=datetime.date(2026, 4, 30), draft=True)
    assert list(unfiled_branches(gongwei_staff, 2026, TODAY)) == []
    # The deadline day itself is still open
    assert list(unfiled_branches(gongwei_staff, 2026, datetime.date(2026, 11, 30))) == []
    assert list(unfiled_branches(gongwei_staff, 2026, datetime.date(2026, 12, 1))) == [branch_a]


def test_reopening_moves_the_deadline(gongwei_staff, branch_a, closed_window):
    closed_window.reopened_until = datetime.date(2026, 11, 30)
    closed_window.save()
    assert list(unfiled_branches(gongwei_staff, 2026, TODAY)) == []


def test_organs_without_their_own_list_follow_the_citywide_one(gongwei_staff, organ_a, branch_a, branch_b, organ_b):
    TopicListFactory(citywide=True, closes_on=datetime.date(2026, 4, 30))
    TopicListFactory(organ=organ_a, closes_on=datetime.date(2026, 12, 15))
    assert list(unfiled_branches(gongwei_staff, 2026, TODAY)) == [branch_b]


def test_warning_is_scoped_and_counted_on_the_list(
    client_for, secretary_of_branch_b, organ_staff_a, branch_a, branch_a2, branch_b, closed_window, gongwei_staff
):
    TopicListFactory(citywide=True, closes_on=datetime.date(2026, 4, 30))
    assert list(unfiled_branches(secretary_of_branch_b, 2026, TODAY)) == [branch_b]
    client = client_for(organ_staff_a)
    response = client.get(reverse("projects:project_list"))
    assert response.context["n_unfiled"] == 2
    assert "仍有 <strong>2</strong> 个支部未提交项目" in response.content.decode()
    page = client.get(reverse("projects:unfiled_branches"))
    assert {b.name for b in page.context["page"].object_list} == {branch_a.name, branch_a2.name}
    assert "未填报" in page.content.decode()


def test_warning_page_is_for_staff_and_committees(client_for, member_user, outsider):
    for user in (member_user, outsider):
        assert client_for(user).get(reverse("projects:unfiled_branches")).status_code == 403
