"""The rating run through a real Celery worker on Redis, as the 工委's button starts it in production."""

import datetime
from decimal import Decimal

import pytest

from assessments.choices import RunStatus
from assessments.models import IndicatorScore, RatingResult, RatingRun
from assessments.ratings import start_run
from assessments.tasks import compute_run_task
from tests.assessments.factories import default_scheme
from tests.celery_worker import RESULT_SECONDS, needs_worker
from tests.factories import BranchFactory

pytestmark = needs_worker


@pytest.mark.django_db(transaction=True)
def test_the_worker_computes_a_queued_run_once(worker_queue, gongwei_staff, organ_a):
    scheme = default_scheme(2025, by=gongwei_staff)
    business = scheme.indicators.get(name="业务工作年度考核")
    branches = [BranchFactory(organ=organ_a) for _ in range(3)]
    for n, branch in enumerate(branches):
        IndicatorScore.objects.create(branch=branch, year=2025, lineage=business.lineage, score=Decimal(10 + n))
    run = start_run(2025, by=gongwei_staff, as_of=datetime.date(2025, 12, 31), enqueue=False)

    first = compute_run_task.apply_async(args=[run.pk], queue=worker_queue)
    assert first.get(timeout=RESULT_SECONDS) == 3
    second = compute_run_task.apply_async(args=[run.pk], queue=worker_queue)  # a redelivered message
    assert second.get(timeout=RESULT_SECONDS) == 3

    run.refresh_from_db()
    assert run.status == RunStatus.DRAFT and run.n_branches == 3
    assert RatingResult.objects.filter(run=run).count() == 3  # computed once, not twice
    lines = {
        r.branch_id: {line["name"]: line["score"] for line in r.breakdown} for r in RatingResult.objects.filter(run=run)
    }
    assert [lines[b.pk]["业务工作年度考核"] for b in branches] == ["10.00", "11.00", "12.00"]
    assert RatingRun.objects.get(pk=run.pk).scheme.is_locked
