"""Pages of the member-level assessments: 民主评议党员, 党员积分 and 书记述职评议.

Each page belongs to one branch and one year; the branch comes through `get_branch_for_user`,
so a branch outside the user's scope is a 404 and the rules of who may write live in the services.
"""

from collections import Counter, defaultdict

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, F, FilteredRelation, Q
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.scope import scope_of
from branches.access import get_branch_for_user, get_member_for_user, manageable_organs
from branches.models import Branch
from core.forms import add_error_with_links
from core.history import history_of
from core.uploads import upload_limit_mb
from projects.services import config_for_year

from .. import appraisal as appraisals
from .. import points, schemes, secretary
from ..choices import AppraisalStatus, PointEntryStatus, SecretaryReportStatus
from ..forms.members import (
    AppraisalGridForm,
    EvaluateForm,
    FinalizeForm,
    PointEntryForm,
    PointRuleForm,
    ReasonForm,
    SecretaryListForm,
    SecretaryReportForm,
)
from ..models import Appraisal, AppraisalEntry, PointEntry, PointRule, SecretaryReport, SecretaryReportAttachment
from ..permissions import (
    EVALUATE_SECRETARY_REPORT,
    OWN_BRANCH_DUTIES,
    RECORD_APPRAISAL,
    REOPEN_APPRAISAL,
    RETURN_SECRETARY_REPORT,
    SEE_APPRAISALS,
    SEE_POINT_RULES,
    SEE_POINTS,
    SET_POINT_RULES,
    WRITE_SECRETARY_REPORT,
)

NAV = "member_assessments"
PAGE_SIZE = 30
YEARS = range(2000, 2101)


def _require(condition: bool, message: str) -> None:
    if not condition:
        raise PermissionDenied(message)


def _check_year(year: int) -> int:
    if year not in YEARS:
        raise Http404("年度无效。")
    return year


def _branch_crumbs(branch: Branch, *extra) -> list[tuple]:
    return [("党支部", reverse("branches:branch_list")), (branch.name, branch.get_absolute_url()), *extra]


def _is_staff(user) -> bool:
    scope = scope_of(user)
    return scope.is_gongwei or scope.is_organ_staff


# --- 民主评议党员 ----------------------------------------------------------------------------


def _appraisal_url(branch: Branch, year: int) -> str:
    return reverse("assessments:appraisal_detail", args=[branch.pk, year])


def _entry_links(error: appraisals.AppraisalError) -> list[tuple[str, str]]:
    """The rows of the grid a refusal is about, for the error summary (`appraisal.html` ids its rows so)."""
    return [(entry.member.name, f"entry-{entry.pk}") for entry in error.entries]


