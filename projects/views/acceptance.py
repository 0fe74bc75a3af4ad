"""公开验收 pages: request acceptance, score, confirm, 十佳, and the year's acceptance rules."""

from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from core.errors import DomainError
from core.history import history_of

from .. import acceptance, rules
from ..access import get_project_for_user
from ..choices import ProjectStatus
from ..forms.acceptance import AcceptanceRequestForm, CriterionFormSet, ScoreForm, YearConfigForm
from ..models import AcceptanceMark, AcceptanceReview, Project, ProjectYearConfig
from ..permissions import SET_YEAR_RULES
from ..services import ProjectError, config_for_year, ensure_config, rubric_of

SHOWS_RESULTS = (ProjectStatus.ACCEPTANCE_REQUESTED, ProjectStatus.ACCEPTED)
FIRST_YEAR = 2000


def _crumbs(project: Project, label: str) -> list:
    return [
        ("支部项目", reverse("projects:project_list")),
        (project.title, project.get_absolute_url()),
        (label, None),
    ]


def _reviews(project: Project, criteria: list) -> list[AcceptanceReview]:
    """The reviews with their points laid out in rubric order (`review.points`)."""
    reviews = list(project.reviews.select_related("reviewer"))
    given: dict[int, dict[int, Decimal]] = {review.pk: {} for review in reviews}
    marks = AcceptanceMark.objects.filter(review__in=reviews).values_list("review_id", "criterion_id", "points")
    for review_id, criterion_id, points in marks:
        given[review_id][criterion_id] = points
    for review in reviews:
        review.points = [given[review.pk].get(c.pk) for c in criteria]
    return reviews


def detail_context(
    request: HttpRequest, project: Project, *, targets: list | None = None, milestones: list | None = None
) -> dict:
    """What the project page needs for its 公开验收 card, under the single key `acceptance`.

    The year's rules and rubric matter only once acceptance is requested; before that the card reads neither.
    `targets` and `milestones` are the project's when the caller already holds them.
    """
    user = request.user
    is_gongwei = rules.is_gongwei(user)
    staff = rules.is_organ_reviewer(user, project)
    status = project.status
    if status in SHOWS_RESULTS:
        config = config_for_year(project.year)
        criteria = rubric_of(config)
        reviews = _reviews(project, criteria)
        targets = list(project.targets.order_by("pk")) if targets is None else targets
        milestones = list(project.milestones.order_by("planned_on", "pk")) if milestones is None else milestones
    else:
        config, criteria, reviews, targets, milestones = None, [], [], [], []
    mine = next((r for r in reviews if r.reviewer_id == user.pk), None)
    # Reviewers score independently: until the result is confirmed only the 工委 sees everyone's marks.
    if status == ProjectStatus.ACCEPTANCE_REQUESTED and not is_gongwei:
        shown = [mine] if mine else []
    elif status == ProjectStatus.ACCEPTED:
        shown = reviews
    else:
        shown = reviews if is_gongwei else []
    return {
        "acceptance": {
            "config": config,
            "criteria": criteria,
            "targets": targets,
            # What the branch did not complete, with its reasons: reviewers score knowing it.
            "progress": acceptance.shown_percent(acceptance.weighted_progress(milestones)) if milestones else None,
            "not_done": [m for m in milestones if m.completed_on is None],
            "reviews": shown,
            "n_reviews": len(reviews),
            "show_names": staff,
            "my_review": mine,
            "can_request": status == ProjectStatus.FILED and rules.is_branch_writer(user, project),
            "can_score": status == ProjectStatus.ACCEPTANCE_REQUESTED and rules.can_score(user, project),
            "can_finalize": status == ProjectStatus.ACCEPTANCE_REQUESTED and is_gongwei,
            "enough_reviews": config is not None and len(reviews) >= config.min_reviewers,
            "can_top_ten": status == ProjectStatus.ACCEPTED and is_gongwei,
            "is_gongwei": is_gongwei,
            "score_history": history_of(AcceptanceReview.history.filter(project_id=project.pk), AcceptanceReview)
            if is_gongwei and reviews
            else [],
        }
    }


