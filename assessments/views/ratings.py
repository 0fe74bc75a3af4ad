"""Star rating pages: the runs of a year, one run with its distributions, results and pairings,
one branch's frozen breakdown, and the stars card of the branch page.

Every number shown comes from the frozen RatingRun/RatingResult rows, never from live scores,
so a published run reads the same however the inputs change afterwards.
"""

import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import HttpResponseClientRefresh

from accounts.scope import scope_of
from branches.models import Organ
from core.errors import DomainError

from .. import ratings, trial
from ..choices import RunStatus
from ..filters import ResultFilter
from ..models import RatingResult, RatingRun
from ..permissions import RUN_RATINGS
from ..results import adjustment_notes, breakdown_blocks, distributions, largest_losses
from ..schemes import scheme_for_year

PAGE_SIZE = 50
NAV = "ratings"

WORKING = (RunStatus.QUEUED, RunStatus.RUNNING)
OPEN = (RunStatus.QUEUED, RunStatus.RUNNING, RunStatus.DRAFT)


def _require_staff(user) -> None:
    scope = scope_of(user)
    if not (scope.is_gongwei or scope.is_organ_staff):
        raise PermissionDenied("星级评定批次仅向工委和机关党委开放；支部可在本支部页面查看评定结果。")


def _crumbs(run: RatingRun | None = None, *extra) -> list[tuple]:
    crumbs = [("星级评定", reverse("assessments:run_list"))]
    if run is not None:
        crumbs.append((str(run), reverse("assessments:run_detail", args=[run.pk])))
    return crumbs + list(extra)


def get_run_for_user(user, pk: int) -> RatingRun:
    """404 for a run the user may not see (机关党委: drafts and superseded runs are 工委's business)."""
    return get_object_or_404(ratings.visible_runs(user).select_related("scheme", "created_by", "published_by"), pk=pk)


def get_result_for_user(user, pk: int) -> RatingResult:
    """404 outside scope: 机关党委 its organ's published results, a branch committee its own branch's result of
    record (never a 试算)."""
    visible = ratings.visible_results(user)
    return get_object_or_404(visible.select_related("run__scheme", "run__published_by", "branch", "paired_with"), pk=pk)


# --- The runs of a year ----------------------------------------------------------------------


def _year(request: HttpRequest, runs) -> int:
    raw = request.GET.get("year", "")
    if raw:
        if not raw.isdigit() or not 2000 <= int(raw) <= 2100:
            raise Http404("年度无效。")
        return int(raw)
    # Ratings are made after the year ends, so the newest year with a run is the one people want.
    latest = runs.order_by("-year").values_list("year", flat=True).first()
    return latest or timezone.localdate().year


@login_required
@require_GET
def run_list(request: HttpRequest) -> HttpResponse:
    _require_staff(request.user)
    scope = scope_of(request.user)
    visible = ratings.visible_runs(request.user)
    year = _year(request, visible)
    runs = list(visible.filter(year=year).select_related("scheme", "created_by", "published_by"))
    this_year = timezone.localdate().year
    years = sorted(set(visible.values_list("year", flat=True)) | {year, this_year, this_year - 1}, reverse=True)
    open_run = next((run for run in runs if run.status in OPEN), None)
    published = next((run for run in runs if run.status == RunStatus.PUBLISHED), None)
    scheme = scheme_for_year(year) if scope.is_gongwei else None
    return render(
        request,
        "assessments/ratings/run_list.html",
        {
            "nav": NAV,
            "year": year,
            "years": years,
            "runs": runs,
            "can_compute": scope.is_gongwei,
            "scheme": scheme,
            "trial_until": _trial_until(scheme),
            "compute_confirm": _compute_confirm(open_run, published),
            "breadcrumbs": [("星级评定", None)],
        },
    )


def _trial_until(scheme) -> datetime.date | None:
    """The day the year's last assessed period is due, while a run requested today would be a 试算."""
    if scheme is None:
        return None
    today = timezone.localdate()
    completion = trial.completion_for(scheme)
    if completion.is_trial(ratings.default_as_of(scheme.year, today), today):
        return completion.complete_on
    return None


def _compute_confirm(open_run: RatingRun | None, published: RatingRun | None) -> str:
    """Computing again replaces the unpublished run: say so before it happens."""
    if open_run is not None:
        return f"{open_run}尚未发布（{open_run.get_status_display()}），重新计算将替代它。确定重新计算？"
    if published is not None:
        return f"本年度已发布{published}。新的计算结果需发布后才会替代它。确定计算？"
    return ""


