"""`seed_demo` fills 一支部一项目: every stage, the demo accounts' own work, and data the services accept."""

import datetime
import hashlib
import io
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.db.models import Count
from django.utils import timezone

from accounts.models import Role, RoleAssignment, RoleChange
from branches.models import Member, OrganisationRules
from demo.organisation import plan_demo
from demo.projects import plan_projects, tiny_png
from notifications.models import Notification
from projects import services
from projects.acceptance import average_score, regrade_year, score_project
from projects.choices import ProjectStatus, SupervisionKind, TaskStatus
from projects.models import (
    AcceptanceReview,
    Evidence,
    ExpertAssignment,
    Milestone,
    Project,
    ProjectEvent,
    ProjectYearConfig,
    RubricCriterion,
    Task,
    TopicList,
)
from projects.reminders import run_milestone_reminders
from projects.services import DEFAULT_RUBRIC

SIZE = {"organs": 4, "branches": 30, "members_per_branch": 12, "seed": 11}
TODAY = datetime.date(2026, 11, 22)


@pytest.fixture
def seeded(db, time_machine) -> str:
    time_machine.move_to(datetime.datetime(2026, 11, 22, 9, 0, tzinfo=datetime.UTC))
    out = io.StringIO()
    call_command("seed_demo", stdout=out, **SIZE)
    return out.getvalue()


def user(username: str):
    return get_user_model().objects.get(username=username)


def demo_project() -> Project:
    return Project.objects.get(created_by__username="shuji", status=ProjectStatus.FILED)


# --- what is there --------------------------------------------------------------------------


def test_every_stage_of_the_workflow_has_projects(seeded):
    stages = set(Project.objects.values_list("status", flat=True))

    assert stages == set(ProjectStatus.values)
    assert "已生成一支部一项目演示数据" in seeded
    assert Project.objects.filter(is_top_ten=True).exists()
    assert not Project.objects.filter(is_top_ten=True).exclude(status=ProjectStatus.ACCEPTED).exists()
    assert Project.objects.filter(is_secretary_project=True).exists()
    assert Project.objects.filter(topic__isnull=True).exists()  # self-proposed topics too


def test_topic_lists_are_published_with_a_closed_window_and_one_reopened(seeded):
    citywide = TopicList.objects.get(organ__isnull=True)
    reopened = TopicList.objects.get(reopened_until__isnull=False)

    assert TopicList.objects.filter(organ__isnull=False).count() == 3
    assert all(t.is_published and t.closes_on < TODAY for t in TopicList.objects.all())
    assert citywide.topics.values("direction").distinct().count() == 4
    assert reopened.organ.name == "市发展和改革委员会" and reopened.reopen_reason
    assert reopened.is_open_on(TODAY) and not citywide.is_open_on(TODAY)


def test_some_branches_filed_nothing_and_every_project_has_a_filer_on_its_committee(seeded):
    projects = Project.objects.select_related("created_by", "responsible", "branch")

    for project in projects:
        assignment = RoleAssignment.objects.get(user=project.created_by, role=Role.BRANCH)
        assert assignment.branch_id == project.branch_id
        assert project.responsible.branch_id == project.branch_id
        assert project.start_on <= project.end_on
    branches = Member.objects.values("branch").distinct().count()
    assert Project.objects.values("branch").distinct().count() < branches


def test_the_history_of_each_project_is_in_order_and_in_the_past(seeded):
    now = timezone.now()
    for project in Project.objects.exclude(status=ProjectStatus.DRAFT).prefetch_related("events"):
        moments = [e.at for e in sorted(project.events.all(), key=lambda e: e.pk)]
        assert moments == sorted(moments) and moments[-1] <= now
        assert project.created_at <= moments[0]
        assert project.events.order_by("at", "pk").last().to_status == project.status
    returned = Project.objects.filter(status=ProjectStatus.RETURNED)
    assert all(p.return_reason for p in returned)
    assert ProjectEvent.objects.filter(action="退回修改", project__status=ProjectStatus.FILED).exists()


def test_scores_are_the_average_of_the_reviews_and_grades_follow_the_years_rules(seeded):
    config = services.config_for_year(TODAY.year)
    for project in Project.objects.filter(status=ProjectStatus.ACCEPTED).prefetch_related("reviews__marks"):
        reviews = list(project.reviews.all())
        assert len(reviews) >= config.min_reviewers
        assert project.score == average_score(r.total for r in reviews)
        for review in reviews:
            assert review.total == sum(m.points for m in review.marks.all())
    # Regrading with the acceptance module's own rule changes nothing.
    assert regrade_year(TODAY.year) == 0
    assert Project.objects.filter(status=ProjectStatus.ACCEPTED, grade="").count() == 0


