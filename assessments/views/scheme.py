"""Pages of the annual assessment rules and scores: schemes and their editor (工委), the scoring grid
per organ (htmx, one cell at a time), a branch's self-scores, and the year's 加分/扣分."""

from dataclasses import dataclass
from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, Prefetch, Q, Sum
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.scope import scope_of
from branches.access import get_branch_for_user
from branches.models import Branch
from core.history import history_of

from .. import schemes, scores
from ..choices import AdjustmentKind, IndicatorSource
from ..forms.scheme import (
    AdjustmentForm,
    DimensionForm,
    IndicatorForm,
    ItemForm,
    SchemeForm,
    ScoreCellForm,
    SelfScoreForm,
    YearForm,
)
from ..models import Adjustment, AdjustmentItem, AssessmentScheme, Dimension, Indicator, IndicatorScore
from ..permissions import EDIT_SCHEMES, SCORE_BRANCH, SEE_ADJUSTMENTS, SEE_SCHEMES, SELF_SCORE
from ..schemes import SETTING_FIELDS, SchemeError
from ..scores import ScoreError, SelfScore

NAV = "assessment"
PAGE_SIZE = 30
ZERO = Decimal("0")


def _require(condition: bool, message: str) -> None:
    if not condition:
        raise PermissionDenied(message)


def _year(request: HttpRequest) -> int:
    """`?year=`, or the most recent year that has a scheme (this year when none has)."""
    raw = request.GET.get("year", "")
    if raw.isdigit() and 2000 <= int(raw) <= 2100:
        return int(raw)
    today = timezone.localdate()
    latest = (
        AssessmentScheme.objects.filter(year__lte=today.year).order_by("-year").values_list("year", flat=True).first()
    )
    return latest or today.year


def _year_choices(year: int) -> list[int]:
    this_year = timezone.localdate().year
    return sorted({year, *range(this_year - 4, this_year + 2)}, reverse=True)


# --- Schemes ---------------------------------------------------------------------------------


def _crumbs(scheme: AssessmentScheme | None = None, *extra) -> list[tuple]:
    crumbs = [("考核方案", reverse("assessments:scheme_list"))]
    if scheme is not None:
        crumbs.append((str(scheme), reverse("assessments:scheme_detail", args=[scheme.pk])))
    return crumbs + list(extra)


def _require_viewer(user) -> None:
    SEE_SCHEMES.require(user)


def _require_editor(user) -> None:
    EDIT_SCHEMES.require(user)


def get_scheme_for_user(user, pk: int, *, write: bool = False) -> AssessmentScheme:
    _require_viewer(user)
    scheme = get_object_or_404(AssessmentScheme.objects.select_related("created_by"), pk=pk)
    if write:
        _require_editor(user)
    return scheme


def _scheme_part(user, model, pk: int):
    """A dimension, indicator or 加减分 item, for the 工委 to change."""
    _require_viewer(user)
    part = get_object_or_404(model.objects.select_related("scheme"), pk=pk)
    _require_editor(user)
    return part


@login_required
@require_GET
def scheme_list(request: HttpRequest) -> HttpResponse:
    _require_viewer(request.user)
    rows = list(
        AssessmentScheme.objects.annotate(n_indicators=Count("indicators"), total_max=Sum("indicators__max_score"))
        .select_related("created_by")
        .order_by("-year", "-version")
    )
    years: dict[int, list[AssessmentScheme]] = {}
    for scheme in rows:
        scheme.is_current = scheme.year not in years  # newest version first within a year
        years.setdefault(scheme.year, []).append(scheme)
    latest = rows[0] if rows else None
    next_year = latest.year + 1 if latest else timezone.localdate().year
    return render(
        request,
        "assessments/scheme/scheme_list.html",
        {
            "nav": NAV,
            "years": list(years.items()),
            "latest": latest,
            "year_form": YearForm(initial={"year": next_year}),
            "can_edit": schemes.can_edit_schemes(request.user),
            "breadcrumbs": [("考核方案", None)],
        },
    )


@login_required
@require_POST
def scheme_create_default(request: HttpRequest) -> HttpResponse:
    _require_editor(request.user)
    form = YearForm(request.POST)
    if not form.is_valid():
        messages.error(request, "请填写正确的年度。")
        return redirect("assessments:scheme_list")
    try:
        scheme = schemes.create_default_scheme(form.cleaned_data["year"], by=request.user)
    except SchemeError as exc:
        messages.error(request, str(exc))
        return redirect("assessments:scheme_list")
    messages.success(request, f"已按默认方案创建{scheme}，请核对各项设置。")
    return redirect("assessments:scheme_detail", pk=scheme.pk)


