"""公开验收: the branch requests acceptance, reviewers score, the 工委 confirms, grades and picks the 十佳."""

import datetime
import threading
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from hypothesis import given, settings
from hypothesis import strategies as st

from notifications.models import Notification
from projects import acceptance
from projects.acceptance import CriterionRow, Scored, TargetResult, assign_grades, average_score
from projects.choices import Grade, ProjectStatus
from projects.models import AcceptanceReview, Milestone, Project, ProjectEvent, Target
from projects.services import IllegalTransition, ProjectError, ensure_config
from projects.views.acceptance import detail_context
from tests.factories import MemberFactory, Role, UserFactory, grant
from tests.projects.factories import YEAR, MilestoneFactory, ProjectFactory, TargetFactory, TaskFactory

pytestmark = pytest.mark.django_db

D = Decimal


# --- given ---------------------------------------------------------------------------------


@pytest.fixture
def config():
    return ensure_config(YEAR)


@pytest.fixture
def filed_project(branch_a, config):
    project = ProjectFactory(branch=branch_a, filed=True, title="优化审批流程项目")
    TargetFactory(project=project, name="审批时限压缩", unit="%", target_value=D("30"))
    TargetFactory(project=project, name="群众满意度", unit="%", target_value=D("95"))
    milestone(project, 100, title="全面推行")
    return project


def milestone(project, percent: int, *, weight: int = 1, title: str = "") -> Milestone:
    """A milestone at `percent`; at 100 it is completed, as filing progress would do."""
    return MilestoneFactory(
        project=project,
        percent=percent,
        weight=weight,
        completed_on=datetime.date(YEAR, 6, 30) if percent == 100 else None,
        **({"title": title} if title else {}),
    )


@pytest.fixture
def requested_project(branch_a, config):
    project = ProjectFactory(branch=branch_a, acceptance_requested=True, title="待验收项目")
    TargetFactory(project=project, name="审批时限压缩", actual_value=D("32"))
    return project


@pytest.fixture
def second_gongwei(db):
    user = UserFactory(username="gongwei2", full_name="工委评审员")
    grant(user, Role.GONGWEI)
    return user


@pytest.fixture
def reviewers(gongwei_staff, organ_staff_a, second_gongwei):
    return [gongwei_staff, organ_staff_a, second_gongwei]


def marks_for(config, *points) -> dict:
    return {c.pk: D(p) for c, p in zip(config.criteria.all(), points, strict=True)}


def score_form_data(config, *points, comment="") -> dict:
    data = {f"c_{c.pk}": str(p) for c, p in zip(config.criteria.all(), points, strict=True)}
    data["comment"] = comment
    return data


def accepted(branch, score: str, *, minutes_ago: int = 0, grade: str = "", **kwargs) -> Project:
    return ProjectFactory(
        branch=branch,
        accepted=True,
        score=D(score),
        grade=grade,
        accepted_at=timezone.now() - datetime.timedelta(minutes=minutes_ago),
        **kwargs,
    )


def request_data(project, summary="按期完成全部目标，审批时限压缩三成以上。") -> dict:
    data = {"summary": summary}
    for target in project.targets.all():
        data[f"actual_{target.pk}"] = str(target.target_value + 2)
        data[f"note_{target.pk}"] = "超额完成"
    return data


# --- the whole path through the pages -------------------------------------------------


def test_full_path_from_request_to_top_ten(
    client, branch_a, filed_project, config, secretary_of_branch_a, reviewers, organ_staff_b,
    django_capture_on_commit_callbacks,
):  # fmt: skip
    gongwei_staff = reviewers[0]

    # When the secretary requests acceptance with a summary and a value for each target
    client.force_login(secretary_of_branch_a)
    page = client.get(reverse("projects:acceptance_request", args=[filed_project.pk]))
    assert page.status_code == 200
    assert "审批时限压缩" in page.content.decode()
    response = client.post(reverse("projects:acceptance_request", args=[filed_project.pk]), request_data(filed_project))

    # Then the project awaits scoring, the targets hold the results and the reviewers are told
    assert response.status_code == 302
    filed_project.refresh_from_db()
    assert filed_project.status == ProjectStatus.ACCEPTANCE_REQUESTED
    assert filed_project.acceptance_summary.startswith("按期完成")
    assert sorted(Target.objects.filter(project=filed_project).values_list("actual_value", flat=True)) == [
        D("32"),
        D("97"),
    ]
    event = filed_project.events.get(action="申请验收")
    assert event.actor == secretary_of_branch_a
    assert event.to_status == ProjectStatus.ACCEPTANCE_REQUESTED
    told = set(Notification.objects.filter(title__contains="申请验收").values_list("recipient__username", flat=True))
    assert {"gongwei", "gongwei2", "jiguan_a"} <= told
    assert "jiguan_b" not in told

    # When three reviewers score on the score sheet
    for reviewer, points in zip(reviewers, [(45, 20, 20), (40, 22, 23), (48, 24, 24)], strict=True):
        client.force_login(reviewer)
        assert client.get(reverse("projects:acceptance_score", args=[filed_project.pk])).status_code == 200
        response = client.post(
            reverse("projects:acceptance_score", args=[filed_project.pk]),
            score_form_data(config, *points, comment="成效明显"),
        )
        assert response.status_code == 302
    assert sorted(filed_project.reviews.values_list("total", flat=True)) == [D("85"), D("85"), D("96")]

    # And the 工委 confirms the acceptance
    client.force_login(gongwei_staff)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("projects:acceptance_finalize", args=[filed_project.pk]), follow=True)

    # Then the score is the average, the grade follows the thresholds and the result is public
    filed_project.refresh_from_db()
    assert filed_project.status == ProjectStatus.ACCEPTED
    assert filed_project.score == D("88.67")
    assert filed_project.grade == Grade.GOOD
    assert filed_project.accepted_at is not None
    assert filed_project.published_at is not None
    assert "验收完成：得分 88.67" in response.content.decode()
    assert filed_project.events.filter(action="确认验收", actor=gongwei_staff).exists()
    assert Notification.objects.filter(recipient=secretary_of_branch_a, title__contains="通过验收").exists()
    public = client.get(reverse("public:results"), {"year": YEAR}).content.decode()
    assert "优化审批流程项目" in public

    # When the 工委 marks it as one of the 十佳
    response = client.post(reverse("projects:top_ten_toggle", args=[filed_project.pk]), {"on": "1"})

    # Then it carries the title, with an event and a history record
    assert response.status_code == 302
    filed_project.refresh_from_db()
    assert filed_project.is_top_ten
    assert filed_project.events.filter(action="评为十佳党建项目").exists()
    assert filed_project.history.first().history_user == gongwei_staff


