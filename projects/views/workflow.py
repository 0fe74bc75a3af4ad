"""Pages of 党委出题 and 支部立项 → 审核 → 备案: topic lists, the project form and page, the project
list and its export, the reviewer's queue and the 未立项预警."""

import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Case, Count, DateField, Exists, F, OuterRef, Value, When
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST
from django_tables2 import RequestConfig

from accounts.scope import scope_of
from branches.models import Branch
from core.errors import DomainError, status_for
from core.history import history_of

from .. import rules, selectors, services
from ..access import (
    can_file_projects,
    can_publish_any_topics,
    filing_branches,
    get_milestone_for_user,
    get_project_for_reviewer,
    get_project_for_user,
    get_topic_for_user,
    get_topic_list_for_user,
    is_reviewer,
    topic_lists_for,
)
from ..choices import ProjectStatus
from ..exports import filtered_projects, project_list_export
from ..filters import ALL_YEARS, ProjectFilter
from ..forms.workflow import (
    NoteForm,
    ProjectForm,
    ReopenForm,
    RescheduleForm,
    ReturnForm,
    TopicForm,
    TopicListForm,
    check_milestone_dates,
    plan_formsets,
    save_project,
)
from ..models import Project, Topic, TopicList
from ..permissions import FILE_PROJECT, FILE_PROJECTS, PUBLISH_TOPICS, RETURN_AT_FILING, SEE_PROJECTS, SEE_TOPICS
from ..selectors import review_sections
from ..tables import ProjectTable
from . import acceptance as views_acceptance
from . import experts as views_experts
from . import progress as views_progress

PAGE_SIZE = 30
# A branch has filed once a project reached the 机关党委; drafts and returned projects do not count.
FILED_STATUSES = (
    ProjectStatus.SUBMITTED,
    ProjectStatus.APPROVED,
    ProjectStatus.FILED,
    ProjectStatus.ACCEPTANCE_REQUESTED,
    ProjectStatus.ACCEPTED,
)


def _require(condition: bool, message: str) -> None:
    if not condition:
        raise PermissionDenied(message)


def _project_crumbs(project: Project | None = None, *extra) -> list[tuple]:
    crumbs = [("支部项目", reverse("projects:project_list"))]
    if project is not None:
        crumbs.append((project.title, project.get_absolute_url()))
    return crumbs + list(extra)


def _topic_crumbs(topic_list: TopicList | None = None, *extra) -> list[tuple]:
    crumbs = [("党委出题", reverse("projects:topic_list_index"))]
    if topic_list is not None:
        crumbs.append((str(topic_list), reverse("projects:topic_list_detail", args=[topic_list.pk])))
    return crumbs + list(extra)


# --- 党委出题 ---------------------------------------------------------------------------


def window_state(topic_list: TopicList, today: datetime.date) -> tuple[str, str]:
    """(label, Bootstrap colour) of a topic list's filing window on `today`."""
    if not topic_list.is_published:
        return "未发布", "secondary"
    if today < topic_list.opens_on:
        return "未开始", "info"
    if today <= topic_list.closes_on:
        return "填报中", "success"
    if topic_list.reopened_until and today <= topic_list.reopened_until:
        return "补报中", "warning"
    return "已截止", "dark"


@login_required
def topic_list_index(request: HttpRequest) -> HttpResponse:
    SEE_TOPICS.require(request.user)
    today = timezone.localdate()
    lists = topic_lists_for(request.user).annotate(n_topics=Count("topics")).order_by("-year", "organ__sort_order")
    page = Paginator(lists, PAGE_SIZE).get_page(request.GET.get("page"))
    for topic_list in page.object_list:
        topic_list.state = window_state(topic_list, today)
    return render(
        request,
        "projects/topic_list_index.html",
        {
            "nav": "topics",
            "page": page,
            "can_create": can_publish_any_topics(request.user),
            "breadcrumbs": [("党委出题", None)],
        },
    )