def _appraisal_page(
    request: HttpRequest,
    branch: Branch,
    year: int,
    *,
    form: AppraisalGridForm | None = None,
    finalize_form: FinalizeForm | None = None,
    status: int = 200,
) -> HttpResponse:
    appraisal = Appraisal.objects.filter(branch=branch, year=year).select_related("finalized_by").first()
    entries = list(appraisals.entries_of(appraisal)) if appraisal else []
    scheme = schemes.scheme_for_year(year)
    can_record = appraisals.can_record(request.user, branch)
    editable = appraisal is not None and appraisal.status == AppraisalStatus.DRAFT and can_record
    if editable and form is None:
        form = AppraisalGridForm(entries=entries)
    return render(
        request,
        "assessments/members/appraisal.html",
        {
            "nav": NAV,
            "branch": branch,
            "year": year,
            "appraisal": appraisal,
            "entries": entries,
            "form": form if editable else None,
            "finalize_form": finalize_form or FinalizeForm(),
            # Rows a refusal named (`_entry_links`), marked in the grid as the summary links to them.
            "error_rows": {
                int(anchor.removeprefix("entry-"))
                for refused in (form, finalize_form)
                for links in getattr(refused, "error_links", {}).values()
                for _label, anchor in links
            },
            "scheme": scheme,
            "figures": appraisals.counts(entries, scheme),
            "can_open": can_record and branch.is_active and (appraisal is None or editable),
            "can_reopen": appraisal is not None
            and appraisal.status == AppraisalStatus.FINALIZED
            and appraisals.can_reopen(request.user, branch),
            "history": history_of(Appraisal.history.filter(id=appraisal.pk), Appraisal) if appraisal else [],
            "breadcrumbs": _branch_crumbs(branch, (f"{year}年度民主评议党员", None)),
        },
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def appraisal_detail(request: HttpRequest, branch_pk: int, year: int) -> HttpResponse:
    """The grid of members; the committee saves every row at once."""
    branch = get_branch_for_user(request.user, branch_pk)
    _check_year(year)
    if request.method == "GET":
        return _appraisal_page(request, branch, year)
    appraisal = get_object_or_404(Appraisal, branch=branch, year=year)
    RECORD_APPRAISAL.require(request.user, branch)
    form = AppraisalGridForm(request.POST, entries=list(appraisals.entries_of(appraisal)))
    if form.is_valid():
        try:
            changed = appraisals.save_entries(appraisal, form.rows_for_service(), by=request.user)
        except appraisals.AppraisalError as exc:
            add_error_with_links(form, str(exc), _entry_links(exc))
        else:
            messages.success(request, f"已保存评议结果（{len(changed)} 人有变动）。")
            return redirect(_appraisal_url(branch, year))
    return _appraisal_page(request, branch, year, form=form)


@login_required
@require_POST
def appraisal_open(request: HttpRequest, branch_pk: int, year: int) -> HttpResponse:
    """Create the list from the roster, or bring it up to date with the roster."""
    branch = get_branch_for_user(request.user, branch_pk, write=True)
    _check_year(year)
    try:
        appraisals.open_appraisal(branch, year, by=request.user)
    except appraisals.AppraisalError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, "已按党员名册生成评议名单。")
    return redirect(_appraisal_url(branch, year))


@login_required
@require_POST
def appraisal_finalize(request: HttpRequest, branch_pk: int, year: int) -> HttpResponse:
    branch = get_branch_for_user(request.user, branch_pk, write=True)
    appraisal = get_object_or_404(Appraisal, branch=branch, year=_check_year(year))
    form = FinalizeForm(request.POST)
    if form.is_valid():
        try:
            appraisals.finalize(
                appraisal, held_on=form.cleaned_data["held_on"], measures=form.cleaned_data["measures"], by=request.user
            )
        except appraisals.AppraisalError as exc:
            add_error_with_links(form, str(exc), _entry_links(exc))
        else:
            messages.success(request, "评议结果已确定。评定为不合格的党员已登记到问题整改台账。")
            return redirect(_appraisal_url(branch, year))
    return _appraisal_page(request, branch, year, finalize_form=form)


@login_required
@require_http_methods(["GET", "POST"])
def appraisal_reopen(request: HttpRequest, branch_pk: int, year: int) -> HttpResponse:
    branch = get_branch_for_user(request.user, branch_pk)
    appraisal = get_object_or_404(Appraisal, branch=branch, year=_check_year(year))
    REOPEN_APPRAISAL.require(request.user, branch)
    url = _appraisal_url(branch, year)
    form = ReasonForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            appraisals.reopen(appraisal, reason=form.cleaned_data["reason"], by=request.user)
        except appraisals.AppraisalError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, "已退回支部修改评议结果。")
            return redirect(url)
    return render(
        request,
        "confirm.html",
        {
            "nav": NAV,
            "title": "退回修改评议结果",
            "explain": f"{appraisal}将回到“评议中”，支部修改后须重新确定。已登记的整改问题保留在台账中。",
            "form": form,
            "cancel_url": url,
            "breadcrumbs": _branch_crumbs(branch, (f"{year}年度民主评议党员", url), ("退回修改", None)),
        },
    )