# --- request ------------------------------------------------------------------------------


def test_member_with_a_task_sees_the_project_but_may_not_request(client_for, filed_project, branch_a):
    member = MemberFactory(branch=branch_a, user=UserFactory())
    TaskFactory(project=filed_project, assignees=[member])
    response = client_for(member.user).get(reverse("projects:acceptance_request", args=[filed_project.pk]))
    assert response.status_code == 403


@pytest.mark.parametrize("persona", ["secretary_of_branch_b", "organ_staff_b", "outsider"])
def test_request_page_is_not_found_outside_the_scope(client_for, filed_project, persona, request):
    user = request.getfixturevalue(persona)
    response = client_for(user).get(reverse("projects:acceptance_request", args=[filed_project.pk]))
    assert response.status_code == 404


def test_anonymous_is_sent_to_log_in(client, filed_project):
    response = client.get(reverse("projects:acceptance_request", args=[filed_project.pk]))
    assert response.status_code == 302
    assert reverse("accounts:login") in response["Location"]


@pytest.mark.parametrize("status", ["draft", "submitted", "approved", "acceptance_requested", "accepted"])
def test_request_refused_unless_the_project_is_filed(client_for, secretary_of_branch_a, branch_a, config, status):
    project = ProjectFactory(branch=branch_a, **({status: True} if status != "draft" else {}))
    TargetFactory(project=project)
    before = project.status
    response = client_for(secretary_of_branch_a).post(
        reverse("projects:acceptance_request", args=[project.pk]), request_data(project), follow=True
    )
    project.refresh_from_db()
    assert project.status == before
    assert "只有实施中的项目可以申请验收" in response.content.decode()
    with pytest.raises(IllegalTransition):
        acceptance.request_acceptance(
            project, summary="总结", results=[TargetResult(t.pk, D(1)) for t in project.targets.all()],
            by=secretary_of_branch_a,
        )  # fmt: skip


def test_request_needs_a_value_for_every_target_and_changes_nothing(client_for, secretary_of_branch_a, filed_project):
    data = request_data(filed_project)
    first = filed_project.targets.first()
    del data[f"actual_{first.pk}"]
    response = client_for(secretary_of_branch_a).post(
        reverse("projects:acceptance_request", args=[filed_project.pk]), data
    )
    assert response.status_code == 200
    assert "请填写该指标的完成值" in response.content.decode()
    filed_project.refresh_from_db()
    assert filed_project.status == ProjectStatus.FILED
    assert not Target.objects.filter(project=filed_project, actual_value__isnull=False).exists()


def test_request_service_refuses_missing_results_empty_summary_and_other_organs(
    filed_project, secretary_of_branch_a, organ_staff_b
):
    first, second = filed_project.targets.all()
    with pytest.raises(ProjectError, match="请填写每项指标的完成值：群众满意度"):
        acceptance.request_acceptance(
            filed_project, summary="总结", results=[TargetResult(first.pk, D(1))], by=secretary_of_branch_a
        )
    full = [TargetResult(first.pk, D(1)), TargetResult(second.pk, D(2))]
    with pytest.raises(ProjectError, match="验收总结"):
        acceptance.request_acceptance(filed_project, summary="  ", results=full, by=secretary_of_branch_a)
    with pytest.raises(PermissionDenied):
        acceptance.request_acceptance(filed_project, summary="总结", results=full, by=organ_staff_b)
    filed_project.refresh_from_db()
    assert filed_project.status == ProjectStatus.FILED
    assert not filed_project.events.exists()


# --- what must be done before acceptance ----------------------------------------------------


def project_at(branch, *percents: int, weights: tuple[int, ...] = ()) -> Project:
    """A filed project with one target and a milestone at each of `percents` (weights 1 unless given)."""
    project = ProjectFactory(branch=branch, filed=True, title="进度未到的项目")
    TargetFactory(project=project, name="审批时限压缩")
    for i, percent in enumerate(percents):
        milestone(project, percent, weight=weights[i] if weights else 1, title=f"节点{i + 1}")
    return project


def reasons_for(project) -> dict[int, str]:
    return {m.pk: "受上级系统改造影响顺延" for m in project.milestones.filter(completed_on__isnull=True)}


def results_for(project) -> list[TargetResult]:
    return [TargetResult(t.pk, D("32")) for t in project.targets.all()]


def assert_unchanged(project) -> None:
    project.refresh_from_db()
    assert project.status == ProjectStatus.FILED
    assert not project.events.exists()
    assert not Target.objects.filter(project=project, actual_value__isnull=False).exists()
    assert not Milestone.objects.filter(project=project).exclude(not_done_reason="").exists()


