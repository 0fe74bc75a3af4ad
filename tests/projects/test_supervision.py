"""节点督查: 机关党委 and 工委 staff add supervision notes and issue 督办, which the branch answers
once, by a date; every step is on record and the people concerned are told."""

import datetime

import pytest
import time_machine
from django.core.exceptions import PermissionDenied
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.urls import reverse

from notifications.models import Notification
from projects import progress
from projects.choices import ProjectStatus, SupervisionKind
from projects.models import ProjectEvent, Supervision
from projects.services import IllegalTransition, ProjectError, ensure_config
from projects.views.progress import detail_context
from tests.projects.factories import MilestoneFactory, ProjectFactory, SupervisionFactory, TaskFactory

pytestmark = pytest.mark.django_db
TODAY = datetime.date(2026, 11, 22)


@pytest.fixture(autouse=True)
def today():
    with time_machine.travel("2026-11-22 10:00 +0800", tick=False):
        yield


@pytest.fixture
def project(branch_a):
    return ProjectFactory(branch=branch_a, filed=True, title="窗口服务提速")


@pytest.fixture
def milestone(project):
    return MilestoneFactory(project=project, title="完成窗口改造", planned_on=datetime.date(2026, 11, 10))


# --- notes and 督办 ------------------------------------------------------------------------


def test_organ_staff_add_a_note_and_the_branch_committee_is_told(
    organ_staff_a, secretary_of_branch_a, project, milestone
):
    note = progress.add_supervision(
        project, by=organ_staff_a, kind=SupervisionKind.NOTE, text="节点已逾期，请说明原因。", milestone=milestone
    )

    assert (note.author, note.milestone, note.answer_due_on) == (organ_staff_a, milestone, None)
    told = Notification.objects.get(recipient=secretary_of_branch_a)
    assert told.title == "督查意见：窗口服务提速"
    assert "节点：完成窗口改造" in told.body
    assert told.url == project.get_absolute_url()
    assert not ProjectEvent.objects.exists()


def test_a_duban_gets_the_years_answer_period_and_goes_into_the_trail(organ_staff_a, secretary_of_branch_a, project):
    config = ensure_config(project.year)
    config.duban_answer_days = 7
    config.save()

    duban = progress.add_supervision(project, by=organ_staff_a, kind=SupervisionKind.DUBAN, text="请限期整改。")

    assert duban.answer_due_on == datetime.date(2026, 11, 29)
    assert duban.awaits_answer
    event = ProjectEvent.objects.get(project=project)
    assert (event.actor, event.action, event.reason) == (organ_staff_a, "下发督办", "请限期整改。")
    told = Notification.objects.get(recipient=secretary_of_branch_a)
    assert told.title == "督办：窗口服务提速，请于 2026-11-29 前答复"


def test_a_duban_due_date_cannot_be_in_the_past(organ_staff_a, project):
    with pytest.raises(ProjectError, match="答复期限不能早于今天"):
        progress.add_supervision(
            project,
            by=organ_staff_a,
            kind=SupervisionKind.DUBAN,
            text="整改",
            answer_due_on=datetime.date(2026, 11, 21),
        )
    assert not Supervision.objects.exists()


def test_a_milestone_of_another_project_is_refused(organ_staff_a, project, branch_a):
    foreign = MilestoneFactory(project=ProjectFactory(branch=branch_a, filed=True))

    with pytest.raises(ProjectError, match="所选节点不属于该项目"):
        progress.add_supervision(project, by=organ_staff_a, kind=SupervisionKind.NOTE, text="意见", milestone=foreign)


@pytest.mark.parametrize("persona", ["secretary_of_branch_a", "member_user", "organ_staff_b", "secretary_of_branch_b"])
def test_only_the_organs_staff_and_the_gongwei_supervise(request, persona, project):
    with pytest.raises(PermissionDenied):
        progress.add_supervision(project, by=request.getfixturevalue(persona), kind=SupervisionKind.NOTE, text="意见")


def test_the_gongwei_supervises_any_organ(gongwei_staff, project):
    assert progress.add_supervision(project, by=gongwei_staff, kind=SupervisionKind.DUBAN, text="督办").pk


@pytest.mark.parametrize("status", [ProjectStatus.DRAFT, ProjectStatus.SUBMITTED, ProjectStatus.ACCEPTED])
def test_only_running_projects_are_supervised(organ_staff_a, branch_a, status):
    project = ProjectFactory(branch=branch_a, status=status)

    with pytest.raises(IllegalTransition, match="进入实施后才能督查督办"):
        progress.add_supervision(project, by=organ_staff_a, kind=SupervisionKind.NOTE, text="意见")


# --- answering ---------------------------------------------------------------------------


def test_the_secretary_answers_a_duban_once(secretary_of_branch_a, organ_staff_a, project):
    duban = SupervisionFactory(project=project, author=organ_staff_a, duban=True)

    progress.answer_duban(duban, by=secretary_of_branch_a, answer="已增派人手，月底前完成。")

    duban.refresh_from_db()
    assert (duban.answer, duban.answered_by) == ("已增派人手，月底前完成。", secretary_of_branch_a)
    assert duban.answered_at is not None and not duban.awaits_answer
    assert ProjectEvent.objects.get(project=project).action == "答复督办"
    assert Notification.objects.get(recipient=organ_staff_a).title == "督办已答复：窗口服务提速"
    with pytest.raises(IllegalTransition, match="已答复"):
        progress.answer_duban(duban, by=secretary_of_branch_a, answer="再次答复")


