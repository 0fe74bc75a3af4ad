"""Celery tasks of the assessments app: thin, idempotent wrappers that load by id and call a service."""

import datetime
import functools
import logging

from celery import shared_task
from celery.contrib.django.task import DjangoTask
from django.db import transaction
from django.utils import timezone
from kombu.exceptions import OperationalError

logger = logging.getLogger(__name__)


class RecordedJobTask(DjangoTask):
    """A task whose job is recorded in the database before it is sent (a queued run or export).

    If the broker cannot be reached after the record is committed, the user's action has still
    succeeded: the failure is logged instead of becoming a 500, the record stays queued, and
    `requeue_queued_jobs` sends it again once the broker is back.
    """

    def delay_on_commit(self, *args, **kwargs) -> None:
        transaction.on_commit(functools.partial(self.send_or_log, *args, **kwargs))

    def send_or_log(self, *args, **kwargs) -> bool:
        try:
            self.delay(*args, **kwargs)
        except (OperationalError, OSError) as exc:
            logger.error("Broker unavailable, %s%r stays queued for requeue: %s", self.name, args, exc)
            return False
        return True


@shared_task(base=RecordedJobTask)
def compute_run_task(run_id: int) -> int:
    """Compute a queued rating run; running it again for a finished run changes nothing."""
    from .ratings import compute_run

    return compute_run(run_id).n_branches


# --- scorecard export (owned by the scorecards module) -------------------------------------------


@shared_task(base=RecordedJobTask)
def export_scorecards_task(export_id: int) -> str:
    """Build a queued scorecard workbook; a second delivery of the same job builds nothing."""
    from .scorecards import build_export

    return build_export(export_id).status


# --- jobs whose message never reached the broker --------------------------------------------------

REQUEUE_AFTER = datetime.timedelta(minutes=5)


@shared_task
def requeue_queued_jobs(older_than_seconds: int | None = None) -> int:
    """Send again the rating runs and scorecard exports still queued after a few minutes.

    Scheduled every 5 minutes by celery beat (migration 0003); `manage.py requeue_jobs` runs it by
    hand. Both tasks only act on a record that is still queued, so a job whose first message did
    arrive (and is merely waiting for a busy worker) is not done twice.
    """
    from .choices import JobStatus, RunStatus
    from .models import RatingRun, ScorecardExport

    age = REQUEUE_AFTER if older_than_seconds is None else datetime.timedelta(seconds=older_than_seconds)
    cutoff = timezone.now() - age
    sent = 0
    for run_id in RatingRun.objects.filter(status=RunStatus.QUEUED, created_at__lte=cutoff).values_list(
        "pk", flat=True
    ):
        sent += compute_run_task.send_or_log(run_id)
    for export_id in ScorecardExport.objects.filter(status=JobStatus.QUEUED, created_at__lte=cutoff).values_list(
        "pk", flat=True
    ):
        sent += export_scorecards_task.send_or_log(export_id)
    if sent:
        logger.info("Requeued %d queued job(s)", sent)
    return sent
