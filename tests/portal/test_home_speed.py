"""The home page of a plain member and of 机关党委 staff costs the same number of queries however much there is
(the secretary's is in test_home.py); a member's tasks come from every project they work on."""

import datetime
import itertools

import pytest
from django.urls import reverse

from notifications.models import Notification
from tests.factories import MemberFactory
from tests.portal.test_home import count_queries
from tests.projects.factories import MilestoneFactory, ProjectFactory, SupervisionFactory, TaskFactory

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2026, 11, 22, 9, 0, tzinfo=datetime.UTC)
SERIAL = itertools.count()


@pytest.fixture(autouse=True)
def frozen_today(time_machine):
    time_machine.move_to(NOW, tick=False)


def populate(branch, member, n: int) -> None:
    for i in range(n):
        project = ProjectFactory(branch=branch, filed=True)
        TaskFactory(project=project, assignees=[member], due_on=datetime.date(2026, 12, 1 + i))
        MilestoneFactory(project=project, planned_on=datetime.date(2026, 11, 1 + i))
        SupervisionFactory(project=project, duban=True)
        serial = next(SERIAL)
        Notification.objects.create(recipient=member.user, title=f"消息{serial}", url="/", key=f"test:{serial}")


def test_a_members_home_costs_the_same_queries_for_one_task_and_many(client_for, member_user, branch_a, branch_b):
    client = client_for(member_user)
    populate(branch_a, member_user.member, 1)
    count_queries(client)  # the year's rules and report periods are created on first use
    small = count_queries(client)

    populate(branch_a, member_user.member, 6)
    populate(branch_b, member_user.member, 3)  # a task in another branch's project

    assert count_queries(client) == small


def test_a_member_sees_their_tasks_in_another_branchs_project(client_for, member_user, branch_b):
    project = ProjectFactory(branch=branch_b, filed=True, title="跨支部协作项目")
    TaskFactory(project=project, title="整理调研材料", assignees=[member_user.member])
    TaskFactory(project=project, title="别人的任务", assignees=[MemberFactory(branch=branch_b)])

    html = client_for(member_user).get(reverse("home")).content.decode()

    assert "整理调研材料" in html and "《跨支部协作项目》" in html
    assert project.get_absolute_url() in html
    assert "别人的任务" not in html


def test_organ_staff_home_costs_the_same_queries_for_few_projects_or_many(
    client_for, organ_staff_a, branch_a, branch_a2
):
    client = client_for(organ_staff_a)
    ProjectFactory(branch=branch_a, submitted=True)
    count_queries(client)
    small = count_queries(client)

    for branch in (branch_a, branch_a2):
        for _ in range(3):
            ProjectFactory(branch=branch, submitted=True)
            ProjectFactory(branch=branch, approved=True)
            MemberFactory(branch=branch)

    assert count_queries(client) == small


def test_a_staff_home_counts_the_unread_messages_once(client_for, gongwei_staff, branch_a):
    """The bell and the unread card of a home rendered afresh show one count, read once."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    MemberFactory(branch=branch_a, user=gongwei_staff)
    Notification.objects.create(recipient=gongwei_staff, title="待审核项目", url="/", key="test:staff-count")
    client = client_for(gongwei_staff)
    client.get(reverse("home"))
    with CaptureQueriesContext(connection) as ctx:
        html = client.get(reverse("home")).content.decode()
    counts = [
        q["sql"] for q in ctx.captured_queries if "COUNT(" in q["sql"] and "notifications_notification" in q["sql"]
    ]
    assert len(counts) == 1
    assert "待审核项目" in html
