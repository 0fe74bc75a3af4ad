"""Celery tasks of the portal: thin wrappers around `portal.years`."""

import datetime

from celery import shared_task
from django.utils import timezone

from . import years


@shared_task
def open_coming_years(today_iso: str | None = None) -> dict[str, list[str]]:
    """Beat runs this every night: it opens this year and, from 1 December, the next (see `years.coming_years`).

    Safe to run again: a year already open is left as it is. A date (YYYY-MM-DD) re-runs a day the job
    missed; the answer maps each year (as text, for the result backend's JSON) to the rules opened now.
    """
    today = datetime.date.fromisoformat(today_iso) if today_iso else timezone.localdate()
    return {str(year): labels for year, labels in years.open_coming_years(today).items()}