@login_required
@require_GET
def appraisal_list(request: HttpRequest) -> HttpResponse:
    """Staff overview of a year: each branch's appraisal status and grade counts."""
    SEE_APPRAISALS.require(request.user)
    year = _year_param(request)
    branches = (
        Branch.objects.visible_to(request.user)
        .active()
        .select_related("organ")
        .annotate(this_year=FilteredRelation("appraisals", condition=Q(appraisals__year=year)))
        .annotate(appraisal_status=F("this_year__status"), held_on=F("this_year__held_on"))
        .order_by("organ__sort_order", "organ__name", "name")
    )
    page = Paginator(branches, PAGE_SIZE).get_page(request.GET.get("page"))
    # Grade counts for the page's branches only: counted over every branch before paging, they cost
    # a join of every appraisal entry of the city.
    grades = AppraisalEntry.objects.filter(appraisal__year=year, appraisal__branch__in=[b.pk for b in page])
    counts = defaultdict(Counter)
    for row in grades.order_by().values("appraisal__branch_id", "grade").annotate(n=Count("pk")):
        counts[row["appraisal__branch_id"]][row["grade"]] = row["n"]
    for branch in page:
        for grade in appraisals.G.values:
            setattr(branch, f"n_{grade}", counts[branch.pk][grade])
    return render(
        request,
        "assessments/members/appraisal_list.html",
        {
            "nav": NAV,
            "year": year,
            "page": page,
            "status_labels": dict(AppraisalStatus.choices),
            "breadcrumbs": [(f"{year}年度民主评议党员", None)],
        },
    )


def _year_param(request: HttpRequest) -> int:
    raw = request.GET.get("year") or ""
    if not raw:
        return timezone.localdate().year
    if not raw.isdigit():
        raise Http404("年度无效。")
    return _check_year(int(raw))


# --- 本支部: the committee's own branch, straight from the menu ---------------------------------

# Each duty a committee member does for their branch: its page (taking the branch and the year) and title.
BRANCH_DUTIES = {
    "appraisal": ("assessments:appraisal_detail", "民主评议党员"),
    "points": ("assessments:points_branch", "党员积分"),
    "secretary_report": ("assessments:secretary_report", "书记述职"),
}


@login_required
@require_GET
def own_branch_duty(request: HttpRequest, duty: str) -> HttpResponse:
    """From the menu: this year's page of `duty` for the committee member's branch, or a choice when they
    sit on several (the same year the branch page links to)."""
    OWN_BRANCH_DUTIES.require(request.user)
    url_name, title = BRANCH_DUTIES[duty]
    year = timezone.localdate().year
    branches = list(
        Branch.objects.active()
        .filter(pk__in=scope_of(request.user).branch_ids)
        .select_related("organ")
        .order_by("name")
    )
    if len(branches) == 1:
        return redirect(url_name, branches[0].pk, year)
    return render(
        request,
        "assessments/members/branch_choose.html",
        {
            "nav": NAV,
            "title": f"{year}年度{title}",
            "choices": [(branch, reverse(url_name, args=[branch.pk, year])) for branch in branches],
            "breadcrumbs": [(f"{year}年度{title}", None)],
        },
    )


# --- 党员积分 --------------------------------------------------------------------------------


@login_required
@require_GET
def points_list(request: HttpRequest) -> HttpResponse:
    """Each branch in scope with the year's point entries and those waiting for approval."""
    SEE_POINTS.require(request.user)
    year = _year_param(request)
    branches = (
        Branch.objects.visible_to(request.user)
        .active()
        .select_related("organ")
        .order_by("organ__sort_order", "organ__name", "name")
    )
    page = Paginator(branches, PAGE_SIZE).get_page(request.GET.get("page"))
    # Counted for the page's branches only, in one grouped query, as the appraisal list does.
    counts = {
        row["member__branch_id"]: row
        for row in PointEntry.objects.filter(year=year, member__branch__in=[b.pk for b in page])
        .order_by()
        .values("member__branch_id")
        .annotate(
            n_entries=Count("pk", filter=Q(status=PointEntryStatus.APPROVED)),
            n_pending=Count("pk", filter=Q(status=PointEntryStatus.PENDING)),
        )
    }
    for branch in page:
        row = counts.get(branch.pk, {})
        branch.n_entries, branch.n_pending = row.get("n_entries", 0), row.get("n_pending", 0)
    return render(
        request,
        "assessments/members/points_list.html",
        {
            "nav": NAV,
            "year": year,
            "page": page,
            "can_see_rules": SEE_POINT_RULES.allows(request.user),
            "breadcrumbs": [(f"{year}年度党员积分", None)],
        },
    )


