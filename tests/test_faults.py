"""When Redis is down the portal keeps working.

The cache (Redis) down: pages, log-in and sessions work; the cache answers misses. The broker down:
a user action that queues a job still succeeds, the job stays recorded as queued, and once the
broker is back `requeue_queued_jobs` (celery beat, or `manage.py requeue_jobs`) sends it again.
Redis "down" is a closed port on this machine: connections are refused at once.
"""

import datetime

import pytest
import redis
from django.conf import settings as django_settings
from django.core.cache import caches
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from assessments.choices import JobStatus, RunStatus
from assessments.models import RatingRun, ScorecardExport
from assessments.tasks import requeue_queued_jobs
from partybuild.celery import app as celery_app
from tests.assessments.factories import RatingResultFactory, RatingRunFactory, default_scheme

DEAD_REDIS = "redis://127.0.0.1:1/0"


# --- the cache is down ------------------------------------------------------------------------


@pytest.fixture
def dead_cache(settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "core.cache.TolerantRedisCache",
            "LOCATION": DEAD_REDIS,
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }


def test_the_fault_is_real_django_redis_cache_raises(settings):
    """Without the tolerant backend a dead Redis is an exception on every page that caches."""
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": DEAD_REDIS}}
    with pytest.raises(redis.exceptions.ConnectionError):
        caches["default"].get("anything")


def test_tolerant_cache_answers_misses_and_drops_writes(dead_cache, caplog):
    cache = caches["default"]
    assert cache.set("k", 1) is None
    assert cache.get("k") is None and cache.get("k", "fallback") == "fallback"
    assert cache.add("k", 1) is False
    assert cache.get_many(["k", "j"]) == {}
    assert cache.get_or_set("k", 5) == 5
    with pytest.raises(ValueError):
        cache.incr("k")
    assert cache.delete("k") is False
    assert "Cache unavailable" in caplog.text


def test_settings_use_the_tolerant_cache_and_database_sessions():
    assert django_settings.SESSION_ENGINE == "django.contrib.sessions.backends.db"
    if django_settings.REDIS_URL:
        from partybuild import settings as project_settings

        assert project_settings.CACHES["default"]["BACKEND"] == "core.cache.TolerantRedisCache"


@pytest.mark.django_db
def test_pages_and_login_work_with_the_cache_down(dead_cache, client, gongwei_staff, branch_a):
    gongwei_staff.set_password("secret-pass-1")
    gongwei_staff.save()

    failed = client.post(reverse("accounts:login"), {"username": gongwei_staff.username, "password": "wrong"})
    assert failed.status_code == 200  # the throttle counts nothing, but the form answers
    logged_in = client.post(
        reverse("accounts:login"), {"username": gongwei_staff.username, "password": "secret-pass-1"}
    )
    assert logged_in.status_code == 302

    for url in (reverse("home"), reverse("portal:dashboard"), reverse("branches:branch_detail", args=[branch_a.pk])):
        response = client.get(url)
        assert response.status_code == 200, url

    health = client.get(reverse("healthz"))
    assert health.status_code == 503 and health.json()["checks"]["cache"] == "error"


# --- the broker is down -----------------------------------------------------------------------


def _reset_producer_pools():
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


@pytest.fixture
def dead_broker(eager_celery):
    """Messages really go to a broker (not eager), and the broker refuses connections."""
    saved = celery_app.conf.broker_url
    celery_app.conf.task_always_eager = False
    celery_app.conf.broker_url = DEAD_REDIS
    _reset_producer_pools()
    yield
    celery_app.conf.broker_url = saved
    celery_app.conf.task_always_eager = True
    _reset_producer_pools()


@pytest.mark.django_db(transaction=True)
def test_rating_run_button_with_broker_down_queues_and_is_picked_up_later(
    dead_broker, client_for, gongwei_staff, branch_a, caplog
):
    # No clock travel here: a worker of a later test in this process would inherit timers set in
    # the future by the broker connection. The run is aged by moving its timestamp instead.
    year = timezone.localdate().year
    default_scheme(year, by=gongwei_staff)
    client = client_for(gongwei_staff)

    response = client.post(reverse("assessments:run_compute"), {"year": str(year)})

    assert response.status_code == 302
    run = RatingRun.objects.get(year=year)
    assert response.url == reverse("assessments:run_detail", args=[run.pk])
    assert run.status == RunStatus.QUEUED
    assert "Broker unavailable" in caplog.text
    assert client.get(response.url).status_code == 200

    # Too recent to be given up on: a message may still be on its way.
    assert requeue_queued_jobs() == 0
    # The broker is back (here: tasks run in-process) and a few minutes have passed.
    celery_app.conf.task_always_eager = True
    RatingRun.objects.filter(pk=run.pk).update(created_at=run.created_at - datetime.timedelta(minutes=6))
    assert requeue_queued_jobs() == 1

    run.refresh_from_db()
    assert run.status == RunStatus.DRAFT and run.n_branches >= 1
    assert requeue_queued_jobs() == 0  # nothing left queued


@pytest.mark.django_db(transaction=True)
def test_scorecard_export_with_broker_down_queues_and_is_picked_up_later(
    dead_broker, client_for, gongwei_staff, branch_a, settings, tmp_path
):
    settings.MEDIA_ROOT = str(tmp_path)
    run = RatingRunFactory(status=RunStatus.PUBLISHED)
    RatingResultFactory(run=run, branch=branch_a)
    client = client_for(gongwei_staff)

    response = client.post(reverse("assessments:scorecard_request", args=[run.pk]))

    assert response.status_code == 302
    export = ScorecardExport.objects.get(run=run)
    assert export.status == JobStatus.QUEUED
    assert client.get(response.url).status_code == 200

    celery_app.conf.task_always_eager = True
    ScorecardExport.objects.filter(pk=export.pk).update(created_at=export.created_at - datetime.timedelta(minutes=6))
    call_command("requeue_jobs")

    export.refresh_from_db()
    assert export.status == JobStatus.DONE and export.file


@pytest.mark.django_db
def test_a_workflow_step_succeeds_with_the_broker_down_and_its_emails_follow_later(
    dead_broker, organ_staff_a, mailoutbox, django_capture_on_commit_callbacks
):
    """Notifications are written with the step; their emails wait for the queue and are swept up."""
    from notifications.models import Notification
    from notifications.services import notify
    from notifications.tasks import UNSENT_GRACE, email_unsent

    organ_staff_a.email = "jiguan@example.gov.cn"
    organ_staff_a.save()
    with django_capture_on_commit_callbacks(execute=True):
        created = notify([organ_staff_a], title="综合处党支部提交了项目", body="请审核。")
    assert len(created) == 1 and Notification.objects.get().emailed_at is None
    assert mailoutbox == []

    Notification.objects.update(created_at=timezone.now() - UNSENT_GRACE - datetime.timedelta(minutes=1))
    assert email_unsent() == 1
    assert [m.to for m in mailoutbox] == [["jiguan@example.gov.cn"]]
    assert email_unsent() == 0  # sent once
