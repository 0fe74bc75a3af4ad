"""Pages of the 问题整改台账: the ledger list and its Excel export, the item page and its steps."""

import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.scope import scope_of
from branches.access import get_branch_for_user, writable_branches
from core.errors import DomainError, status_for
from core.excel import xlsx_attachment
from core.history import history_of
from maintenance.models import ExportKind, record_export

from .. import ledger
from ..exports import export_problems
from ..forms.ledger import BranchChoiceForm, CloseForm, ProblemFilter, ProblemForm, ReopenForm
from ..ledger import WORKING, get_problem_for_user, get_problem_for_verifier
from ..models import Problem
from ..permissions import SEE_LEDGER

PAGE_SIZE = 30
NAV = "ledger"


def _require(condition: bool, message: str) -> None:
    if not condition:
        raise PermissionDenied(message)


def _crumbs(problem: Problem | None = None, *extra) -> list[tuple]:
    crumbs = [("问题整改台账", reverse("assessments:problem_list"))]
    if problem is not None:
        crumbs.append((problem.title, reverse("assessments:problem_detail", args=[problem.pk])))
    return crumbs + list(extra)


def _filtered(request: HttpRequest, today: datetime.date) -> ProblemFilter:
    # The responsible member is fetched for the page's rows only: joined, the planner hashes the whole
    # roster before it can sort the ledger (100 ms at province scale).
    base = Problem.objects.visible_to(request.user).select_related("branch__organ").prefetch_related("responsible")
    return ProblemFilter(request.GET, queryset=base, user=request.user, today=today)


# --- The ledger ------------------------------------------------------------------------------


@login_required
@require_GET
def problem_list(request: HttpRequest) -> HttpResponse:
    SEE_LEDGER.require(request.user)
    today = timezone.localdate()
    filterset = _filtered(request, today)
    rows = filterset.qs
    counts = rows.aggregate(
        total=Count("pk"),
        overdue=Count("pk", filter=Q(status__in=WORKING, deadline__lt=today)),
        working=Count("pk", filter=Q(status__in=WORKING)),
    )
    page = Paginator(ledger.in_ledger_order(rows, today), PAGE_SIZE).get_page(request.GET.get("page"))
    for problem in page.object_list:
        problem.days_late = (today - problem.deadline).days if problem.is_overdue else 0
    return render(
        request,
        "assessments/problem_list.html",
        {
            "nav": NAV,
            "filter": filterset,
            "page": page,
            "counts": counts,
            "today": today,
            "can_create": writable_branches(request.user).exists(),
            "export_query": request.GET.urlencode(),
            "breadcrumbs": [("问题整改台账", None)],
        },
    )


@login_required
@require_GET
def problem_export(request: HttpRequest) -> HttpResponse:
    """Exactly the rows of the ledger list for the same query string, every page."""
    _require(scope_of(request.user).is_staff_or_committee, "您的账号无权导出问题整改台账。")
    today = timezone.localdate()
    rows = ledger.in_ledger_order(_filtered(request, today).qs.select_related("created_by", "verified_by"), today)
    record_export(request, kind=ExportKind.PROBLEMS, row_count=rows.count(), full_id_numbers=False)
    return xlsx_attachment(
        export_problems(rows, today), f"问题整改台账-{today:%Y%m%d}.xlsx", f"problems-{today:%Y%m%d}.xlsx"
    )


# --- One item --------------------------------------------------------------------------------


def _detail_context(request: HttpRequest, problem: Problem) -> dict:
    today = timezone.localdate()
    user = request.user
    can_work, can_verify = ledger.can_work(user, problem), ledger.can_verify(user, problem)
    return {
        "nav": NAV,
        "problem": problem,
        "today": today,
        "is_overdue": ledger.is_overdue(problem, today),
        "days_late": (today - problem.deadline).days,
        "days_left": (problem.deadline - today).days,
        "can_edit": can_work and problem.status in WORKING,
        "can_start": can_work and problem.status == ledger.S.OPEN,
        "can_close": can_work and problem.status in WORKING,
        "can_verify": can_verify and problem.status == ledger.S.DONE,
        "can_reopen": can_verify and problem.status in ledger.CLOSED,
        "close_form": CloseForm(initial={"note": problem.closing_note}),
        "reopen_form": ReopenForm(),
        "history": history_of(Problem.history.filter(id=problem.pk), Problem),
        "breadcrumbs": _crumbs(None, (problem.title, None)),
    }


@login_required
@require_GET
def problem_detail(request: HttpRequest, pk: int) -> HttpResponse:
    problem = get_problem_for_user(request.user, pk)
    return render(request, "assessments/problem_detail.html", _detail_context(request, problem))


def _creation_branches(user):
    return writable_branches(user).order_by("organ__sort_order", "organ__name", "name")


