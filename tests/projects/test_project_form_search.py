"""新建项目 for a 工委 who may file for any of hundreds of branches: the branch and 负责支委 are searched
for, not listed, so the page costs the same whatever the size of the city."""

import datetime
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from branches.choices import CommitteePost
from core.search import LIST_LIMIT
from projects.choices import Direction
from projects.models import Milestone, Project, Target, Topic
from tests.bulk import many_branches, many_members
from tests.factories import CommitteeMemberFactory, CommitteeTermFactory, MemberFactory
from tests.projects.factories import TopicFactory, TopicListFactory

pytestmark = pytest.mark.django_db

NEW = reverse("projects:project_create")


@pytest.fixture(autouse=True)
def frozen_today(time_machine):
    time_machine.move_to("2026-11-22 10:00 +0800", tick=False)


@pytest.fixture
def crowded_city(organ_a, branch_a, branch_b):
    """More branches, each with a full member (a 负责支委 candidate while no committee is registered),
    than a select lists."""
    branches = many_branches(organ_a, LIST_LIMIT)
    many_members([*branches, branch_a])
    return branches


def data(branch, responsible, **extra):
    return {
        "branch": branch.pk,
        "year": "2026",
        "title": "“一网通办”提速项目",
        "topic": "",
        "direction": Direction.DEVELOPMENT,
        "problem": "群众办事跑腿多。",
        "goals": "办结时限压缩三成。",
        "start_on": "2026-11-25",
        "end_on": "2026-12-31",
        "responsible": responsible.pk,
        "targets-TOTAL_FORMS": "1",
        "targets-INITIAL_FORMS": "0",
        "targets-0-name": "办结时限压缩",
        "targets-0-unit": "%",
        "targets-0-target_value": "30",
        "milestones-TOTAL_FORMS": "1",
        "milestones-INITIAL_FORMS": "0",
        "milestones-0-title": "调研摸底",
        "milestones-0-planned_on": "2026-12-10",
        "milestones-0-weight": "1",
        **extra,
    }


def field_html(page: str, name: str) -> str:
    """The markup of one field: from its label to the next field's wrapper."""
    start = page.index(f'id="div_id_{name}"')
    return page[start : page.index('<div id="div_id_', start + 1)]


def test_the_gongwei_searches_for_the_branch_and_the_responsible_member(client_for, gongwei_staff, crowded_city):
    page = client_for(gongwei_staff).get(NEW).content.decode()
    branch, responsible = field_html(page, "branch"), field_html(page, "responsible")
    # A search box that asks the branch search, and a select that holds no branch yet
    assert 'placeholder="输入支部名称搜索"' in branch
    assert f'data-hx-get="{reverse("branches:branch_search")}?purpose=filing"' in branch
    assert 'data-hx-trigger="input changed delay:250ms, search"' in branch
    assert re.findall(r'<option value="(\d*)"', branch) == [""]
    # The 负责支委 search sends the chosen branch along, and runs again when it changes
    assert 'placeholder="输入姓名、拼音或电话搜索"' in responsible
    assert 'data-hx-include="select[name=branch]"' in responsible
    assert re.findall(r'<option value="(\d*)"', responsible) == [""]
    # No branch nor member is written into the page
    assert "调研100党支部" not in page and "赵10000" not in page


def test_the_page_does_not_grow_with_the_city(client_for, gongwei_staff, organ_a, crowded_city):
    client = client_for(gongwei_staff)
    client.get(NEW)  # anything created on first use is not the page's cost
    with CaptureQueriesContext(connection) as before:
        small = client.get(NEW).content
    many_members(many_branches(organ_a, 200, prefix="新设"))
    with CaptureQueriesContext(connection) as after:
        large = client.get(NEW).content
    assert len(after.captured_queries) == len(before.captured_queries)
    # Only the CSRF token differs between two renderings, and it keeps its length
    assert len(large) == len(small)
    assert large.count(b"<option") == small.count(b"<option") < 20


