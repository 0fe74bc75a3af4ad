"""评审专家: the 工委 or the project's 机关党委 assigns experts to a project awaiting acceptance; an assigned expert
sees and scores that project only, and nothing of the organisation: no roster, no member, no branch page, no
dashboard, no export, no other project, in the pages and in the API."""

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts import services as account_services
from accounts.models import Role, RoleAssignment
from core.api import router
from core.errors import IllegalTransition
from notifications.models import Notification
from projects import acceptance, experts
from projects.models import AcceptanceReview, ExpertAssignment, Project
from projects.services import ProjectError, ensure_config
from tests.factories import MemberFactory, UserFactory, grant
from tests.projects.factories import YEAR, EvidenceFactory, ProjectFactory, TargetFactory, TaskFactory

pytestmark = pytest.mark.django_db

D = Decimal


@pytest.fixture
def config():
    return ensure_config(YEAR)


@pytest.fixture
def requested(branch_a, config):
    project = ProjectFactory(branch=branch_a, acceptance_requested=True, title="一网通办提速项目")
    TargetFactory(project=project, name="办结时限压缩", actual_value=D("32"))
    return project


@pytest.fixture
def other_project(branch_a2, config):
    return ProjectFactory(branch=branch_a2, acceptance_requested=True, title="别的支部的项目")


@pytest.fixture
def seated(requested, expert_reviewer, gongwei_staff):
    return experts.assign_expert(requested, expert_reviewer, by=gongwei_staff)


def full_marks(config) -> dict:
    return {c.pk: D(c.max_points) for c in config.criteria.all()}


def score_data(config, *points) -> dict:
    data = {f"c_{c.pk}": str(p) for c, p in zip(config.criteria.all(), points, strict=True)}
    data["comment"] = "成效明显"
    return data


# --- the story ------------------------------------------------------------------------------


def test_the_gongwei_assigns_an_expert_who_finds_the_project_in_its_queue_and_scores_it(
    client, requested, other_project, expert_reviewer, gongwei_staff, config
):
    # Given a project awaiting acceptance, the 工委 sees the expert panel on the project page and assigns one
    client.force_login(gongwei_staff)
    page = client.get(requested.get_absolute_url()).content.decode()
    assert "评审专家" in page and reverse("projects:expert_assign", args=[requested.pk]) in page
    response = client.post(reverse("projects:expert_assign", args=[requested.pk]), {"expert": expert_reviewer.pk})
    assert response.status_code == 302
    seat = ExpertAssignment.objects.get(project=requested)
    assert (seat.expert, seat.assigned_by, seat.withdrawn_at) == (expert_reviewer, gongwei_staff, None)

    # Then the expert is told, and its menu and queue hold only that project
    note = Notification.objects.get(recipient=expert_reviewer)
    assert note.title == "请评审项目：一网通办提速项目" and note.url == requested.get_absolute_url()
    client.force_login(expert_reviewer)
    home = client.get(reverse("home")).content.decode()
    assert "待评审项目" in home and "1</strong> 个分配给您的验收项目等待评分" in home
    queue = client.get(reverse("projects:expert_queue")).content.decode()
    assert "一网通办提速项目" in queue and "别的支部的项目" not in queue and "待评分" in queue

    # When it scores on the score sheet
    assert client.get(reverse("projects:acceptance_score", args=[requested.pk])).status_code == 200
    response = client.post(reverse("projects:acceptance_score", args=[requested.pk]), score_data(config, 45, 22, 23))
    assert response.status_code == 302

    # Then its review counts, and the queue says it is scored and waits for the 工委
    assert AcceptanceReview.objects.get(project=requested, reviewer=expert_reviewer).total == D("90")
    queue = client.get(reverse("projects:expert_queue")).content.decode()
    assert "已评分，待工委确认" in queue and "90.00" in queue


def test_an_assigned_expert_sees_the_project_and_its_evidence_but_not_the_branch(
    client_for, requested, seated, expert_reviewer, branch_a
):
    evidence = EvidenceFactory(project=requested)
    client = client_for(expert_reviewer)

    page = client.get(requested.get_absolute_url())

    assert page.status_code == 200
    text = page.content.decode()
    assert branch_a.name in text and branch_a.get_absolute_url() not in text  # named, not linked
    assert client.get(reverse("projects:evidence_download", args=[evidence.token])).status_code == 200
    assert client.get(branch_a.get_absolute_url()).status_code == 404
    assert client.get(reverse("branches:member_detail", args=[requested.responsible.pk])).status_code == 404


