"""一岗双责 report pages: a leader's own reports, the report form and page, review, the staff
overview with its Excel export, and the periods' due dates."""

import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Count, F, FilteredRelation, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.scope import scope_of
from branches.models import Member
from core.errors import DomainError
from core.history import history_of

from .. import exports, reports
from ..choices import ReportStatus
from ..forms.reports import DutyReportForm, PeriodForm, ReviewForm
from ..models import DutyReport, DutyReportPeriod
from ..permissions import CHANGE_DUE_DATE, SEE_REPORT_OVERVIEW, SEE_REPORT_PERIODS, SUBMIT_REPORT
from ..reports import FILING_CHOICES, TEXT_FIELDS, ReportError
from ..selectors import overview_query

PAGE_SIZE = 30
SUMMARY_PAGE_SIZE = 30
EDITABLE = (ReportStatus.DRAFT, ReportStatus.RETURNED)


def _is_staff(user) -> bool:
    return scope_of(user).is_staff_or_committee


def _crumbs(user, *extra) -> list[tuple]:
    """Staff start from the overview, a leader from their own reports."""
    if _is_staff(user):
        first = ("一岗双责报告", reverse("assessments:report_overview"))
    else:
        first = ("我的一岗双责报告", reverse("assessments:my_reports"))
    return [first, *extra]


def _text_history(report: DutyReport) -> list:
    """The report's history, with long texts summarised: the old and new essays would drown the steps."""
    labels = {str(DutyReport._meta.get_field(name).verbose_name) for name in TEXT_FIELDS}
    changes = history_of(DutyReport.history.filter(id=report.pk), DutyReport)
    for change in changes:
        change.fields = [
            (label, "", "已填写" if change.action == "创建" else "已修改") if label in labels else (label, old, new)
            for label, old, new in change.fields
        ]
    return changes


# --- a leader's own reports ------------------------------------------------------------