@login_required
@require_POST
def scheme_copy(request: HttpRequest, pk: int) -> HttpResponse:
    source = get_scheme_for_user(request.user, pk, write=True)
    form = YearForm(request.POST)
    if not form.is_valid():
        messages.error(request, "请填写正确的年度。")
        return redirect("assessments:scheme_list")
    try:
        scheme = schemes.copy_scheme(source, to_year=form.cleaned_data["year"], by=request.user)
    except SchemeError as exc:
        messages.error(request, str(exc))
        return redirect("assessments:scheme_list")
    messages.success(request, f"已复制{source}，创建{scheme}。")
    return redirect("assessments:scheme_detail", pk=scheme.pk)


@login_required
@require_POST
def scheme_new_version(request: HttpRequest, pk: int) -> HttpResponse:
    source = get_scheme_for_user(request.user, pk, write=True)
    try:
        scheme = schemes.new_version(source, by=request.user)
    except SchemeError as exc:
        messages.error(request, str(exc))
        return redirect("assessments:scheme_detail", pk=source.pk)
    messages.success(request, f"已创建{scheme}，此后评分和星级评定使用新版本。")
    return redirect("assessments:scheme_detail", pk=scheme.pk)


@login_required
@require_GET
def scheme_detail(request: HttpRequest, pk: int) -> HttpResponse:
    scheme = get_scheme_for_user(request.user, pk)
    indicators = Indicator.objects.order_by("sort_order", "pk")
    dimensions = list(
        scheme.dimensions.order_by("sort_order", "pk").prefetch_related(Prefetch("indicators", indicators))
    )
    for dimension in dimensions:
        dimension.rows = list(dimension.indicators.all())
        dimension.total = sum((i.max_score for i in dimension.rows), ZERO)
    total = sum((d.total for d in dimensions), ZERO)
    versions = list(
        AssessmentScheme.objects.filter(year=scheme.year).order_by("version").values("pk", "version", "status")
    )
    can_edit = schemes.can_edit_schemes(request.user)
    return render(
        request,
        "assessments/scheme/scheme_detail.html",
        {
            "nav": NAV,
            "scheme": scheme,
            "dimensions": dimensions,
            "total": total,
            "maxima_warning": schemes.maxima_warning(total) if dimensions else "",
            "items": list(scheme.adjustment_items.all()),
            "versions": versions,
            "is_current": versions[-1]["pk"] == scheme.pk,
            "n_runs": scheme.runs.count(),
            "can_edit": can_edit and not scheme.is_locked,
            "can_copy": can_edit,
            "year_form": YearForm(initial={"year": scheme.year + 1}),
            "locked_message": schemes.LOCKED_MESSAGE,
            "changes": history_of(AssessmentScheme.history.filter(id=scheme.pk), AssessmentScheme),
            "breadcrumbs": _crumbs(None, (str(scheme), None)),
        },
    )


def _refuse_locked(request: HttpRequest, scheme: AssessmentScheme) -> HttpResponse | None:
    """Editing pages of a locked version are not shown: they would only end in a refusal."""
    if scheme.is_locked:
        messages.error(request, schemes.LOCKED_MESSAGE)
        return redirect("assessments:scheme_detail", pk=scheme.pk)
    return None


def _edit_page(
    request: HttpRequest, scheme: AssessmentScheme, form, *, title: str, save, done: str, template="form.html"
):
    """GET shows the form; a valid POST calls the service, whose refusal is shown on the form."""
    if refused := _refuse_locked(request, scheme):
        return refused
    detail_url = reverse("assessments:scheme_detail", args=[scheme.pk])
    if request.method == "POST" and form.is_valid():
        try:
            save()
        except SchemeError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, done)
            return redirect(detail_url)
    return render(
        request,
        template,
        {
            "nav": NAV,
            "form": form,
            "scheme": scheme,
            "title": title,
            "cancel_url": detail_url,
            "breadcrumbs": _crumbs(scheme, (title, None)),
        },
    )


def _delete(request: HttpRequest, scheme: AssessmentScheme, run, done: str) -> HttpResponse:
    try:
        run()
    except SchemeError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, done)
    return redirect("assessments:scheme_detail", pk=scheme.pk)


