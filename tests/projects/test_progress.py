"""节点督查: the branch files progress on milestones; the project page shows the timeline with
planned versus actual dates, weights, weighted progress and overdue milestones."""

import datetime

import pytest
import time_machine
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from projects import progress, services
from projects.choices import ProjectStatus
from projects.models import Milestone, MilestoneProgress
from projects.services import IllegalTransition, ProjectError
from projects.views.progress import build_panel, detail_context
from tests.factories import MemberFactory
from tests.projects.factories import (
    EvidenceFactory,
    MilestoneFactory,
    MilestoneProgressFactory,
    ProjectFactory,
    SupervisionFactory,
    TaskFactory,
)

pytestmark = pytest.mark.django_db
TODAY = datetime.date(2026, 11, 22)


@pytest.fixture(autouse=True)
def today():
    with time_machine.travel("2026-11-22 10:00 +0800", tick=False):
        yield


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)


@pytest.fixture
def project(branch_a):
    return ProjectFactory(branch=branch_a, filed=True, title="窗口服务提速")


@pytest.fixture
def milestone(project):
    return MilestoneFactory(project=project, title="完成窗口改造", planned_on=datetime.date(2026, 12, 15), weight=2)


def progress_url(milestone) -> str:
    return reverse("projects:milestone_progress", args=[milestone.pk])


# --- filing progress ---------------------------------------------------------------------


def test_secretary_files_progress_and_the_milestone_moves_with_history(secretary_of_branch_a, milestone):
    report = progress.file_progress(milestone, by=secretary_of_branch_a, text="改造方案已定稿。", percent=40)

    milestone.refresh_from_db()
    assert (report.percent, report.filed_by, report.text) == (40, secretary_of_branch_a, "改造方案已定稿。")
    assert (milestone.percent, milestone.completed_on) == (40, None)
    record = milestone.history.first()
    assert record.history_user == secretary_of_branch_a
    assert record.history_change_reason == "填报进展 40%"


def test_reaching_100_percent_records_the_actual_completion_date(secretary_of_branch_a, milestone):
    progress.file_progress(milestone, by=secretary_of_branch_a, text="已完成。", percent=100)
    milestone.refresh_from_db()
    assert milestone.completed_on == TODAY

    other = MilestoneFactory(project=milestone.project)
    progress.file_progress(
        other, by=secretary_of_branch_a, text="已完成。", percent=100, completed_on=datetime.date(2026, 11, 2)
    )
    other.refresh_from_db()
    assert other.completed_on == datetime.date(2026, 11, 2)
    assert "2026-11-02 完成" in other.history.first().history_change_reason


def test_lowering_progress_reopens_a_completed_milestone(secretary_of_branch_a, milestone):
    progress.file_progress(milestone, by=secretary_of_branch_a, text="已完成。", percent=100)

    progress.file_progress(milestone, by=secretary_of_branch_a, text="验收发现返工。", percent=80)

    milestone.refresh_from_db()
    assert (milestone.percent, milestone.completed_on) == (80, None)


@pytest.mark.parametrize(
    ("percent", "completed_on", "message"),
    [
        (100, datetime.date(2026, 11, 23), "不能晚于今天"),
        (100, datetime.date(2026, 2, 1), "不能早于项目开始日期"),
        (60, datetime.date(2026, 11, 1), "进度未达到 100%"),
        (101, None, "0 到 100"),
    ],
)
def test_impossible_dates_and_percents_are_refused(secretary_of_branch_a, milestone, percent, completed_on, message):
    with pytest.raises(ProjectError, match=message):
        progress.file_progress(
            milestone, by=secretary_of_branch_a, text="进展", percent=percent, completed_on=completed_on
        )
    assert not MilestoneProgress.objects.exists()


def test_empty_text_is_refused(secretary_of_branch_a, milestone):
    with pytest.raises(ProjectError, match="请填写进展情况"):
        progress.file_progress(milestone, by=secretary_of_branch_a, text="  ", percent=10)


@pytest.mark.parametrize("persona", ["member_user", "secretary_of_branch_b", "organ_staff_b"])
def test_people_outside_the_branch_committee_cannot_file(request, persona, milestone):
    with pytest.raises(PermissionDenied):
        progress.file_progress(milestone, by=request.getfixturevalue(persona), text="进展", percent=10)
    assert not MilestoneProgress.objects.exists()


