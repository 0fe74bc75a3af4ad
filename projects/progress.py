"""任务到人 and 节点督查: progress on milestones with evidence, tasks, supervision notes and 督办.

Every function checks the role (projects/rules.py) and the project's state, writes in one
transaction with the acting user on the history, and sends notifications after commit.
"""

import datetime

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from accounts.scope import scope_of
from accounts.selectors import branch_committee_users
from core.uploads import MB, CheckedFile, UploadRejected, check_uploads, discard_files, upload_limit_mb
from notifications.services import notify

from . import rules
from .choices import ProjectStatus, SupervisionKind, TaskStatus
from .models import (
    RUNNING_STATUSES,
    Evidence,
    Milestone,
    MilestoneProgress,
    Project,
    ProjectEvent,
    Supervision,
    Task,
)
from .permissions import ANSWER_SUPERVISION, DELETE_TASK, EDIT_TASK, REPORT_PROGRESS, SUPERVISE, UPDATE_TASK_PROGRESS
from .services import IllegalTransition, ProjectError, config_for_year

# Once acceptance is requested the record of what was done is frozen for the reviewers.
FROZEN_STATUSES = (ProjectStatus.ACCEPTANCE_REQUESTED, ProjectStatus.ACCEPTED)


def _today(today: datetime.date | None) -> datetime.date:
    return today or timezone.localdate()


def not_running_reason(project: Project, what: str) -> str:
    """Why the step is refused before the project runs, or "" when it runs."""
    if project.status in RUNNING_STATUSES:
        return ""
    return f"项目审核通过、进入实施后才能{what}（当前状态：{project.get_status_display()}）。"


def frozen_reason(project: Project, what: str) -> str:
    """Why the step is refused once acceptance is requested, or "" before that."""
    if project.status not in FROZEN_STATUSES:
        return ""
    return f"项目已申请验收，{what}（当前状态：{project.get_status_display()}）。"


def _require_running(project: Project, what: str) -> None:
    if reason := not_running_reason(project, what):
        raise IllegalTransition(reason)


def _require_not_frozen(project: Project, what: str) -> None:
    if reason := frozen_reason(project, what):
        raise IllegalTransition(reason)


def is_branch_committee(user, project: Project) -> bool:
    """The branch's own secretary and committee: those who must answer a 督办 for the branch."""
    return project.branch_id in scope_of(user).branch_ids


def is_assignee(user, task: Task) -> bool:
    member_id = scope_of(user).member_id
    return member_id is not None and any(m.pk == member_id for m in task.assignees.all())


def can_update_task(user, task: Task) -> bool:
    """Progress on a task is its assignees' to report, or the branch committee's on their behalf."""
    return is_assignee(user, task) or rules.is_branch_writer(user, task.project)


def _member_users(members) -> list:
    return list(User.objects.filter(is_active=True, member__in=members))


# --- 节点进展 -----------------------------------------------------------------------------


class EvidenceRejected(ProjectError):
    """An evidence file is not acceptable; the message names the file."""


def _store_evidence(project: Project, report: MilestoneProgress, checked: list[CheckedFile], by) -> list[str]:
    stored = []
    try:
        for item in checked:
            stored.append(Evidence(project=project, report=report).store(item, by=by))
    except BaseException:
        discard_files(stored)
        raise
    return stored


def _completion_date(percent: int, completed_on, today: datetime.date, project: Project):
    if percent < 100:
        if completed_on is not None:
            raise ProjectError("进度未达到 100% 时不填写实际完成日期。")
        return None
    completed_on = completed_on or today
    if completed_on > today:
        raise ProjectError("实际完成日期不能晚于今天。")
    if completed_on < project.start_on:
        raise ProjectError(f"实际完成日期不能早于项目开始日期（{project.start_on:%Y-%m-%d}）。")
    return completed_on


