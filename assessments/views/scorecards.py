"""Year-end scorecard exports: request one for a rating run, follow its progress, download it."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.scope import scope_of

from .. import scorecards
from ..choices import JobStatus
from ..models import RatingRun, ScorecardExport
from ..permissions import EXPORT_SCORECARDS
from ..scorecards import ScorecardError

NAV = "ratings"
RECENT_EXPORTS = 10
POLL_SECONDS = 2


def _require_staff(user) -> None:
    EXPORT_SCORECARDS.require(user)


def _get_run(user, pk: int) -> RatingRun:
    """403 for those who export nothing; 404 for a run the user does not see."""
    _require_staff(user)
    return get_object_or_404(scorecards.runs_for_export(user).select_related("scheme"), pk=pk)


def _get_export(user, pk: int) -> ScorecardExport:
    """The requester's own exports and, for the 工委, everyone's; 404 otherwise."""
    _require_staff(user)
    export = get_object_or_404(scorecards.exports_for(user).select_related("run", "organ", "requested_by"), pk=pk)
    if not scorecards.can_open(user, export):
        raise Http404("导出记录不存在。")
    return export


def _crumbs(run: RatingRun, *extra) -> list[tuple]:
    runs_url = f"{reverse('assessments:run_list')}?year={run.year}"
    return [("星级评定", runs_url), (str(run), run.get_absolute_url()), *extra]


class ExportForm(forms.Form):
    organ = forms.ModelChoiceField(label="导出单位", queryset=None, required=False, empty_label="全部单位")

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["organ"]
        field.queryset = scorecards.organs_for_export(user)
        if not scope_of(user).is_gongwei:
            # A 机关党委 exports its own organ only: there is no "all organs" to offer.
            field.empty_label = None


@login_required
@require_http_methods(["GET", "POST"])
def scorecard_request(request: HttpRequest, run_pk: int) -> HttpResponse:
    """GET: choose what to export; POST (also straight from the run page): queue the workbook."""
    run = _get_run(request.user, run_pk)
    # An empty POST (the button on the run page) is still a submission: all organs, or one's own.
    form = ExportForm(request.POST if request.method == "POST" else None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            export = scorecards.request_export(run, by=request.user, organ=form.cleaned_data["organ"])
        except ScorecardError as exc:
            messages.error(request, str(exc))
        else:
            return redirect("assessments:scorecard_detail", export.pk)
    recent = (
        scorecards.exports_for(request.user)
        .filter(run=run, requested_by=request.user)
        .select_related("organ")
        .order_by("-created_at", "-pk")[:RECENT_EXPORTS]
    )
    return render(
        request,
        "assessments/scorecards/request.html",
        {
            "nav": NAV,
            "run": run,
            "form": form,
            "recent": recent,
            "breadcrumbs": _crumbs(run, ("导出考核结果", None)),
        },
    )


@login_required
@require_GET
def scorecard_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The job's page; while it runs, htmx asks for the progress fragment every POLL_SECONDS."""
    export = _get_export(request.user, pk)
    context = {
        "export": export,
        "title": scorecards.export_title(export),
        "polling": export.status in (JobStatus.QUEUED, JobStatus.RUNNING) and not scorecards.is_stalled(export),
        "poll_seconds": POLL_SECONDS,
        "can_retry": export.status == JobStatus.FAILED or scorecards.is_stalled(export),
        "stalled": scorecards.is_stalled(export),
    }
    if request.htmx:
        return render(request, "assessments/scorecards/_progress.html", context)
    context.update(
        {
            "nav": NAV,
            "breadcrumbs": _crumbs(
                export.run,
                ("导出考核结果", reverse("assessments:scorecard_request", args=[export.run_id])),
                (f"导出 #{export.pk}", None),
            ),
        }
    )
    return render(request, "assessments/scorecards/detail.html", context)


@login_required
@require_GET
def scorecard_download(request: HttpRequest, pk: int) -> FileResponse:
    return scorecards.download(request, _get_export(request.user, pk))


@login_required
@require_POST
def scorecard_retry(request: HttpRequest, pk: int) -> HttpResponse:
    export = _get_export(request.user, pk)
    try:
        scorecards.retry_export(export, by=request.user)
    except ScorecardError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, "已重新提交生成。")
    return redirect("assessments:scorecard_detail", export.pk)
