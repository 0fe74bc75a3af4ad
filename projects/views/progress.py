"""Pages of 任务到人 and 节点督查: progress with evidence, tasks, supervision, 督办 and 我的任务."""

import datetime
from dataclasses import dataclass, field
from functools import cached_property

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Case, F, Value, When
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_http_methods

from accounts.scope import scope_of
from core.errors import DomainError, status_for
from core.uploads import upload_limit_mb

from .. import progress, rules
from ..access import (
    get_evidence_for_user,
    get_milestone_for_user,
    get_project_for_user,
    get_supervision_for_user,
    get_task_for_user,
)
from ..choices import SupervisionKind, TaskStatus
from ..forms.progress import DubanAnswerForm, ProgressForm, SupervisionForm, TaskForm, TaskProgressForm, task_args
from ..models import Milestone, MilestoneProgress, Project, Task
from ..permissions import ANSWER_SUPERVISION, DELETE_TASK, EDIT_TASK, REPORT_PROGRESS, SUPERVISE, UPDATE_TASK_PROGRESS
from ..progress import EvidenceRejected
from ..services import config_for_year

MY_TASKS_PAGE_SIZE = 20


# --- fetch and authorize ---------------------------------------------------------------


# --- the panel on the project page -----------------------------------------------------


@dataclass
class DateChange:
    when: datetime.datetime
    who: str
    old: datetime.date
    new: datetime.date
    reason: str


@dataclass(frozen=True)
class EvidenceLink:
    """What the page shows of an evidence file: its download token, name and size."""

    token: str
    original_name: str
    size: int


@dataclass
class MilestoneRow:
    milestone: Milestone
    reports: list
    is_overdue: bool
    days_overdue: int
    date_changes: list = field(default_factory=list)

    @property
    def original_planned_on(self) -> datetime.date | None:
        return self.date_changes[0].old if self.date_changes else None

    @cached_property
    def progress_url(self) -> str:
        return reverse("projects:milestone_progress", args=[self.milestone.pk])

    @cached_property
    def reschedule_url(self) -> str:
        return reverse("projects:milestone_reschedule", args=[self.milestone.pk])


@dataclass
class TaskRow:
    """A task with its assignees' names. Its links are built once though the page shows them twice
    (the phone and the desktop layouts)."""

    task: Task
    assignees: list[str]
    mine: bool
    is_overdue: bool

    @cached_property
    def update_url(self) -> str:
        return reverse("projects:task_update", args=[self.task.pk])

    @cached_property
    def edit_url(self) -> str:
        return reverse("projects:task_edit", args=[self.task.pk])

    @cached_property
    def delete_url(self) -> str:
        return reverse("projects:task_delete", args=[self.task.pk])


@dataclass
class ProgressPanel:
    """Everything the 节点督查 / 任务到人 part of the project page shows, in a fixed number of queries."""

    project: Project
    today: datetime.date
    rows: list
    tasks: list
    supervisions: list
    can_file: bool
    can_plan_tasks: bool
    can_supervise: bool
    can_answer: bool

    @property
    def frozen(self) -> bool:
        return self.project.status in progress.FROZEN_STATUSES

    @property
    def total_weight(self) -> int:
        return sum(row.milestone.weight for row in self.rows)

    @property
    def weighted_progress(self) -> float:
        total = self.total_weight
        if not total:
            return 0.0
        return round(sum(row.milestone.weight * row.milestone.percent for row in self.rows) / total, 1)

    @property
    def n_overdue(self) -> int:
        return sum(1 for row in self.rows if row.is_overdue)

    @property
    def n_completed(self) -> int:
        return sum(1 for row in self.rows if row.milestone.completed_on)

    @property
    def n_awaiting_answer(self) -> int:
        return sum(1 for s in self.supervisions if s.awaits_answer)

    @cached_property
    def project_url(self) -> str:
        return self.project.get_absolute_url()

    @cached_property
    def supervise_url(self) -> str:
        return reverse("projects:supervision_create", args=[self.project.pk])


def _date_changes(project: Project) -> dict[int, list[DateChange]]:
    """Planned-date moves per milestone, read from the history (one query)."""
    records = (
        Milestone.history.filter(project_id=project.pk)
        .select_related("history_user")
        .order_by("id", "history_date", "history_id")
    )
    changes: dict[int, list[DateChange]] = {}
    previous = {}
    for record in records:
        before = previous.get(record.id)
        if before is not None and record.history_type == "~" and before.planned_on != record.planned_on:
            changes.setdefault(record.id, []).append(
                DateChange(
                    when=record.history_date,
                    who=str(record.history_user) if record.history_user else "系统",
                    old=before.planned_on,
                    new=record.planned_on,
                    reason=record.history_change_reason or "",
                )
            )
        previous[record.id] = record
    return changes


