"""任务到人: the branch committee assigns tasks to named members; members see their tasks and
mark progress; every change is on record."""

import datetime

import pytest
import time_machine
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from notifications.models import Notification
from projects import progress
from projects.choices import ProjectStatus, TaskStatus
from projects.models import Task
from projects.selectors import my_open_tasks
from projects.services import IllegalTransition, ProjectError
from tests.factories import MemberFactory, UserFactory
from tests.projects.factories import ProjectFactory, TaskFactory

pytestmark = pytest.mark.django_db
TODAY = datetime.date(2026, 11, 22)
DUE = datetime.date(2026, 12, 10)


@pytest.fixture(autouse=True)
def today():
    with time_machine.travel("2026-11-22 10:00 +0800", tick=False):
        yield


@pytest.fixture
def project(branch_a):
    return ProjectFactory(branch=branch_a, filed=True, title="窗口服务提速")


@pytest.fixture
def member(member_user):
    return member_user.member


@pytest.fixture
def colleague(branch_a):
    """A member of branch_a with an account but no task yet."""
    return MemberFactory(branch=branch_a, name="王芳", user=UserFactory(username="wangfang"))


def create(project, by, **overrides):
    fields = {"title": "梳理办事指南", "description": "逐项核对材料清单。", "assignees": [], "due_on": DUE}
    fields.update(overrides)
    return progress.create_task(project, by=by, **fields)


# --- assigning ------------------------------------------------------------------------


def test_secretary_assigns_a_task_and_the_assignees_are_told(secretary_of_branch_a, project, member, colleague):
    task = create(project, secretary_of_branch_a, assignees=[member, colleague])

    assert set(task.assignees.all()) == {member, colleague}
    assert task.history.first().history_user == secretary_of_branch_a
    assert task.history.first().history_change_reason in ("分派任务：李明、王芳", "分派任务：王芳、李明")
    told = Notification.objects.filter(title="新任务：梳理办事指南")
    assert {n.recipient for n in told} == {member.user, colleague.user}
    assert told.first().url == reverse("projects:my_tasks")


def test_a_member_without_an_account_is_assigned_without_a_notification(secretary_of_branch_a, project, branch_a):
    offline = MemberFactory(branch=branch_a, name="赵强")

    task = create(project, secretary_of_branch_a, assignees=[offline])

    assert list(task.assignees.all()) == [offline]
    assert not Notification.objects.exists()


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"assignees": []}, "至少指定一名责任人"),
        ({"title": " "}, "请填写任务名称"),
        ({"due_on": datetime.date(2027, 1, 5)}, "完成期限应在项目起止日期之间"),
        ({"due_on": datetime.date(2026, 2, 1)}, "完成期限应在项目起止日期之间"),
    ],
)
def test_bad_tasks_are_refused(secretary_of_branch_a, project, member, overrides, message):
    fields = {"assignees": [member], **overrides}

    with pytest.raises(ProjectError, match=message):
        create(project, secretary_of_branch_a, **fields)
    assert not Task.objects.exists()


def test_only_members_of_the_branch_can_be_assignees(secretary_of_branch_a, project, branch_b):
    stranger = MemberFactory(branch=branch_b, name="外支部党员")

    with pytest.raises(ProjectError, match="外支部党员 不在本支部"):
        create(project, secretary_of_branch_a, assignees=[stranger])


@pytest.mark.parametrize("persona", ["member_user", "secretary_of_branch_b", "organ_staff_b"])
def test_only_the_branch_committee_and_staff_above_assign(request, persona, project, member):
    with pytest.raises(PermissionDenied):
        create(project, request.getfixturevalue(persona), assignees=[member])