def test_a_chosen_branch_and_member_are_saved(client_for, gongwei_staff, crowded_city):
    branch = crowded_city[150]
    responsible = branch.members.get()
    response = client_for(gongwei_staff).post(NEW, data(branch, responsible))
    assert response.status_code == 302
    project = Project.objects.get()
    assert (project.branch, project.responsible) == (branch, responsible)


def test_after_a_mistake_the_chosen_branch_is_shown_again(client_for, gongwei_staff, crowded_city):
    branch = crowded_city[150]
    response = client_for(gongwei_staff).post(NEW, data(branch, branch.members.get(), title=""))
    assert response.status_code == 200 and not Project.objects.exists()
    chosen = field_html(response.content.decode(), "branch")
    assert f'<option value="{branch.pk}" selected>市发改委 · {branch.name}</option>' in chosen


def test_a_branch_outside_the_users_scope_is_refused_and_nothing_is_written(
    client_for, organ_staff_a, crowded_city, branch_b
):
    # Given 机关党委 staff whose organ has more branches than a select lists
    client = client_for(organ_staff_a)
    assert 'placeholder="输入支部名称搜索"' in client.get(NEW).content.decode()
    # When they post another organ's branch, and a member of it, by hand
    stranger = MemberFactory(branch=branch_b)
    response = client.post(NEW, data(branch_b, stranger))
    # Then both are refused in Chinese and nothing is written
    errors = response.context["form"].errors
    assert errors["branch"] == ["所选支部不存在或不在您的办理范围内，请重新选择。"]
    assert errors["responsible"] == ["所选党员不存在或不在您的办理范围内，请重新选择。"]
    assert "所选支部不存在或不在您的办理范围内" in response.content.decode()
    assert not Project.objects.exists() and not Target.objects.exists() and not Milestone.objects.exists()


def test_a_dissolved_branch_cannot_be_filed_for(client_for, gongwei_staff, crowded_city):
    branch = crowded_city[0]
    branch.dissolved_on = datetime.date(2026, 1, 1)
    branch.save()
    response = client_for(gongwei_staff).post(NEW, data(branch, branch.members.get()))
    assert response.context["form"].errors["branch"]
    assert not Project.objects.exists()


def test_a_secretary_keeps_a_plain_select_with_their_branch_chosen(
    client_for, secretary_of_branch_a, branch_a, crowded_city
):
    MemberFactory(branch=branch_a, name="王组织")
    page = client_for(secretary_of_branch_a).get(NEW).content.decode()
    branch, responsible = field_html(page, "branch"), field_html(page, "responsible")
    assert "data-hx-get" not in branch and "data-hx-get" not in responsible
    assert f'<option value="{branch_a.pk}" selected>市发改委 · 综合处党支部</option>' in branch
    assert "综合处党支部 · 王组织（党员）" in responsible


def test_only_the_current_committee_of_the_members_own_branch_is_offered(client_for, gongwei_staff, branch_a, branch_b):
    # Given branch_a's committee elected twice, and branch_b with no committee registered
    old_term = CommitteeTermFactory(branch=branch_a, elected_on=datetime.date(2022, 6, 1))
    new_term = CommitteeTermFactory(branch=branch_a, elected_on=datetime.date(2025, 6, 1))
    retired = CommitteeMemberFactory(term=old_term, post=CommitteePost.SECRETARY).member
    secretary = CommitteeMemberFactory(term=new_term, post=CommitteePost.SECRETARY).member
    # One who sat on branch_a's committee and has since moved to branch_b
    moved = CommitteeMemberFactory(term=new_term).member
    moved.branch = branch_b
    moved.save()
    full, probationary = (
        MemberFactory(branch=branch_b),
        MemberFactory(branch=branch_b, status="probationary", confirmed_on=None),
    )
    field = client_for(gongwei_staff).get(NEW).context["form"].fields["responsible"]
    offered = {m: m.committee_post for m in field.queryset}
    # Then branch_a offers its current secretary, branch_b (no committee yet) its full members
    assert offered == {secretary: CommitteePost.SECRETARY, moved: None, full: None}
    assert retired not in offered and probationary not in offered