def _reports(milestones: list[Milestone]) -> dict[int, list[MilestoneProgress]]:
    """Each milestone's reports, newest first, with their files (`report.evidence_files`), in one query:
    a report comes back once per file."""
    rows = (
        MilestoneProgress.objects.filter(milestone__in=milestones)
        .select_related("filed_by")
        .annotate(file_token=F("files__token"), file_name=F("files__original_name"), file_size=F("files__size"))
        .order_by("-filed_at", "-pk", "files__uploaded_at", "files__pk")
    )
    reports: dict[int, MilestoneProgress] = {}
    for row in rows:
        report = reports.get(row.pk)
        if report is None:
            report = reports[row.pk] = row
            report.evidence_files = []
        if row.file_token is not None:
            report.evidence_files.append(EvidenceLink(row.file_token, row.file_name, row.file_size))
    by_milestone: dict[int, list[MilestoneProgress]] = {}
    for report in reports.values():
        by_milestone.setdefault(report.milestone_id, []).append(report)
    return by_milestone


def _milestone_rows(project: Project, milestones: list[Milestone], today: datetime.date) -> list[MilestoneRow]:
    reports = _reports(milestones)
    changes = _date_changes(project)
    rows = []
    for milestone in milestones:
        milestone.project = project
        overdue = milestone.is_overdue(today)
        rows.append(
            MilestoneRow(
                milestone=milestone,
                reports=reports.get(milestone.pk, []),
                is_overdue=overdue,
                days_overdue=(today - milestone.planned_on).days if overdue else 0,
                date_changes=changes.get(milestone.pk, []),
            )
        )
    return rows


def _task_rows(project: Project, member_id: int | None, today: datetime.date) -> list[TaskRow]:
    """The tasks with their assignees' names, in one query: a task comes back once per assignee."""
    tasks = project.tasks.annotate(assignee_id=F("assignees__pk"), assignee_name=F("assignees__name")).order_by(
        "due_on", "pk", "assignees__name_pinyin", "assignees__pk"
    )
    rows: dict[int, TaskRow] = {}
    for task in tasks:
        row = rows.get(task.pk)
        if row is None:
            is_overdue = task.status != TaskStatus.DONE and task.due_on < today
            row = rows[task.pk] = TaskRow(task=task, assignees=[], mine=False, is_overdue=is_overdue)
        if task.assignee_id is not None:
            row.assignees.append(task.assignee_name)
            row.mine = row.mine or task.assignee_id == member_id
    return list(rows.values())


def build_panel(user, project: Project, *, today: datetime.date | None = None) -> ProgressPanel:
    today = today or timezone.localdate()
    milestones = list(project.milestones.order_by("planned_on", "pk"))
    by_pk = {milestone.pk: milestone for milestone in milestones}
    supervisions = list(project.supervisions.select_related("author", "answered_by").order_by("-created_at", "-pk"))
    for supervision in supervisions:
        # A supervision names a milestone of its own project, already loaded above.
        if supervision.milestone_id in by_pk:
            supervision.milestone = by_pk[supervision.milestone_id]
    writer = rules.is_branch_writer(user, project)
    return ProgressPanel(
        project=project,
        today=today,
        rows=_milestone_rows(project, milestones, today),
        tasks=_task_rows(project, scope_of(user).member_id, today),
        supervisions=supervisions,
        can_file=writer and project.is_running,
        can_plan_tasks=writer and project.status not in progress.FROZEN_STATUSES,
        can_supervise=rules.is_organ_reviewer(user, project) and project.is_running,
        can_answer=progress.is_branch_committee(user, project),
    )


def detail_context(request: HttpRequest, project: Project) -> dict:
    """The context the project page merges in for `projects/_progress.html`."""
    return {"progress_panel": build_panel(request.user, project)}


# --- helpers -----------------------------------------------------------------------------


def _project_crumbs(project: Project, *extra) -> list[tuple]:
    return [("支部项目", reverse("projects:project_list")), (project.title, project.get_absolute_url()), *extra]


def _error_status(exc: Exception) -> int:
    return status_for(exc)


def _blocked_status(request: HttpRequest, blocked: str) -> int:
    """A step the project's state refuses: the page explains; a POST answers 409 Conflict."""
    return 409 if blocked and request.method == "POST" else 200


def _next_url(request: HttpRequest, default: str) -> str:
    target = request.POST.get("next") or request.GET.get("next")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return default