def test_a_project_with_its_work_undone_cannot_ask_for_acceptance_on_the_page_or_the_api(
    client_for, secretary_of_branch_a, branch_a, config
):
    # Given the project of the issue: 13% weighted progress, no milestone done
    project = project_at(branch_a, 20, 10, weights=(3, 7))
    client = client_for(secretary_of_branch_a)
    url = reverse("projects:acceptance_request", args=[project.pk])
    refusal = f"项目加权完成进度为 13%，未达到{YEAR}年度申请验收的最低要求 100%，请先填报节点进展。"

    # When the secretary opens the request page, the page says so before anything is written
    assert refusal in client.get(url).content.decode()

    # When the secretary asks anyway, explaining every milestone, on the page and through the API
    data = request_data(project) | {f"reason_{pk}": text for pk, text in reasons_for(project).items()}
    page = client.post(url, data)
    api = client.post(
        f"/api/projects/{project.pk}/request-acceptance/",
        {
            "summary": "总结",
            "results": [{"target": t.pk, "actual_value": "32"} for t in project.targets.all()],
            "not_done": [{"milestone": pk, "reason": text} for pk, text in reasons_for(project).items()],
        },
        content_type="application/json",
    )

    # Then both refuse with the same Chinese message, and nothing changed
    assert page.status_code == 200 and refusal in page.content.decode()
    assert api.status_code == 400 and api.json()["detail"] == [refusal]
    assert_unchanged(project)


@pytest.mark.parametrize(
    ("percents", "weights", "shown"),
    [
        ((100, 99), (1, 1), "99.5"),
        # Short of 100 by a hair: the message rounds down, never up to the 100 it misses.
        ((100, 99), (1999, 1), "99.9"),
    ],
)
def test_by_default_every_milestone_must_be_done(secretary_of_branch_a, branch_a, config, percents, weights, shown):
    project = project_at(branch_a, *percents, weights=weights)
    with pytest.raises(ProjectError, match=rf"加权完成进度为 {shown}%，未达到{YEAR}年度申请验收的最低要求 100%"):
        acceptance.request_acceptance(
            project, summary="总结", results=results_for(project), not_done=reasons_for(project),
            by=secretary_of_branch_a,
        )  # fmt: skip
    assert_unchanged(project)


@pytest.mark.parametrize(
    ("percents", "allowed"),
    [
        ((100, 100, 100, 99, 0), False),  # 79.8%: just below
        ((100, 100, 100, 100, 0), True),  # 80%: at the minimum
    ],
)
def test_the_years_minimum_progress_is_inclusive(secretary_of_branch_a, branch_a, config, percents, allowed):
    config.min_acceptance_progress = 80
    config.save()
    project = project_at(branch_a, *percents)

    def ask():
        return acceptance.request_acceptance(
            project, summary="总结", results=results_for(project), not_done=reasons_for(project),
            by=secretary_of_branch_a,
        )  # fmt: skip

    if allowed:
        assert ask().status == ProjectStatus.ACCEPTANCE_REQUESTED
    else:
        with pytest.raises(ProjectError, match=f"加权完成进度为 79.8%，未达到{YEAR}年度申请验收的最低要求 80%"):
            ask()
        assert_unchanged(project)


def test_the_minimum_is_read_from_the_projects_year(secretary_of_branch_a, branch_a, config):
    other_year = ensure_config(YEAR + 1)
    other_year.min_acceptance_progress = 0
    other_year.save()
    project = project_at(branch_a, 100, 0)
    with pytest.raises(ProjectError, match="最低要求 100%"):
        acceptance.request_acceptance(
            project, summary="总结", results=results_for(project), not_done=reasons_for(project),
            by=secretary_of_branch_a,
        )  # fmt: skip


def test_each_milestone_not_done_needs_a_reason(client_for, secretary_of_branch_a, branch_a, config):
    config.min_acceptance_progress = 50
    config.save()
    project = project_at(branch_a, 100, 40)
    done, undone = project.milestones.order_by("title")
    client = client_for(secretary_of_branch_a)
    url = reverse("projects:acceptance_request", args=[project.pk])

    # The page asks for a reason on the milestone not done, and only on it
    page = client.post(url, request_data(project) | {f"reason_{undone.pk}": "  "})
    assert page.status_code == 200
    assert "请说明该节点未完成的原因" in page.content.decode()
    assert f"reason_{done.pk}" not in page.content.decode()

    # The service names what lacks a reason, and refuses a reason for work that was done
    def ask(reasons):
        acceptance.request_acceptance(
            project, summary="总结", results=results_for(project), not_done=reasons, by=secretary_of_branch_a
        )

    with pytest.raises(ProjectError, match="以下节点尚未完成，请逐一说明未完成原因：节点2。"):
        ask({})
    with pytest.raises(ProjectError, match="以下节点已完成，无需填写未完成原因：节点1。"):
        ask({done.pk: "已完成", undone.pk: "原因"})
    other = MilestoneFactory(project=ProjectFactory(branch=branch_a, filed=True))
    with pytest.raises(ProjectError, match="提交的节点不属于本项目"):
        ask({undone.pk: "原因", other.pk: "原因"})
    assert_unchanged(project)


def test_reviewers_read_what_was_not_done_on_the_page_the_score_sheet_and_the_api(
    client_for, secretary_of_branch_a, organ_staff_a, gongwei_staff, branch_a, config
):
    # Given a year that accepts 70% with reasons, and a project at 70%
    config.min_acceptance_progress = 70
    config.save()
    project = project_at(branch_a, 100, 40)
    undone = project.milestones.get(completed_on__isnull=True)

    # When the secretary requests acceptance on the page with a reason for the milestone not done
    response = client_for(secretary_of_branch_a).post(
        reverse("projects:acceptance_request", args=[project.pk]),
        request_data(project) | {f"reason_{undone.pk}": "省级平台接口延期，已完成本地部署"},
    )

    # Then the project awaits acceptance and the reason is kept with who gave it
    assert response.status_code == 302
    project.refresh_from_db()
    assert project.status == ProjectStatus.ACCEPTANCE_REQUESTED
    undone.refresh_from_db()
    assert undone.not_done_reason == "省级平台接口延期，已完成本地部署"
    record = undone.history.first()
    assert record.history_user == secretary_of_branch_a and record.history_change_reason == "申请验收，说明未完成原因"

    # And every reviewer reads it where they score: the score sheet, the project page, the API
    client = client_for(organ_staff_a)
    sheet = client.get(reverse("projects:acceptance_score", args=[project.pk])).content.decode()
    assert "加权完成进度 <strong>70%</strong>" in sheet and "1 个节点未完成" in sheet
    assert "省级平台接口延期，已完成本地部署" in sheet
    card = render_card(gongwei_staff, project)
    assert "省级平台接口延期，已完成本地部署" in card and "1 个节点未完成" in card
    detail = client.get(f"/api/projects/{project.pk}/").json()
    by_title = {m["title"]: m for m in detail["milestones"]}
    assert by_title["节点2"]["not_done_reason"] == "省级平台接口延期，已完成本地部署"
    assert by_title["节点2"]["completed_on"] is None and by_title["节点1"]["not_done_reason"] == ""
    listed = client.get(f"/api/project-milestones/?project={project.pk}").json()["results"]
    assert {m["title"]: m["not_done_reason"] for m in listed}["节点2"] == "省级平台接口延期，已完成本地部署"


