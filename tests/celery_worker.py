"""A real Celery worker on Redis for the tests that run a job as production does.

The worker runs in a thread of this process and consumes a queue of its own, so a worker started for
development on the same Redis cannot take these messages. Every wait has a bound: a broken broker or a
worker that cannot start fails the test instead of hanging the run.
Mark a module `pytestmark = needs_worker` and ask for the `worker_queue` fixture (from conftest).
"""

import uuid

import pytest
import redis
from celery.contrib.testing.worker import TestWorkController, start_worker
from celery.signals import setup_logging
from django.conf import settings
from kombu import Exchange, Queue

REDIS_URL = settings.REDIS_URL
STARTUP_SECONDS = 20
RESULT_SECONDS = 60

needs_worker = [
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