# --- 节点进展 -----------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def milestone_progress(request: HttpRequest, pk: int) -> HttpResponse:
    milestone = get_milestone_for_user(request.user, pk)
    project = milestone.project
    REPORT_PROGRESS.require(request.user, project)
    max_mb = upload_limit_mb(config_for_year(project.year).max_evidence_mb)
    form = ProgressForm(request.POST or None, request.FILES or None, milestone=milestone, max_mb=max_mb)
    blocked = progress.not_running_reason(project, "填报节点进展")
    status = _blocked_status(request, blocked)
    if not blocked and request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            progress.file_progress(
                milestone,
                by=request.user,
                text=data["text"],
                percent=data["percent"],
                files=data["files"],
                completed_on=data["completed_on"],
            )
        except DomainError as exc:
            form.add_error("files" if isinstance(exc, EvidenceRejected) else None, str(exc))
            status = _error_status(exc)
        else:
            n = len(data["files"])
            messages.success(request, f"已填报“{milestone.title}”的进展" + (f"，上传佐证材料 {n} 个。" if n else "。"))
            return redirect(f"{project.get_absolute_url()}#milestone-{milestone.pk}")
    return render(
        request,
        "projects/progress_form.html",
        {
            "nav": "projects",
            "form": form,
            "milestone": milestone,
            "project": project,
            "blocked": blocked,
            "today": timezone.localdate(),
            "breadcrumbs": _project_crumbs(project, (f"填报进展：{milestone.title}", None)),
        },
        status=status,
    )


@login_required
@require_GET
def evidence_download(request: HttpRequest, token: str) -> FileResponse:
    return get_evidence_for_user(request.user, token).download()


# --- 任务到人 -----------------------------------------------------------------------------