def _points_url(branch: Branch, year: int) -> str:
    return reverse("assessments:points_branch", args=[branch.pk, year])


@login_required
@require_GET
def point_rules(request: HttpRequest, year: int) -> HttpResponse:
    SEE_POINT_RULES.require(request.user)
    _check_year(year)
    rules = points.point_rules_for(year)
    return render(
        request,
        "assessments/members/point_rules.html",
        {
            "nav": NAV,
            "year": year,
            "rules": rules,
            "is_open": all(rule.pk is not None for rule in rules),
            "can_edit": scope_of(request.user).is_gongwei,
            "base": points.base_for(year),
            "breadcrumbs": [(f"{year}年度党员积分规则", None)],
        },
    )


def _rule_form_page(request: HttpRequest, year: int, rule: PointRule | None) -> HttpResponse:
    SET_POINT_RULES.require(request.user)
    rules_url = reverse("assessments:point_rules", args=[year])
    form = PointRuleForm(request.POST or None, instance=rule)
    if request.method == "POST" and form.is_valid():
        try:
            points.save_rule(year, form.data_for_service(), rule=rule, by=request.user)
        except points.PointsError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, "积分规则已保存。")
            return redirect(rules_url)
    title = "修改积分规则" if rule else "新增积分规则"
    return render(
        request,
        "form.html",
        {
            "nav": NAV,
            "form": form,
            "title": title,
            "cancel_url": rules_url,
            "breadcrumbs": [(f"{year}年度党员积分规则", rules_url), (title, None)],
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def point_rule_create(request: HttpRequest, year: int) -> HttpResponse:
    return _rule_form_page(request, _check_year(year), None)


@login_required
@require_http_methods(["GET", "POST"])
def point_rule_edit(request: HttpRequest, pk: int) -> HttpResponse:
    rule = get_object_or_404(PointRule, pk=pk)
    return _rule_form_page(request, rule.year, rule)


@login_required
@require_http_methods(["GET", "POST"])
def point_rule_delete(request: HttpRequest, pk: int) -> HttpResponse:
    SET_POINT_RULES.require(request.user)
    rule = get_object_or_404(PointRule, pk=pk)
    rules_url = reverse("assessments:point_rules", args=[rule.year])
    if request.method == "POST":
        try:
            points.delete_rule(rule, by=request.user)
        except points.PointsError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, f"已删除积分规则“{rule.name}”。")
        return redirect(rules_url)
    return render(
        request,
        "confirm.html",
        {
            "nav": NAV,
            "title": f"删除积分规则“{rule.name}”",
            "danger": True,
            "explain": "已有积分记录的规则不能删除。",
            "cancel_url": rules_url,
            "breadcrumbs": [(f"{rule.year}年度党员积分规则", rules_url), ("删除", None)],
        },
    )


@login_required
@require_GET
def points_branch(request: HttpRequest, branch_pk: int, year: int) -> HttpResponse:
    """The branch's members by total with their rank, and the entries waiting for approval."""
    branch = get_branch_for_user(request.user, branch_pk)
    _check_year(year)
    can_enter = points.can_enter(request.user, branch)
    pending = list(
        PointEntry.objects.filter(member__branch=branch, year=year, status=PointEntryStatus.PENDING)
        .select_related("member", "rule", "added_by")
        .order_by("added_at", "pk")
    )
    for entry in pending:
        # can_approve's branch rule is can_enter here; only the adder remains to rule out.
        entry.can_review = can_enter and entry.added_by_id != request.user.pk
    return render(
        request,
        "assessments/members/points_branch.html",
        {
            "nav": NAV,
            "branch": branch,
            "year": year,
            "rows": points.branch_totals(branch, year),
            "base": points.base_for(year),
            "pending": pending,
            "can_enter": can_enter and branch.is_active,
            # The committee reads the rules in the entry form; the rules page is the staff's.
            "can_see_rules": SEE_POINT_RULES.allows(request.user),
            "breadcrumbs": _branch_crumbs(branch, (f"{year}年度党员积分", None)),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def point_entry_add(request: HttpRequest, branch_pk: int, year: int) -> HttpResponse:
    branch = get_branch_for_user(request.user, branch_pk, write=True)
    _check_year(year)
    url = _points_url(branch, year)
    initial = {"member": request.GET.get("member")} if (request.GET.get("member") or "").isdigit() else {}
    form = PointEntryForm(request.POST or None, branch=branch, year=year, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            entry = points.add_entry(
                data["member"], data["rule"], occurred_on=data["occurred_on"], note=data["note"], by=request.user
            )
        except points.PointsError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, f"已登记{entry.member.name}的积分“{entry.rule.name}”，待其他支委审核。")
            return redirect(url)
    return render(
        request,
        "form.html",
        {
            "nav": NAV,
            "form": form,
            "title": f"登记党员积分（{year}年度）",
            "notice": ""
            if form.fields["rule"].queryset.exists()
            else f"{year}年度积分规则尚未生成，暂不能登记积分，请联系工委生成。",
            "cancel_url": url,
            "breadcrumbs": _branch_crumbs(branch, (f"{year}年度党员积分", url), ("登记积分", None)),
        },
    )


def _get_entry_for_user(user, pk: int) -> PointEntry:
    return get_object_or_404(
        PointEntry.objects.visible_to(user).select_related("member__branch", "rule", "added_by"), pk=pk
    )


@login_required
@require_POST
def point_entry_approve(request: HttpRequest, pk: int) -> HttpResponse:
    entry = _get_entry_for_user(request.user, pk)
    try:
        points.approve_entry(entry, by=request.user)
    except points.PointsError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"已审核通过{entry.member.name}的积分“{entry.rule.name}”。")
    return redirect(_points_url(entry.member.branch, entry.year))


@login_required
@require_http_methods(["GET", "POST"])
def point_entry_reject(request: HttpRequest, pk: int) -> HttpResponse:
    entry = _get_entry_for_user(request.user, pk)
    _require(points.can_approve(request.user, entry), "登记人不能审核自己登记的积分，请由其他支委或上级党组织审核。")
    url = _points_url(entry.member.branch, entry.year)
    form = ReasonForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            points.reject_entry(entry, reason=form.cleaned_data["reason"], by=request.user)
        except points.PointsError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, "已退回该积分记录，登记人已收到通知。")
            return redirect(url)
    return render(
        request,
        "confirm.html",
        {
            "nav": NAV,
            "title": "不通过积分记录",
            "explain": f"{entry.member.name}：{entry.rule.name}（{entry.points:+g} 分），事由：{entry.note}",
            "form": form,
            "cancel_url": url,
            "breadcrumbs": _branch_crumbs(entry.member.branch, (f"{entry.year}年度党员积分", url), ("不通过", None)),
        },
    )


@login_required
@require_GET
def points_member(request: HttpRequest, member_pk: int, year: int) -> HttpResponse:
    """A member's ledger for the year: visible to the member and to those who see the branch."""
    member = get_member_for_user(request.user, member_pk)
    _check_year(year)
    entries = list(
        PointEntry.objects.filter(member=member, year=year).select_related("rule", "added_by", "approved_by")
    )
    scope = scope_of(request.user)
    own = member.pk == scope.member_id
    crumbs = [(member.name, member.get_absolute_url()), (f"{year}年度党员积分", None)]
    if scope.is_gongwei or member.branch.organ_id in scope.organ_ids or member.branch_id in scope.branch_ids:
        crumbs.insert(0, (f"{member.branch.name}积分", _points_url(member.branch, year)))
    return render(
        request,
        "assessments/members/points_member.html",
        {
            "nav": "me" if own else NAV,
            "member": member,
            "year": year,
            "entries": entries,
            "line": points.member_total(member, year),
            "base": points.base_for(year),
            "breadcrumbs": crumbs,
        },
    )


@login_required
@require_GET
def points_mine(request: HttpRequest) -> HttpResponse:
    member_id = scope_of(request.user).member_id
    if member_id is None:
        raise Http404("您的账号未关联党员档案。")
    return redirect("assessments:points_member", member_pk=member_id, year=_year_param(request))


# --- 书记述职评议 ----------------------------------------------------------------------------


def _report_url(branch: Branch, year: int) -> str:
    return reverse("assessments:secretary_report", args=[branch.pk, year])


def _report_page(
    request: HttpRequest,
    branch: Branch,
    year: int,
    *,
    form: SecretaryReportForm | None = None,
    evaluate_form: EvaluateForm | None = None,
    status: int = 200,
) -> HttpResponse:
    user = request.user
    report = (
        SecretaryReport.objects.filter(branch=branch, year=year).select_related("secretary", "evaluated_by").first()
    )
    editable = secretary.can_write(user, branch) and (report is None or report.status == SecretaryReportStatus.DRAFT)
    can_evaluate = (
        report is not None and report.status == SecretaryReportStatus.SUBMITTED and secretary.can_evaluate(user, branch)
    )
    if editable and form is None:
        form = SecretaryReportForm(
            initial={"text": report.text if report else ""},
            report=report,
            max_mb=upload_limit_mb(config_for_year(year).max_evidence_mb),
        )
    return render(
        request,
        "assessments/members/secretary_report.html",
        {
            "nav": NAV,
            "branch": branch,
            "year": year,
            "report": report,
            "attachments": list(report.attachments.all()) if report else [],
            "form": form if editable else None,
            "evaluate_form": (evaluate_form or EvaluateForm()) if can_evaluate else None,
            "can_evaluate": can_evaluate,
            "secretary_member": report.secretary if report else secretary.current_secretary(branch),
            "history": history_of(SecretaryReport.history.filter(id=report.pk), SecretaryReport) if report else [],
            "breadcrumbs": _branch_crumbs(branch, (f"{year}年度书记述职", None)),
        },
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def secretary_report(request: HttpRequest, branch_pk: int, year: int) -> HttpResponse:
    """The report page: the committee writes and submits here, the evaluator reads and evaluates."""
    branch = get_branch_for_user(request.user, branch_pk)
    _check_year(year)
    if request.method == "GET":
        return _report_page(request, branch, year)
    WRITE_SECRETARY_REPORT.require(request.user, branch)
    report = SecretaryReport.objects.filter(branch=branch, year=year).first()
    form = SecretaryReportForm(
        request.POST, request.FILES, report=report, max_mb=upload_limit_mb(config_for_year(year).max_evidence_mb)
    )
    if not form.is_valid():
        return _report_page(request, branch, year, form=form)
    data = form.cleaned_data
    try:
        report = secretary.save_draft(
            branch, year, text=data["text"], files=data["files"], remove=data.get("remove") or [], by=request.user
        )
    except secretary.SecretaryReportError as exc:
        form.add_error(None, str(exc))
        return _report_page(request, branch, year, form=form)
    if request.POST.get("action") != "submit":
        messages.success(request, "述职草稿已保存。")
        return redirect(_report_url(branch, year))
    try:
        secretary.submit(report, by=request.user)
    except secretary.SecretaryReportError as exc:
        messages.error(request, f"草稿已保存，但未能提交：{exc}")
    else:
        messages.success(request, "述职已提交，等待机关党委评议。")
    return redirect(_report_url(branch, year))


def _get_report_for_user(user, pk: int) -> SecretaryReport:
    return get_object_or_404(SecretaryReport.objects.visible_to(user).select_related("branch__organ"), pk=pk)


@login_required
@require_POST
def secretary_report_evaluate(request: HttpRequest, pk: int) -> HttpResponse:
    report = _get_report_for_user(request.user, pk)
    EVALUATE_SECRETARY_REPORT.require(request.user, report.branch)
    form = EvaluateForm(request.POST)
    if form.is_valid():
        try:
            secretary.evaluate(
                report, grade=form.cleaned_data["grade"], evaluation=form.cleaned_data["evaluation"], by=request.user
            )
        except secretary.SecretaryReportError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, "评议已保存，支部已收到通知。")
            return redirect(_report_url(report.branch, report.year))
    return _report_page(request, report.branch, report.year, evaluate_form=form)


@login_required
@require_http_methods(["GET", "POST"])
def secretary_report_return(request: HttpRequest, pk: int) -> HttpResponse:
    report = _get_report_for_user(request.user, pk)
    RETURN_SECRETARY_REPORT.require(request.user, report.branch)
    url = _report_url(report.branch, report.year)
    form = ReasonForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            secretary.return_report(report, reason=form.cleaned_data["reason"], by=request.user)
        except secretary.SecretaryReportError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, "已退回支部修改。")
            return redirect(url)
    return render(
        request,
        "confirm.html",
        {
            "nav": NAV,
            "title": "退回述职修改",
            "explain": f"{report}将回到草稿，支部修改后重新提交。",
            "form": form,
            "cancel_url": url,
            "breadcrumbs": _branch_crumbs(report.branch, (f"{report.year}年度书记述职", url), ("退回修改", None)),
        },
    )


