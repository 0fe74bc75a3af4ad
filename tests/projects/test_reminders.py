"""节点督查 reminders: due soon, overdue, escalated to the organ, and unanswered 督办 — each once."""

import datetime
import io

import pytest
from django.core import mail
from django.core.management import CommandError, call_command
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from notifications.models import Notification
from projects.choices import ProjectStatus
from projects.models import ProjectYearConfig
from projects.reminders import run_milestone_reminders
from projects.tasks import check_milestones
from tests.factories import Role, UserFactory, grant
from tests.projects.factories import MilestoneFactory, ProjectFactory, SupervisionFactory

TODAY = datetime.date(2026, 11, 22)
NOTHING = {"due_soon": 0, "overdue": 0, "escalated": 0, "duban_overdue": 0}


def days(n: int) -> datetime.date:
    return TODAY + datetime.timedelta(days=n)


def keys_of(user) -> set[str]:
    return set(Notification.objects.filter(recipient=user).values_list("key", flat=True))


@pytest.fixture
def project(branch_a):
    return ProjectFactory(branch=branch_a, filed=True, title="企业开办一件事")


@pytest.fixture
def people(secretary_of_branch_a, organ_staff_a, organ_staff_b, secretary_of_branch_b, gongwei_staff):
    """Everyone who could be told: only the branch and its own organ ever are."""
    return {
        "branch": secretary_of_branch_a,
        "organ": organ_staff_a,
        "bystanders": [organ_staff_b, secretary_of_branch_b, gongwei_staff],
    }


# --- stages at their boundaries -------------------------------------------------------------


@pytest.mark.parametrize(
    ("planned_in", "branch_stages", "organ_stages"),
    [
        (4, set(), set()),  # beyond the 3-day window
        (3, {"due_soon"}, set()),
        (0, {"due_soon"}, set()),  # due today is not yet late
        (-1, {"overdue"}, set()),
        (-7, {"overdue"}, set()),  # exactly the grace period: not yet escalated
        (-8, {"overdue"}, {"escalated"}),
    ],
)
def test_each_stage_starts_at_its_boundary(project, people, planned_in, branch_stages, organ_stages):
    milestone = MilestoneFactory(project=project, planned_on=days(planned_in))

    run_milestone_reminders(TODAY)

    assert keys_of(people["branch"]) == {f"milestone:{milestone.pk}:{s}" for s in branch_stages}
    assert keys_of(people["organ"]) == {f"milestone:{milestone.pk}:{s}" for s in organ_stages}
    for bystander in people["bystanders"]:
        assert keys_of(bystander) == set()


def test_the_years_rules_set_the_windows(project, people):
    ProjectYearConfig.objects.create(year=2026, remind_days_before=10, escalate_after_days=2)
    soon = MilestoneFactory(project=project, planned_on=days(10))
    late = MilestoneFactory(project=project, planned_on=days(-3))

    counts = run_milestone_reminders(TODAY)

    assert counts == {"due_soon": 1, "overdue": 1, "escalated": 1, "duban_overdue": 0}
    assert keys_of(people["branch"]) == {f"milestone:{soon.pk}:due_soon", f"milestone:{late.pk}:overdue"}
    assert keys_of(people["organ"]) == {f"milestone:{late.pk}:escalated"}


def test_the_message_says_what_is_late_and_links_to_the_project(project, people):
    milestone = MilestoneFactory(project=project, title="完成企业走访", planned_on=days(-9))

    run_milestone_reminders(TODAY)

    to_branch = Notification.objects.get(recipient=people["branch"])
    to_organ = Notification.objects.get(recipient=people["organ"])
    assert to_branch.title == "节点已逾期：完成企业走访"
    assert "已逾期 9 天" in to_branch.body and "企业开办一件事" in to_branch.body
    assert to_branch.url == f"{project.get_absolute_url()}#milestone-{milestone.pk}"
    assert to_organ.title == "支部项目节点逾期未完成：综合处党支部"
    assert "市发改委" in to_organ.body


# --- once per item and stage ----------------------------------------------------------------