@pytest.mark.parametrize(
    "status",
    [ProjectStatus.DRAFT, ProjectStatus.SUBMITTED, ProjectStatus.RETURNED, ProjectStatus.ACCEPTANCE_REQUESTED],
)
def test_progress_is_filed_only_while_the_project_runs(secretary_of_branch_a, milestone, status):
    milestone.project.status = status
    milestone.project.save()

    with pytest.raises(IllegalTransition, match="进入实施后才能填报节点进展"):
        progress.file_progress(milestone, by=secretary_of_branch_a, text="进展", percent=10)


def test_an_approved_project_awaiting_filing_already_runs(secretary_of_branch_a, branch_a):
    milestone = MilestoneFactory(project=ProjectFactory(branch=branch_a, approved=True))

    progress.file_progress(milestone, by=secretary_of_branch_a, text="先行启动。", percent=10)

    assert MilestoneProgress.objects.filter(milestone=milestone).exists()


# --- the progress page ------------------------------------------------------------------


def test_the_page_files_progress_and_returns_to_the_milestone(client_for, secretary_of_branch_a, milestone):
    client = client_for(secretary_of_branch_a)

    page = client.get(progress_url(milestone))
    response = client.post(progress_url(milestone), {"text": "完成一半。", "percent": 50})

    assert page.status_code == 200
    assert "填报节点进展" in page.content.decode()
    assert response.status_code == 302
    assert response["Location"] == f"{milestone.project.get_absolute_url()}#milestone-{milestone.pk}"
    milestone.refresh_from_db()
    assert milestone.percent == 50


def test_the_page_shows_form_errors_in_chinese(client_for, secretary_of_branch_a, milestone):
    client = client_for(secretary_of_branch_a)

    response = client.post(progress_url(milestone), {"text": "", "percent": 60, "completed_on": "2026-11-01"})

    page = response.content.decode()
    assert response.status_code == 200
    assert "进度未达到 100% 时不填写实际完成日期" in page
    assert not MilestoneProgress.objects.exists()


def test_the_page_refuses_a_member_with_403_and_another_branch_with_404(
    client_for, member_user, secretary_of_branch_b, milestone
):
    TaskFactory(project=milestone.project, assignees=[member_user.member])

    assert client_for(member_user).get(progress_url(milestone)).status_code == 403
    assert client_for(secretary_of_branch_b).get(progress_url(milestone)).status_code == 404


def test_the_page_explains_a_draft_and_a_post_is_a_conflict(client_for, secretary_of_branch_a, branch_a):
    milestone = MilestoneFactory(project=ProjectFactory(branch=branch_a))
    client = client_for(secretary_of_branch_a)

    page = client.get(progress_url(milestone))
    response = client.post(progress_url(milestone), {"text": "进展", "percent": 10})

    assert "进入实施后才能填报节点进展（当前状态：草稿）" in page.content.decode()
    assert response.status_code == 409
    assert not MilestoneProgress.objects.exists()


# --- the panel on the project page --------------------------------------------------------


def render_panel(user, project) -> str:
    request = RequestFactory().get(project.get_absolute_url())
    request.user = user
    return render_to_string("projects/_progress.html", detail_context(request, project), request=request)


def test_progress_is_weighted_by_milestone_weight(secretary_of_branch_a, project):
    MilestoneFactory(project=project, weight=1, percent=100, completed_on=datetime.date(2026, 5, 1))
    MilestoneFactory(project=project, weight=3, percent=0, planned_on=datetime.date(2026, 12, 20))

    panel = build_panel(secretary_of_branch_a, project, today=TODAY)

    assert panel.weighted_progress == 25.0
    assert (panel.total_weight, panel.n_completed, panel.n_overdue) == (4, 1, 0)
    assert "25.0%" in render_panel(secretary_of_branch_a, project)


def test_a_milestone_past_its_date_and_not_complete_is_overdue(secretary_of_branch_a, project):
    late = MilestoneFactory(project=project, title="制度汇编", planned_on=datetime.date(2026, 11, 12), percent=70)
    MilestoneFactory(project=project, title="今天到期", planned_on=TODAY)
    MilestoneFactory(project=project, title="已按期完成", planned_on=datetime.date(2026, 6, 1), percent=100,
                     completed_on=datetime.date(2026, 5, 30))  # fmt: skip

    panel = build_panel(secretary_of_branch_a, project, today=TODAY)
    page = render_panel(secretary_of_branch_a, project)

    assert [row.milestone.pk for row in panel.rows if row.is_overdue] == [late.pk]
    assert "逾期 10 天" in page
    assert "逾期 1 个" in page
    assert "2026-05-30" in page


def test_milestones_of_a_project_not_yet_running_are_never_overdue(secretary_of_branch_a, branch_a):
    project = ProjectFactory(branch=branch_a)
    MilestoneFactory(project=project, planned_on=datetime.date(2026, 4, 1))

    assert build_panel(secretary_of_branch_a, project, today=TODAY).n_overdue == 0


