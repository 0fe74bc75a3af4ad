"""The daily reminder job through a real Celery worker and Redis, as beat starts it in production.

The worker runs in a thread of this process and consumes a queue of its own, so a worker started for
development on the same Redis cannot take these messages. Every wait has a bound: a broken broker or a
worker that cannot start fails the test instead of hanging the run.
"""

import datetime

import pytest
from celery.result import EagerResult

from assessments.choices import ProblemSource
from assessments.models import DutyReportPeriod, Problem
from assessments.reports import ensure_periods
from branches import kept, orglife
from branches.choices import MeetingKind
from branches.models import Meeting
from notifications.models import Notification
from notifications.tasks import send_reminders_task
from tests.celery_worker import RESULT_SECONDS, needs_worker
from tests.factories import CommitteeTermFactory, MemberFactory, UserFactory

TODAY = datetime.date(2026, 11, 22)

pytestmark = needs_worker


@pytest.fixture
def things_due(branch_a, branch_b, secretary_of_branch_a, organ_staff_a):
    """branch_a: a leader's report escalated, a term ending in 30 days, a problem due in 3 days, October's 主题党日
    missed. branch_b held its October meetings and has nothing due."""
    ensure_periods([2025, 2026])
    period = DutyReportPeriod.objects.get(year=2026, half=1)
    DutyReportPeriod.objects.filter(pk=period.pk).update(due_on=TODAY - datetime.timedelta(days=10))
    MemberFactory(branch=branch_a, name="王副局长", is_leader=True, user=UserFactory(username="wang"))
    term = CommitteeTermFactory(branch=branch_a, elected_on=datetime.date(2023, 12, 22), term_years=3)
    owner = MemberFactory(branch=branch_a, name="张整改")
    item = Problem.objects.create(
        branch=branch_a,
        responsible=owner,
        source=ProblemSource.SELF,
        title="学习记录不完整",
        measures="补学",
        deadline=TODAY + datetime.timedelta(days=3),
        created_by=secretary_of_branch_a,
    )
    Meeting.objects.create(
        branch=branch_b,
        kind=MeetingKind.THEME_DAY,
        held_on=datetime.date(2026, 10, 15),
        topic="主题党日",
        recorded_by=secretary_of_branch_a,
    )
    # 2026 is open, as the yearly job leaves it; the meeting above was written past the service that keeps
    # completion, so it is kept here.
    orglife.ensure_requirements(2026)
    kept.rebuild()
    return {"period": period, "term": term, "problem": item}


@pytest.mark.django_db(transaction=True)
def test_the_worker_sends_each_reminder_once(worker_queue, things_due, secretary_of_branch_a, organ_staff_a):
    first = send_reminders_task.apply_async(args=[TODAY.isoformat()], queue=worker_queue)
    first_counts = first.get(timeout=RESULT_SECONDS)
    second = send_reminders_task.apply_async(args=[TODAY.isoformat()], queue=worker_queue)
    second_counts = second.get(timeout=RESULT_SECONDS)

    assert not isinstance(first, EagerResult)
    assert first.successful() and second.successful()
    sent = {key: n for key, n in first_counts.items() if n}
    assert sent == {
        "reports.escalated": 1,
        "terms.notice": 2,
        "problems.before": 1,
        "meetings.missing": 1,
        "meetings.escalated": 1,
    }
    assert set(second_counts.values()) == {0}
    branch_a = things_due["problem"].branch
    assert set(Notification.objects.filter(recipient=secretary_of_branch_a).values_list("key", flat=True)) == {
        f"term:{things_due['term'].pk}:30",
        f"problem:{things_due['problem'].pk}:20261125:before",
        f"meetings:{branch_a.pk}:20261031:missing",
    }
    assert set(Notification.objects.filter(recipient=organ_staff_a).values_list("key", flat=True)) == {
        f"report:{things_due['period'].pk}:organ:{branch_a.organ_id}:escalated",
        f"term:{things_due['term'].pk}:30",
        f"meetings:organ:{branch_a.organ_id}:20261031:escalated",
    }
    assert Notification.objects.count() == sum(first_counts.values())
    for result in (first, second):
        result.forget()


@pytest.mark.django_db(transaction=True)
def test_the_task_beat_names_runs_on_the_worker(eager_celery, worker_queue, things_due, secretary_of_branch_a):
    """Beat sends the task by the name stored in its schedule, not by import."""
    result = eager_celery.send_task(
        "notifications.tasks.send_reminders_task", args=[TODAY.isoformat()], queue=worker_queue
    )

    assert result.get(timeout=RESULT_SECONDS)["terms.notice"] == 2
    assert Notification.objects.filter(recipient=secretary_of_branch_a, key__startswith="term:").count() == 1
    result.forget()