def test_running_twice_sends_nothing_twice(project, people):
    MilestoneFactory(project=project, planned_on=days(2))
    MilestoneFactory(project=project, planned_on=days(-20))
    SupervisionFactory(project=project, duban=True, answer_due_on=days(-1))

    first = run_milestone_reminders(TODAY)
    stored = Notification.objects.count()
    second = run_milestone_reminders(TODAY)

    assert first == {"due_soon": 1, "overdue": 1, "escalated": 1, "duban_overdue": 1}
    assert second == NOTHING
    assert Notification.objects.count() == stored == 4


def test_a_late_milestone_moves_through_its_stages_one_message_each(project, people):
    milestone = MilestoneFactory(project=project, planned_on=days(0))

    stages = [run_milestone_reminders(days(n)) for n in (-3, 0, 1, 2, 7, 8, 30)]

    sent = [{stage for stage, n in counts.items() if n} for counts in stages]
    assert sent == [{"due_soon"}, set(), {"overdue"}, set(), set(), {"escalated"}, set()]
    assert keys_of(people["branch"]) == {f"milestone:{milestone.pk}:due_soon", f"milestone:{milestone.pk}:overdue"}
    assert keys_of(people["organ"]) == {f"milestone:{milestone.pk}:escalated"}


def test_each_committee_member_is_told_once(project, secretary_of_branch_a, branch_a):
    colleague = UserFactory(username="zuzhi_a", full_name="综合处组织委员")
    grant(colleague, Role.BRANCH, branch=branch_a)
    milestone = MilestoneFactory(project=project, planned_on=days(-2))

    counts = run_milestone_reminders(TODAY)
    run_milestone_reminders(TODAY)

    assert counts["overdue"] == 2
    key = f"milestone:{milestone.pk}:overdue"
    assert Notification.objects.filter(key=key).count() == 2
    assert keys_of(colleague) == keys_of(secretary_of_branch_a) == {key}


def test_each_reminder_is_emailed_once(project, people, django_capture_on_commit_callbacks):
    people["branch"].email = "shuji_a@example.gov.cn"
    people["branch"].save()
    MilestoneFactory(project=project, planned_on=days(-1))

    with django_capture_on_commit_callbacks(execute=True):
        run_milestone_reminders(TODAY)
    with django_capture_on_commit_callbacks(execute=True):
        run_milestone_reminders(TODAY)

    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["shuji_a@example.gov.cn"]
    assert mail.outbox[0].subject.startswith("【机关党建】节点已逾期")


# --- what is left alone ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "status",
    [ProjectStatus.DRAFT, ProjectStatus.SUBMITTED, ProjectStatus.RETURNED, ProjectStatus.ACCEPTANCE_REQUESTED],
)
def test_projects_that_are_not_running_get_no_milestone_reminders(branch_a, people, status):
    project = ProjectFactory(branch=branch_a, status=status)
    MilestoneFactory(project=project, planned_on=days(-30))
    MilestoneFactory(project=project, planned_on=days(1))

    assert run_milestone_reminders(TODAY) == NOTHING
    assert not Notification.objects.exists()


def test_an_approved_project_awaiting_filing_is_already_running(branch_a, people):
    project = ProjectFactory(branch=branch_a, approved=True)
    MilestoneFactory(project=project, planned_on=days(-1))

    assert run_milestone_reminders(TODAY)["overdue"] == 1


def test_completed_milestones_are_not_reminded(project, people):
    MilestoneFactory(project=project, planned_on=days(-30), percent=100, completed_on=days(-31))
    MilestoneFactory(project=project, planned_on=days(1), percent=100, completed_on=days(-1))

    assert run_milestone_reminders(TODAY) == NOTHING


def test_inactive_accounts_are_not_told(project, secretary_of_branch_a):
    secretary_of_branch_a.is_active = False
    secretary_of_branch_a.save()
    MilestoneFactory(project=project, planned_on=days(-1))

    assert run_milestone_reminders(TODAY) == NOTHING