def test_running_projects_have_progress_tasks_and_overdue_milestones(seeded):
    filed = Project.objects.filter(status=ProjectStatus.FILED).with_progress(TODAY)

    assert filed.filter(progress__gt=0).exists()
    assert filed.filter(n_overdue__gt=0).exists()
    assert Task.objects.filter(project__status=ProjectStatus.FILED).values("status").distinct().count() == 3
    assert not Task.objects.annotate(n=Count("assignees")).filter(n=0).exists()
    assert not Milestone.objects.filter(project__status=ProjectStatus.ACCEPTED, completed_on__isnull=True).exists()
    for item in [*Task.objects.select_related("project"), *Milestone.objects.select_related("project")]:
        day = item.due_on if isinstance(item, Task) else item.planned_on
        assert item.project.start_on <= day <= item.project.end_on


# --- the demo accounts ----------------------------------------------------------------------


def test_the_demo_secretary_has_a_project_at_every_reminder_stage(seeded):
    project = demo_project()
    milestones = list(project.milestones.all())

    assert project.is_secretary_project
    assert [m.completed_on is not None for m in milestones] == [True, True, False, False, False]
    assert milestones[2].is_overdue(TODAY) and (TODAY - milestones[2].planned_on).days > 7
    assert 0 <= (milestones[3].planned_on - TODAY).days <= 3
    duban = project.supervisions.get(kind=SupervisionKind.DUBAN)
    assert duban.awaits_answer and duban.answer_due_on < TODAY
    keys = set(Notification.objects.filter(recipient=user("shuji")).values_list("key", flat=True))
    assert {
        f"milestone:{milestones[2].pk}:overdue",
        f"milestone:{milestones[3].pk}:due_soon",
        f"duban:{duban.pk}:overdue",
    } <= keys
    assert Notification.objects.filter(recipient=user("jiguan"), key=f"milestone:{milestones[2].pk}:escalated").exists()


def test_the_demo_member_has_one_task_in_each_state(seeded):
    member = Member.objects.get(user__username="dangyuan")
    tasks = Task.objects.filter(assignees=member)

    assert sorted(tasks.values_list("status", flat=True)) == sorted(TaskStatus.values)
    assert Notification.objects.filter(recipient=user("dangyuan"), title__startswith="新任务").count() == 3
    assert Notification.objects.filter(recipient=user("dangyuan"), read_at__isnull=True).count() == 2


def test_the_demo_evidence_files_are_stored_and_intact(seeded):
    files = Evidence.objects.filter(project=demo_project())

    assert files.count() == 2
    for evidence in files:
        with evidence.file.open("rb") as handle:
            content = handle.read()
        assert content.startswith(b"\x89PNG\r\n\x1a\n") and hashlib.sha256(content).hexdigest() == evidence.sha256
        assert evidence.report.milestone.project_id == evidence.project_id


def test_the_demo_accounts_can_carry_on_through_the_services(seeded):
    # The secretary files the returned project again: the organ reopened filing.
    returned = Project.objects.get(created_by__username="shuji", status=ProjectStatus.RETURNED)
    services.submit_project(returned, by=user("shuji"), today=TODAY)
    # The organ's staff approve a project waiting in their queue.
    queue = Project.objects.filter(status=ProjectStatus.SUBMITTED, branch__organ__sort_order=1)
    waiting = queue.exclude(pk=returned.pk).first()
    services.approve_project(waiting, by=user("jiguan"))
    # The 工委 scores a project that asks for acceptance and has not been scored by them.
    asking = Project.objects.filter(status=ProjectStatus.ACCEPTANCE_REQUESTED).exclude(
        reviews__reviewer__username="gongwei"
    )
    target = asking.first()
    criteria = services.config_for_year(target.year).criteria.all()
    review = score_project(target, reviewer=user("gongwei"), marks={c.pk: Decimal(c.max_points) for c in criteria})

    assert Project.objects.get(pk=returned.pk).status == ProjectStatus.SUBMITTED
    assert Project.objects.get(pk=waiting.pk).status == ProjectStatus.APPROVED
    assert review.total == 100