@login_required
def topic_list_detail(request: HttpRequest, pk: int) -> HttpResponse:
    topic_list = get_topic_list_for_user(request.user, pk)
    today = timezone.localdate()
    can_write = rules.can_publish_topics(request.user, topic_list.organ_id)
    topics = topic_list.topics.annotate(n_projects=Count("projects")).order_by("pk")
    return render(
        request,
        "projects/topic_list_detail.html",
        {
            "nav": "topics",
            "topic_list": topic_list,
            "topics": topics,
            "state": window_state(topic_list, today),
            "can_write": can_write,
            "can_file": topic_list.is_open_on(today) and filing_branches(request.user).exists(),
            "history": history_of(TopicList.history.filter(id=topic_list.pk), TopicList) if can_write else [],
            "breadcrumbs": _topic_crumbs(None, (str(topic_list), None)),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def topic_list_create(request: HttpRequest) -> HttpResponse:
    PUBLISH_TOPICS.require(request.user)
    today = timezone.localdate()
    initial = {"year": today.year, "opens_on": today, "closes_on": today + datetime.timedelta(days=30)}
    form = TopicListForm(request.POST or None, initial=initial, user=request.user)
    if request.method == "POST" and form.is_valid():
        topic_list = form.save(commit=False)
        topic_list.created_by = request.user
        topic_list._history_user = request.user
        topic_list.save()
        messages.success(request, f"已创建 {topic_list}，请添加题目后发布。")
        return redirect("projects:topic_list_detail", topic_list.pk)
    return render(
        request,
        "projects/topic_list_form.html",
        {
            "form": form,
            "title": "发布年度选题",
            "nav": "topics",
            "cancel_url": reverse("projects:topic_list_index"),
            "breadcrumbs": _topic_crumbs(None, ("新建选题", None)),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def topic_list_edit(request: HttpRequest, pk: int) -> HttpResponse:
    topic_list = get_topic_list_for_user(request.user, pk, write=True)
    if topic_list.is_published:
        messages.error(request, "选题已发布，立项期限不能再修改；如需延长，请使用“开放补报”。")
        return redirect("projects:topic_list_detail", topic_list.pk)
    form = TopicListForm(request.POST or None, instance=topic_list, user=request.user)
    if request.method == "POST" and form.is_valid():
        topic_list = form.save(commit=False)
        topic_list._history_user = request.user
        topic_list.save()
        messages.success(request, "立项期限已保存。")
        return redirect("projects:topic_list_detail", topic_list.pk)
    return render(
        request,
        "projects/topic_list_form.html",
        {
            "form": form,
            "title": f"编辑 {topic_list}",
            "nav": "topics",
            "cancel_url": reverse("projects:topic_list_detail", args=[topic_list.pk]),
            "breadcrumbs": _topic_crumbs(topic_list, ("编辑", None)),
        },
    )


@login_required
@require_POST
def topic_list_publish(request: HttpRequest, pk: int) -> HttpResponse:
    topic_list = get_topic_list_for_user(request.user, pk, write=True)
    try:
        services.publish_topic_list(topic_list, by=request.user)
    except DomainError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"{topic_list} 已发布，相关支部可以据此立项。")
    return redirect("projects:topic_list_detail", topic_list.pk)


@login_required
@require_http_methods(["GET", "POST"])
def topic_list_reopen(request: HttpRequest, pk: int) -> HttpResponse:
    topic_list = get_topic_list_for_user(request.user, pk, write=True)
    form = ReopenForm(request.POST or None, topic_list=topic_list)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            services.reopen_filing(
                topic_list, until=form.cleaned_data["until"], reason=form.cleaned_data["reason"], by=request.user
            )
        except DomainError as exc:
            form.add_error(None, str(exc))
            status = status_for(exc)
        else:
            messages.success(request, f"已开放补报至 {form.cleaned_data['until']:%Y-%m-%d}。")
            return redirect("projects:topic_list_detail", topic_list.pk)
    return render(
        request,
        "confirm.html",
        {
            "form": form,
            "title": "开放补报",
            "explain": "截止后开放补报是一项留痕操作：补报截止日期和原因将记入变更记录，支部可在补报期内提交项目。",
            "cancel_url": reverse("projects:topic_list_detail", args=[topic_list.pk]),
            "nav": "topics",
            "breadcrumbs": _topic_crumbs(topic_list, ("开放补报", None)),
        },
        status=status,
    )


def _topic_page(request, form, topic_list: TopicList, title: str, topic: Topic | None = None) -> HttpResponse:
    return render(
        request,
        "projects/topic_form.html",
        {
            "form": form,
            "title": title,
            "topic": topic,
            "topic_list": topic_list,
            "nav": "topics",
            "breadcrumbs": _topic_crumbs(topic_list, (title, None)),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def topic_create(request: HttpRequest, list_pk: int) -> HttpResponse:
    topic_list = get_topic_list_for_user(request.user, list_pk, write=True)
    form = TopicForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        topic = form.save(commit=False)
        topic.topic_list = topic_list
        topic.save()
        messages.success(request, f"已添加题目“{topic.title}”。")
        return redirect("projects:topic_list_detail", topic_list.pk)
    return _topic_page(request, form, topic_list, "添加题目")


@login_required
@require_http_methods(["GET", "POST"])
def topic_edit(request: HttpRequest, pk: int) -> HttpResponse:
    topic = get_topic_for_user(request.user, pk, write=True)
    topic_list = topic.topic_list
    # Once a branch chose the topic, its wording is part of their filed project.
    if topic.projects.exists():
        messages.error(request, "已有支部选择该题目立项，题目不能再修改或删除。")
        return redirect("projects:topic_list_detail", topic_list.pk)
    if request.method == "POST" and "delete" in request.POST:
        topic.delete()
        messages.success(request, f"已删除题目“{topic.title}”。")
        return redirect("projects:topic_list_detail", topic_list.pk)
    form = TopicForm(request.POST or None, instance=topic)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, "题目已保存。")
        return redirect("projects:topic_list_detail", topic_list.pk)
    return _topic_page(request, form, topic_list, "编辑题目", topic)


# --- 支部立项 ---------------------------------------------------------------------------


BRANCH_PROJECTS_PART = "branch-projects"


def _branch_projects(form: ProjectForm, project: Project | None) -> dict:
    """The panel of the form that lists the branch's other projects of the year, with the year's cap on them.

    One branch, one project is the rule of thumb, not a law: the secretary sees what the branch already
    runs that year before filing another; the cap, when the year's rules set one, is enforced on saving.
    """
    url = reverse("projects:project_edit", args=[project.pk]) if project else reverse("projects:project_create")
    panel = {"part_url": f"{url}?part={BRANCH_PROJECTS_PART}", "editing": project is not None, "branch": None}
    branch, year = form.chosen_branch_year()
    if branch is None or year is None:
        return panel
    others = list(selectors.branch_year_projects(branch.pk, year, exclude_pk=project.pk if project else None))
    cap = services.config_for_year(year).max_projects_per_branch
    return panel | {
        "branch": branch,
        "year": year,
        "others": others,
        "cap": cap,
        "full": cap is not None and len(others) >= cap,
    }


def _branch_projects_part(request, form: ProjectForm, project: Project | None) -> HttpResponse:
    """The panel alone, for htmx when the branch or the year is changed on the form."""
    return render(request, "projects/_branch_year_projects.html", {"panel": _branch_projects(form, project)})


def _project_form_page(request, form, targets, milestones, *, title: str, project=None, status=200) -> HttpResponse:
    return render(
        request,
        "projects/project_form.html",
        {
            "form": form,
            "targets": targets,
            "milestones": milestones,
            "panel": _branch_projects(form, project),
            "title": title,
            "project": project,
            "nav": "projects",
            "cancel_url": project.get_absolute_url() if project else reverse("projects:project_list"),
            "breadcrumbs": _project_crumbs(project, (title, None)),
        },
        status=status,
    )


def _save_from_post(request, form, targets, milestones) -> Project | None:
    valid = form.is_valid() & targets.is_valid() & milestones.is_valid()
    if not (valid and check_milestone_dates(form, milestones)):
        return None
    try:
        return save_project(form, targets, milestones, by=request.user)
    except DomainError as exc:
        form.add_error(None, str(exc))
        return None


@login_required
@require_http_methods(["GET", "POST"])
def project_create(request: HttpRequest) -> HttpResponse:
    FILE_PROJECTS.require(request.user)
    initial = {"year": timezone.localdate().year}
    if request.GET.get("topic", "").isdigit():
        topic = get_topic_for_user(request.user, int(request.GET["topic"]))
        initial.update(topic=topic.pk, year=topic.topic_list.year, direction=topic.direction)
    if request.GET.get("branch", "").isdigit():
        initial["branch"] = int(request.GET["branch"])
    if request.GET.get("year", "").isdigit():
        initial["year"] = int(request.GET["year"])
    data = request.POST if request.method == "POST" else None
    form = ProjectForm(data, initial=initial, user=request.user)
    if request.htmx and request.GET.get("part") == BRANCH_PROJECTS_PART:
        return _branch_projects_part(request, form, None)
    targets, milestones = plan_formsets(data, instance=Project())
    if data is not None and (project := _save_from_post(request, form, targets, milestones)):
        messages.success(request, "项目草稿已保存。完善指标和节点后，请提交机关党委审核。")
        return redirect(project)
    return _project_form_page(request, form, targets, milestones, title="填报支部项目")


@login_required
@require_http_methods(["GET", "POST"])
def project_edit(request: HttpRequest, pk: int) -> HttpResponse:
    project = get_project_for_user(request.user, pk, write=True)
    if not project.is_editable:
        messages.error(request, f"项目{project.get_status_display()}，不能再修改；节点日期请通过“调整日期”办理。")
        return redirect(project)
    data = request.POST if request.method == "POST" else None
    initial = {"year": int(request.GET["year"])} if request.GET.get("year", "").isdigit() else None
    form = ProjectForm(data, instance=project, initial=initial, user=request.user)
    if request.htmx and request.GET.get("part") == BRANCH_PROJECTS_PART:
        return _branch_projects_part(request, form, project)
    targets, milestones = plan_formsets(data, instance=project)
    if data is not None and _save_from_post(request, form, targets, milestones):
        messages.success(request, "项目已保存。")
        return redirect(project)
    return _project_form_page(request, form, targets, milestones, title="修改项目", project=project)


@login_required
def project_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The project page: plan, progress, supervision, acceptance and the steps taken."""
    user = request.user
    today = timezone.localdate()
    project = get_project_for_user(user, pk)
    writer = rules.is_branch_writer(user, project)
    reviewer = rules.is_organ_reviewer(user, project)
    gongwei = rules.is_gongwei(user)
    status = project.status
    targets = list(project.targets.order_by("pk"))
    panel = views_progress.build_panel(user, project, today=today)
    context = {
        "nav": "projects",
        "breadcrumbs": _project_crumbs(None, (project.title, None)),
        "project": project,
        "targets": targets,
        "events": project.events.select_related("actor"),
        "window": services.window_for(project.branch, project.year) if project.is_editable else None,
        "can_edit": writer and project.is_editable,
        "can_submit": writer and project.is_editable,
        "can_review": reviewer and status == ProjectStatus.SUBMITTED,
        "can_file": gongwei and status == ProjectStatus.APPROVED,
        "can_return": _returnable(user, project),
        "can_reschedule": writer and project.is_running,
        "note_form": NoteForm(),
        "progress_panel": panel,
    }
    milestones = [row.milestone for row in panel.rows]
    context.update(views_acceptance.detail_context(request, project, targets=targets, milestones=milestones))
    context.update(views_experts.panel_context(user, project))
    return render(request, "projects/project_detail.html", context)


# --- 审核、退回、备案 -------------------------------------------------------------------


def _step(request, project: Project, step, *, success: str, **kwargs) -> Project | None:
    """Run a workflow step (it notifies the people concerned); show why when it is refused."""
    try:
        project = step(project, by=request.user, **kwargs)
    except DomainError as exc:
        messages.error(request, str(exc))
        return None
    messages.success(request, success)
    return project


@login_required
@require_POST
def project_submit(request: HttpRequest, pk: int) -> HttpResponse:
    project = get_project_for_user(request.user, pk, write=True)
    _step(
        request,
        project,
        services.submit_project,
        success="项目已提交，等待机关党委审核。",
    )
    return redirect(project)


@login_required
@require_POST
def project_approve(request: HttpRequest, pk: int) -> HttpResponse:
    project = get_project_for_reviewer(request.user, pk)
    form = NoteForm(request.POST)
    note = form.cleaned_data["note"] if form.is_valid() else ""
    _step(
        request,
        project,
        services.approve_project,
        success="已审核通过，等待工委备案。",
        note=note,
    )
    return redirect(project)


def _returnable(user, project: Project) -> bool:
    """Returned by the 机关党委 at review, or by the 工委 at filing."""
    if project.status == ProjectStatus.SUBMITTED:
        return rules.is_organ_reviewer(user, project)
    return project.status == ProjectStatus.APPROVED and rules.is_gongwei(user)


@login_required
@require_http_methods(["GET", "POST"])
def project_return(request: HttpRequest, pk: int) -> HttpResponse:
    project = get_project_for_reviewer(request.user, pk)
    if project.status not in (ProjectStatus.SUBMITTED, ProjectStatus.APPROVED):
        messages.error(request, f"只有待审核或待备案的项目可以退回（当前状态：{project.get_status_display()}）。")
        return redirect(project)
    if not _returnable(request.user, project):
        raise RETURN_AT_FILING.refusal()
    form = ReturnForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        done = _step(
            request,
            project,
            services.return_project,
            success="项目已退回支部修改。",
            reason=form.cleaned_data["reason"],
        )
        if done:
            return redirect(project)
    return render(
        request,
        "confirm.html",
        {
            "form": form,
            "title": "退回修改",
            "danger": True,
            "explain": f"将《{project.title}》退回{project.branch.name}修改。退回原因会通知支部书记和支委。",
            "cancel_url": project.get_absolute_url(),
            "nav": "projects",
            "breadcrumbs": _project_crumbs(project, ("退回修改", None)),
        },
    )


@login_required
@require_POST
def project_file(request: HttpRequest, pk: int) -> HttpResponse:
    project = get_project_for_user(request.user, pk)
    FILE_PROJECT.require(request.user)
    form = NoteForm(request.POST)
    note = form.cleaned_data["note"] if form.is_valid() else ""
    _step(request, project, services.file_project, success="项目已备案。", note=note)
    return redirect(project)


@login_required
@require_http_methods(["GET", "POST"])
def milestone_reschedule(request: HttpRequest, pk: int) -> HttpResponse:
    milestone = get_milestone_for_user(request.user, pk, write=True)
    project = milestone.project
    form = RescheduleForm(request.POST or None, milestone=milestone)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            services.change_milestone_date(
                milestone,
                planned_on=form.cleaned_data["planned_on"],
                reason=form.cleaned_data["reason"],
                by=request.user,
            )
        except DomainError as exc:
            form.add_error(None, str(exc))
            status = status_for(exc)
        else:
            messages.success(request, f"节点“{milestone.title}”的计划日期已调整，调整记录可在节点督查中查看。")
            return redirect(project)
    return render(
        request,
        "confirm.html",
        {
            "form": form,
            "title": "调整节点日期",
            "explain": f"节点“{milestone.title}”，原计划 {milestone.planned_on:%Y-%m-%d} 完成。"
            "项目审核通过后调整计划日期须说明原因，调整记录留存备查。",
            "cancel_url": project.get_absolute_url(),
            "nav": "projects",
            "breadcrumbs": _project_crumbs(project, ("调整节点日期", None)),
        },
        status=status,
    )


# --- 项目列表、导出 ---------------------------------------------------------------------


def _list_year(filterset: ProjectFilter, today: datetime.date) -> int:
    value = filterset.form.cleaned_data.get("year") if filterset.form.is_valid() else None
    return int(value) if value and value != ALL_YEARS else today.year


@login_required
def project_list(request: HttpRequest) -> HttpResponse:
    SEE_PROJECTS.require(request.user)
    today = timezone.localdate()
    filterset = filtered_projects(request, today)
    table = ProjectTable(filterset.qs)
    RequestConfig(request, paginate={"per_page": PAGE_SIZE}).configure(table)
    year = _list_year(filterset, today)
    show_unfiled = scope_of(request.user).is_staff_or_committee
    return render(
        request,
        "projects/project_list.html",
        {
            "nav": "projects",
            "filter": filterset,
            "table": table,
            "year": year,
            "n_unfiled": unfiled_branches(request.user, year, today).count() if show_unfiled else None,
            "can_create": can_file_projects(request.user) and filing_branches(request.user).exists(),
            "export_query": request.GET.urlencode(),
            "breadcrumbs": [("支部项目", None)],
        },
    )


@login_required
def project_export(request: HttpRequest) -> HttpResponse:
    return project_list_export(request)


# --- 待我审核 ---------------------------------------------------------------------------


@login_required
def review_queue(request: HttpRequest) -> HttpResponse:
    _require(is_reviewer(request.user), "只有机关党委和工委工作人员有审核事项。")
    sections = []
    for key, heading, queryset in review_sections(request.user):
        page = Paginator(queryset, PAGE_SIZE).get_page(request.GET.get(f"{key}_page"))
        sections.append({"key": key, "heading": heading, "page": page, "page_param": f"{key}_page"})
    return render(
        request,
        "projects/review_queue.html",
        {"nav": "review", "sections": sections, "breadcrumbs": [("待我审核", None)]},
    )


# --- 未立项预警 -------------------------------------------------------------------------


def filing_deadline(year: int):
    """An expression for each branch's filing deadline of the year: its organ's published topic list
    (with any reopening), else the 工委's city-wide one; NULL when neither has been published."""
    organ_close: dict[int, datetime.date] = {}
    citywide = None
    published = TopicList.objects.filter(year=year, published_at__isnull=False)
    for organ_id, closes_on, reopened_until in published.values_list("organ_id", "closes_on", "reopened_until"):
        close = max(closes_on, reopened_until or closes_on)
        if organ_id is None:
            citywide = close
        else:
            organ_close[organ_id] = close
    whens = [When(organ_id=organ_id, then=Value(close)) for organ_id, close in organ_close.items()]
    return Case(*whens, default=Value(citywide), output_field=DateField())


def unfiled_branches(user, year: int, today: datetime.date):
    """Active branches the user sees that have not submitted a project for `year` by the deadline.

    Branches founded after the deadline are left out: they could not have filed in time.
    """
    projects = Project.objects.filter(branch=OuterRef("pk"), year=year)
    return (
        Branch.objects.visible_to(user)
        .active()
        .annotate(deadline=filing_deadline(year))
        .filter(deadline__lt=today, founded_on__lte=F("deadline"))
        .annotate(
            has_filed=Exists(projects.filter(status__in=FILED_STATUSES)),
            has_returned=Exists(projects.filter(status=ProjectStatus.RETURNED)),
            has_draft=Exists(projects.filter(status=ProjectStatus.DRAFT)),
        )
        .filter(has_filed=False)
        .select_related("organ")
        .order_by("organ__sort_order", "organ__name", "name")
    )


@login_required
def unfiled_branch_list(request: HttpRequest) -> HttpResponse:
    _require(scope_of(request.user).is_staff_or_committee, "您的账号无权查看未立项预警。")
    today = timezone.localdate()
    year = int(request.GET["year"]) if request.GET.get("year", "").isdigit() else today.year
    branches = unfiled_branches(request.user, year, today)
    page = Paginator(branches, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "projects/topic_unfiled_branches.html",
        {
            "nav": "projects",
            "page": page,
            "year": year,
            "years": [today.year - 1, today.year, today.year + 1],
            "breadcrumbs": _project_crumbs(None, (f"{year}年未立项预警", None)),
        },
    )
