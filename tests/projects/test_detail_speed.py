"""The project page costs the same number of queries however much a project holds, for everyone who may open it,
and still shows everything: assignees in name order, every file of every report, the moved dates."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from projects.models import ProjectEvent
from projects.services import ensure_config
from tests.factories import MemberFactory, UserFactory
from tests.projects.factories import (
    AcceptanceMarkFactory,
    AcceptanceReviewFactory,
    EvidenceFactory,
    MilestoneFactory,
    MilestoneProgressFactory,
    ProjectFactory,
    SupervisionFactory,
    TargetFactory,
    TaskFactory,
)

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2026, 11, 22, 9, 0, tzinfo=datetime.UTC)


@pytest.fixture(autouse=True)
def frozen_today(time_machine):
    time_machine.move_to(NOW, tick=False)


def populate(project, n: int, by, member) -> None:
    """n of everything the page lists: milestones moved once, reports with two files each, tasks with several
    assignees (the member among them), supervisions on a milestone and 督办, events, targets and marks."""
    criteria = list(ensure_config(project.year).criteria.all())
    for i in range(n):
        milestone = MilestoneFactory(project=project, planned_on=datetime.date(2026, 6, 1 + i))
        # Moved once (the history keeps the old date), whatever state the project has reached since.
        milestone.planned_on += datetime.timedelta(days=10)
        milestone._history_user, milestone._change_reason = by, "调整"
        milestone.save()
        report = MilestoneProgressFactory(milestone=milestone, filed_by=by)
        EvidenceFactory.create_batch(2, project=project, report=report)
        TaskFactory(project=project, assignees=[member, MemberFactory(branch=project.branch)])
        SupervisionFactory(project=project, milestone=milestone, author=by)
        SupervisionFactory(project=project, author=by, duban=True)
        ProjectEvent.objects.create(project=project, actor=by, action="审核通过")
        TargetFactory(project=project)
        review = AcceptanceReviewFactory(project=project, reviewer=UserFactory())
        for criterion in criteria:
            AcceptanceMarkFactory(review=review, criterion=criterion)


def count_queries(client, project) -> int:
    """The queries of rendering the page."""
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(project.get_absolute_url())
    assert response.status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize("persona", ["gongwei_staff", "organ_staff_a", "secretary_of_branch_a", "member_user"])
@pytest.mark.parametrize("state", ["filed", "acceptance_requested", "accepted"])
def test_the_page_costs_the_same_queries_for_one_row_and_many(client_for, request, branch_a, persona, state):
    user = request.getfixturevalue(persona)
    member = getattr(user, "member", None) or MemberFactory(branch=branch_a)
    client = client_for(user)
    small = ProjectFactory(branch=branch_a, **{state: True})
    populate(small, 1, UserFactory(), member)
    large = ProjectFactory(branch=branch_a, **{state: True})
    populate(large, 6, UserFactory(), member)
    count_queries(client, small)  # the session and the scope are not the page's cost

    assert count_queries(client, small) == count_queries(client, large)


def test_assignees_are_listed_in_name_order_and_files_in_upload_order(client_for, secretary_of_branch_a, branch_a):
    project = ProjectFactory(branch=branch_a, filed=True)
    zhang = MemberFactory(branch=branch_a, name="张三")
    li = MemberFactory(branch=branch_a, name="李四")
    TaskFactory(project=project, title="有两人的任务", assignees=[zhang, li])
    TaskFactory(project=project, title="无人认领的任务")
    milestone = MilestoneFactory(project=project, title="窗口改造")
    older = MilestoneProgressFactory(milestone=milestone, text="较早的进展")
    newer = MilestoneProgressFactory(milestone=milestone, text="最新的进展")
    first = EvidenceFactory(project=project, report=newer, original_name="第一份.png")
    second = EvidenceFactory(project=project, report=newer, original_name="第二份.png")
    EvidenceFactory(project=project, report=older, original_name="早先的.png")

    page = client_for(secretary_of_branch_a).get(project.get_absolute_url()).content.decode()

    assert "李四、张三" in page
    assert "无人认领的任务" in page
    assert page.index("最新的进展") < page.index("较早的进展")
    assert page.index("第一份.png") < page.index("第二份.png") < page.index("早先的.png")
    assert reverse("projects:evidence_download", args=[first.token]) in page
    assert reverse("projects:evidence_download", args=[second.token]) in page


def test_a_supervision_names_its_milestone(client_for, organ_staff_a, branch_a):
    project = ProjectFactory(branch=branch_a, filed=True)
    milestone = MilestoneFactory(project=project, title="制度汇编")
    SupervisionFactory(project=project, milestone=milestone, text="请按期完成。")

    page = client_for(organ_staff_a).get(project.get_absolute_url()).content.decode()

    assert "节点：制度汇编" in page