def file_progress(
    milestone: Milestone,
    *,
    by,
    text: str,
    percent: int,
    files=(),
    completed_on: datetime.date | None = None,
    today: datetime.date | None = None,
) -> MilestoneProgress:
    """File progress on a milestone; every file is checked before anything is written."""
    today = _today(today)
    stored: list[str] = []
    try:
        with transaction.atomic():
            milestone = Milestone.objects.select_for_update().select_related("project__branch").get(pk=milestone.pk)
            project = milestone.project
            REPORT_PROGRESS.require(by, project)
            _require_running(project, "填报节点进展")
            text = (text or "").strip()
            if not text:
                raise ProjectError("请填写进展情况。")
            percent = int(percent)
            if not 0 <= percent <= 100:
                raise ProjectError("完成进度应在 0 到 100 之间。")
            completed_on = _completion_date(percent, completed_on, today, project)
            config = config_for_year(project.year)
            try:
                checked = check_uploads(files, max_bytes=upload_limit_mb(config.max_evidence_mb) * MB)
            except UploadRejected as exc:
                raise EvidenceRejected(str(exc)) from exc

            report = MilestoneProgress.objects.create(milestone=milestone, text=text, percent=percent, filed_by=by)
            if (milestone.percent, milestone.completed_on) != (percent, completed_on):
                milestone.percent, milestone.completed_on = percent, completed_on
                milestone._history_user = by
                milestone._change_reason = f"填报进展 {percent}%" + (
                    f"，{completed_on:%Y-%m-%d} 完成" if completed_on else ""
                )
                milestone.save(update_fields=["percent", "completed_on"])
            stored = _store_evidence(project, report, checked, by)
    except BaseException:
        # The rows rolled back; the files written before the failure must go too.
        discard_files(stored)
        raise
    return report


# --- 任务到人 -----------------------------------------------------------------------------


def _clean_task_fields(project: Project, *, title: str, assignees, due_on: datetime.date) -> tuple[str, list]:
    title = (title or "").strip()
    if not title:
        raise ProjectError("请填写任务名称。")
    assignees = list(assignees)
    if not assignees:
        raise ProjectError("请至少指定一名责任人。")
    strangers = [m.name for m in assignees if m.branch_id != project.branch_id]
    if strangers:
        raise ProjectError(f"责任人须为本支部党员：{'、'.join(strangers)} 不在本支部。")
    if not project.start_on <= due_on <= project.end_on:
        raise ProjectError(
            f"完成期限应在项目起止日期之间（{project.start_on:%Y-%m-%d} 至 {project.end_on:%Y-%m-%d}）。"
        )
    return title, assignees


def _notify_assignees(task: Task, members, project: Project) -> None:
    users = _member_users(members)
    if users:
        notify(
            users,
            title=f"新任务：{task.title}",
            body=f"{project.branch.name}“{project.title}”项目给您分派了任务，完成期限 {task.due_on:%Y-%m-%d}。",
            url=reverse("projects:my_tasks"),
        )


@transaction.atomic
def create_task(project: Project, *, by, title: str, description: str, assignees, due_on: datetime.date) -> Task:
    project = Project.objects.select_for_update().select_related("branch").get(pk=project.pk)
    if not rules.is_branch_writer(by, project):
        raise PermissionDenied("只有本支部书记或支委可以分派任务。")
    _require_not_frozen(project, "不能再分派任务")
    title, assignees = _clean_task_fields(project, title=title, assignees=assignees, due_on=due_on)
    task = Task(project=project, title=title, description=(description or "").strip(), due_on=due_on)
    task._history_user = by
    task._change_reason = "分派任务：" + "、".join(m.name for m in assignees)
    task.save()
    task.assignees.set(assignees)
    _notify_assignees(task, assignees, project)
    return task


@transaction.atomic
def update_task(task: Task, *, by, title: str, description: str, assignees, due_on: datetime.date) -> Task:
    task = Task.objects.select_for_update().select_related("project__branch").get(pk=task.pk)
    project = task.project
    EDIT_TASK.require(by, project)
    _require_not_frozen(project, "任务不能再修改")
    title, assignees = _clean_task_fields(project, title=title, assignees=assignees, due_on=due_on)
    before = set(task.assignees.values_list("pk", flat=True))
    after = {m.pk for m in assignees}
    reasons = []
    if task.due_on != due_on:
        reasons.append(f"完成期限 {task.due_on:%Y-%m-%d} → {due_on:%Y-%m-%d}")
    if before != after:
        # Assignees are a many-to-many the history does not track: the reason keeps them on record.
        reasons.append("责任人调整为：" + "、".join(m.name for m in assignees))
    task.title, task.description, task.due_on = title, (description or "").strip(), due_on
    task._history_user = by
    task._change_reason = "；".join(reasons) or "修改任务"
    task.save()
    if before != after:
        task.assignees.set(assignees)
        _notify_assignees(task, [m for m in assignees if m.pk not in before], project)
    return task


@transaction.atomic
def delete_task(task: Task, *, by) -> None:
    task = Task.objects.select_for_update().select_related("project__branch").get(pk=task.pk)
    DELETE_TASK.require(by, task.project)
    _require_not_frozen(task.project, "任务不能再删除")
    task._history_user = by
    task._change_reason = "删除任务"
    task.delete()


