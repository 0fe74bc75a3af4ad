"""The daily milestone job through a real Celery worker and Redis, as beat starts it in production.

The worker runs in a thread of this process and consumes a queue of its own, so a worker started for
development on the same Redis cannot take these messages. Every wait has a bound: a broken broker or a
worker that cannot start fails the test instead of hanging the run.
"""

import datetime

import pytest
from celery.result import EagerResult

from notifications.models import Notification
from projects.tasks import check_milestones
from tests.celery_worker import RESULT_SECONDS, needs_worker
from tests.projects.factories import MilestoneFactory, ProjectFactory, SupervisionFactory

TODAY = datetime.date(2026, 11, 22)

pytestmark = needs_worker


@pytest.fixture
def late_project(branch_a):
    project = ProjectFactory(branch=branch_a, filed=True, title="企业开办一件事")
    milestone = MilestoneFactory(project=project, planned_on=TODAY - datetime.timedelta(days=10))
    duban = SupervisionFactory(project=project, duban=True, answer_due_on=TODAY - datetime.timedelta(days=1))
    return project, milestone, duban


@pytest.mark.django_db(transaction=True)
def test_the_worker_sends_each_reminder_once(worker_queue, late_project, secretary_of_branch_a, organ_staff_a):
    _, milestone, duban = late_project

    first = check_milestones.apply_async(args=[TODAY.isoformat()], queue=worker_queue)
    first_counts = first.get(timeout=RESULT_SECONDS)
    second = check_milestones.apply_async(args=[TODAY.isoformat()], queue=worker_queue)
    second_counts = second.get(timeout=RESULT_SECONDS)

    assert not isinstance(first, EagerResult)
    assert first.successful() and second.successful()
    assert first_counts == {"due_soon": 0, "overdue": 1, "escalated": 1, "duban_overdue": 1}
    assert second_counts == {"due_soon": 0, "overdue": 0, "escalated": 0, "duban_overdue": 0}
    assert set(Notification.objects.filter(recipient=secretary_of_branch_a).values_list("key", flat=True)) == {
        f"milestone:{milestone.pk}:overdue",
        f"duban:{duban.pk}:overdue",
    }
    assert list(Notification.objects.filter(recipient=organ_staff_a).values_list("key", flat=True)) == [
        f"milestone:{milestone.pk}:escalated"
    ]
    for result in (first, second):
        result.forget()


@pytest.mark.django_db(transaction=True)
def test_the_task_beat_names_runs_on_the_worker(eager_celery, worker_queue, late_project, secretary_of_branch_a):
    """Beat sends the task by the name stored in its schedule (see test_reminders), not by import."""
    result = eager_celery.send_task("projects.tasks.check_milestones", args=[TODAY.isoformat()], queue=worker_queue)

    assert result.get(timeout=RESULT_SECONDS)["overdue"] == 1
    assert Notification.objects.filter(recipient=secretary_of_branch_a, key__endswith=":overdue").count() == 2
    result.forget()