@login_required
@require_GET
def my_reports(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    scope = scope_of(request.user)
    member = None
    if scope.member_id is not None:
        member = Member.objects.select_related("branch__organ").get(pk=scope.member_id)
    context = {"nav": "my_reports", "member": member, "today": today, "breadcrumbs": [("我的一岗双责报告", None)]}
    if member is None:
        return render(request, "assessments/report_my.html", context)
    owes = member.is_leader and member.branch.dissolved_on is None
    # Periods owed now — begun, and due this year or later — plus any older period they filed for.
    shown = Q(reports__member=member)
    if owes:
        shown |= Q(starts_on__lte=today, due_on__gte=datetime.date(today.year, 1, 1))
    periods = (
        DutyReportPeriod.objects.filter(pk__in=DutyReportPeriod.objects.filter(shown).values("pk"))
        .annotate(mine=FilteredRelation("reports", condition=Q(reports__member=member)))
        .annotate(
            report_id=F("mine__id"),
            report_status=F("mine__status"),
            report_late=F("mine__is_late"),
            report_return_reason=F("mine__return_reason"),
        )
        .order_by("-year", "-half")
    )
    page = Paginator(periods, PAGE_SIZE).get_page(request.GET.get("page"))
    status_labels = dict(ReportStatus.choices)
    for period in page.object_list:
        period.status_label = status_labels.get(period.report_status, "未填写")
        period.to_file = owes and period.report_status in (None, *EDITABLE)
        period.overdue = period.to_file and period.due_on < today
    # The form on the page is for the oldest period still to file: the one most overdue.
    next_up = next((p for p in reversed(page.object_list) if p.to_file), None)
    form = None
    if next_up is not None:
        instance = DutyReport.objects.get(pk=next_up.report_id) if next_up.report_id else None
        form = DutyReportForm(instance=instance)
    context.update({"page": page, "owes": owes, "next_up": next_up, "form": form})
    return render(request, "assessments/report_my.html", context)


# --- the report form, submission, page and review --------------------------------------


def _after_filing(request, member: Member) -> str:
    if request.user.pk == member.user_id or not _is_staff(request.user):
        return reverse("assessments:my_reports")
    return reverse("assessments:report_overview")


@login_required
@require_http_methods(["GET", "POST"])
def report_edit(request: HttpRequest, period_pk: int, member_pk: int) -> HttpResponse:
    member = reports.get_member_for_filing(request.user, member_pk)
    period = get_object_or_404(DutyReportPeriod, pk=period_pk)
    report = DutyReport.objects.filter(member=member, period=period).first()
    today = timezone.localdate()
    if report is not None and report.status not in EDITABLE:
        messages.info(request, f"报告{report.get_status_display()}，不能再修改。")
        return redirect("assessments:report_detail", report.pk)
    if report is None and (refusal := reports.why_cannot_start(member, period, today)):
        messages.error(request, refusal)
        return redirect(_after_filing(request, member))
    submitting = request.POST.get("action") == "submit"
    form = DutyReportForm(request.POST or None, instance=report, submitting=submitting)
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():
                report = reports.save_draft(member, period, data=form.cleaned_data, by=request.user, today=today)
                if submitting:
                    report = reports.submit_report(report, by=request.user)
        except DomainError as exc:
            form.add_error(None, str(exc))
        else:
            if not submitting:
                messages.success(request, "草稿已保存。填写完整后请提交。")
            elif report.is_late:
                messages.warning(request, f"报告已提交。已超过截止日期（{period.due_on:%Y-%m-%d}），记为逾期提交。")
            else:
                messages.success(request, "报告已提交，等待机关党委审阅。")
            return redirect("assessments:report_detail", report.pk)
    title = f"{member.name} {period}一岗双责报告"
    return render(
        request,
        "assessments/report_form.html",
        {
            "form": form,
            "title": title,
            "member": member,
            "period": period,
            "report": report,
            "today": today,
            "nav": "my_reports" if request.user.pk == member.user_id else "duty_reports",
            "cancel_url": reverse("assessments:report_detail", args=[report.pk])
            if report
            else _after_filing(request, member),
            "breadcrumbs": _crumbs(request.user, (title, None)),
        },
    )


@login_required
@require_POST
def report_submit(request: HttpRequest, pk: int) -> HttpResponse:
    report = reports.get_report_for_user(request.user, pk)
    SUBMIT_REPORT.require(request.user, report.member)
    try:
        report = reports.submit_report(report, by=request.user)
    except DomainError as exc:
        messages.error(request, str(exc))
    else:
        if report.is_late:
            messages.warning(request, "报告已提交，记为逾期提交。")
        else:
            messages.success(request, "报告已提交，等待机关党委审阅。")
    return redirect("assessments:report_detail", report.pk)


@login_required
@require_GET
def report_detail(request: HttpRequest, pk: int) -> HttpResponse:
    report = reports.get_report_for_user(request.user, pk)
    user = request.user
    editable = report.status in EDITABLE and reports.can_file(user, report.member)
    return render(
        request,
        "assessments/report_detail.html",
        {
            "report": report,
            "fields": [(DutyReport._meta.get_field(name).verbose_name, getattr(report, name)) for name in TEXT_FIELDS],
            "can_edit": editable,
            "can_review": report.status == ReportStatus.SUBMITTED and reports.can_review(user, report.member),
            "review_form": ReviewForm(),
            "history": _text_history(report),
            "nav": "my_reports" if user.pk == report.member.user_id else "duty_reports",
            "breadcrumbs": _crumbs(user, (str(report), None)),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def report_review(request: HttpRequest, pk: int) -> HttpResponse:
    report = reports.get_report_for_reviewer(request.user, pk)
    if report.status != ReportStatus.SUBMITTED:
        messages.error(request, f"只有待审阅的报告可以审阅（当前状态：{report.get_status_display()}）。")
        return redirect("assessments:report_detail", report.pk)
    form = ReviewForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        action = request.POST.get("action")
        try:
            if action == "accept":
                reports.accept_report(report, by=request.user)
                messages.success(request, "已审阅通过。")
            elif action == "return":
                reports.return_report(report, by=request.user, reason=form.cleaned_data["reason"])
                messages.success(request, "报告已退回修改，报告人会收到通知。")
            else:
                raise ReportError("请选择审阅通过或退回修改。")
        except DomainError as exc:
            form.add_error("reason" if action == "return" else None, str(exc))
        else:
            return redirect("assessments:report_detail", report.pk)
    return render(
        request,
        "assessments/report_review.html",
        {
            "report": report,
            "form": form,
            "fields": [(DutyReport._meta.get_field(name).verbose_name, getattr(report, name)) for name in TEXT_FIELDS],
            "nav": "duty_reports",
            "breadcrumbs": _crumbs(
                request.user,
                (str(report), reverse("assessments:report_detail", args=[report.pk])),
                ("审阅", None),
            ),
        },
    )


# --- the staff overview and its export --------------------------------------------------


def organ_summary(base) -> list[dict]:
    """Per organ: how many owe, and how many are in each filing state; one grouped query."""
    counts = {state: Count("pk", filter=Q(filing=state)) for state, _ in FILING_CHOICES}
    rows = list(
        base.values("branch__organ_id", "branch__organ__name", "branch__organ__short_name", "branch__organ__sort_order")
        .annotate(total=Count("pk"), n_late_any=Count("pk", filter=Q(report_late=True)), **counts)
        .order_by("branch__organ__sort_order", "branch__organ__name")
    )
    for row in rows:
        row["name"] = row["branch__organ__short_name"] or row["branch__organ__name"]
        filed = row["submitted"] + row["late"] + row["accepted"]
        row["rate"] = round(filed * 100 / row["total"]) if row["total"] else 0
    return rows


def _totals(rows: list[dict]) -> dict:
    keys = ["total", "n_late_any", *(state for state, _ in FILING_CHOICES)]
    totals = {key: sum(row[key] for row in rows) for key in keys}
    filed = totals["submitted"] + totals["late"] + totals["accepted"]
    totals["rate"] = round(filed * 100 / totals["total"]) if totals["total"] else 0
    return totals


@login_required
@require_GET
def report_overview(request: HttpRequest) -> HttpResponse:
    SEE_REPORT_OVERVIEW.require(request.user)
    today = timezone.localdate()
    form, period, base, rows = overview_query(request, today)
    rows = rows.select_related("branch__organ").order_by(
        "branch__organ__sort_order", "branch__organ__name", "branch__name", "name_pinyin", "pk"
    )
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    labels = dict(FILING_CHOICES)
    for member in page.object_list:
        member.filing_label = labels[member.filing]
    summary = organ_summary(base)
    summary_page = Paginator(summary, SUMMARY_PAGE_SIZE).get_page(request.GET.get("opage"))
    return render(
        request,
        "assessments/report_overview.html",
        {
            "nav": "duty_reports",
            "filter": {"form": form},
            "period": period,
            "page": page,
            "summary_page": summary_page,
            "totals": _totals(summary),
            "overdue": today > period.due_on,
            "today": today,
            "export_query": request.GET.urlencode(),
            "breadcrumbs": [("一岗双责报告", None)],
        },
    )


@login_required
@require_GET
def report_export(request: HttpRequest) -> HttpResponse:
    return exports.overview_export(request)


# --- periods and due dates ------------------------------------------------------------


@login_required
@require_GET
def period_list(request: HttpRequest) -> HttpResponse:
    SEE_REPORT_PERIODS.require(request.user)
    today = timezone.localdate()
    page = Paginator(DutyReportPeriod.objects.order_by("-year", "-half"), PAGE_SIZE).get_page(request.GET.get("page"))
    # This year and the next are listed even before they are opened: what they will start with, unsaved.
    unopened = [p for p in reports.periods_for_years([today.year + 1, today.year]) if p.pk is None]
    unopened.sort(key=lambda p: (-p.year, -p.half))
    gongwei = scope_of(request.user).is_gongwei
    return render(
        request,
        "assessments/report_periods.html",
        {
            "nav": "duty_reports",
            "page": page,
            "unopened": unopened if page.number == 1 else [],
            "unopened_years": sorted({p.year for p in unopened}, reverse=True),
            "today": today,
            "can_edit": gongwei,
            "history": history_of(DutyReportPeriod.history.filter(history_type="~"), DutyReportPeriod, limit=20),
            "breadcrumbs": _crumbs(request.user, ("报告期设置", None)),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def period_edit(request: HttpRequest, pk: int) -> HttpResponse:
    SEE_REPORT_PERIODS.require(request.user)
    period = get_object_or_404(DutyReportPeriod, pk=pk)
    CHANGE_DUE_DATE.require(request.user)
    form = PeriodForm(request.POST or None, instance=period)
    if request.method == "POST" and form.is_valid():
        try:
            reports.change_due_date(
                period, due_on=form.cleaned_data["due_on"], reason=form.cleaned_data["reason"], by=request.user
            )
        except DomainError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, f"{period}报告截止日期已保存。")
            return redirect("assessments:period_list")
    return render(
        request,
        "form.html",
        {
            "form": form,
            "title": f"调整{period}报告截止日期",
            "nav": "duty_reports",
            "cancel_url": reverse("assessments:period_list"),
            "breadcrumbs": _crumbs(
                request.user, ("报告期设置", reverse("assessments:period_list")), (f"{period}截止日期", None)
            ),
        },
    )