def test_a_branch_without_accounts_is_reminded_once_someone_is_appointed(project, branch_a):
    milestone = MilestoneFactory(project=project, planned_on=days(-1))
    assert run_milestone_reminders(TODAY) == NOTHING

    secretary = UserFactory(username="new_shuji")
    grant(secretary, Role.BRANCH, branch=branch_a)
    counts = run_milestone_reminders(days(1))

    assert counts["overdue"] == 1
    assert keys_of(secretary) == {f"milestone:{milestone.pk}:overdue"}


def test_escalation_goes_to_the_organ_of_the_branch_only(branch_a, branch_b, people, secretary_of_branch_b):
    project_b = ProjectFactory(branch=branch_b, filed=True)
    milestone_b = MilestoneFactory(project=project_b, planned_on=days(-10))

    run_milestone_reminders(TODAY)

    organ_staff_b, _, gongwei = people["bystanders"]
    assert keys_of(organ_staff_b) == {f"milestone:{milestone_b.pk}:escalated"}
    assert keys_of(secretary_of_branch_b) == {f"milestone:{milestone_b.pk}:overdue"}
    assert keys_of(people["organ"]) == set()
    assert keys_of(people["branch"]) == set()
    assert keys_of(gongwei) == set()


# --- 督办 -------------------------------------------------------------------------------------


def test_an_unanswered_duban_past_its_due_date_is_reminded_once(project, people):
    duban = SupervisionFactory(project=project, duban=True, answer_due_on=days(-2), text="请说明节点滞后原因")

    first = run_milestone_reminders(TODAY)
    second = run_milestone_reminders(days(1))

    assert first["duban_overdue"] == 1 and second == NOTHING
    notification = Notification.objects.get(recipient=people["branch"])
    assert notification.key == f"duban:{duban.pk}:overdue"
    assert "请说明节点滞后原因" in notification.body
    assert keys_of(people["organ"]) == set()


@pytest.mark.parametrize(
    "duban",
    [
        {"answer_due_on": TODAY},  # due today: still time to answer
        {"answer_due_on": days(-5), "answer": "已整改", "answered_at": timezone.now()},
    ],
)
def test_a_duban_not_yet_due_or_answered_is_left_alone(project, people, duban):
    SupervisionFactory(project=project, duban=True, **duban)
    SupervisionFactory(project=project, text="一般督查意见，无需答复")

    assert run_milestone_reminders(TODAY) == NOTHING


# --- the job ----------------------------------------------------------------------------------


def test_the_celery_task_runs_for_the_given_day(project, people):
    MilestoneFactory(project=project, planned_on=days(-1))

    result = check_milestones.delay(TODAY.isoformat()).get(timeout=10)

    assert result == {"due_soon": 0, "overdue": 1, "escalated": 0, "duban_overdue": 0}


def test_the_celery_task_defaults_to_today(project, people, time_machine):
    time_machine.move_to(datetime.datetime(2026, 11, 22, 6, 30, tzinfo=datetime.UTC))
    MilestoneFactory(project=project, planned_on=days(-1))

    assert check_milestones.delay().get(timeout=10)["overdue"] == 1


def test_beat_runs_the_one_reminder_job_every_morning(db, eager_celery):
    # The milestone checks run inside the daily reminder engine, not as a second beat entry.
    periodic = PeriodicTask.objects.get(task="notifications.tasks.send_reminders_task")

    assert periodic.enabled
    assert (periodic.crontab.hour, periodic.crontab.minute) == ("6", "30")
    assert periodic.task in eager_celery.tasks
    assert not PeriodicTask.objects.filter(task="projects.tasks.check_milestones", enabled=True).exists()


def test_the_command_reports_what_it_sent(project, people):
    MilestoneFactory(project=project, planned_on=days(-10))
    out = io.StringIO()

    call_command("check_milestones", "--date", "2026-11-22", stdout=out)
    call_command("check_milestones", "--date", "2026-11-22", stdout=out)

    lines = out.getvalue().splitlines()
    assert "2026-11-22 节点检查完成，新发送提醒 2 条。" in lines[0]
    assert "节点逾期提醒：1 条" in out.getvalue()
    assert "新发送提醒 0 条" in out.getvalue()


def test_the_command_refuses_a_malformed_date(db):
    with pytest.raises(CommandError, match="日期格式不正确"):
        call_command("check_milestones", "--date", "22/11/2026")