@login_required
@require_http_methods(["GET", "POST"])
def scheme_edit(request: HttpRequest, pk: int) -> HttpResponse:
    scheme = get_scheme_for_user(request.user, pk, write=True)
    form = SchemeForm(request.POST or None, scheme=scheme)
    return _edit_page(
        request,
        scheme,
        form,
        title="修改方案设置",
        save=lambda: schemes.update_scheme(
            scheme, {name: form.cleaned_data[name] for name in SETTING_FIELDS}, by=request.user
        ),
        done="方案设置已保存。",
        template="assessments/scheme/scheme_form.html",
    )


@login_required
@require_http_methods(["GET", "POST"])
def dimension_create(request: HttpRequest, pk: int) -> HttpResponse:
    scheme = get_scheme_for_user(request.user, pk, write=True)
    form = DimensionForm(request.POST or None, scheme=scheme)
    return _edit_page(
        request,
        scheme,
        form,
        title="新增考核维度",
        save=lambda: schemes.add_dimension(
            scheme, name=form.cleaned_data["name"], sort_order=form.cleaned_data["sort_order"], by=request.user
        ),
        done="考核维度已添加。",
    )


@login_required
@require_http_methods(["GET", "POST"])
def dimension_edit(request: HttpRequest, pk: int) -> HttpResponse:
    dimension = _scheme_part(request.user, Dimension, pk)
    form = DimensionForm(request.POST or None, scheme=dimension.scheme, dimension=dimension)
    return _edit_page(
        request,
        dimension.scheme,
        form,
        title=f"修改考核维度“{dimension.name}”",
        save=lambda: schemes.update_dimension(
            dimension, name=form.cleaned_data["name"], sort_order=form.cleaned_data["sort_order"], by=request.user
        ),
        done="考核维度已保存。",
    )


@login_required
@require_POST
def dimension_delete(request: HttpRequest, pk: int) -> HttpResponse:
    dimension = _scheme_part(request.user, Dimension, pk)
    return _delete(
        request,
        dimension.scheme,
        lambda: schemes.delete_dimension(dimension, by=request.user),
        f"已删除考核维度“{dimension.name}”。",
    )


@login_required
@require_http_methods(["GET", "POST"])
def indicator_create(request: HttpRequest, pk: int) -> HttpResponse:
    scheme = get_scheme_for_user(request.user, pk, write=True)
    initial = {"dimension": request.GET.get("dimension")} if request.GET.get("dimension", "").isdigit() else None
    form = IndicatorForm(request.POST or None, scheme=scheme, initial=initial)
    return _edit_page(
        request,
        scheme,
        form,
        title="新增考核指标",
        save=lambda: schemes.add_indicator(scheme, form.data_for_service(), by=request.user),
        done="考核指标已添加。",
    )


@login_required
@require_http_methods(["GET", "POST"])
def indicator_edit(request: HttpRequest, pk: int) -> HttpResponse:
    indicator = _scheme_part(request.user, Indicator, pk)
    form = IndicatorForm(request.POST or None, scheme=indicator.scheme, indicator=indicator)
    return _edit_page(
        request,
        indicator.scheme,
        form,
        title=f"修改考核指标“{indicator.name}”",
        save=lambda: schemes.update_indicator(indicator, form.data_for_service(), by=request.user),
        done="考核指标已保存。",
    )


@login_required
@require_POST
def indicator_delete(request: HttpRequest, pk: int) -> HttpResponse:
    indicator = _scheme_part(request.user, Indicator, pk)
    return _delete(
        request,
        indicator.scheme,
        lambda: schemes.delete_indicator(indicator, by=request.user),
        f"已删除考核指标“{indicator.name}”。",
    )


@login_required
@require_http_methods(["GET", "POST"])
def adjustment_item_create(request: HttpRequest, pk: int) -> HttpResponse:
    scheme = get_scheme_for_user(request.user, pk, write=True)
    form = ItemForm(request.POST or None)
    return _edit_page(
        request,
        scheme,
        form,
        title="新增加减分事项",
        save=lambda: schemes.add_adjustment_item(scheme, form.data_for_service(), by=request.user),
        done="加减分事项已添加。",
    )