def test_an_expert_sees_no_project_it_is_not_assigned_to(client_for, requested, other_project, seated, expert_reviewer):
    client = client_for(expert_reviewer)

    assert client.get(other_project.get_absolute_url()).status_code == 404
    assert client.get(reverse("projects:acceptance_score", args=[other_project.pk])).status_code == 404
    assert list(Project.objects.visible_to(expert_reviewer)) == [requested]
    listed = client.get(reverse("projects:project_list")).content.decode()
    assert "一网通办提速项目" in listed and "别的支部的项目" not in listed


def test_an_expert_not_assigned_may_not_score(requested, expert_reviewer, config):
    with pytest.raises(PermissionDenied):
        acceptance.score_project(requested, reviewer=expert_reviewer, marks=full_marks(config))
    assert not AcceptanceReview.objects.exists()


@pytest.mark.parametrize(
    "url",
    [
        reverse("branches:member_list"),
        reverse("branches:branch_list"),
        reverse("branches:roster_export"),
        reverse("branches:tree"),
        reverse("portal:dashboard"),
        reverse("projects:project_export"),
        reverse("projects:review_queue"),
        reverse("assessments:run_list"),
        reverse("assessments:report_overview"),
        reverse("assessments:problem_export"),
        reverse("branches:user_list"),
    ],
)
def test_an_expert_is_refused_the_roster_dashboards_and_exports(client_for, seated, expert_reviewer, url):
    assert client_for(expert_reviewer).get(url).status_code == 403


def test_an_expert_sees_no_id_number_anywhere_it_can_go(client_for, requested, seated, expert_reviewer):
    MemberFactory(branch=requested.branch, name="张三", id_number="320303198001011234", user=None)
    requested.responsible.id_number = "320303198202022345"
    requested.responsible.save()
    TaskFactory(project=requested, assignees=[requested.responsible])
    client = client_for(expert_reviewer)

    pages = [reverse("home"), reverse("projects:expert_queue"), requested.get_absolute_url()]
    pages.append(reverse("projects:acceptance_score", args=[requested.pk]))
    for url in pages:
        text = client.get(url).content.decode()
        assert "3203" not in text and "张三" not in text, url


def test_the_menu_shows_an_expert_only_its_duty(client_for, seated, expert_reviewer):
    page = client_for(expert_reviewer).get(reverse("projects:expert_queue")).content.decode()
    nav = page[page.index('<ul class="navbar-nav me-auto">') : page.index("</ul>", page.index("navbar-nav me-auto"))]

    assert "待评审项目" in nav and "首页" in nav
    for duty in ("支部项目", "党委出题", "统计", "待我审核", "组织生活与党员", "年度考核", "我的任务"):
        assert duty not in nav


def test_an_expert_whose_role_is_revoked_sees_nothing_more(
    client_for, requested, seated, expert_reviewer, gongwei_staff
):
    account_services.revoke_role(RoleAssignment.objects.get(user=expert_reviewer), by=gongwei_staff)

    client = client_for(expert_reviewer)
    assert client.get(requested.get_absolute_url()).status_code == 404
    assert client.get(reverse("projects:expert_queue")).status_code == 403


def test_staff_keep_scoring_by_their_role(requested, organ_staff_a, gongwei_staff, config):
    """Assignment is how an outside expert reaches a project; the 工委 and the organ's 机关党委 review by role."""
    acceptance.score_project(requested, reviewer=organ_staff_a, marks=full_marks(config))
    acceptance.score_project(requested, reviewer=gongwei_staff, marks=full_marks(config))

    assert requested.reviews.count() == 2


# --- who may assign, and when ----------------------------------------------------------------


def test_the_organs_staff_may_assign_and_the_branch_and_other_organs_may_not(
    client_for, requested, expert_reviewer, organ_staff_a, organ_staff_b, secretary_of_branch_a
):
    url = reverse("projects:expert_assign", args=[requested.pk])
    assert client_for(secretary_of_branch_a).post(url, {"expert": expert_reviewer.pk}).status_code == 403
    assert client_for(organ_staff_b).post(url, {"expert": expert_reviewer.pk}).status_code == 404
    assert not ExpertAssignment.objects.exists()

    client_for(organ_staff_a).post(url, {"expert": expert_reviewer.pk})

    assert ExpertAssignment.objects.get().assigned_by == organ_staff_a