@pytest.mark.parametrize("status", [ProjectStatus.ACCEPTANCE_REQUESTED, ProjectStatus.ACCEPTED])
def test_no_tasks_change_once_acceptance_is_requested(secretary_of_branch_a, branch_a, member, status):
    project = ProjectFactory(branch=branch_a, status=status)
    task = TaskFactory(project=project, assignees=[member])

    with pytest.raises(IllegalTransition, match="项目已申请验收"):
        create(project, secretary_of_branch_a, assignees=[member])
    with pytest.raises(IllegalTransition):
        progress.update_task_progress(task, by=member.user, status=TaskStatus.DONE)
    with pytest.raises(IllegalTransition):
        progress.delete_task(task, by=secretary_of_branch_a)


def test_a_draft_project_can_already_plan_its_tasks(secretary_of_branch_a, branch_a, member):
    task = create(ProjectFactory(branch=branch_a), secretary_of_branch_a, assignees=[member])

    assert task.pk


# --- editing and deleting ---------------------------------------------------------------


def test_changing_due_date_and_assignees_is_on_record(secretary_of_branch_a, project, member, colleague):
    task = TaskFactory(project=project, assignees=[member], due_on=DUE)

    progress.update_task(
        task,
        by=secretary_of_branch_a,
        title=task.title,
        description="",
        assignees=[colleague],
        due_on=datetime.date(2026, 12, 20),
    )

    record = task.history.first()
    assert record.history_user == secretary_of_branch_a
    assert record.history_change_reason == "完成期限 2026-12-10 → 2026-12-20；责任人调整为：王芳"
    assert list(task.assignees.all()) == [colleague]
    assert Notification.objects.filter(recipient=colleague.user).count() == 1
    assert not Notification.objects.filter(recipient=member.user).exists()


def test_deleting_a_task_keeps_who_deleted_it(secretary_of_branch_a, project, member):
    task = TaskFactory(project=project, assignees=[member])
    pk = task.pk

    progress.delete_task(task, by=secretary_of_branch_a)

    assert not Task.objects.filter(pk=pk).exists()
    deleted = Task.history.filter(id=pk, history_type="-").get()
    assert deleted.history_user == secretary_of_branch_a


# --- progress by the assignee -----------------------------------------------------------


def test_an_assignee_marks_the_task_done_and_the_branch_is_told_once(
    secretary_of_branch_a, project, member, django_capture_on_commit_callbacks
):
    task = TaskFactory(project=project, assignees=[member])

    progress.update_task_progress(task, by=member.user, status=TaskStatus.DOING, note="已收集一半材料")
    progress.update_task_progress(task, by=member.user, status=TaskStatus.DONE, note="全部完成")
    progress.update_task_progress(task, by=member.user, status=TaskStatus.DOING, note="补充材料")
    progress.update_task_progress(task, by=member.user, status=TaskStatus.DONE, note="全部完成")

    task.refresh_from_db()
    assert (task.status, task.completed_on, task.progress_note) == (TaskStatus.DONE, TODAY, "全部完成")
    assert task.history.first().history_user == member.user
    done = Notification.objects.filter(recipient=secretary_of_branch_a, key=f"task:{task.pk}:done")
    assert done.count() == 1


def test_reopening_a_done_task_clears_its_completion_date(project, member):
    task = TaskFactory(project=project, assignees=[member], status=TaskStatus.DONE, completed_on=TODAY)

    progress.update_task_progress(task, by=member.user, status=TaskStatus.DOING)

    task.refresh_from_db()
    assert task.completed_on is None


def test_a_member_who_is_not_an_assignee_cannot_mark_progress(project, member, colleague):
    task = TaskFactory(project=project, assignees=[member])

    with pytest.raises(PermissionDenied):
        progress.update_task_progress(task, by=colleague.user, status=TaskStatus.DONE)


# --- pages --------------------------------------------------------------------------------


def test_secretary_assigns_through_the_page(client_for, secretary_of_branch_a, project, member):
    client = client_for(secretary_of_branch_a)
    url = reverse("projects:task_create", args=[project.pk])

    page = client.get(url)
    response = client.post(
        url, {"title": "梳理办事指南", "description": "", "assignees": [member.pk], "due_on": "2026-12-10"}
    )

    assert page.status_code == 200
    assert member.name in page.content.decode()
    assert response.status_code == 302
    assert response["Location"] == f"{project.get_absolute_url()}#tasks"
    assert Task.objects.get(project=project).title == "梳理办事指南"