def test_the_demo_reviewers_are_experts_who_see_only_the_projects_assigned_to_them(seeded):
    for username in ("pingshen1", "pingshen2", "pingshen3"):
        expert = user(username)
        assert list(expert.roles.values_list("role", flat=True)) == [Role.EXPERT]
        seats = ExpertAssignment.objects.filter(expert=expert, withdrawn_at__isnull=True)
        assigned = set(seats.values_list("project", flat=True))
        assert set(Project.objects.visible_to(expert).values_list("pk", flat=True)) == assigned
        # Each has projects waiting for its score, and has scored only where it sits on the panel.
        waiting = Project.objects.filter(pk__in=assigned, status=ProjectStatus.ACCEPTANCE_REQUESTED)
        assert waiting.exclude(reviews__reviewer=expert).exists()
        assert set(AcceptanceReview.objects.filter(reviewer=expert).values_list("project", flat=True)) <= assigned
        assert all(s.assigned_at.date() <= TODAY for s in seats)


def test_a_demo_expert_can_score_a_project_waiting_for_it(seeded):
    expert = user("pingshen1")
    target = (
        Project.objects.visible_to(expert)
        .filter(status=ProjectStatus.ACCEPTANCE_REQUESTED)
        .exclude(reviews__reviewer=expert)
        .first()
    )
    criteria = services.config_for_year(target.year).criteria.all()

    review = score_project(target, reviewer=expert, marks={c.pk: Decimal(c.max_points) for c in criteria})

    assert review.total == 100


def test_every_demo_role_has_its_grant_in_the_role_history(seeded):
    granted = set(RoleChange.objects.filter(action=RoleChange.Action.GRANT).values_list("user", "role"))

    assert set(RoleAssignment.objects.values_list("user", "role")) == granted


def test_the_days_reminders_were_sent_while_seeding(seeded):
    assert run_milestone_reminders(TODAY) == {"due_soon": 0, "overdue": 0, "escalated": 0, "duban_overdue": 0}
    assert Notification.objects.filter(key__startswith="milestone:").exists()


def test_helper_accounts_cannot_log_in(seeded, client):
    reviewer = user("pingshen1")
    secretary = RoleAssignment.objects.filter(role=Role.BRANCH).exclude(user__username="shuji").first().user

    assert not reviewer.has_usable_password() and not secretary.has_usable_password()
    assert Member.objects.get(user=secretary).branch_id == secretary.roles.get().branch_id


def test_a_taken_helper_username_stops_the_seed_and_writes_nothing(db):
    get_user_model().objects.create_user("pingshen2", password="x-unused-9")

    with pytest.raises(CommandError, match="pingshen2"):
        call_command("seed_demo", stdout=io.StringIO(), **SIZE)
    assert not Project.objects.exists()
    assert not Member.objects.exists()


# --- determinism ----------------------------------------------------------------------------


def _plan(seed: int):
    org = plan_demo(**{**SIZE, "seed": 11}, today=TODAY, rules=OrganisationRules(year=TODAY.year))
    User = get_user_model()
    users = {name: User(username=name) for name in ("gongwei", "jiguan", "shuji", "dangyuan")}
    config = ProjectYearConfig(year=TODAY.year)
    criteria = [
        RubricCriterion(config=config, name=n, max_points=p, order=i) for i, (n, p, _) in enumerate(DEFAULT_RUBRIC)
    ]
    return plan_projects(org, seed=seed, today=TODAY, config=config, criteria=criteria, demo_users=users)


def _signature(plan) -> list[tuple]:
    projects = [(p.branch.name, p.title, p.status, p.start_on, p.end_on, p.score, p.grade) for p in plan.projects]
    milestones = [(m.title, m.planned_on, m.percent, m.completed_on) for m in plan.milestones]
    return [*projects, *milestones, *[(r.reviewer.username, r.total) for r, _ in plan.reviews]]


def test_the_same_seed_gives_the_same_projects():
    assert _signature(_plan(11)) == _signature(_plan(11))
    assert _signature(_plan(11)) != _signature(_plan(12))


def test_the_generated_picture_is_a_png():
    content = tiny_png()

    assert content[:8] == b"\x89PNG\r\n\x1a\n" and content[12:16] == b"IHDR"


def test_counted_targets_are_reached_in_whole_numbers():
    reported = [t for t in _plan(11).targets if t.actual_value is not None]
    counted = [t for t in reported if t.unit != "%"]
    assert counted and any(t.unit == "%" for t in reported)
    # 家, 件, 人次 … are counted: never "213.40家".
    assert [f"{t.actual_value}{t.unit}" for t in counted if t.actual_value != t.actual_value.to_integral_value()] == []
    assert all(t.actual_value <= 100 for t in reported if t.unit == "%")
