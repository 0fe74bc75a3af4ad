"""Pages of organisational life: completion for staff, the branch calendar, requirements,
exemptions and 学时. Thin: fetch and authorize, call branches/orglife.py, render."""

import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.scope import scope_of

from .. import hours, kept, orglife
from ..access import get_branch_for_user, get_member_for_user
from ..forms.orglife import (
    CompletionFilterForm,
    ExemptionForm,
    RequirementForm,
    TrainingFilterForm,
    TrainingForm,
    year_choices,
)
from ..models import Branch, MeetingRequirement, Member, RequirementExemption, TrainingRecord
from ..permissions import DELETE_TRAINING, GRANT_EXEMPTION, REVOKE_EXEMPTION, SEE_STAFF_PAGES, SET_REQUIREMENTS

SUMMARY_PAGE_SIZE = 30
PAGE_SIZE = 30


def _require_staff_or_committee(user) -> None:
    SEE_STAFF_PAGES.require(user)


def _require_gongwei(user) -> None:
    SET_REQUIREMENTS.require(user)


def _year_param(request: HttpRequest, today: datetime.date) -> int:
    """`?year=`, or this year when it is missing or out of the range the pages offer."""
    try:
        year = int(request.GET.get("year", ""))
    except ValueError:
        return today.year
    return year if orglife.year_is_reasonable(year, today) else today.year


def _int(value: str) -> int:
    try:
        return int(value)
    except ValueError as exc:
        raise Http404("参数无效。") from exc


def _crumbs(*extra) -> list[tuple]:
    return [("组织生活完成情况", reverse("branches:completion")), *extra]


# --- completion (staff) ------------------------------------------------------------------


@login_required
@require_GET
def completion(request: HttpRequest) -> HttpResponse:
    _require_staff_or_committee(request.user)
    today = timezone.localdate()
    form = CompletionFilterForm(request.GET or None, user=request.user, today=today)
    year = form.value("year", today.year)
    organ = form.value("organ")
    state = form.value("state", "")
    branches = orglife.active_in_year(Branch.objects.visible_to(request.user), year).select_related("organ")
    if organ is not None:
        branches = branches.filter(organ=organ)
    branches = branches.order_by("organ__sort_order", "organ__name", "name", "pk")
    requirements = orglife.requirements_for_year(year)
    is_open = orglife.is_open(requirements)
    if not is_open:
        # Completion is kept for opened years only: a year not opened shows its rules and no figures.
        branches = branches.none()
    # The organ summary and the "有未完成" filter count every visible branch from the kept rows in
    # SQL; only the page's rows are read per kind.
    summaries = kept.organ_summaries(branches, year, today, requirements) if is_open else []
    # ?kind= narrows the state to one kind of meeting (the dashboards link "未完成支部" per kind).
    kind = request.GET.get("kind", "")
    missed = kept.missed_any(year, today, kind if kind in orglife.KIND_ORDER else None)
    if state == "missing":
        branches = branches.filter(missed)
    elif state == "complete":
        branches = branches.exclude(missed)
    page = Paginator(branches, PAGE_SIZE).get_page(request.GET.get("page"))
    page.object_list = list(kept.tallies(list(page.object_list), year, today, requirements).values())
    # A province has hundreds of organs: the summary pages like the branches below it, the totals count them all.
    summary_page = Paginator(summaries, SUMMARY_PAGE_SIZE).get_page(request.GET.get("opage"))
    return render(
        request,
        "branches/orglife_completion.html",
        {
            "nav": "orglife",
            "filter": form,
            "year": year,
            "today": today,
            "requirements": requirements,
            "is_open": is_open,
            "page": page,
            "n_summaries": len(summaries),
            "summary_page": summary_page,
            "summaries": [(s, s.kind_cells(requirements)) for s in summary_page.object_list],
            "totals": orglife.total_of(summaries),
            "is_gongwei": scope_of(request.user).is_gongwei,
            "breadcrumbs": [("组织生活完成情况", None)],
        },
    )


# --- the branch calendar -----------------------------------------------------------------


@login_required
@require_GET
def branch_calendar(request: HttpRequest, pk: int) -> HttpResponse:
    branch = get_branch_for_user(request.user, pk)
    today = timezone.localdate()
    year = _year_param(request, today)
    context = orglife.calendar_context(branch, year, today)
    scope = scope_of(request.user)
    exemptions = (
        RequirementExemption.objects.filter(branch=branch)
        .filter(starts_on__lte=datetime.date(year, 12, 31), ends_on__gte=datetime.date(year, 1, 1))
        .select_related("granted_by")
        .order_by("-starts_on", "-pk")
    )
    context.update(
        {
            "nav": "branches",
            "branch": branch,
            "year": year,
            "years": year_choices(today, max(branch.founded_on.year, today.year - 5)),
            "exemptions": exemptions,
            "can_exempt": orglife.can_grant_exemption(request.user, branch),
            "can_record": scope.can_write_branch(branch) and branch.is_active,
            "breadcrumbs": [
                ("党支部", reverse("branches:branch_list")),
                (branch.name, branch.get_absolute_url()),
                (f"{year}年组织生活", None),
            ],
        }
    )
    return render(request, "branches/orglife_calendar.html", context)