def test_a_project_with_every_milestone_done_shows_so_to_reviewers(
    client_for, secretary_of_branch_a, organ_staff_a, filed_project
):
    acceptance.request_acceptance(
        filed_project, summary="总结", results=results_for(filed_project), by=secretary_of_branch_a
    )
    sheet = client_for(organ_staff_a).get(reverse("projects:acceptance_score", args=[filed_project.pk]))
    assert "加权完成进度 <strong>100%</strong>，全部节点已完成" in sheet.content.decode()


# --- scoring ------------------------------------------------------------------------------


def test_the_branchs_own_secretary_may_not_score(client_for, secretary_of_branch_a, requested_project, config):
    client = client_for(secretary_of_branch_a)
    url = reverse("projects:acceptance_score", args=[requested_project.pk])
    assert client.get(url).status_code == 403
    assert client.post(url, score_form_data(config, 50, 25, 25)).status_code == 403
    assert not AcceptanceReview.objects.exists()
    with pytest.raises(PermissionDenied):
        acceptance.score_project(requested_project, reviewer=secretary_of_branch_a, marks=marks_for(config, 1, 1, 1))


def test_staff_of_another_organ_cannot_reach_the_score_sheet(client_for, organ_staff_b, requested_project):
    response = client_for(organ_staff_b).get(reverse("projects:acceptance_score", args=[requested_project.pk]))
    assert response.status_code == 404


def test_scoring_is_refused_before_acceptance_is_requested(client_for, organ_staff_a, filed_project, config):
    response = client_for(organ_staff_a).post(
        reverse("projects:acceptance_score", args=[filed_project.pk]), score_form_data(config, 40, 20, 20), follow=True
    )
    assert "只有待验收的项目可以评分" in response.content.decode()
    assert not AcceptanceReview.objects.exists()
    with pytest.raises(IllegalTransition):
        acceptance.score_project(filed_project, reviewer=organ_staff_a, marks=marks_for(config, 40, 20, 20))


def test_points_above_the_criterions_maximum_are_refused(client_for, organ_staff_a, requested_project, config):
    response = client_for(organ_staff_a).post(
        reverse("projects:acceptance_score", args=[requested_project.pk]), score_form_data(config, 51, 20, 20)
    )
    assert response.status_code == 200
    assert "得分不能超过满分 50 分" in response.content.decode()
    assert not AcceptanceReview.objects.exists()


@pytest.mark.parametrize(
    ("points", "message"),
    [
        ((D("50.01"), 25, 25), "实效性的得分应在 0 至 50 分之间"),
        ((-1, 25, 25), "实效性的得分应在 0 至 50 分之间"),
        ((50, D("24.999"), 25), "创新性的得分最多保留两位小数"),
    ],
)
def test_score_service_checks_each_criterion(requested_project, organ_staff_a, config, points, message):
    with pytest.raises(ProjectError, match=message):
        acceptance.score_project(requested_project, reviewer=organ_staff_a, marks=marks_for(config, *points))
    assert not AcceptanceReview.objects.exists()


def test_score_service_needs_every_criterion(requested_project, organ_staff_a, config):
    first = config.criteria.first()
    with pytest.raises(ProjectError, match="创新性"):
        acceptance.score_project(requested_project, reviewer=organ_staff_a, marks={first.pk: D(40)})


def test_boundary_points_zero_and_maximum_are_accepted(requested_project, organ_staff_a, config):
    review = acceptance.score_project(requested_project, reviewer=organ_staff_a, marks=marks_for(config, 50, 0, 25))
    assert review.total == D("75")


def test_rescoring_updates_the_one_review_and_keeps_the_history(client_for, organ_staff_a, requested_project, config):
    client = client_for(organ_staff_a)
    url = reverse("projects:acceptance_score", args=[requested_project.pk])
    client.post(url, score_form_data(config, 40, 20, 20, comment="初评"))

    # When the reviewer opens the sheet again, their marks are filled in, and they revise them
    page = client.get(url).content.decode()
    assert 'value="40.00"' in page and "初评" in page
    client.post(url, score_form_data(config, "45.5", 22, 20, comment="复核后调整"))

    review = AcceptanceReview.objects.get(project=requested_project)
    assert review.total == D("87.50")
    assert review.comment == "复核后调整"
    assert sorted(review.marks.values_list("points", flat=True)) == [D("20"), D("22"), D("45.5")]
    history = list(review.history.order_by("history_date"))
    assert [h.total for h in history] == [D("80"), D("87.50")]
    assert history[-1].history_user == organ_staff_a
    assert history[-1].history_change_reason == "修改评分"


# --- confirming acceptance --------------------------------------------------------------