@pytest.mark.parametrize("persona", ["organ_staff_a", "gongwei_staff", "member_user", "secretary_of_branch_b"])
def test_only_the_branchs_own_committee_answers(request, persona, project):
    duban = SupervisionFactory(project=project, duban=True)

    with pytest.raises(PermissionDenied):
        progress.answer_duban(duban, by=request.getfixturevalue(persona), answer="答复")


def test_a_note_needs_no_answer_and_an_empty_answer_is_refused(secretary_of_branch_a, project):
    note = SupervisionFactory(project=project)
    duban = SupervisionFactory(project=project, duban=True)

    with pytest.raises(ProjectError, match="督查意见无需答复"):
        progress.answer_duban(note, by=secretary_of_branch_a, answer="收到")
    with pytest.raises(ProjectError, match="请填写答复内容"):
        progress.answer_duban(duban, by=secretary_of_branch_a, answer="  ")


# --- pages --------------------------------------------------------------------------------


def test_staff_issue_a_duban_through_the_page(client_for, organ_staff_a, project, milestone):
    client = client_for(organ_staff_a)
    url = reverse("projects:supervision_create", args=[project.pk])

    page = client.get(url, {"milestone": milestone.pk, "kind": "duban"})
    response = client.post(
        url, {"kind": "duban", "milestone": milestone.pk, "text": "请说明逾期原因。", "answer_due_on": ""}
    )

    assert page.status_code == 200
    assert "不填则为 5 天后" in page.content.decode()
    assert response.status_code == 302
    assert response["Location"] == f"{project.get_absolute_url()}#supervision"
    duban = Supervision.objects.get()
    assert (duban.kind, duban.milestone, duban.answer_due_on) == ("duban", milestone, datetime.date(2026, 11, 27))


def test_the_supervision_page_refuses_the_branch_with_403_and_other_organs_with_404(
    client_for, secretary_of_branch_a, organ_staff_b, project
):
    url = reverse("projects:supervision_create", args=[project.pk])

    assert client_for(secretary_of_branch_a).get(url).status_code == 403
    assert client_for(organ_staff_b).get(url).status_code == 404


def test_supervising_a_draft_through_the_page_is_a_conflict(client_for, organ_staff_a, branch_a):
    project = ProjectFactory(branch=branch_a, submitted=True)
    client = client_for(organ_staff_a)
    url = reverse("projects:supervision_create", args=[project.pk])

    page = client.get(url)
    response = client.post(url, {"kind": "note", "text": "意见"})

    assert "进入实施后才能督查督办（当前状态：待机关党委审核）" in page.content.decode()
    assert response.status_code == 409
    assert not Supervision.objects.exists()


def test_the_secretary_answers_through_the_page(client_for, secretary_of_branch_a, project):
    duban = SupervisionFactory(project=project, duban=True)
    client = client_for(secretary_of_branch_a)
    url = reverse("projects:duban_answer", args=[duban.pk])

    response = client.post(url, {"answer": "已整改到位。"})
    again = client.post(url, {"answer": "再答一次"})

    assert response.status_code == 302
    duban.refresh_from_db()
    assert duban.answer == "已整改到位。"
    assert again.status_code == 409
    assert "已答复，不能重复答复" in again.content.decode()


def test_the_answer_page_refuses_staff_with_403_other_branches_with_404_and_notes_with_404(
    client_for, organ_staff_a, secretary_of_branch_b, secretary_of_branch_a, project
):
    duban = SupervisionFactory(project=project, duban=True)
    note = SupervisionFactory(project=project)

    assert client_for(organ_staff_a).get(reverse("projects:duban_answer", args=[duban.pk])).status_code == 403
    assert client_for(secretary_of_branch_b).get(reverse("projects:duban_answer", args=[duban.pk])).status_code == 404
    assert client_for(secretary_of_branch_a).get(reverse("projects:duban_answer", args=[note.pk])).status_code == 404


# --- on the project page ------------------------------------------------------------------


def render_panel(user, project) -> str:
    request = RequestFactory().get(project.get_absolute_url())
    request.user = user
    return render_to_string("projects/_progress.html", detail_context(request, project), request=request)


def test_the_panel_shows_duban_states_and_the_answer_form_to_the_branch_only(
    secretary_of_branch_a, organ_staff_a, member_user, project
):
    late = SupervisionFactory(project=project, duban=True, text="逾期督办", answer_due_on=datetime.date(2026, 11, 20))
    SupervisionFactory(project=project, duban=True, text="未到期督办", answer_due_on=datetime.date(2026, 11, 30))
    SupervisionFactory(
        project=project, duban=True, text="已答复督办", answer="已完成整改", answered_by=secretary_of_branch_a,
        answered_at=datetime.datetime(2026, 11, 21, 9, tzinfo=datetime.UTC),
    )  # fmt: skip
    TaskFactory(project=project, assignees=[member_user.member])

    branch_page = render_panel(secretary_of_branch_a, project)
    staff_page = render_panel(organ_staff_a, project)
    member_page = render_panel(member_user, project)

    assert "逾期未答复" in branch_page and "待答复" in branch_page and "已完成整改" in branch_page
    assert "2 项待答复" in branch_page
    answer_url = reverse("projects:duban_answer", args=[late.pk])
    assert answer_url in branch_page
    assert answer_url not in staff_page and answer_url not in member_page
    assert reverse("projects:supervision_create", args=[project.pk]) in staff_page
