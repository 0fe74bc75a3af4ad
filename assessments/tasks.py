"""Celery tasks of the assessments app: thin, idempotent wrappers that load by id and call a service."""

from celery import shared_task


@shared_task
def compute_run_task(run_id: int) -> int:
    """Compute a queued rating run; running it again for a finished run changes nothing."""
    from .ratings import compute_run

    return compute_run(run_id).n_branches


# --- scorecard export (owned by the scorecards module) -------------------------------------------


@shared_task
def export_scorecards_task(export_id: int) -> str:
    """Build a queued scorecard workbook; a second delivery of the same job builds nothing."""
    from .scorecards import build_export

    return build_export(export_id).status