def test_finalize_needs_the_minimum_number_of_reviewers(
    client_for, gongwei_staff, requested_project, reviewers, config
):
    for reviewer in reviewers[:2]:
        acceptance.score_project(requested_project, reviewer=reviewer, marks=marks_for(config, 45, 20, 20))
    response = client_for(gongwei_staff).post(
        reverse("projects:acceptance_finalize", args=[requested_project.pk]), follow=True
    )
    assert "至少需要 3 位评审人评分，目前 2 位" in response.content.decode()
    requested_project.refresh_from_db()
    assert requested_project.status == ProjectStatus.ACCEPTANCE_REQUESTED
    assert requested_project.score is None


def test_only_the_gongwei_may_finalize(client_for, organ_staff_a, requested_project, reviewers, config):
    for reviewer in reviewers:
        acceptance.score_project(requested_project, reviewer=reviewer, marks=marks_for(config, 45, 20, 20))
    response = client_for(organ_staff_a).post(reverse("projects:acceptance_finalize", args=[requested_project.pk]))
    assert response.status_code == 403
    requested_project.refresh_from_db()
    assert requested_project.status == ProjectStatus.ACCEPTANCE_REQUESTED


def test_finalize_refused_for_a_project_not_awaiting_acceptance(client_for, gongwei_staff, filed_project):
    response = client_for(gongwei_staff).post(
        reverse("projects:acceptance_finalize", args=[filed_project.pk]), follow=True
    )
    assert "只有待验收的项目可以确认验收" in response.content.decode()
    filed_project.refresh_from_db()
    assert filed_project.status == ProjectStatus.FILED


def test_finalize_is_post_only(client_for, gongwei_staff, requested_project):
    response = client_for(gongwei_staff).get(reverse("projects:acceptance_finalize", args=[requested_project.pk]))
    assert response.status_code == 405


@pytest.mark.parametrize(
    ("totals", "expected"),
    [
        (["80.00", "80.01"], "80.01"),  # 80.005 rounds half up, not to even
        (["90.00", "90.00", "89.99"], "90.00"),  # 89.99666… crosses the 优秀 line
        (["90.00", "89.99", "89.99"], "89.99"),  # 89.99333… stays below it
        (["59.99", "60.00"], "60.00"),
        (["100", "100", "100"], "100.00"),
        (["0", "0", "0"], "0.00"),
    ],
)
def test_average_rounds_half_up_to_two_decimals(totals, expected):
    assert average_score(D(t) for t in totals) == D(expected)


def test_finalize_at_the_excellent_line_by_averaging(branch_a, branch_a2, requested_project, reviewers, config):
    # Given another accepted project, so the quota (half of two) leaves room for one 优秀
    accepted(branch_a2, "70", minutes_ago=60)
    for reviewer, points in zip(reviewers, [(50, 20, 20), (50, 20, 20), ("49.99", 20, 20)], strict=True):
        acceptance.score_project(requested_project, reviewer=reviewer, marks=marks_for(config, *points))

    project = acceptance.finalize_acceptance(requested_project, by=reviewers[0])

    assert project.score == D("90.00")
    assert project.grade == Grade.EXCELLENT


def test_a_better_project_accepted_later_takes_the_quota_and_the_history_says_so(
    branch_a, branch_a2, requested_project, reviewers, config
):
    # Given two accepted projects, one 优秀 (the quota of one)
    first = accepted(branch_a2, "92", minutes_ago=60, grade=Grade.EXCELLENT)
    accepted(branch_a2, "70", minutes_ago=50, grade=Grade.PASS)
    gongwei_staff = reviewers[0]
    for reviewer in reviewers:
        acceptance.score_project(requested_project, reviewer=reviewer, marks=marks_for(config, 50, 24, 24))

    # When a project scoring 98 is accepted (three projects: quota still one)
    acceptance.finalize_acceptance(requested_project, by=gongwei_staff)

    # Then it is 优秀 and the earlier one drops to 良好, recorded with who did it
    requested_project.refresh_from_db()
    first.refresh_from_db()
    assert requested_project.grade == Grade.EXCELLENT
    assert first.grade == Grade.GOOD
    record = first.history.first()
    assert record.history_user == gongwei_staff
    assert "评定等次" in record.history_change_reason


# --- grades -------------------------------------------------------------------------------

CONFIG = SimpleNamespace(excellent_min=D(90), good_min=D(80), pass_min=D(60), excellent_max_share=D("0.5"))


def scored(*scores: str) -> list[Scored]:
    return [Scored(i + 1, D(s)) for i, s in enumerate(scores)]


def test_thresholds_at_their_boundaries():
    # Twenty projects so the quota (10) does not bite.
    grades = assign_grades(scored("90", "89.99", "80", "79.99", "60", "59.99", *["0"] * 14), CONFIG)
    assert [grades[i] for i in range(1, 7)] == [
        Grade.EXCELLENT, Grade.GOOD, Grade.GOOD, Grade.PASS, Grade.PASS, Grade.FAIL,
    ]  # fmt: skip


def test_excellent_quota_is_half_rounded_down():
    # Three projects, all above the line: floor(1.5) = 1 keeps 优秀.
    grades = assign_grades(scored("95", "93", "91"), CONFIG)
    assert grades == {1: Grade.EXCELLENT, 2: Grade.GOOD, 3: Grade.GOOD}
    # Four projects: exactly two.
    grades = assign_grades(scored("95", "93", "91", "50"), CONFIG)
    assert [grades[i] for i in (1, 2, 3, 4)] == [Grade.EXCELLENT, Grade.EXCELLENT, Grade.GOOD, Grade.FAIL]


def test_a_single_accepted_project_has_no_room_for_excellent():
    assert assign_grades(scored("99"), CONFIG) == {1: Grade.GOOD}