def test_an_expert_is_assigned_only_while_acceptance_is_awaited(branch_a, expert_reviewer, gongwei_staff, config):
    for state in ("filed", "accepted"):
        project = ProjectFactory(branch=branch_a, **{state: True})
        with pytest.raises(IllegalTransition, match="只有待验收的项目可以分配评审专家"):
            experts.assign_expert(project, expert_reviewer, by=gongwei_staff)
    assert not ExpertAssignment.objects.exists()


def test_only_a_current_expert_of_another_branch_can_be_assigned_and_only_once(
    client_for, requested, seated, expert_reviewer, gongwei_staff, organ_staff_a, branch_a
):
    insider = UserFactory(full_name="本支部专家")
    grant(insider, Role.EXPERT)
    MemberFactory(branch=branch_a, user=insider)
    retired = UserFactory(full_name="已停用专家", is_active=False)
    grant(retired, Role.EXPERT)

    with pytest.raises(ProjectError, match="不是评审专家"):
        experts.assign_expert(requested, organ_staff_a, by=gongwei_staff)
    with pytest.raises(ProjectError, match="不是评审专家"):
        experts.assign_expert(requested, retired, by=gongwei_staff)
    with pytest.raises(ProjectError, match="不能评审本支部的项目"):
        experts.assign_expert(requested, insider, by=gongwei_staff)
    with pytest.raises(ProjectError, match="已是该项目的评审专家"):
        experts.assign_expert(requested, expert_reviewer, by=gongwei_staff)
    assert list(experts.candidates_for(requested)) == []

    # The page refuses the same choice with a clear message and writes nothing
    response = client_for(gongwei_staff).post(
        reverse("projects:expert_assign", args=[requested.pk]), {"expert": insider.pk}, follow=True
    )
    assert "所选账号不能评审该项目" in response.content.decode()
    assert ExpertAssignment.objects.count() == 1


# --- withdrawing -----------------------------------------------------------------------------


def test_withdrawing_keeps_the_row_with_who_when_and_why_and_ends_the_experts_access(
    client_for, requested, seated, expert_reviewer, gongwei_staff, config
):
    url = reverse("projects:expert_withdraw", args=[seated.pk])
    client = client_for(gongwei_staff)
    response = client.post(url, {"reason": ""}, follow=True)
    assert "请填写撤回原因" in response.content.decode()
    assert ExpertAssignment.objects.get().withdrawn_at is None

    client.post(url, {"reason": "本人出差，无法参加评审"})

    seat = ExpertAssignment.objects.get()
    assert (seat.withdrawn_by, seat.withdraw_reason) == (gongwei_staff, "本人出差，无法参加评审")
    assert seat.withdrawn_at is not None
    assert "本人出差，无法参加评审" in client.get(requested.get_absolute_url()).content.decode()
    assert client_for(expert_reviewer).get(requested.get_absolute_url()).status_code == 404
    with pytest.raises(PermissionDenied):
        acceptance.score_project(requested, reviewer=expert_reviewer, marks=full_marks(config))

    # Seated again later: a new row beside the closed one
    experts.assign_expert(requested, expert_reviewer, by=gongwei_staff)
    assert ExpertAssignment.objects.filter(project=requested).count() == 2


def test_an_expert_who_has_scored_cannot_be_withdrawn(requested, seated, expert_reviewer, gongwei_staff, config):
    acceptance.score_project(requested, reviewer=expert_reviewer, marks=full_marks(config))

    with pytest.raises(ProjectError, match="已评分，不能撤回"):
        experts.withdraw_expert(seated, by=gongwei_staff, reason="调整评审组")
    assert ExpertAssignment.objects.get().withdrawn_at is None


def test_the_expert_and_the_branch_cannot_withdraw(
    client_for, requested, seated, expert_reviewer, secretary_of_branch_a
):
    url = reverse("projects:expert_withdraw", args=[seated.pk])
    assert client_for(expert_reviewer).post(url, {"reason": "不想评"}).status_code == 403
    assert client_for(secretary_of_branch_a).post(url, {"reason": "换人"}).status_code == 403
    assert ExpertAssignment.objects.get().withdrawn_at is None


def test_the_branch_never_sees_who_judges_it(client_for, requested, seated, secretary_of_branch_a):
    page = client_for(secretary_of_branch_a).get(requested.get_absolute_url()).content.decode()

    assert "评审专家甲" not in page


# --- query counts ----------------------------------------------------------------------------


