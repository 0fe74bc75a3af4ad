"""The workflow services on their own, as the API and commands will call them."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.scope import forget_scope
from notifications.models import Notification
from projects import rules, services
from projects.choices import ProjectStatus
from projects.models import ProjectEvent, ProjectYearConfig, RubricCriterion
from tests.factories import MemberFactory, Role, UserFactory, grant
from tests.projects.factories import MilestoneFactory, ProjectFactory, TargetFactory, TopicListFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def frozen_today(time_machine):
    time_machine.move_to("2026-11-22 10:00 +0800", tick=False)


@pytest.fixture
def closed_window(organ_a):
    return TopicListFactory(organ=organ_a, opens_on=datetime.date(2026, 3, 1), closes_on=datetime.date(2026, 4, 30))


def ready(branch, **kwargs):
    project = ProjectFactory(branch=branch, **kwargs)
    TargetFactory(project=project)
    MilestoneFactory(project=project, planned_on=datetime.date(2026, 12, 15))
    return project


def test_a_service_call_notifies_without_any_page(branch_a, secretary_of_branch_a, organ_staff_a, organ_a):
    TopicListFactory(organ=organ_a, opens_on=datetime.date(2026, 11, 1), closes_on=datetime.date(2026, 11, 30))
    project = ready(branch_a)
    services.submit_project(project, by=secretary_of_branch_a)
    assert Notification.objects.filter(recipient=organ_staff_a, url=project.get_absolute_url()).count() == 1
    services.return_project(project, by=organ_staff_a, reason="指标不够具体")
    assert Notification.objects.get(recipient=secretary_of_branch_a).body.startswith("退回原因：指标不够具体")


def test_a_returned_project_may_come_back_after_the_deadline(
    branch_a, secretary_of_branch_a, organ_staff_a, closed_window
):
    project = ready(branch_a, status=ProjectStatus.SUBMITTED)
    services.return_project(project, by=organ_staff_a, reason="请细化节点")
    services.submit_project(project, by=secretary_of_branch_a)
    project.refresh_from_db()
    assert project.status == ProjectStatus.SUBMITTED


def test_a_first_filing_after_the_deadline_is_refused(branch_a, secretary_of_branch_a, closed_window):
    project = ready(branch_a)
    with pytest.raises(services.ProjectError, match="截止"):
        services.submit_project(project, by=secretary_of_branch_a)
    assert not ProjectEvent.objects.filter(project=project).exists()


@pytest.mark.parametrize(
    ("step", "persona"),
    [
        (services.approve_project, "secretary_of_branch_a"),
        (services.approve_project, "organ_staff_b"),
        (services.file_project, "organ_staff_a"),
    ],
)
def test_services_refuse_the_wrong_role(request, branch_a, step, persona):
    project = ready(branch_a, status=ProjectStatus.SUBMITTED if step is services.approve_project else "approved")
    with pytest.raises(PermissionDenied):
        step(project, by=request.getfixturevalue(persona))
    project.refresh_from_db()
    assert project.status in (ProjectStatus.SUBMITTED, ProjectStatus.APPROVED)


class TestRescheduling:
    def test_after_approval_a_reason_is_needed_and_kept(self, branch_a, secretary_of_branch_a):
        project = ready(branch_a, status=ProjectStatus.FILED)
        milestone = project.milestones.get()
        with pytest.raises(services.ProjectError, match="说明原因"):
            services.change_milestone_date(
                milestone, planned_on=datetime.date(2026, 12, 20), reason=" ", by=secretary_of_branch_a
            )
        services.change_milestone_date(
            milestone, planned_on=datetime.date(2026, 12, 20), reason="等待上级文件", by=secretary_of_branch_a
        )
        record = milestone.history.first()
        assert record.planned_on == datetime.date(2026, 12, 20)
        assert record.history_user == secretary_of_branch_a
        assert "2026-12-15 → 2026-12-20：等待上级文件" in record.history_change_reason

    def test_a_date_outside_the_project_period_is_refused(self, branch_a, secretary_of_branch_a):
        project = ready(branch_a, status=ProjectStatus.FILED)
        milestone = project.milestones.get()
        with pytest.raises(services.ProjectError, match="项目期限内"):
            services.change_milestone_date(
                milestone, planned_on=datetime.date(2027, 1, 5), reason="延期", by=secretary_of_branch_a
            )

    def test_a_completed_milestone_keeps_its_date(self, branch_a, secretary_of_branch_a):
        project = ready(branch_a, status=ProjectStatus.FILED)
        milestone = project.milestones.get()
        milestone.percent, milestone.completed_on = 100, datetime.date(2026, 11, 20)
        milestone.save()
        with pytest.raises(services.IllegalTransition, match="已完成"):
            services.change_milestone_date(
                milestone, planned_on=datetime.date(2026, 12, 1), reason="调整", by=secretary_of_branch_a
            )


def test_a_year_not_opened_reads_the_defaults_without_saving_them(db):
    with CaptureQueriesContext(connection) as queries:
        config = services.config_for_year(2026)
        rubric = services.rubric_of(config)
    assert config.pk is None and config.year == 2026 and config.excellent_min == 90
    assert [(c.pk, c.name, c.max_points) for c in rubric] == [
        (None, "实效性", 50),
        (None, "创新性", 25),
        (None, "可操作性", 25),
    ]
    assert all(q["sql"].startswith("SELECT") for q in queries.captured_queries)
    assert not ProjectYearConfig.objects.exists()


def test_year_rules_are_copied_from_the_latest_earlier_year(db):
    first = services.ensure_config(2024)
    first.excellent_max_share = "0.4"
    first.save()
    first.criteria.filter(name="创新性").update(max_points=30)

    read = services.config_for_year(2026)  # 2025 was never opened: 2024 is the latest earlier year
    copied = services.ensure_config(2026)

    assert read.pk is None and str(read.excellent_max_share) == "0.400"
    assert {c.name: c.max_points for c in services.rubric_of(read)}["创新性"] == 30
    assert copied.pk != first.pk and str(copied.excellent_max_share) == "0.400"
    assert dict(copied.criteria.values_list("name", "max_points"))["创新性"] == 30
    assert services.ensure_config(2026).pk == copied.pk == services.config_for_year(2026).pk
    assert copied.history.get().history_change_reason == "生成年度规则"
    assert RubricCriterion.history.filter(config_id=copied.pk).count() == 3


def test_own_branch_people_never_score(branch_a, organ_staff_a):
    project = ready(branch_a, status=ProjectStatus.ACCEPTANCE_REQUESTED)
    assert rules.can_score(organ_staff_a, project)
    # The same organ-staff account, also a member of the branch, may not score its project.
    MemberFactory(branch=branch_a, user=organ_staff_a)
    forget_scope(organ_staff_a)
    assert not rules.can_score(organ_staff_a, project)
    secretary = UserFactory()
    grant(secretary, Role.BRANCH, branch=branch_a)
    assert not rules.can_score(secretary, project)
