"""The scorecard export through a real Celery worker and Redis, as the download button runs it in production."""

import pytest
from celery.result import EagerResult
from openpyxl import load_workbook

from assessments.choices import JobStatus, RunStatus
from assessments.models import ScorecardExport
from assessments.tasks import export_scorecards_task
from notifications.models import Notification
from tests.assessments.factories import RatingResultFactory, RatingRunFactory
from tests.celery_worker import RESULT_SECONDS, needs_worker

pytestmark = needs_worker


@pytest.mark.django_db(transaction=True)
def test_the_worker_builds_the_workbook_once(settings, tmp_path, worker_queue, organ_staff_a, branch_a, branch_a2,
                                             branch_b, organ_a):  # fmt: skip
    settings.MEDIA_ROOT = str(tmp_path)
    run = RatingRunFactory(status=RunStatus.PUBLISHED)
    for rank, branch in enumerate((branch_a, branch_a2, branch_b), start=1):
        RatingResultFactory(run=run, branch=branch, rank=rank)
    # As request_export leaves it for a 机关党委: limited to its organ, waiting for a worker.
    export = ScorecardExport.objects.create(run=run, organ=organ_a, requested_by=organ_staff_a, token="t" * 32)

    first = export_scorecards_task.apply_async(args=[export.pk], queue=worker_queue)
    assert first.get(timeout=RESULT_SECONDS) == JobStatus.DONE
    second = export_scorecards_task.apply_async(args=[export.pk], queue=worker_queue)
    assert second.get(timeout=RESULT_SECONDS) == JobStatus.DONE

    assert not isinstance(first, EagerResult)
    export.refresh_from_db()
    assert export.status == JobStatus.DONE and export.progress == 100 and export.finished_at is not None
    with export.file.open("rb") as handle:
        wb = load_workbook(handle)
    assert wb.sheetnames == ["汇总", organ_a.name, "考核方案"]
    assert [row[1] for row in wb["汇总"].iter_rows(min_row=2, values_only=True)] == ["综合处党支部", "规划处党支部"]
    assert Notification.objects.filter(recipient=organ_staff_a).count() == 1
    for result in (first, second):
        result.forget()
