"""Celery tasks of the projects app: thin wrappers that load what they need and call a service."""

import datetime

from celery import shared_task
from django.utils import timezone

from .reminders import run_milestone_reminders


@shared_task
def check_milestones(today_iso: str | None = None) -> dict[str, int]:
    """Beat runs this every morning; a date (YYYY-MM-DD) re-runs a day the job missed.

    Safe to run again: reminders already sent are not sent twice.
    """
    today = datetime.date.fromisoformat(today_iso) if today_iso else timezone.localdate()
    return run_milestone_reminders(today)