@login_required
@require_http_methods(["GET", "POST"])
def adjustment_item_edit(request: HttpRequest, pk: int) -> HttpResponse:
    item = _scheme_part(request.user, AdjustmentItem, pk)
    form = ItemForm(request.POST or None, item=item)
    return _edit_page(
        request,
        item.scheme,
        form,
        title=f"修改加减分事项“{item.name}”",
        save=lambda: schemes.update_adjustment_item(item, form.data_for_service(), by=request.user),
        done="加减分事项已保存。",
    )


@login_required
@require_POST
def adjustment_item_delete(request: HttpRequest, pk: int) -> HttpResponse:
    item = _scheme_part(request.user, AdjustmentItem, pk)
    return _delete(
        request,
        item.scheme,
        lambda: schemes.delete_adjustment_item(item, by=request.user),
        f"已删除加减分事项“{item.name}”。",
    )


# --- The scoring grid ------------------------------------------------------------------------


@dataclass
class Cell:
    """One grid cell. The page writes its inputs itself: a Django form per cell costs milliseconds each, and
    an organ's grid has hundreds of cells. `form` is only there after a refused save, for its data and errors."""

    branch: Branch
    indicator: Indicator
    record: IndicatorScore | None = None
    form: ScoreCellForm | None = None
    saved: bool = False

    @property
    def done(self) -> bool:
        return self.record is not None and (self.record.score is not None or self.record.not_applicable)

    @property
    def prefix(self) -> str:
        return ScoreCellForm.prefix_for(self.branch, self.indicator)

    @property
    def values(self) -> dict:
        if self.form is not None:
            data = self.form.data
            return {
                "score": data.get(f"{self.prefix}-score", ""),
                "not_applicable": bool(data.get(f"{self.prefix}-not_applicable")),
                "note": data.get(f"{self.prefix}-note", ""),
            }
        initial = ScoreCellForm.initial_for(self.record)
        score = initial.get("score")
        return {
            "score": "" if score is None else str(score),
            "not_applicable": bool(initial.get("not_applicable")),
            "note": initial.get("note") or "",
        }

    @property
    def score_url(self) -> str:
        return reverse("assessments:score_cell", args=[self.branch.pk, self.indicator.pk])

    @property
    def errors(self) -> list[str]:
        if self.form is None:
            return []
        return [error for errors in self.form.errors.values() for error in errors]


def _cell(branch: Branch, indicator: Indicator, record: IndicatorScore | None) -> Cell:
    return Cell(branch, indicator, record)


def _columns(scheme: AssessmentScheme, with_computed: bool) -> list[Indicator]:
    """The grid's indicators: the manual and business ones, and the computed ones when asked for."""
    indicators = scheme.indicators.select_related("dimension").order_by(
        "dimension__sort_order", "dimension", "sort_order", "pk"
    )
    return list(indicators if with_computed else indicators.exclude(source=IndicatorSource.COMPUTED))


def _row_done(branch: Branch, year: int, with_computed: bool) -> tuple[int, int]:
    """A grid row's 已评 figure after one of its cells was saved: cells done, of the row's cells."""
    scheme = AssessmentScheme.objects.current_for(year)
    columns = _columns(scheme, with_computed) if scheme is not None else []
    records = {
        r.lineage: r
        for r in IndicatorScore.objects.filter(branch=branch, year=year, lineage__in=[c.lineage for c in columns])
    }
    return sum(_cell(branch, c, records.get(c.lineage)).done for c in columns), len(columns)


def _pick_organ(request: HttpRequest, organs: list):
    raw = request.GET.get("organ", "")
    if not raw:
        return organs[0]
    chosen = next((o for o in organs if str(o.pk) == raw), None)
    if chosen is None:
        raise Http404("没有这个机关。")
    return chosen


@login_required
@require_GET
def scoring_grid(request: HttpRequest) -> HttpResponse:
    """The organ's active branches × the year's manual and business indicators, one htmx form per cell."""
    organs = list(scores.scoring_organs(request.user))
    _require(bool(organs), "只有工委和机关党委工作人员可以评分。")
    year, organ = _year(request), _pick_organ(request, organs)
    with_computed = request.GET.get("computed") == "1"
    scheme = AssessmentScheme.objects.current_for(year)
    columns, rows = [], []
    if scheme is not None:
        columns = _columns(scheme, with_computed)
        branches = list(Branch.objects.active().filter(organ=organ).order_by("name", "pk"))
        records = {
            (r.branch_id, r.lineage): r
            for r in IndicatorScore.objects.filter(
                year=year, branch__in=[b.pk for b in branches], lineage__in=[c.lineage for c in columns]
            )
        }
        for branch in branches:
            cells = [_cell(branch, column, records.get((branch.pk, column.lineage))) for column in columns]
            rows.append((branch, cells, sum(cell.done for cell in cells)))
    return render(
        request,
        "assessments/scheme/scoring_grid.html",
        {
            "nav": NAV,
            "year": year,
            "years": _year_choices(year),
            "organ": organ,
            "organs": organs,
            "scheme": scheme,
            "columns": columns,
            "rows": rows,
            "with_computed": with_computed,
            "can_create_scheme": schemes.can_edit_schemes(request.user),
            "breadcrumbs": [("年度考核评分", None)],
        },
    )