# --- requirements (工委) -------------------------------------------------------------------


@login_required
@require_GET
def requirement_list(request: HttpRequest) -> HttpResponse:
    _require_gongwei(request.user)
    today = timezone.localdate()
    year = _year_param(request, today)
    rows = orglife.requirements_for_year(year)
    taken = {r.kind for r in rows}
    is_open = orglife.is_open(rows)
    return render(
        request,
        "branches/orglife_requirements.html",
        {
            "nav": "orglife",
            "year": year,
            "years": range(today.year + 1, today.year - 5, -1),
            "rows": rows,
            "is_open": is_open,
            "can_add": is_open and len(taken) < len(orglife.KIND_ORDER),
            "breadcrumbs": _crumbs(("组织生活要求", None)),
        },
    )


def _requirement_page(request, form, *, year: int, title: str) -> HttpResponse:
    list_url = f"{reverse('branches:requirement_list')}?year={year}"
    return render(
        request,
        "form.html",
        {
            "form": form,
            "title": title,
            "nav": "orglife",
            "cancel_url": list_url,
            "breadcrumbs": _crumbs(("组织生活要求", list_url), (title, None)),
        },
    )


def _save_requirement(request, form) -> bool:
    if not form.is_valid():
        return False
    try:
        orglife.save_requirement(form.save(commit=False), by=request.user)
    except orglife.OrgLifeError as exc:
        form.add_error(None, str(exc))
        return False
    return True


@login_required
@require_http_methods(["GET", "POST"])
def requirement_create(request: HttpRequest) -> HttpResponse:
    _require_gongwei(request.user)
    today = timezone.localdate()
    year = _year_param(request, today)
    taken = {r.kind for r in orglife.requirements_for_year(year)}
    form = RequirementForm(request.POST or None, instance=MeetingRequirement(year=year), taken_kinds=taken)
    if request.method == "POST" and _save_requirement(request, form):
        messages.success(request, f"已新增{year}年{form.instance.get_kind_display()}的要求。")
        return redirect(f"{reverse('branches:requirement_list')}?year={year}")
    return _requirement_page(request, form, year=year, title=f"新增{year}年组织生活要求")


@login_required
@require_http_methods(["GET", "POST"])
def requirement_edit(request: HttpRequest, pk: int) -> HttpResponse:
    _require_gongwei(request.user)
    requirement = get_object_or_404(MeetingRequirement, pk=pk)
    form = RequirementForm(request.POST or None, instance=requirement)
    if request.method == "POST" and _save_requirement(request, form):
        messages.success(request, f"{requirement.year}年{requirement.get_kind_display()}的要求已保存。")
        return redirect(f"{reverse('branches:requirement_list')}?year={requirement.year}")
    title = f"编辑{requirement.year}年{requirement.get_kind_display()}要求"
    return _requirement_page(request, form, year=requirement.year, title=title)


@login_required
@require_POST
def requirement_delete(request: HttpRequest, pk: int) -> HttpResponse:
    _require_gongwei(request.user)
    requirement = get_object_or_404(MeetingRequirement, pk=pk)
    try:
        orglife.delete_requirement(requirement, by=request.user)
    except orglife.OrgLifeError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"已删除{requirement.year}年{requirement.get_kind_display()}的要求。")
    return redirect(f"{reverse('branches:requirement_list')}?year={requirement.year}")


# --- exemptions (机关党委 of the branch's organ, 工委) ---------------------------------------


def _calendar_url(branch: Branch, year: int | None = None) -> str:
    url = reverse("branches:branch_calendar", args=[branch.pk])
    return f"{url}?year={year}" if year else url


@login_required
@require_http_methods(["GET", "POST"])
def exemption_create(request: HttpRequest, branch_pk: int) -> HttpResponse:
    branch = get_branch_for_user(request.user, branch_pk)
    GRANT_EXEMPTION.require(request.user, branch)
    today = timezone.localdate()
    form = ExemptionForm(request.POST or None, initial={"starts_on": max(branch.founded_on, today.replace(day=1))})
    if request.method == "POST" and form.is_valid():
        try:
            exemption = orglife.grant_exemption(branch, by=request.user, **form.cleaned_data)
        except orglife.OrgLifeError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, f"已为 {branch.name} 登记豁免。")
            return redirect(_calendar_url(branch, exemption.ends_on.year))
    return render(
        request,
        "form.html",
        {
            "form": form,
            "title": f"登记豁免：{branch.name}",
            "nav": "branches",
            "cancel_url": _calendar_url(branch),
            "breadcrumbs": [
                ("党支部", reverse("branches:branch_list")),
                (branch.name, branch.get_absolute_url()),
                ("组织生活", _calendar_url(branch)),
                ("登记豁免", None),
            ],
        },
    )