def test_a_moved_planned_date_shows_the_original_and_who_moved_it(secretary_of_branch_a, milestone):
    services.change_milestone_date(
        milestone, planned_on=datetime.date(2026, 12, 28), reason="设备到货推迟", by=secretary_of_branch_a
    )
    progress.file_progress(milestone, by=secretary_of_branch_a, text="设备已订购。", percent=30)

    page = render_panel(secretary_of_branch_a, milestone.project)

    assert "原计划 2026-12-15，调整 1 次" in page
    assert "设备到货推迟" in page
    assert "综合处书记" in page or str(secretary_of_branch_a) in page


def test_reports_and_their_evidence_are_linked_on_the_page(secretary_of_branch_a, milestone):
    report = MilestoneProgressFactory(milestone=milestone, text="首批窗口改造完成。", filed_by=secretary_of_branch_a)
    evidence = EvidenceFactory(project=milestone.project, report=report, original_name="改造前后对比.png")

    page = render_panel(secretary_of_branch_a, milestone.project)

    assert "首批窗口改造完成。" in page
    assert reverse("projects:evidence_download", args=[evidence.token]) in page
    assert "改造前后对比.png" in page


def test_the_branch_sees_the_file_button_and_staff_see_the_supervise_button(
    secretary_of_branch_a, organ_staff_a, milestone
):
    file_url = reverse("projects:milestone_progress", args=[milestone.pk])
    supervise_url = reverse("projects:supervision_create", args=[milestone.project.pk])

    branch_page = render_panel(secretary_of_branch_a, milestone.project)
    staff_page = render_panel(organ_staff_a, milestone.project)

    assert file_url in branch_page and supervise_url not in branch_page
    assert supervise_url in staff_page


def test_a_member_sees_the_panel_without_any_button(member_user, milestone):
    TaskFactory(project=milestone.project, assignees=[member_user.member])

    page = render_panel(member_user, milestone.project)

    assert reverse("projects:milestone_progress", args=[milestone.pk]) not in page
    assert reverse("projects:task_create", args=[milestone.project.pk]) not in page
    assert "完成窗口改造" in page


def test_empty_states(secretary_of_branch_a, branch_a):
    page = render_panel(secretary_of_branch_a, ProjectFactory(branch=branch_a, filed=True))

    assert "项目尚未安排节点" in page
    assert "尚未分派任务" in page
    assert "暂无督查意见或督办" in page


def populate(project, n: int, author):
    members = MemberFactory.create_batch(2, branch=project.branch)
    for i in range(n):
        milestone = MilestoneFactory(project=project, planned_on=datetime.date(2026, 6, 1) + datetime.timedelta(i))
        for _ in range(2):
            report = MilestoneProgressFactory(milestone=milestone, filed_by=author)
            EvidenceFactory(project=project, report=report)
        TaskFactory(project=project, assignees=members)
        SupervisionFactory(project=project, milestone=milestone, author=author)
        SupervisionFactory(project=project, author=author, duban=True)


def test_panel_queries_do_not_grow_with_rows(secretary_of_branch_a, organ_staff_a, project):
    populate(project, 1, organ_staff_a)
    render_panel(secretary_of_branch_a, project)  # warm the per-user scope cache
    with CaptureQueriesContext(connection) as small:
        render_panel(secretary_of_branch_a, project)
    populate(project, 8, organ_staff_a)
    for milestone in Milestone.objects.filter(project=project)[:3]:
        services.change_milestone_date(
            milestone, planned_on=milestone.planned_on + datetime.timedelta(5), reason="调整", by=secretary_of_branch_a
        )
    with CaptureQueriesContext(connection) as large:
        render_panel(secretary_of_branch_a, project)

    assert len(small.captured_queries) == len(large.captured_queries)


def test_project_page_shows_the_panel_with_a_fixed_number_of_queries(client_for, secretary_of_branch_a, project):
    client = client_for(secretary_of_branch_a)
    populate(project, 1, secretary_of_branch_a)
    client.get(project.get_absolute_url())  # first-visit work (session, year rules) is not per row
    with CaptureQueriesContext(connection) as small:
        response = client.get(project.get_absolute_url())
    populate(project, 6, secretary_of_branch_a)
    with CaptureQueriesContext(connection) as large:
        client.get(project.get_absolute_url())

    assert response.status_code == 200
    page = response.content.decode()
    assert 'id="milestones"' in page and 'id="tasks"' in page and 'id="supervision"' in page
    assert len(small.captured_queries) == len(large.captured_queries)