def test_ties_at_the_quota_cut_are_demoted_together():
    # Five projects, a quota of floor(2.5) = 2, three tied for it: none of the three may take a place
    # the others are denied, so all three are 良好 and one place stays unused.
    tied = [Scored(7, D("95")), Scored(3, D("95")), Scored(9, D("95")), Scored(1, D("10")), Scored(2, D("10"))]
    grades = assign_grades(tied, CONFIG)
    assert grades[3] == grades[7] == grades[9] == Grade.GOOD
    # A better score above the cut keeps its place; the tie below it still goes together.
    grades = assign_grades(scored("97", "95", "95", "10", "10"), CONFIG)
    assert [grades[i] for i in (1, 2, 3)] == [Grade.EXCELLENT, Grade.GOOD, Grade.GOOD]
    # Equals that all fit in the quota all keep 优秀.
    grades = assign_grades([Scored(5, D("95")), Scored(4, D("95")), Scored(1, D("10")), Scored(2, D("1"))], CONFIG)
    assert grades[4] == grades[5] == Grade.EXCELLENT


@pytest.mark.parametrize("first", ["left", "right"])
def test_equal_averages_at_the_cut_get_the_same_grade_whatever_the_acceptance_order(
    branch_a, branch_a2, reviewers, config, first
):
    # Given a year with a 96 and a 50 accepted, and two projects awaiting acceptance that average 93 alike
    top = accepted(branch_a2, "96", minutes_ago=60)
    accepted(branch_a2, "50", minutes_ago=50)
    left = ProjectFactory(branch=branch_a, acceptance_requested=True, title="左项目")
    right = ProjectFactory(branch=branch_a2, acceptance_requested=True, title="右项目")
    for project in (left, right):
        for reviewer in reviewers:
            acceptance.score_project(project, reviewer=reviewer, marks=marks_for(config, 46, 24, 23))

    # When the 工委 accepts them one after the other, in either order
    for project in (left, right) if first == "left" else (right, left):
        acceptance.finalize_acceptance(project, by=reviewers[0])

    # Then four projects leave two 优秀 places: the 96 keeps one, and the second cannot go to one of two
    # equals, so both 93s are 良好
    left.refresh_from_db()
    right.refresh_from_db()
    top.refresh_from_db()
    assert left.score == right.score == D("93.00")
    assert left.grade == right.grade == Grade.GOOD
    assert top.grade == Grade.EXCELLENT


RANK = {Grade.FAIL: 0, Grade.PASS: 1, Grade.GOOD: 2, Grade.EXCELLENT: 3}
scores_st = st.decimals(min_value=0, max_value=100, places=2, allow_nan=False, allow_infinity=False)


@st.composite
def year_of_scores(draw):
    pass_min, good_min, excellent_min = sorted(draw(st.lists(scores_st, min_size=3, max_size=3)))
    config = SimpleNamespace(
        pass_min=pass_min,
        good_min=good_min,
        excellent_min=excellent_min,
        excellent_max_share=draw(st.decimals(min_value=0, max_value=1, places=3)),
    )
    # Few distinct values, so that ties (at the cut too) are common.
    values = draw(st.lists(st.sampled_from(draw(st.lists(scores_st, min_size=1, max_size=8))), max_size=40))
    return [Scored(i + 1, v) for i, v in enumerate(values)], config


@settings(max_examples=300, deadline=None)
@given(year_of_scores())
def test_never_more_excellent_than_the_quota(data):
    items, config = data
    grades = assign_grades(items, config)
    quota = acceptance.excellent_quota(len(items), config.excellent_max_share)
    n_excellent = sum(1 for g in grades.values() if g == Grade.EXCELLENT)
    above_line = sorted((s.score for s in items if s.score >= config.excellent_min), reverse=True)
    assert n_excellent <= min(quota, len(above_line))
    # A place is left unused only for a tie at the cut: exactly those above the first one left out keep 优秀.
    if len(above_line) > quota:
        assert n_excellent == sum(1 for score in above_line if score > above_line[quota])
    else:
        assert n_excellent == len(above_line)


@settings(max_examples=300, deadline=None)
@given(year_of_scores())
def test_equal_scores_get_equal_grades(data):
    items, config = data
    grades = assign_grades(items, config)
    for a in items:
        for b in items:
            if a.score == b.score:
                assert grades[a.pk] == grades[b.pk]


@settings(max_examples=300, deadline=None)
@given(year_of_scores())
def test_grades_are_monotone_in_score(data):
    items, config = data
    grades = assign_grades(items, config)
    for a in items:
        for b in items:
            if a.score > b.score:
                assert RANK[grades[a.pk]] >= RANK[grades[b.pk]]


@settings(max_examples=300, deadline=None)
@given(year_of_scores())
def test_fail_exactly_below_the_pass_line(data):
    items, config = data
    grades = assign_grades(items, config)
    for s in items:
        assert (grades[s.pk] == Grade.FAIL) == (s.score < config.pass_min)


# --- 十佳 ------------------------------------------------------------------------------


def test_top_ten_only_for_accepted_projects(client_for, gongwei_staff, requested_project):
    response = client_for(gongwei_staff).post(
        reverse("projects:top_ten_toggle", args=[requested_project.pk]), {"on": "1"}, follow=True
    )
    assert "只有已验收的项目可以评为十佳" in response.content.decode()
    requested_project.refresh_from_db()
    assert not requested_project.is_top_ten


def test_top_ten_only_by_the_gongwei(client_for, organ_staff_a, branch_a, config):
    project = accepted(branch_a, "95")
    response = client_for(organ_staff_a).post(reverse("projects:top_ten_toggle", args=[project.pk]), {"on": "1"})
    assert response.status_code == 403
    project.refresh_from_db()
    assert not project.is_top_ten