@login_required
@require_http_methods(["GET", "POST"])
def acceptance_request(request: HttpRequest, pk: int) -> HttpResponse:
    project = get_project_for_user(request.user, pk, write=True)
    if project.status != ProjectStatus.FILED:
        messages.error(request, f"只有实施中的项目可以申请验收（当前状态：{project.get_status_display()}）。")
        return redirect(project)
    form = AcceptanceRequestForm(request.POST or None, project=project)
    if request.method == "POST" and form.is_valid():
        try:
            acceptance.request_acceptance(
                project,
                summary=form.cleaned_data["summary"],
                results=form.results(),
                not_done=form.reasons(),
                by=request.user,
            )
        except DomainError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, "已申请验收，评审人将按评分标准打分。")
            return redirect(project)
    config = config_for_year(project.year)
    return render(
        request,
        "projects/acceptance_form.html",
        {
            "form": form,
            "project": project,
            "progress": acceptance.shown_percent(acceptance.weighted_progress(form.milestones)),
            "minimum": config.min_acceptance_progress,
            # Said before the secretary writes a summary that could not be sent yet.
            "shortfall": acceptance.progress_shortfall(project, form.milestones, config),
            "nav": "projects",
            "breadcrumbs": _crumbs(project, "申请验收"),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def acceptance_score(request: HttpRequest, pk: int) -> HttpResponse:
    project = get_project_for_user(request.user, pk)
    if not rules.can_score(request.user, project):
        raise PermissionDenied("您不是该项目的验收评审人。")
    if project.status != ProjectStatus.ACCEPTANCE_REQUESTED:
        messages.error(request, f"只有待验收的项目可以评分（当前状态：{project.get_status_display()}）。")
        return redirect(project)
    config = config_for_year(project.year)
    if config.pk is None:
        # Marks name saved criteria; requesting acceptance opens the year, so only older data lands here.
        messages.error(request, f"{project.year}年度验收规则尚未生成，暂不能评分，请联系工委。")
        return redirect(project)
    criteria = rubric_of(config)
    review = AcceptanceReview.objects.filter(project=project, reviewer=request.user).prefetch_related("marks").first()
    form = ScoreForm(request.POST or None, criteria=criteria, review=review)
    if request.method == "POST" and form.is_valid():
        try:
            acceptance.score_project(
                project, reviewer=request.user, marks=form.marks(), comment=form.cleaned_data["comment"]
            )
        except DomainError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, "评分已修改。" if review else "评分已提交。")
            return redirect(project)
    targets = list(project.targets.all())
    milestones = list(project.milestones.order_by("planned_on", "pk"))
    return render(
        request,
        "projects/score_form.html",
        {
            "form": form,
            "project": project,
            "targets": targets,
            "progress": acceptance.shown_percent(acceptance.weighted_progress(milestones)),
            "not_done": [m for m in milestones if m.completed_on is None],
            "review": review,
            "nav": "projects",
            "breadcrumbs": _crumbs(project, "验收评分"),
        },
    )


@login_required
@require_POST
def acceptance_finalize(request: HttpRequest, pk: int) -> HttpResponse:
    project = get_project_for_user(request.user, pk)
    try:
        project = acceptance.finalize_acceptance(project, by=request.user)
    except DomainError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"验收完成：得分 {project.score}，等次 {project.get_grade_display()}，结果已公开。")
    return redirect(project)


@login_required
@require_POST
def top_ten_toggle(request: HttpRequest, pk: int) -> HttpResponse:
    project = get_project_for_user(request.user, pk)
    on = request.POST.get("on") == "1"
    try:
        acceptance.mark_top_ten(project, by=request.user, on=on)
    except DomainError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, "已评为十佳党建项目。" if on else "已取消十佳党建项目。")
    return redirect(project)


@login_required
@require_http_methods(["GET", "POST"])
def year_config(request: HttpRequest, year: int | None = None) -> HttpResponse:
    SET_YEAR_RULES.require(request.user)
    this_year = timezone.localdate().year
    year = year or this_year
    if not FIRST_YEAR <= year <= this_year + 1:
        raise Http404("年度超出范围。")
    # Reading a year shows its rules, saved or not; saving them (a POST) opens the year first.
    config = ensure_config(year, by=request.user) if request.method == "POST" else config_for_year(year)
    is_open = config.pk is not None
    locked = is_open and acceptance.rubric_is_locked(config)
    form = YearConfigForm(request.POST or None, instance=config)
    if not is_open:
        for field in form.fields.values():
            field.disabled = True
    formset = (
        None if locked or not is_open else CriterionFormSet(request.POST or None, instance=config, prefix="criteria")
    )
    if request.method == "POST" and form.is_valid() and (formset is None or formset.is_valid()):
        try:
            changed = acceptance.update_year_config(
                config, values=form.cleaned_data, criteria=formset.rows() if formset else None, by=request.user
            )
        except ProjectError as exc:
            form.add_error(None, str(exc))
        else:
            note = f"，{changed} 个已验收项目的等次随之调整" if changed else ""
            messages.success(request, f"{year} 年度验收规则已保存{note}。")
            return redirect("projects:year_config", year=year)
    n_accepted = Project.objects.filter(year=year, status=ProjectStatus.ACCEPTED).count()
    years = sorted(set(ProjectYearConfig.objects.values_list("year", flat=True)) | {this_year, this_year + 1})
    return render(
        request,
        "projects/year_config.html",
        {
            "form": form,
            "formset": formset,
            "config": config,
            "criteria": rubric_of(config) if locked or not is_open else [],
            "locked": locked,
            "is_open": is_open,
            "year": year,
            "years": [y for y in reversed(years) if y >= FIRST_YEAR],
            "n_accepted": n_accepted,
            "quota": acceptance.excellent_quota(n_accepted, config.excellent_max_share),
            "nav": "projects",
            "breadcrumbs": [("支部项目", reverse("projects:project_list")), (f"{year} 年度验收规则", None)],
        },
    )