def test_the_assignee_choices_are_the_branchs_members_only(client_for, secretary_of_branch_a, project, branch_b):
    stranger = MemberFactory(branch=branch_b, name="外支部党员")
    client = client_for(secretary_of_branch_a)
    url = reverse("projects:task_create", args=[project.pk])

    response = client.post(
        url, {"title": "任务", "description": "", "assignees": [stranger.pk], "due_on": "2026-12-10"}
    )

    assert response.status_code == 200
    assert "外支部党员" not in response.content.decode()
    assert not Task.objects.exists()


def test_task_pages_refuse_members_with_403_and_other_branches_with_404(
    client_for, member_user, secretary_of_branch_b, project, member
):
    task = TaskFactory(project=project, assignees=[member])
    pages = [
        reverse("projects:task_create", args=[project.pk]),
        reverse("projects:task_edit", args=[task.pk]),
        reverse("projects:task_delete", args=[task.pk]),
    ]

    for url in pages:
        assert client_for(member_user).get(url).status_code == 403
        assert client_for(secretary_of_branch_b).get(url).status_code == 404


def test_a_frozen_project_explains_and_a_post_is_a_conflict(client_for, secretary_of_branch_a, branch_a, member):
    project = ProjectFactory(branch=branch_a, acceptance_requested=True)
    client = client_for(secretary_of_branch_a)
    url = reverse("projects:task_create", args=[project.pk])

    page = client.get(url)
    response = client.post(url, {"title": "任务", "assignees": [member.pk], "due_on": "2026-12-10"})

    assert "项目已申请验收，不能再分派任务" in page.content.decode()
    assert response.status_code == 409
    assert not Task.objects.exists()


def test_editing_and_deleting_through_the_pages(client_for, secretary_of_branch_a, project, member):
    task = TaskFactory(project=project, assignees=[member], title="旧名称")
    client = client_for(secretary_of_branch_a)

    client.post(
        reverse("projects:task_edit", args=[task.pk]),
        {"title": "新名称", "description": "", "assignees": [member.pk], "due_on": "2026-12-01"},
    )
    task.refresh_from_db()
    assert (task.title, task.due_on) == ("新名称", datetime.date(2026, 12, 1))

    confirm = client.get(reverse("projects:task_delete", args=[task.pk]))
    deleted = client.post(reverse("projects:task_delete", args=[task.pk]))
    assert "删除任务" in confirm.content.decode()
    assert deleted.status_code == 302
    assert not Task.objects.exists()


# --- 我的任务 ----------------------------------------------------------------------------


def test_my_tasks_lists_only_my_tasks_open_ones_first(client_for, member_user, project, member, colleague):
    TaskFactory(project=project, assignees=[member], title="明天到期", due_on=datetime.date(2026, 11, 23))
    TaskFactory(project=project, assignees=[member], title="已超期", due_on=datetime.date(2026, 11, 1))
    TaskFactory(project=project, assignees=[member], title="已完成的", status=TaskStatus.DONE, completed_on=TODAY)
    TaskFactory(project=project, assignees=[colleague], title="别人的任务")
    client = client_for(member_user)

    open_page = client.get(reverse("projects:my_tasks")).content.decode()
    all_page = client.get(reverse("projects:my_tasks"), {"show": "all"}).content.decode()

    assert open_page.index("已超期") < open_page.index("明天到期")
    assert "已完成的" not in open_page and "别人的任务" not in open_page
    assert "已完成的" in all_page and "别人的任务" not in all_page
    assert all_page.index("明天到期") < all_page.index("已完成的")
    assert "已超期</span>" in open_page or 'text-bg-danger">已超期' in open_page


