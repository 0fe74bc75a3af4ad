"""Celery tasks of the assessments app: thin, idempotent wrappers that load by id and call a service."""

import datetime
import logging

from celery import shared_task
from django.utils import timezone

from core.jobs import RecordedJobTask

logger = logging.getLogger(__name__)


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