# --- 所选题目 --------------------------------------------------------------------------------


@pytest.fixture
def many_topics(organ_a, organ_b, gongwei_staff):
    """More topics this year than a select lists: organ_a's, plus one of organ_b's and one city-wide."""
    mine = TopicListFactory(organ=organ_a, year=2026, created_by=gongwei_staff)
    Topic.objects.bulk_create(
        Topic(topic_list=mine, title=f"审批提速课题{i:03d}", direction=Direction.DEVELOPMENT) for i in range(LIST_LIMIT)
    )
    TopicFactory(topic_list=TopicListFactory(organ=organ_b, year=2026, created_by=gongwei_staff), title="预算绩效课题")
    TopicFactory(topic_list=TopicListFactory(citywide=True, year=2026, created_by=gongwei_staff), title="全市统一课题")


def topics(client, q="", **params) -> list[str]:
    response = client.get(reverse("projects:topic_search"), {"q": q, **params})
    assert response.status_code == 200
    return re.findall(r'<option value="\d+">([^<]*)</option>', response.content.decode())


def test_the_gongwei_searches_for_the_topic_of_the_chosen_branch(
    client_for, gongwei_staff, branch_a, branch_b, many_topics
):
    client = client_for(gongwei_staff)
    topic = field_html(client.get(NEW).content.decode(), "topic")
    assert f'data-hx-get="{reverse("projects:topic_search")}"' in topic
    assert '<option value="" selected>（支部自拟题目）</option>' in topic and "审批提速课题" not in topic
    # By title or by organ; with a branch chosen, only what that branch may choose (its organ's and city-wide)
    assert topics(client, "预算绩效") == ["【2026 市财政局】预算绩效课题（推进高质量发展）"]
    assert topics(client, "预算", branch=branch_a.pk) == []
    assert topics(client, "全市", branch=branch_a.pk) == ["【2026 工委】全市统一课题（推进高质量发展）"]
    assert len(topics(client, "发改委 审批", branch=branch_a.pk)) == 20


def test_a_secretary_finds_only_the_topics_their_branch_may_choose(
    client_for, secretary_of_branch_a, member_user, many_topics
):
    client = client_for(secretary_of_branch_a)
    assert topics(client, "预算绩效") == []
    assert topics(client, "审批提速课题007") == ["【2026 市发改委】审批提速课题007（推进高质量发展）"]
    assert client_for(member_user).get(reverse("projects:topic_search")).status_code == 403


def test_a_chosen_topic_is_saved_and_a_foreign_one_refused(client_for, organ_staff_a, crowded_city, many_topics):
    branch = crowded_city[3]
    client = client_for(organ_staff_a)
    foreign = Topic.objects.get(title="预算绩效课题")
    response = client.post(NEW, data(branch, branch.members.get(), topic=foreign.pk, direction=""))
    assert response.context["form"].errors["topic"] == ["所选题目不存在或不是本支部可选的题目，请重新选择。"]
    assert not Project.objects.exists()
    chosen = Topic.objects.get(title="审批提速课题042")
    assert client.post(NEW, data(branch, branch.members.get(), topic=chosen.pk, direction="")).status_code == 302
    assert Project.objects.get().topic == chosen


def test_the_topic_search_costs_the_same_for_one_match_and_for_many(
    client_for, gongwei_staff, branch_a, branch_b, many_topics
):
    client = client_for(gongwei_staff)
    with CaptureQueriesContext(connection) as one:
        assert len(topics(client, "预算绩效")) == 1
    with CaptureQueriesContext(connection) as many:
        assert len(topics(client, "审批", branch=branch_a.pk)) == 20
    assert len(one.captured_queries) == len(many.captured_queries)