def test_a_member_marks_progress_from_my_tasks_and_comes_back(client_for, member_user, project, member):
    task = TaskFactory(project=project, assignees=[member])
    client = client_for(member_user)
    back = reverse("projects:my_tasks") + "?show=all"

    response = client.post(
        reverse("projects:task_update", args=[task.pk]),
        {"status": "doing", "progress_note": "材料已收齐一半", "next": back},
    )

    assert response.status_code == 302
    assert response["Location"] == back
    task.refresh_from_db()
    assert (task.status, task.progress_note) == (TaskStatus.DOING, "材料已收齐一半")


def test_progress_never_redirects_off_site(client_for, member_user, project, member):
    task = TaskFactory(project=project, assignees=[member])

    response = client_for(member_user).post(
        reverse("projects:task_update", args=[task.pk]), {"status": "doing", "next": "https://evil.example/"}
    )

    assert response["Location"] == reverse("projects:my_tasks")


def test_task_update_page_refuses_non_assignees(client_for, project, member, colleague, secretary_of_branch_b):
    task = TaskFactory(project=project, assignees=[member])
    TaskFactory(project=project, assignees=[colleague])  # the colleague sees the project, not this task's form
    url = reverse("projects:task_update", args=[task.pk])

    assert client_for(colleague.user).post(url, {"status": "done"}).status_code == 403
    assert client_for(secretary_of_branch_b).get(url).status_code == 404
    task.refresh_from_db()
    assert task.status == TaskStatus.TODO


def test_my_tasks_for_an_account_without_a_member_record(client_for, secretary_of_branch_a):
    response = client_for(secretary_of_branch_a).get(reverse("projects:my_tasks"))

    assert response.status_code == 200
    assert "尚未关联党员档案" in response.content.decode()


def test_my_tasks_empty_state(client_for, member_user):
    page = client_for(member_user).get(reverse("projects:my_tasks")).content.decode()

    assert "没有未完成的任务" in page


def test_my_tasks_paginates(client_for, member_user, project, member):
    for i in range(23):
        TaskFactory(project=project, assignees=[member], title=f"任务{i:02d}")
    client = client_for(member_user)

    first = client.get(reverse("projects:my_tasks")).content.decode()
    second = client.get(reverse("projects:my_tasks"), {"page": 2}).content.decode()

    assert "第 1 / 2 页" in first
    assert first.count('id="task-') == 20
    assert second.count('id="task-') == 3


def test_my_tasks_queries_do_not_grow_with_rows(client_for, member_user, branch_a, member, colleague):
    client = client_for(member_user)
    TaskFactory(project=ProjectFactory(branch=branch_a, filed=True), assignees=[member, colleague])
    client.get(reverse("projects:my_tasks"))
    with CaptureQueriesContext(connection) as small:
        client.get(reverse("projects:my_tasks"))
    for _ in range(6):
        TaskFactory.create_batch(2, project=ProjectFactory(branch=branch_a, filed=True), assignees=[member, colleague])
    with CaptureQueriesContext(connection) as large:
        client.get(reverse("projects:my_tasks"))

    assert len(small.captured_queries) == len(large.captured_queries)


def test_my_open_tasks_for_the_home_page(member_user, project, member, colleague):
    for i in range(7):
        TaskFactory(project=project, assignees=[member], due_on=DUE - datetime.timedelta(days=i))
    TaskFactory(project=project, assignees=[member], status=TaskStatus.DONE, due_on=datetime.date(2026, 4, 1))
    TaskFactory(project=project, assignees=[colleague], due_on=datetime.date(2026, 4, 1))

    tasks = list(my_open_tasks(member_user))

    assert len(tasks) == 5
    assert all(t.status != TaskStatus.DONE for t in tasks)
    assert [t.due_on for t in tasks] == sorted(t.due_on for t in tasks)
    assert tasks[0].project.branch.name == "综合处党支部"


def test_my_open_tasks_is_empty_for_staff_without_a_member_record(gongwei_staff, project, member):
    TaskFactory(project=project, assignees=[member])

    assert list(my_open_tasks(gongwei_staff)) == []