def _task_form_page(request, form, project, title: str, *, status=200, task=None, blocked=""):
    return render(
        request,
        "projects/task_form.html",
        {
            "nav": "projects",
            "form": form,
            "project": project,
            "task": task,
            "title": title,
            "blocked": blocked,
            "breadcrumbs": _project_crumbs(project, (title, None)),
        },
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def task_create(request: HttpRequest, project_pk: int) -> HttpResponse:
    project = get_project_for_user(request.user, project_pk, write=True)
    form = TaskForm(request.POST or None, project=project)
    blocked = progress.frozen_reason(project, "不能再分派任务")
    status = _blocked_status(request, blocked)
    if not blocked and request.method == "POST" and form.is_valid():
        try:
            task = progress.create_task(project, by=request.user, **task_args(form.cleaned_data))
        except DomainError as exc:
            form.add_error(None, str(exc))
            status = _error_status(exc)
        else:
            messages.success(request, f"已分派任务“{task.title}”。")
            return redirect(f"{project.get_absolute_url()}#tasks")
    return _task_form_page(request, form, project, "分派任务", status=status, blocked=blocked)


@login_required
@require_http_methods(["GET", "POST"])
def task_edit(request: HttpRequest, pk: int) -> HttpResponse:
    task = get_task_for_user(request.user, pk)
    project = task.project
    EDIT_TASK.require(request.user, project)
    form = TaskForm(request.POST or None, instance=task, project=project)
    blocked = progress.frozen_reason(project, "任务不能再修改")
    status = _blocked_status(request, blocked)
    if not blocked and request.method == "POST" and form.is_valid():
        try:
            progress.update_task(task, by=request.user, **task_args(form.cleaned_data))
        except DomainError as exc:
            form.add_error(None, str(exc))
            status = _error_status(exc)
        else:
            messages.success(request, "任务已保存。")
            return redirect(f"{project.get_absolute_url()}#tasks")
    return _task_form_page(request, form, project, f"修改任务：{task.title}", status=status, task=task, blocked=blocked)


@login_required
@require_http_methods(["GET", "POST"])
def task_delete(request: HttpRequest, pk: int) -> HttpResponse:
    task = get_task_for_user(request.user, pk)
    project = task.project
    DELETE_TASK.require(request.user, project)
    if request.method == "POST":
        try:
            progress.delete_task(task, by=request.user)
        except DomainError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, f"已删除任务“{task.title}”。")
        return redirect(f"{project.get_absolute_url()}#tasks")
    return render(
        request,
        "confirm.html",
        {
            "title": f"删除任务“{task.title}”",
            "danger": True,
            "explain": "删除后任务从项目中移除，删除记录保留在变更历史中。",
            "cancel_url": f"{project.get_absolute_url()}#tasks",
            "nav": "projects",
            "breadcrumbs": _project_crumbs(project, ("删除任务", None)),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def task_update(request: HttpRequest, pk: int) -> HttpResponse:
    """An assignee marks progress on a task (from 我的任务 or the project page)."""
    task = get_task_for_user(request.user, pk)
    project = task.project
    assignee = progress.is_assignee(request.user, task)
    UPDATE_TASK_PROGRESS.require(request.user, task)
    default_next = reverse("projects:my_tasks") if assignee else f"{project.get_absolute_url()}#tasks"
    form = TaskProgressForm(request.POST or None, initial={"status": task.status, "progress_note": task.progress_note})
    blocked = progress.frozen_reason(project, "任务进展不能再修改")
    status = _blocked_status(request, blocked)
    if not blocked and request.method == "POST" and form.is_valid():
        try:
            progress.update_task_progress(
                task, by=request.user, status=form.cleaned_data["status"], note=form.cleaned_data["progress_note"]
            )
        except DomainError as exc:
            form.add_error(None, str(exc))
            status = _error_status(exc)
        else:
            messages.success(request, f"已更新任务“{task.title}”的进展。")
            return redirect(_next_url(request, default_next))
    if assignee:
        crumbs = [("我的任务", default_next), (task.title, None)]
    else:
        crumbs = _project_crumbs(project, ("更新任务进展", None))
    return render(
        request,
        "projects/task_form.html",
        {
            "nav": "my_tasks" if assignee else "projects",
            "form": form,
            "project": project,
            "task": task,
            "blocked": blocked,
            "title": f"更新任务进展：{task.title}",
            "next": _next_url(request, default_next),
            "breadcrumbs": crumbs,
        },
        status=status,
    )


@login_required
@require_GET
def my_tasks(request: HttpRequest) -> HttpResponse:
    """我的任务: a member's tasks across projects, open ones first."""
    member_id = scope_of(request.user).member_id
    show_all = request.GET.get("show") == "all"
    tasks = Task.objects.none()
    if member_id is not None:
        tasks = Task.objects.filter(assignees=member_id, project__in=Project.objects.visible_to(request.user))
        if not show_all:
            tasks = tasks.exclude(status=TaskStatus.DONE)
        tasks = (
            tasks.select_related("project__branch")
            .prefetch_related("assignees")
            .annotate(is_done=Case(When(status=TaskStatus.DONE, then=Value(1)), default=Value(0)))
            .order_by("is_done", "due_on", "pk")
        )
    page = Paginator(tasks, MY_TASKS_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "projects/my_tasks.html",
        {
            "nav": "my_tasks",
            "page": page,
            "tasks": page.object_list,
            "has_member": member_id is not None,
            "show_all": show_all,
            "today": timezone.localdate(),
            "status_choices": TaskStatus.choices,
            "breadcrumbs": [("我的任务", None)],
        },
    )


# --- 节点督查 -----------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def supervision_create(request: HttpRequest, project_pk: int) -> HttpResponse:
    project = get_project_for_user(request.user, project_pk)
    SUPERVISE.require(request.user, project)
    answer_days = config_for_year(project.year).duban_answer_days
    initial = {}
    if request.GET.get("milestone", "").isdigit():
        initial["milestone"] = project.milestones.filter(pk=int(request.GET["milestone"])).first()
    if request.GET.get("kind") in SupervisionKind.values:
        initial["kind"] = request.GET["kind"]
    form = SupervisionForm(request.POST or None, project=project, answer_days=answer_days, initial=initial)
    blocked = progress.not_running_reason(project, "督查督办")
    status = _blocked_status(request, blocked)
    if not blocked and request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            item = progress.add_supervision(
                project,
                by=request.user,
                kind=data["kind"],
                text=data["text"],
                milestone=data["milestone"],
                answer_due_on=data["answer_due_on"],
            )
        except DomainError as exc:
            form.add_error(None, str(exc))
            status = _error_status(exc)
        else:
            messages.success(request, f"已{item.get_kind_display()}，支部书记和支委已收到通知。")
            return redirect(f"{project.get_absolute_url()}#supervision")
    return render(
        request,
        "projects/supervision_form.html",
        {
            "nav": "projects",
            "form": form,
            "project": project,
            "blocked": blocked,
            "title": "督查督办",
            "breadcrumbs": _project_crumbs(project, ("督查督办", None)),
        },
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def duban_answer(request: HttpRequest, pk: int) -> HttpResponse:
    supervision = get_supervision_for_user(request.user, pk)
    project = supervision.project
    ANSWER_SUPERVISION.require(request.user, project)
    if supervision.kind != SupervisionKind.DUBAN:
        raise Http404("督查意见无需答复。")
    form = DubanAnswerForm(request.POST or None)
    blocked = "该督办已答复，不能重复答复。" if supervision.answered_at is not None else ""
    status = _blocked_status(request, blocked)
    if not blocked and request.method == "POST" and form.is_valid():
        try:
            progress.answer_duban(supervision, by=request.user, answer=form.cleaned_data["answer"])
        except DomainError as exc:
            form.add_error(None, str(exc))
            status = _error_status(exc)
        else:
            messages.success(request, "督办已答复，督办人已收到通知。")
            return redirect(f"{project.get_absolute_url()}#supervision")
    return render(
        request,
        "projects/supervision_form.html",
        {
            "nav": "projects",
            "form": form,
            "project": project,
            "supervision": supervision,
            "blocked": blocked,
            "title": "答复督办",
            "breadcrumbs": _project_crumbs(project, ("答复督办", None)),
        },
        status=status,
    )
