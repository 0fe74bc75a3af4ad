"""The home page shows each role what waits for it: tasks for members, the review queue for staff."""

import datetime

import pytest
from django.urls import reverse

from branches.models import Member
from projects.choices import ProjectStatus
from tests.projects.factories import ProjectFactory, TaskFactory

pytestmark = pytest.mark.django_db


def test_member_sees_their_open_tasks_on_home(client_for, member_user, branch_a):
    me = Member.objects.get(user=member_user)
    project = ProjectFactory(branch=branch_a, status=ProjectStatus.FILED, title="窗口服务提速")
    task = TaskFactory(project=project, title="整理办事指南", due_on=datetime.date(2026, 12, 20))
    task.assignees.add(me)
    done = TaskFactory(project=project, title="已完成的任务", status="done")
    done.assignees.add(me)
    page = client_for(member_user).get(reverse("home")).content.decode()
    assert "整理办事指南" in page and "窗口服务提速" in page
    assert "已完成的任务" not in page
    assert reverse("projects:my_tasks") in page


def test_organ_staff_sees_how_many_projects_wait_for_review(client_for, organ_staff_a, branch_a, branch_b):
    ProjectFactory.create_batch(2, branch=branch_a, status=ProjectStatus.SUBMITTED)
    ProjectFactory(branch=branch_b, status=ProjectStatus.SUBMITTED)
    response = client_for(organ_staff_a).get(reverse("home"))
    assert ("待审核立项", 2) in response.context["waiting"]


def test_navigation_follows_the_roles(client_for, member_user, secretary_of_branch_a, gongwei_staff):
    member_page = client_for(member_user).get(reverse("home")).content.decode()
    assert "我的任务" in member_page and "待我审核" not in member_page and "党员名册" not in member_page
    secretary_page = client_for(secretary_of_branch_a).get(reverse("home")).content.decode()
    assert "党委出题" in secretary_page and "待我审核" not in secretary_page
    gongwei_page = client_for(gongwei_staff).get(reverse("home")).content.decode()
    assert "待我审核" in gongwei_page and "账号管理" in gongwei_page