@login_required
@require_http_methods(["GET", "POST"])
def problem_create(request: HttpRequest) -> HttpResponse:
    """Enter a problem for one branch: with `?branch=`, or the only branch the user writes for."""
    branches = _creation_branches(request.user)
    branch_id = request.GET.get("branch")
    if branch_id:
        if not branch_id.isdigit():
            raise Http404("没有这个支部。")
        branch = get_branch_for_user(request.user, int(branch_id), write=True)
    else:
        _require(scope_of(request.user).is_staff_or_committee, "您的账号无权登记整改问题。")
        only = list(branches[:2])
        if len(only) != 1:
            return _choose_branch(request, branches)
        branch = only[0]
    form = ProblemForm(request.POST or None, branch=branch, initial={"source": _default_source(request.user, branch)})
    if request.method == "POST" and form.is_valid():
        try:
            problem = ledger.open_problem(branch, form.data_for_service(), by=request.user)
        except DomainError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, f"已登记整改问题“{problem.title}”。")
            return redirect("assessments:problem_detail", pk=problem.pk)
    return render(
        request,
        "assessments/problem_form.html",
        {
            "nav": NAV,
            "form": form,
            "branch": branch,
            "title": "登记整改问题",
            "cancel_url": reverse("assessments:problem_list"),
            "breadcrumbs": _crumbs(None, ("登记整改问题", None)),
        },
    )


def _default_source(user, branch) -> str:
    return ledger.ProblemSource.SELF if branch.pk in scope_of(user).branch_ids else ledger.ProblemSource.SUPERVISION


def _choose_branch(request: HttpRequest, branches) -> HttpResponse:
    _require(branches.exists(), "您没有可登记整改问题的支部。")
    form = BranchChoiceForm(request.GET or None, branches=branches)
    return render(
        request,
        "assessments/problem_branch_choice.html",
        {"nav": NAV, "form": form, "breadcrumbs": _crumbs(None, ("登记整改问题", None))},
    )


@login_required
@require_http_methods(["GET", "POST"])
def problem_edit(request: HttpRequest, pk: int) -> HttpResponse:
    problem = get_problem_for_user(request.user, pk, write=True)
    detail_url = reverse("assessments:problem_detail", args=[problem.pk])
    if problem.status not in WORKING:
        messages.error(request, f"问题{problem.get_status_display()}，不能修改。")
        return redirect(detail_url)
    form = ProblemForm(request.POST or None, branch=problem.branch, problem=problem)
    if request.method == "POST" and form.is_valid():
        try:
            ledger.edit_problem(problem, form.data_for_service(), by=request.user, reason=form.cleaned_data["reason"])
        except DomainError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, "整改问题已保存。")
            return redirect(detail_url)
    return render(
        request,
        "assessments/problem_form.html",
        {
            "nav": NAV,
            "form": form,
            "branch": problem.branch,
            "problem": problem,
            "title": "修改整改问题",
            "cancel_url": detail_url,
            "breadcrumbs": _crumbs(problem, ("修改", None)),
        },
    )


def _step(request: HttpRequest, problem: Problem, do, done: str) -> HttpResponse:
    """Run a one-button step; a refusal is explained on the item's page."""
    try:
        do()
    except DomainError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, done)
    return redirect("assessments:problem_detail", pk=problem.pk)


@login_required
@require_POST
def problem_start(request: HttpRequest, pk: int) -> HttpResponse:
    problem = get_problem_for_user(request.user, pk, write=True)
    return _step(request, problem, lambda: ledger.start(problem, by=request.user), "已开始整改。")


@login_required
@require_POST
def problem_verify(request: HttpRequest, pk: int) -> HttpResponse:
    problem = get_problem_for_verifier(request.user, pk)
    return _step(request, problem, lambda: ledger.verify(problem, by=request.user), "已核验通过，问题销号。")


def _form_step(request, problem: Problem, form, *, title: str, explain: str, run, done: str) -> HttpResponse:
    """A step that needs text (a note, a reason): its own page when opened directly or when input is refused."""
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            run(form.cleaned_data)
        except DomainError as exc:
            form.add_error(None, str(exc))
            status = status_for(exc)
        else:
            messages.success(request, done)
            return redirect("assessments:problem_detail", pk=problem.pk)
    return render(
        request,
        "confirm.html",
        {
            "nav": NAV,
            "title": title,
            "explain": explain,
            "form": form,
            "cancel_url": reverse("assessments:problem_detail", args=[problem.pk]),
            "breadcrumbs": _crumbs(problem, (title, None)),
        },
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def problem_close(request: HttpRequest, pk: int) -> HttpResponse:
    problem = get_problem_for_user(request.user, pk, write=True)
    form = CloseForm(request.POST or None, initial={"note": problem.closing_note})
    return _form_step(
        request,
        problem,
        form,
        title="报告整改完成",
        explain=f"问题：{problem.title}。报告后由机关党委核验，核验通过即销号。",
        run=lambda data: ledger.close(problem, note=data["note"], by=request.user),
        done="已报告整改完成，等待机关党委核验。",
    )


@login_required
@require_http_methods(["GET", "POST"])
def problem_reopen(request: HttpRequest, pk: int) -> HttpResponse:
    problem = get_problem_for_verifier(request.user, pk)
    form = ReopenForm(request.POST or None)
    return _form_step(
        request,
        problem,
        form,
        title="退回重新整改",
        explain=f"问题：{problem.title}。退回后问题回到“整改中”，支部须重新整改并报告。",
        run=lambda data: ledger.reopen(problem, reason=data["reason"], deadline=data["deadline"], by=request.user),
        done="已退回重新整改，支部已收到通知。",
    )