@login_required
@require_POST
def run_compute(request: HttpRequest) -> HttpResponse:
    """工委 only; the Celery task computes, the run page shows progress."""
    # Before looking at the input: whoever may not rate learns nothing from the answer.
    RUN_RATINGS.require(request.user)
    raw = request.POST.get("year", "")
    if not raw.isdigit() or not 2000 <= int(raw) <= 2100:
        messages.error(request, "请选择有效的考核年度。")
        return redirect("assessments:run_list")
    year = int(raw)
    try:
        run = ratings.request_run(year, by=request.user)
    except DomainError as exc:
        messages.error(request, str(exc))
        return redirect(f"{reverse('assessments:run_list')}?year={year}")
    # Nothing here about progress: the run may be finished before its page is shown, which then says
    # where it stands (and keeps polling while it computes).
    messages.success(request, f"已发起{year}年度第{run.number}次评定。")
    return redirect("assessments:run_detail", pk=run.pk)


# --- One run ---------------------------------------------------------------------------------


def _scope_label(scope) -> str:
    """Whose branches the distributions count: a 机关党委 sees its organ's share, not the whole run."""
    if scope.is_gongwei:
        return "全部单位"
    return "、".join(Organ.objects.filter(pk__in=scope.organ_ids).values_list("name", flat=True))


def _status_context(run: RatingRun) -> dict:
    return {"run": run, "working": run.status in WORKING}


@login_required
@require_GET
def run_detail(request: HttpRequest, pk: int) -> HttpResponse:
    run = get_run_for_user(request.user, pk)
    _require_staff(request.user)
    scope = scope_of(request.user)
    results = ratings.results_for(request.user, run)
    filterset = ResultFilter(request.GET, queryset=results, user=request.user)
    rows = filterset.qs.select_related("paired_with").order_by("rank", "branch_name", "pk")
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    bottom = results.filter(is_bottom=True).select_related("paired_with").order_by("-rank", "pk")
    replaces = None
    if scope.is_gongwei and run.status == RunStatus.DRAFT:
        replaces = RatingRun.objects.filter(year=run.year, status=RunStatus.PUBLISHED).first()
    return render(
        request,
        "assessments/ratings/run_detail.html",
        {
            "nav": NAV,
            **_status_context(run),
            "scope_label": _scope_label(scope),
            "dist": distributions(results),
            "filter": filterset,
            "page": page,
            "bottom": list(bottom),
            "can_publish": scope.is_gongwei and run.status == RunStatus.DRAFT,
            "gaps": trial.gaps_for(run, request.user) if run.is_finished else [],
            "replaces": replaces,
            "can_export": run.is_finished and run.n_branches > 0,
            "breadcrumbs": _crumbs(None, (str(run), None)),
        },
    )


@login_required
@require_GET
def run_status(request: HttpRequest, pk: int) -> HttpResponse:
    """The polled status badge; once the computation ends, htmx reloads the page to show the results."""
    run = get_run_for_user(request.user, pk)
    _require_staff(request.user)
    if request.htmx and run.status not in WORKING:
        return HttpResponseClientRefresh()
    return render(request, "assessments/ratings/_run_status.html", _status_context(run))


@login_required
@require_POST
def run_publish(request: HttpRequest, pk: int) -> HttpResponse:
    run = get_run_for_user(request.user, pk)
    try:
        run = ratings.publish_run(run, by=request.user, trial_reason=request.POST.get("trial_reason", ""))
    except DomainError as exc:
        messages.error(request, str(exc))
    else:
        if run.is_trial:
            messages.success(request, f"{run}已提前发布，各机关党委可查看；试算结果不向支部展示。")
        else:
            messages.success(request, f"{run}已发布，各机关党委和支部可查看结果。")
    return redirect("assessments:run_detail", pk=run.pk)


# --- One branch's result ---------------------------------------------------------------------


@login_required
@require_GET
def result_detail(request: HttpRequest, pk: int) -> HttpResponse:
    result = get_result_for_user(request.user, pk)
    scope = scope_of(request.user)
    run = result.run
    if scope.is_gongwei or scope.is_organ_staff:
        crumbs = _crumbs(run, (result.branch_name, None))
    else:
        crumbs = [("党支部", reverse("branches:branch_list")), (result.branch.name, result.branch.get_absolute_url()),
                  (f"{run.year}年度星级评定", None)]  # fmt: skip
    blocks = breakdown_blocks(result)
    return render(
        request,
        "assessments/ratings/result_detail.html",
        {
            "nav": NAV,
            "result": result,
            "run": run,
            "blocks": blocks,
            "n_not_applicable": sum(1 for block in blocks for line in block.lines if line.not_applicable),
            "adjustment_notes": adjustment_notes(result),
            "losses": largest_losses(result),
            "breadcrumbs": crumbs,
        },
    )


# --- The branch page's stars -----------------------------------------------------------------
