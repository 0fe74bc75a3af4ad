"""The yearly job through a real Celery worker and Redis, sent by the name beat stores in its schedule."""

import pytest
from celery.result import EagerResult

from branches.models import MeetingRequirement
from portal.tasks import open_coming_years
from tests.celery_worker import RESULT_SECONDS, needs_worker
from tests.factories import MemberFactory

pytestmark = needs_worker

LABELS = ["组织生活要求", "一岗双责报告期", "项目验收规则", "党员积分规则"]


@pytest.mark.django_db(transaction=True)
def test_the_worker_opens_the_coming_years_once(eager_celery, worker_queue, branch_a):
    MemberFactory(branch=branch_a, is_leader=True)

    first = eager_celery.send_task("portal.tasks.open_coming_years", args=["2026-12-01"], queue=worker_queue)
    first_answer = first.get(timeout=RESULT_SECONDS)
    second = open_coming_years.apply_async(args=["2026-12-01"], queue=worker_queue)
    second_answer = second.get(timeout=RESULT_SECONDS)

    assert not isinstance(first, EagerResult)
    assert first_answer == {"2026": LABELS, "2027": LABELS}
    assert second_answer == {"2026": [], "2027": []}
    assert sorted(set(MeetingRequirement.objects.values_list("year", flat=True))) == [2026, 2027]
    for result in (first, second):
        result.forget()