def _queries(client, url) -> int:
    client.get(url)
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_the_queue_costs_the_same_for_one_project_and_many(
    client_for, branch_a, expert_reviewer, gongwei_staff, config
):
    first = ProjectFactory(branch=branch_a, acceptance_requested=True)
    experts.assign_expert(first, expert_reviewer, by=gongwei_staff)
    client = client_for(expert_reviewer)
    one = _queries(client, reverse("projects:expert_queue"))
    for _ in range(5):
        project = ProjectFactory(branch=branch_a, acceptance_requested=True)
        experts.assign_expert(project, expert_reviewer, by=gongwei_staff)
        acceptance.score_project(project, reviewer=expert_reviewer, marks=full_marks(config))

    assert _queries(client, reverse("projects:expert_queue")) == one


def test_the_panel_costs_the_same_for_one_expert_and_many(client_for, branch_a, gongwei_staff, config):
    small = ProjectFactory(branch=branch_a, acceptance_requested=True)
    large = ProjectFactory(branch=branch_a, acceptance_requested=True)
    for i in range(5):
        expert = UserFactory(full_name=f"专家{i}")
        grant(expert, Role.EXPERT)
        seat = experts.assign_expert(large, expert, by=gongwei_staff)
        if i == 0:
            # The acceptance card reads the marks once there are any: both pages have some.
            experts.assign_expert(small, expert, by=gongwei_staff)
            acceptance.score_project(small, reviewer=expert, marks=full_marks(config))
        if i % 2:
            acceptance.score_project(large, reviewer=expert, marks=full_marks(config))
        elif i:
            experts.withdraw_expert(seat, by=gongwei_staff, reason="另有安排")
    client = client_for(gongwei_staff)

    assert _queries(client, small.get_absolute_url()) == _queries(client, large.get_absolute_url())


# --- the API --------------------------------------------------------------------------------


def test_the_api_assigns_lists_and_withdraws_as_the_pages_do(
    client_for, requested, expert_reviewer, gongwei_staff, organ_staff_b, config
):
    client = client_for(gongwei_staff)
    base = "/api/project-expert-assignments/"
    candidates = client.get(f"{base}candidates/?project={requested.pk}").json()
    assert [c["id"] for c in candidates] == [expert_reviewer.pk]

    created = client.post(
        base, {"project": requested.pk, "expert": expert_reviewer.pk}, content_type="application/json"
    )
    assert created.status_code == 201 and created.json()["has_scored"] is False
    again = client.post(base, {"project": requested.pk, "expert": expert_reviewer.pk}, content_type="application/json")
    assert again.status_code == 400 and "已是该项目的评审专家" in again.content.decode()

    seat = created.json()["id"]
    assert client_for(organ_staff_b).get(f"{base}{seat}/").status_code == 404
    client = client_for(expert_reviewer)
    assert [row["id"] for row in client.get(base).json()["results"]] == [seat]
    assert client.post(f"{base}{seat}/withdraw/", {"reason": "x"}, content_type="application/json").status_code == 403

    client = client_for(gongwei_staff)
    withdrawn = client.post(f"{base}{seat}/withdraw/", {"reason": "回避"}, content_type="application/json")
    assert withdrawn.status_code == 200 and withdrawn.json()["withdraw_reason"] == "回避"


def test_every_api_list_answers_an_expert_with_a_refusal_or_its_own_rows_only(
    client_for, requested, other_project, seated, expert_reviewer, branch_a, gongwei_staff
):
    """The organisation's lists are refused or empty; the project lists hold the assigned project's rows."""
    TaskFactory(project=other_project, assignees=[MemberFactory(branch=other_project.branch)])
    Notification.objects.create(recipient=gongwei_staff, title="别人的消息")
    project_lists = {"projects", "project-milestones", "project-evidence", "project-tasks", "project-supervisions"}
    own_rows = {"project-expert-assignments", "notifications"}
    client = client_for(expert_reviewer)

    for prefix, _viewset, _basename in router.registry:
        response = client.get(f"/api/{prefix}/")
        if response.status_code == 403:
            continue
        assert response.status_code == 200, prefix
        rows = response.json()["results"]
        if prefix == "projects":
            assert [row["id"] for row in rows] == [requested.pk]
        elif prefix in project_lists:
            assert {row["project"] for row in rows} <= {requested.pk}, prefix
        elif prefix in own_rows:
            assert len(rows) == 1, prefix
        else:
            assert rows == [], prefix