@login_required
@require_POST
def exemption_delete(request: HttpRequest, pk: int) -> HttpResponse:
    exemption = get_object_or_404(
        RequirementExemption.objects.filter(branch__in=Branch.objects.visible_to(request.user)).select_related(
            "branch"
        ),
        pk=pk,
    )
    REVOKE_EXEMPTION.require(request.user, exemption.branch)
    orglife.revoke_exemption(exemption, by=request.user)
    messages.success(request, "豁免已撤销。")
    return redirect(_calendar_url(exemption.branch, exemption.starts_on.year))


# --- training hours ----------------------------------------------------------------------


@login_required
@require_GET
def training_list(request: HttpRequest) -> HttpResponse:
    _require_staff_or_committee(request.user)
    today = timezone.localdate()
    form = TrainingFilterForm(request.GET or None, user=request.user, today=today)
    year = form.value("year", today.year)
    members = Member.objects.visible_to(request.user)
    if form.value("organ") is not None:
        members = members.filter(branch__organ=form.value("organ"))
    if form.value("branch") is not None:
        members = members.filter(branch=form.value("branch"))
    if form.value("q"):
        members = members.filter(name__icontains=form.value("q").strip())
    # Counted and filtered from the kept sums (`branches.hours`), never from the attendance itself.
    target = hours.target_of(year)
    stats = hours.tally(members, year, target)
    below = form.value("below") == "1"
    if below:
        members = members.filter(hours.below_q(year, target))
    # Only the keys are sorted: a province's roster is ordered through its branches and organs, and
    # every column carried through that sort costs time. The rows shown are read afterwards, with their hours.
    ordered = members.order_by(
        "branch__organ__sort_order", "branch__organ__name", "branch__name", "name_pinyin", "pk"
    ).values_list("pk", flat=True)
    paginator = Paginator(ordered, PAGE_SIZE)
    # The tally has counted this list already; a second COUNT would join the year's rows again.
    paginator.count = stats["below"] if below else stats["total"]
    page = paginator.get_page(request.GET.get("page"))
    shown = hours.with_hours(Member.objects.filter(pk__in=list(page.object_list)), year, target)
    by_pk = {m.pk: m for m in shown.select_related("branch__organ")}
    page.object_list = [by_pk[pk] for pk in page.object_list]
    branch = form.value("branch")
    scope = scope_of(request.user)
    for m in page.object_list:
        m.can_record = scope.can_write_branch(m.branch)
    return render(
        request,
        "branches/orglife_training_list.html",
        {
            "nav": "orglife",
            "filter": form,
            "year": year,
            "page": page,
            "stats": stats,
            "target": target,
            "record_branch": branch if branch is not None and scope.can_write_branch(branch) else None,
            "breadcrumbs": [("党员学时", None)],
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def training_create(request: HttpRequest) -> HttpResponse:
    """Record a training for one member (?member=) or several of a branch (?branch=)."""
    member = None
    if request.GET.get("member"):
        member = get_member_for_user(request.user, _int(request.GET["member"]), write=True)
        branch = member.branch
    elif request.GET.get("branch"):
        branch = get_branch_for_user(request.user, _int(request.GET["branch"]), write=True)
    else:
        messages.info(request, "请先选择支部（或在党员页面登记个人学时）。")
        return redirect("branches:training_list")
    form = TrainingForm(request.POST or None, branch=branch, initial={"members": [member.pk] if member else []})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            records = orglife.record_training(
                list(data["members"]),
                held_on=data["held_on"],
                title=data["title"],
                hours=data["hours"],
                by=request.user,
                today=timezone.localdate(),
            )
        except orglife.OrgLifeError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, f"已为 {len(records)} 名党员登记 {data['hours']} 学时。")
            if member is not None and len(records) == 1 and records[0].member_id == member.pk:
                return redirect(member)
            return redirect(f"{reverse('branches:training_list')}?branch={branch.pk}&year={data['held_on'].year}")
    back = member.get_absolute_url() if member else f"{reverse('branches:training_list')}?branch={branch.pk}"
    return render(
        request,
        "form.html",
        {
            "form": form,
            "title": f"登记学时：{member.name if member else branch.name}",
            "nav": "orglife",
            "cancel_url": back,
            "breadcrumbs": [("党员学时", reverse("branches:training_list")), ("登记学时", None)],
        },
    )


@login_required
@require_POST
def training_delete(request: HttpRequest, pk: int) -> HttpResponse:
    record = get_object_or_404(
        TrainingRecord.objects.filter(member__in=Member.objects.visible_to(request.user)).select_related(
            "member__branch"
        ),
        pk=pk,
    )
    DELETE_TRAINING.require(request.user, record.member)
    orglife.delete_training(record, by=request.user)
    messages.success(request, f"已删除 {record.member.name} 的学时记录“{record.title}”。")
    return redirect(record.member)