def test_top_ten_quota_is_enforced_with_a_clear_message(client_for, gongwei_staff, branch_a, branch_a2, config):
    config.top_ten_count = 2
    config.save()
    first, second, third = (accepted(branch_a2, s) for s in ("98", "97", "96"))
    other_year = accepted(branch_a, "99", year=YEAR - 1, is_top_ten=True)
    for p in (first, second):
        acceptance.mark_top_ten(p, by=gongwei_staff, on=True)

    # When a third is marked in a year whose quota (2) is full
    response = client_for(gongwei_staff).post(
        reverse("projects:top_ten_toggle", args=[third.pk]), {"on": "1"}, follow=True
    )

    # Then it is refused with the reason; the other year's 十佳 did not count
    assert f"{YEAR}年度十佳党建项目已选满 2 个" in response.content.decode()
    third.refresh_from_db()
    assert not third.is_top_ten
    assert other_year.is_top_ten

    # And after one is withdrawn there is room again
    acceptance.mark_top_ten(first, by=gongwei_staff, on=False)
    acceptance.mark_top_ten(third, by=gongwei_staff, on=True)
    assert set(Project.objects.filter(year=YEAR, is_top_ten=True).values_list("pk", flat=True)) == {
        second.pk,
        third.pk,
    }
    assert ProjectEvent.objects.filter(project=first, action="取消十佳党建项目").exists()


# --- the year's rules ---------------------------------------------------------------------


def config_post(config, criteria: list[tuple], **overrides) -> dict:
    data = {
        "excellent_min": "90", "good_min": "80", "pass_min": "60", "excellent_max_share": "0.5",
        "top_ten_count": "10", "min_reviewers": "3", "remind_days_before": "3", "escalate_after_days": "7",
        "duban_answer_days": "5", "max_evidence_mb": "20", "min_acceptance_progress": "100",
        "max_projects_per_branch": "",
    }  # fmt: skip
    data.update(overrides)
    existing = list(config.criteria.all())
    data.update(
        {
            "criteria-TOTAL_FORMS": str(len(criteria)),
            "criteria-INITIAL_FORMS": str(len(existing)),
            "criteria-MIN_NUM_FORMS": "0",
            "criteria-MAX_NUM_FORMS": "1000",
        }
    )
    for i, (pk, name, points, delete) in enumerate(criteria):
        data.update({f"criteria-{i}-id": pk or "", f"criteria-{i}-config": config.pk})
        data.update({f"criteria-{i}-name": name, f"criteria-{i}-max_points": points, f"criteria-{i}-description": ""})
        if delete:
            data[f"criteria-{i}-DELETE"] = "on"
    return data


@pytest.mark.parametrize("persona", ["organ_staff_a", "secretary_of_branch_a", "member_user"])
def test_year_rules_are_for_the_gongwei_only(client_for, persona, request):
    response = client_for(request.getfixturevalue(persona)).get(reverse("projects:year_config"))
    assert response.status_code == 403


def test_rubric_must_total_100(client_for, gongwei_staff, config):
    a, b, c = config.criteria.all()
    data = config_post(
        config, [(a.pk, "实效性", "50", False), (b.pk, "创新性", "30", False), (c.pk, "可操作性", "25", False)]
    )
    response = client_for(gongwei_staff).post(reverse("projects:year_config", args=[YEAR]), data)
    assert response.status_code == 200
    assert "评分项满分合计应为 100 分，当前为 105 分" in response.content.decode()
    assert sorted(config.criteria.values_list("max_points", flat=True)) == [25, 25, 50]


def test_rubric_can_be_reshaped_before_anyone_scores(client_for, gongwei_staff, config):
    a, b, c = config.criteria.all()
    data = config_post(
        config,
        [
            (a.pk, "实效性", "40", False),
            (b.pk, "创新性", "25", False),
            (c.pk, "可操作性", "25", True),
            (None, "示范性", "35", False),
        ],
    )
    response = client_for(gongwei_staff).post(reverse("projects:year_config", args=[YEAR]), data)
    assert response.status_code == 302
    assert list(config.criteria.values_list("name", "max_points")) == [("实效性", 40), ("创新性", 25), ("示范性", 35)]


def test_rubric_is_frozen_once_a_reviewer_has_scored(
    client_for, gongwei_staff, requested_project, organ_staff_a, config
):
    acceptance.score_project(requested_project, reviewer=organ_staff_a, marks=marks_for(config, 40, 20, 20))
    client = client_for(gongwei_staff)
    page = client.get(reverse("projects:year_config", args=[YEAR])).content.decode()
    assert "评分项不能再修改" in page
    assert "criteria-TOTAL_FORMS" not in page
    with pytest.raises(ProjectError, match="不能再修改"):
        acceptance.update_year_config(
            config,
            values={f: getattr(config, f) for f in acceptance.CONFIG_FIELDS},
            criteria=[CriterionRow(None, "全部", 100)],
            by=gongwei_staff,
        )
    assert config.criteria.count() == 3


def test_thresholds_out_of_order_are_refused(client_for, gongwei_staff, config):
    data = config_post(config, [(c.pk, c.name, c.max_points, False) for c in config.criteria.all()], good_min="95")
    response = client_for(gongwei_staff).post(reverse("projects:year_config", args=[YEAR]), data)
    assert "分数线应满足：合格 ≤ 良好 ≤ 优秀" in response.content.decode()
    config.refresh_from_db()
    assert config.good_min == D("80")


def test_changing_the_share_regrades_the_year(client_for, gongwei_staff, branch_a, config):
    projects = [accepted(branch_a, s, minutes_ago=10 - i) for i, s in enumerate(("96", "94", "92", "50"))]
    acceptance.regrade_year(YEAR)
    assert [Project.objects.get(pk=p.pk).grade for p in projects][:3] == [Grade.EXCELLENT, Grade.EXCELLENT, Grade.GOOD]

    data = config_post(
        config, [(c.pk, c.name, c.max_points, False) for c in config.criteria.all()], excellent_max_share="0.25"
    )
    response = client_for(gongwei_staff).post(reverse("projects:year_config", args=[YEAR]), data, follow=True)

    assert "1 个已验收项目的等次随之调整" in response.content.decode()
    assert [Project.objects.get(pk=p.pk).grade for p in projects][:3] == [Grade.EXCELLENT, Grade.GOOD, Grade.GOOD]
    config.refresh_from_db()
    assert config.excellent_max_share == D("0.25")