@login_required
@require_GET
def secretary_report_list(request: HttpRequest) -> HttpResponse:
    """Staff list of a year: every active branch in scope with its report's status and grade."""
    _require(_is_staff(request.user), "只有工委和机关党委工作人员可以查看书记述职评议情况。")
    year = _year_param(request)
    data = request.GET.copy()
    data["year"] = year
    form = SecretaryListForm(data, organs=manageable_organs(request.user))
    organ = form.cleaned_data.get("organ") if form.is_valid() else None
    wanted = form.cleaned_data.get("status") if form.is_valid() else ""
    rows = (
        Branch.objects.visible_to(request.user)
        .active()
        .select_related("organ")
        .annotate(this_year=FilteredRelation("secretary_reports", condition=Q(secretary_reports__year=year)))
        .annotate(
            report_id=F("this_year__id"),
            report_status=F("this_year__status"),
            report_grade=F("this_year__grade"),
            submitted_at=F("this_year__submitted_at"),
        )
    )
    if organ is not None:
        rows = rows.filter(organ=organ)
    counts = rows.aggregate(
        total=Count("pk"),
        missing=Count("pk", filter=Q(report_id__isnull=True)),
        **{s: Count("pk", filter=Q(report_status=s)) for s in SecretaryReportStatus.values},
    )
    if wanted == "none":
        rows = rows.filter(report_id__isnull=True)
    elif wanted:
        rows = rows.filter(report_status=wanted)
    page = Paginator(rows.order_by("organ__sort_order", "organ__name", "name"), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    labels = dict(SecretaryReportStatus.choices)
    grades = dict(secretary.SecretaryGrade.choices)
    for branch in page.object_list:
        branch.status_label = labels.get(branch.report_status, "未填写")
        branch.grade_label = grades.get(branch.report_grade, "")
    return render(
        request,
        "assessments/members/secretary_list.html",
        {
            "nav": NAV,
            "year": year,
            "filter": {"form": form},
            "page": page,
            "counts": counts,
            "breadcrumbs": [(f"{year}年度书记述职评议", None)],
        },
    )


@login_required
@require_GET
def secretary_attachment(request: HttpRequest, token: str) -> FileResponse:
    # The token alone is not a key: a guessed or leaked link outside the user's scope is a 404.
    attachment = get_object_or_404(
        SecretaryReportAttachment.objects.filter(report__in=SecretaryReport.objects.visible_to(request.user)),
        token=token,
    )
    return attachment.download()