@transaction.atomic
def update_task_progress(task: Task, *, by, status: str, note: str = "", today: datetime.date | None = None) -> Task:
    """An assignee (or the branch committee) marks how far a task has come."""
    task = Task.objects.select_for_update().select_related("project__branch").get(pk=task.pk)
    project = task.project
    UPDATE_TASK_PROGRESS.require(by, task)
    _require_not_frozen(project, "任务进展不能再修改")
    if status not in TaskStatus.values:
        raise ProjectError("请选择任务状态。")
    note = (note or "").strip()
    if len(note) > Task._meta.get_field("progress_note").max_length:
        raise ProjectError("进展说明不能超过 300 字。")
    became_done = status == TaskStatus.DONE and task.status != TaskStatus.DONE
    if status == TaskStatus.DONE:
        task.completed_on = task.completed_on or _today(today)
    else:
        task.completed_on = None
    if (task.status, task.progress_note) == (status, note) and not became_done:
        return task
    task.status, task.progress_note = status, note
    task._history_user = by
    task._change_reason = f"更新进展：{TaskStatus(status).label}"
    task.save(update_fields=["status", "progress_note", "completed_on"])
    if became_done and not is_branch_committee(by, project):
        notify(
            branch_committee_users(project.branch_id).exclude(pk=by.pk),
            title=f"任务已完成：{task.title}",
            body=f"{by} 将“{project.title}”项目的任务“{task.title}”标记为已完成。",
            url=project.get_absolute_url(),
            key=f"task:{task.pk}:done",
        )
    return task


# --- 节点督查 -----------------------------------------------------------------------------


@transaction.atomic
def add_supervision(
    project: Project,
    *,
    by,
    kind: str,
    text: str,
    milestone: Milestone | None = None,
    answer_due_on: datetime.date | None = None,
    today: datetime.date | None = None,
) -> Supervision:
    """A supervision note, or a 督办 that the branch must answer by a date."""
    today = _today(today)
    project = Project.objects.select_for_update().select_related("branch").get(pk=project.pk)
    SUPERVISE.require(by, project)
    _require_running(project, "督查督办")
    text = (text or "").strip()
    if not text:
        raise ProjectError("请填写督查意见。")
    if kind not in SupervisionKind.values:
        raise ProjectError("请选择督查类型。")
    if milestone is not None and milestone.project_id != project.pk:
        raise ProjectError("所选节点不属于该项目。")
    if kind == SupervisionKind.DUBAN:
        answer_days = config_for_year(project.year).duban_answer_days
        answer_due_on = answer_due_on or today + datetime.timedelta(days=answer_days)
        if answer_due_on < today:
            raise ProjectError("答复期限不能早于今天。")
    else:
        answer_due_on = None
    supervision = Supervision.objects.create(
        project=project, milestone=milestone, kind=kind, text=text, author=by, answer_due_on=answer_due_on
    )
    about = f"（节点：{milestone.title}）" if milestone else ""
    if kind == SupervisionKind.DUBAN:
        ProjectEvent.objects.create(project=project, actor=by, action="下发督办", reason=f"{text}{about}")
        title = f"督办：{project.title}，请于 {answer_due_on:%Y-%m-%d} 前答复"
    else:
        title = f"督查意见：{project.title}"
    notify(
        branch_committee_users(project.branch_id),
        title=title,
        body=f"{by}：{text}{about}",
        url=project.get_absolute_url(),
        key=f"supervision:{supervision.pk}:issued",
    )
    return supervision


@transaction.atomic
def answer_duban(supervision: Supervision, *, by, answer: str) -> Supervision:
    """The branch answers a 督办 once; the answer and who gave it stay on record."""
    supervision = (
        Supervision.objects.select_for_update().select_related("project__branch", "author").get(pk=supervision.pk)
    )
    project = supervision.project
    ANSWER_SUPERVISION.require(by, project)
    if supervision.kind != SupervisionKind.DUBAN:
        raise ProjectError("督查意见无需答复。")
    if supervision.answered_at is not None:
        raise IllegalTransition("该督办已答复，不能重复答复。")
    answer = (answer or "").strip()
    if not answer:
        raise ProjectError("请填写答复内容。")
    supervision.answer, supervision.answered_by, supervision.answered_at = answer, by, timezone.now()
    supervision.save(update_fields=["answer", "answered_by", "answered_at"])
    ProjectEvent.objects.create(project=project, actor=by, action="答复督办", reason=answer)
    notify(
        [supervision.author],
        title=f"督办已答复：{project.title}",
        body=f"{project.branch.name}：{answer}",
        url=project.get_absolute_url(),
        key=f"supervision:{supervision.pk}:answered",
    )
    return supervision