@login_required
@require_POST
def score_cell(request: HttpRequest, branch_pk: int, indicator_pk: int) -> HttpResponse:
    """Save one cell; htmx swaps the returned cell in place, with the rules' complaint if refused."""
    branch = get_branch_for_user(request.user, branch_pk)
    SCORE_BRANCH.require(request.user, branch)
    indicator = get_object_or_404(Indicator.objects.select_related("scheme", "dimension"), pk=indicator_pk)
    year = indicator.scheme.year
    form = ScoreCellForm(request.POST, branch=branch, indicator=indicator)
    record, saved = None, False
    if form.is_valid():
        try:
            record = scores.save_score(
                branch,
                indicator,
                year=year,
                score=form.cleaned_score(),
                not_applicable=form.cleaned_data["not_applicable"],
                note=form.cleaned_data["note"],
                by=request.user,
            )
        except ScoreError as exc:
            form.add_error(None, str(exc))
        else:
            saved = True
    if not request.htmx:
        if saved:
            messages.success(request, f"已保存{branch.name}“{indicator.name}”的评分。")
        else:
            messages.error(request, "；".join(e for errors in form.errors.values() for e in errors))
        return redirect(f"{reverse('assessments:scoring_grid')}?year={year}&organ={branch.organ_id}")
    if saved:
        cell = _cell(branch, indicator, record if record.pk else None)
        cell.saved = True
    else:
        current = IndicatorScore.objects.filter(branch=branch, year=year, lineage=indicator.lineage).first()
        cell = Cell(branch, indicator, current, form)
    # The row's 已评 figure sits outside the swapped cell: it is sent along and swapped out of band.
    with_computed = request.POST.get("computed") == "1"
    done, total = _row_done(branch, year, with_computed)
    return render(
        request,
        "assessments/scheme/_score_cell.html",
        {"cell": cell, "with_computed": with_computed, "row_done": {"branch": branch, "done": done, "total": total}},
    )


# --- Self-scores -----------------------------------------------------------------------------


@login_required
@require_GET
def self_score_home(request: HttpRequest) -> HttpResponse:
    """From the menu: the committee member's own branch (or a choice when they sit on several)."""
    scope = scope_of(request.user)
    _require(scope.is_branch_committee, "只有支部委员填写支部自评。")
    branches = list(Branch.objects.active().filter(pk__in=scope.branch_ids).select_related("organ"))
    if len(branches) == 1:
        return redirect("assessments:self_score", branch_pk=branches[0].pk)
    return render(
        request,
        "assessments/scheme/self_score_choose.html",
        {"nav": NAV, "branches": branches, "breadcrumbs": [("支部自评", None)]},
    )


