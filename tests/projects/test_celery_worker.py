"""The daily milestone job through a real Celery worker and Redis, as beat starts it in production.

The worker runs in a thread of this process and consumes a queue of its own, so a worker started for
development on the same Redis cannot take these messages. Every wait has a bound: a broken broker or a
worker that cannot start fails the test instead of hanging the run.
"""

import datetime
import uuid

import pytest
import redis
from celery.contrib.testing.worker import TestWorkController, start_worker
from celery.result import EagerResult
from celery.signals import setup_logging
from django.conf import settings
from kombu import Exchange, Queue

from notifications.models import Notification
from projects.tasks import check_milestones
from tests.projects.factories import MilestoneFactory, ProjectFactory, SupervisionFactory

REDIS_URL = settings.REDIS_URL
TODAY = datetime.date(2026, 11, 22)
STARTUP_SECONDS = 20
RESULT_SECONDS = 30

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not REDIS_URL, reason="未设置 REDIS_URL：真实 Celery worker 测试需要 Redis（CI 中已设置）。"),
]


class BoundedWorker(TestWorkController):
    """celery's test worker, except that a worker which never becomes ready fails instead of blocking."""

    def ensure_started(self):
        if not self._on_started.wait(STARTUP_SECONDS):
            raise RuntimeError(f"Celery worker 未能在 {STARTUP_SECONDS} 秒内启动。")


def _keep_test_logging(**kwargs):
    """Connected while the worker starts: celery leaves logging alone when someone handles this signal."""


def _check_redis() -> None:
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3, socket_timeout=3).ping()
    except redis.RedisError as error:
        pytest.fail(f"REDIS_URL={REDIS_URL} 无法连接：{error}")


def _delete_queue(app, name: str) -> None:
    """Remove the private queue and its binding from Redis; kombu forgets only what this channel declared."""
    queue = Queue(name, Exchange(name), routing_key=name)
    with app.connection_for_write() as connection:
        bound = queue(connection.default_channel)
        bound.declare()
        bound.delete()


@pytest.fixture
def worker_queue(eager_celery):
    """A real worker on a private queue; yields the queue's name."""
    _check_redis()
    app = eager_celery
    assert app.conf.broker_url.startswith("redis"), app.conf.broker_url
    app.conf.task_always_eager = False
    queue = f"partybuild-test-{uuid.uuid4().hex}"
    setup_logging.connect(_keep_test_logging)
    try:
        with start_worker(
            app,
            pool="solo",
            concurrency=1,
            perform_ping_check=False,
            shutdown_timeout=STARTUP_SECONDS,
            queues=[queue],
            WorkController=BoundedWorker,
        ):
            yield queue
    finally:
        setup_logging.disconnect(_keep_test_logging)
        _delete_queue(app, queue)


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