def test_the_year_rules_page_sets_the_acceptance_minimum_and_the_cap_on_projects(client_for, gongwei_staff, config):
    client = client_for(gongwei_staff)
    page = client.get(reverse("projects:year_config", args=[YEAR])).content.decode()
    assert "申请验收的最低加权进度（%）" in page and "每个支部年度项目数上限" in page and "留空为不限" in page
    criteria = [(c.pk, c.name, c.max_points, False) for c in config.criteria.all()]

    for bad, message in (
        ({"min_acceptance_progress": "101"}, "100"),
        ({"max_projects_per_branch": "0"}, "1"),
    ):
        response = client.post(reverse("projects:year_config", args=[YEAR]), config_post(config, criteria, **bad))
        assert response.status_code == 200 and message in response.context["form"].errors.as_text()
    config.refresh_from_db()
    assert (config.min_acceptance_progress, config.max_projects_per_branch) == (100, None)

    data = config_post(config, criteria, min_acceptance_progress="80", max_projects_per_branch="2")
    assert client.post(reverse("projects:year_config", args=[YEAR]), data).status_code == 302
    config.refresh_from_db()
    assert (config.min_acceptance_progress, config.max_projects_per_branch) == (80, 2)
    # The next year starts with the rules of this one
    assert ensure_config(YEAR + 1).max_projects_per_branch == 2


def test_year_rules_page_renders_and_refuses_far_years(client_for, gongwei_staff, config):
    client = client_for(gongwei_staff)
    page = client.get(reverse("projects:year_config", args=[YEAR]))
    assert page.status_code == 200
    body = page.content.decode()
    assert "实效性" in body and "优秀分数线" in body
    assert client.get(reverse("projects:year_config", args=[1999])).status_code == 404


# --- the card on the project page ------------------------------------------------------


def render_card(user, project) -> str:
    request = RequestFactory().get("/")
    request.user = user
    project = Project.objects.select_related("branch__organ").get(pk=project.pk)
    context = {"project": project, **detail_context(request, project)}
    return render_to_string("projects/_acceptance.html", context, request=request)


def test_card_offers_each_role_its_next_step(
    filed_project, requested_project, secretary_of_branch_a, organ_staff_a, branch_a
):
    request_url = reverse("projects:acceptance_request", args=[filed_project.pk])
    assert request_url in render_card(secretary_of_branch_a, filed_project)
    member = MemberFactory(branch=branch_a, user=UserFactory())
    TaskFactory(project=filed_project, assignees=[member])
    assert request_url not in render_card(member.user, filed_project)
    card = render_card(organ_staff_a, requested_project)
    assert reverse("projects:acceptance_score", args=[requested_project.pk]) in card
    assert reverse("projects:acceptance_finalize", args=[requested_project.pk]) not in card
    assert reverse("projects:acceptance_score", args=[requested_project.pk]) not in render_card(
        secretary_of_branch_a, requested_project
    )


def test_reviewers_do_not_see_each_others_marks_until_accepted(
    requested_project, reviewers, config, secretary_of_branch_a
):
    gongwei_staff, organ_staff_a, second_gongwei = reviewers
    acceptance.score_project(requested_project, reviewer=second_gongwei, marks=marks_for(config, 33, 21, 19))
    acceptance.score_project(requested_project, reviewer=organ_staff_a, marks=marks_for(config, 40, 20, 20))

    assert "工委评审员" not in render_card(organ_staff_a, requested_project)
    assert "73.00" not in render_card(organ_staff_a, requested_project)
    assert "工委评审员" in render_card(gongwei_staff, requested_project)
    assert "确认验收并公布结果" not in render_card(gongwei_staff, requested_project)  # two of three

    acceptance.score_project(requested_project, reviewer=gongwei_staff, marks=marks_for(config, 45, 20, 20))
    assert "确认验收并公布结果" in render_card(gongwei_staff, requested_project)
    acceptance.finalize_acceptance(requested_project, by=gongwei_staff)

    # After acceptance the branch sees the marks, without the reviewers' names
    card = render_card(secretary_of_branch_a, requested_project)
    assert "73.00" in card and "评审人 1" in card
    assert "工委评审员" not in card


def test_card_queries_do_not_grow_with_reviews_or_targets(branch_a, reviewers, config, gongwei_staff):
    def card_queries(project) -> int:
        request = RequestFactory().get("/")
        request.user = gongwei_staff
        detail_context(request, project)  # the year's rules exist from the first call
        with CaptureQueriesContext(connection) as ctx:
            render_to_string("projects/_acceptance.html", {"project": project, **detail_context(request, project)})
        return len(ctx.captured_queries)

    small = ProjectFactory(branch=branch_a, acceptance_requested=True)
    TargetFactory(project=small)
    acceptance.score_project(small, reviewer=reviewers[0], marks=marks_for(config, 40, 20, 20))

    large = ProjectFactory(branch=branch_a, acceptance_requested=True)
    TargetFactory.create_batch(6, project=large)
    for reviewer in reviewers:
        acceptance.score_project(large, reviewer=reviewer, marks=marks_for(config, 40, 20, 20))
        acceptance.score_project(large, reviewer=reviewer, marks=marks_for(config, 41, 20, 20))

    assert card_queries(small) == card_queries(large)


@pytest.mark.django_db(transaction=True)
def test_two_staff_marking_the_last_top_ten_place_at_once_cannot_exceed_the_quota(gongwei_staff, branch_a):
    config = ensure_config(YEAR)
    config.top_ten_count = 1
    config.save()
    projects = [accepted(branch_a, s) for s in ("95", "94")]
    barrier = threading.Barrier(2)
    outcomes = []

    def mark(project):
        try:
            barrier.wait()
            acceptance.mark_top_ten(project, by=gongwei_staff, on=True)
            outcomes.append("marked")
        except ProjectError:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=mark, args=(p,)) for p in projects]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert sorted(outcomes) == ["marked", "refused"]
    assert Project.objects.filter(year=YEAR, is_top_ten=True).count() == 1