@login_required
@require_http_methods(["GET", "POST"])
def self_score(request: HttpRequest, branch_pk: int) -> HttpResponse:
    branch = get_branch_for_user(request.user, branch_pk)
    year = _year(request)
    scheme = AssessmentScheme.objects.current_for(year)
    can_edit = scores.can_self_score(request.user, branch)
    indicators = []
    if scheme is not None:
        indicators = list(
            scheme.indicators.filter(allow_self_score=True)
            .select_related("dimension")
            .order_by("dimension__sort_order", "dimension", "sort_order", "pk")
        )
    records = {
        r.lineage: r
        for r in IndicatorScore.objects.filter(branch=branch, year=year, lineage__in=[i.lineage for i in indicators])
    }
    data = request.POST if request.method == "POST" else None
    forms = []
    for indicator in indicators:
        record = records.get(indicator.lineage)
        initial = {"self_score": record.self_score, "self_note": record.self_note} if record else {}
        forms.append(SelfScoreForm(data, indicator=indicator, initial=initial))
    error = ""
    if request.method == "POST":
        SELF_SCORE.require(request.user, branch)
        if all(form.is_valid() for form in forms):
            entries = [
                SelfScore(form.indicator, form.cleaned_data["self_score"], form.cleaned_data["self_note"])
                for form in forms
            ]
            try:
                changed = scores.save_self_scores(branch, year=year, entries=entries, by=request.user)
            except ScoreError as exc:
                error = str(exc)
            else:
                messages.success(
                    request, f"支部自评已保存（{changed} 项有修改）。" if changed else "支部自评没有修改。"
                )
                return redirect(f"{reverse('assessments:self_score', args=[branch.pk])}?year={year}")
        else:
            error = "部分自评填写有误，请按提示修改后再保存；本次未保存任何内容。"
    return render(
        request,
        "assessments/scheme/self_score.html",
        {
            "nav": NAV,
            "branch": branch,
            "year": year,
            "years": _year_choices(year),
            "scheme": scheme,
            "forms": forms,
            "can_edit": can_edit,
            "error": error,
            "breadcrumbs": [(branch.name, branch.get_absolute_url()), (f"{year}年度支部自评", None)],
        },
    )


# --- 加分 / 扣分 -------------------------------------------------------------------------------


@login_required
@require_GET
def adjustment_list(request: HttpRequest) -> HttpResponse:
    organs = list(scores.scoring_organs(request.user))
    if not organs:
        raise SEE_ADJUSTMENTS.refusal()
    year = _year(request)
    raw_organ = request.GET.get("organ", "")
    organ = _pick_organ(request, organs) if raw_organ else None
    rows = Adjustment.objects.filter(year=year, branch__organ__in=[o.pk for o in organs])
    if organ is not None:
        rows = rows.filter(branch__organ=organ)
    totals = rows.aggregate(
        n=Count("pk"),
        bonus=Sum("points", filter=Q(kind=AdjustmentKind.BONUS)),
        deduction=Sum("points", filter=Q(kind=AdjustmentKind.DEDUCTION)),
    )
    ordered = rows.select_related("branch__organ", "created_by").order_by(
        "branch__organ__sort_order", "branch__organ__name", "branch__name", "pk"
    )
    page = Paginator(ordered, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "assessments/scheme/adjustment_list.html",
        {
            "nav": NAV,
            "year": year,
            "years": _year_choices(year),
            "organ": organ,
            "organs": organs,
            "page": page,
            "totals": totals,
            "scheme": AssessmentScheme.objects.current_for(year),
            "breadcrumbs": [(f"{year}年度加减分", None)],
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def adjustment_create(request: HttpRequest) -> HttpResponse:
    organs = list(scores.scoring_organs(request.user))
    _require(bool(organs), "只有工委和机关党委工作人员可以登记加减分。")
    year = _year(request)
    scheme = AssessmentScheme.objects.current_for(year)
    branches = scores.scoring_branches(request.user)
    items = scheme.adjustment_items.all() if scheme else AdjustmentItem.objects.none()
    initial = {"branch": request.GET["branch"]} if request.GET.get("branch", "").isdigit() else None
    form = AdjustmentForm(request.POST or None, branches=branches, items=items, initial=initial)
    list_url = f"{reverse('assessments:adjustment_list')}?year={year}"
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            adjustment = scores.add_adjustment(
                data["branch"],
                year=year,
                kind=data["kind"],
                name=data["name"],
                points=data["points"],
                note=data["note"],
                by=request.user,
            )
        except ScoreError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(
                request, f"已为{adjustment.branch.name}登记{adjustment.get_kind_display()}“{adjustment.name}”。"
            )
            return redirect(list_url)
    return render(
        request,
        "form.html",
        {
            "nav": NAV,
            "form": form,
            "title": f"登记{year}年度加减分",
            "cancel_url": list_url,
            "breadcrumbs": [(f"{year}年度加减分", list_url), ("登记加减分", None)],
        },
    )


@login_required
@require_POST
def adjustment_delete(request: HttpRequest, pk: int) -> HttpResponse:
    adjustment = get_object_or_404(Adjustment.objects.visible_to(request.user).select_related("branch"), pk=pk)
    scores.delete_adjustment(adjustment, by=request.user)
    messages.success(request, f"已撤销{adjustment.branch.name}的{adjustment.get_kind_display()}“{adjustment.name}”。")
    return redirect(f"{reverse('assessments:adjustment_list')}?year={adjustment.year}")
