"""三会一课 pages: a branch's meetings, recording and correcting one, its attachments."""

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Max, Min
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from accounts.scope import scope_of
from core.history import history_of
from core.uploads import upload_limit_mb

from .. import meetings
from ..access import get_attachment_for_user, get_branch_for_user, get_meeting_for_user, writable_branches
from ..choices import MeetingKind
from ..forms.meetings import BranchChoiceForm, MeetingFilterForm, MeetingForm, posted_date
from ..models import GROUP_ORDER, Branch, Meeting, OrganisationRules

PAGE_SIZE = 20


# --- fetch and authorize -----------------------------------------------------------------


def _require_staff_or_committee(user) -> None:
    if not scope_of(user).is_staff_or_committee:
        raise PermissionDenied("您的账号无权查看会议记录。")


def _int_param(value: str) -> int:
    try:
        return int(value)
    except (TypeError, ValueError) as exc:
        raise Http404("参数无效。") from exc


def _list_url(branch: Branch) -> str:
    return f"{reverse('branches:meeting_list')}?branch={branch.pk}"


def _branch_crumbs(branch: Branch, *extra) -> list[tuple]:
    return [
        ("党支部", reverse("branches:branch_list")),
        (branch.name, branch.get_absolute_url()),
        ("会议记录", _list_url(branch)),
        *extra,
    ]


def _max_mb(day) -> int:
    return upload_limit_mb(OrganisationRules.for_year(day.year).max_attachment_mb)


# --- list ------------------------------------------------------------------------------------


@login_required
@require_GET
def meeting_list(request: HttpRequest) -> HttpResponse:
    _require_staff_or_committee(request.user)
    scope = scope_of(request.user)
    visible = Meeting.objects.visible_to(request.user)
    # The first and last dates from the index's ends, not a DISTINCT over every meeting.
    span = visible.aggregate(first=Min("held_on"), last=Max("held_on"))
    years = list(range(span["last"].year, span["first"].year - 1, -1)) if span["first"] else []
    show_organ = scope.is_gongwei or len(scope.organ_ids) > 1
    form = MeetingFilterForm(request.GET or None, user=request.user, years=years, show_organ=show_organ)
    qs = meetings.with_counts(visible).select_related("branch__organ", "party_group").order_by("-held_on", "-pk")
    branch = None
    if form.is_bound:
        # A filter that names something outside the user's scope shows nothing rather than everything.
        qs = form.apply(qs) if form.is_valid() else qs.none()
        branch = form.cleaned_data.get("branch") if form.is_valid() else None
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    for meeting in page.object_list:
        meeting.passes = meetings.vote_result(meeting)
    can_record = branch is not None and scope.can_write_branch(branch)
    if branch is not None:
        crumbs = _branch_crumbs(branch)
        crumbs[-1] = ("会议记录", None)
    else:
        crumbs = [("会议记录", None)]
    return render(
        request,
        "branches/meeting_list.html",
        {
            "nav": "branches",
            "filter": {"form": form},
            "page": page,
            "branch": branch,
            "filtered": any(request.GET.get(name) for name in form.fields if name != "branch"),
            "can_record": can_record or (branch is None and writable_branches(request.user).exists()),
            "create_url": reverse("branches:meeting_create") + (f"?branch={branch.pk}" if branch else ""),
            "breadcrumbs": crumbs,
        },
    )


# --- create and edit ----------------------------------------------------------------------


def _choose_page(request, *, branch=None, error: str = "") -> HttpResponse:
    """Step one of recording: which branch (when the user has several) and which kind of meeting."""
    context = {"nav": "branches", "branch": branch, "error": error}
    if branch is None:
        context["form"] = BranchChoiceForm(user=request.user)
        context["breadcrumbs"] = [("会议记录", reverse("branches:meeting_list")), ("登记会议", None)]
    else:
        base = reverse("branches:meeting_create")
        context["kinds"] = [
            (kind, f"{base}?{urlencode({'branch': branch.pk, 'kind': kind.value})}")
            for kind in MeetingKind
            if kind != MeetingKind.GROUP
        ]
        context["groups"] = [
            (group, f"{base}?{urlencode({'branch': branch.pk, 'kind': MeetingKind.GROUP, 'group': group.pk})}")
            for group in branch.groups.order_by(*GROUP_ORDER)
        ]
        context["breadcrumbs"] = _branch_crumbs(branch, ("登记会议", None))
    return render(request, "branches/meeting_choose.html", context)


def _form_page(request, form, *, branch, kind, party_group, problem="", meeting=None) -> HttpResponse:
    title = f"编辑 {meeting}" if meeting else f"登记{MeetingKind(kind).label}"
    cancel = reverse("branches:meeting_detail", args=[meeting.pk]) if meeting else _list_url(branch)
    return render(
        request,
        "branches/meeting_form.html",
        {
            "nav": "branches",
            "form": form,
            "branch": branch,
            "kind_label": MeetingKind(kind).label,
            "party_group": party_group,
            "meeting": meeting,
            "problem": problem,
            "title": title,
            "cancel_url": cancel,
            "delete_days": meetings.DELETE_WINDOW_DAYS,
            "breadcrumbs": _branch_crumbs(branch, *([(str(meeting), cancel)] if meeting else []), (title, None)),
        },
    )


def _add_error(form, exc: meetings.MeetingError) -> None:
    form.add_error(exc.field if exc.field in form.fields else None, str(exc))


@login_required
@require_http_methods(["GET", "POST"])
def meeting_create(request: HttpRequest) -> HttpResponse:
    if not request.GET.get("branch"):
        writable = list(writable_branches(request.user)[:2])
        if not writable:
            raise PermissionDenied("您无权登记会议。")
        if len(writable) == 1:
            return redirect(f"{reverse('branches:meeting_create')}?branch={writable[0].pk}")
        return _choose_page(request)
    branch = get_branch_for_user(request.user, _int_param(request.GET["branch"]), write=True)
    kind = request.GET.get("kind", "")
    if kind not in MeetingKind.values:
        return _choose_page(request, branch=branch)
    party_group = None
    if kind == MeetingKind.GROUP:
        group_id = request.GET.get("group")
        party_group = branch.groups.filter(pk=_int_param(group_id)).first() if group_id else None
        if party_group is None:
            error = "请选择本支部的党小组。" if not group_id else "所选党小组不属于本支部，请重新选择。"
            return _choose_page(request, branch=branch, error=error)

    today = timezone.localdate()
    # The due list depends on the date (who had joined, which committee was in office).
    held_on = posted_date(request.POST, "held_on", today) if request.method == "POST" else today
    due = meetings.due_members(branch, kind, party_group, held_on)
    form = MeetingForm(
        request.POST or None,
        request.FILES or None,
        kind=kind,
        due=due,
        max_mb=_max_mb(held_on),
        initial={"held_on": today, "hours": 0},
    )
    problem = meetings.due_problem(branch, kind, party_group, due, held_on)
    if request.method == "POST" and form.is_valid():
        data = {**form.data_for_service(), "kind": kind, "party_group": party_group}
        try:
            meeting = meetings.record_meeting(
                branch, data, form.attendance(), form.cleaned_data["files"], by=request.user
            )
        except meetings.MeetingError as exc:
            _add_error(form, exc)
        else:
            n = len(form.cleaned_data["files"])
            messages.success(request, f"已登记{meeting}" + (f"，上传附件 {n} 个。" if n else "。"))
            return redirect("branches:meeting_detail", pk=meeting.pk)
    return _form_page(request, form, branch=branch, kind=kind, party_group=party_group, problem=problem)


@login_required
@require_http_methods(["GET", "POST"])
def meeting_edit(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = get_meeting_for_user(request.user, pk, write=True)
    rows = list(meeting.attendance.select_related("member").order_by("member__name_pinyin", "pk"))
    form = MeetingForm(
        request.POST or None,
        request.FILES or None,
        kind=meeting.kind,
        due=[row.member for row in rows],
        max_mb=_max_mb(meeting.held_on),
        meeting=meeting,
    )
    if request.method == "POST" and form.is_valid():
        try:
            meetings.update_meeting(
                meeting,
                form.data_for_service(),
                form.attendance(),
                form.cleaned_data["files"],
                form.cleaned_data["remove"],
                by=request.user,
            )
        except meetings.MeetingError as exc:
            _add_error(form, exc)
        else:
            messages.success(request, "会议记录已保存。")
            return redirect("branches:meeting_detail", pk=meeting.pk)
    return _form_page(
        request,
        form,
        branch=meeting.branch,
        kind=meeting.kind,
        party_group=meeting.party_group,
        meeting=meeting,
    )


# --- detail, delete, download -----------------------------------------------------------


@login_required
@require_GET
def meeting_detail(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = get_meeting_for_user(request.user, pk)
    rows = list(meeting.attendance.select_related("member").order_by("-present", "member__name_pinyin", "pk"))
    for row in rows:
        row.can_vote = meetings.can_vote(row.member, meeting.held_on)
    can_write = scope_of(request.user).can_write_branch(meeting.branch)
    return render(
        request,
        "branches/meeting_detail.html",
        {
            "nav": "branches",
            "meeting": meeting,
            "branch": meeting.branch,
            "rows": rows,
            "n_absent": meeting.n_due - meeting.n_present,
            "passes": meetings.vote_result(meeting),
            "attachments": list(meeting.attachments.all()),
            "can_write": can_write,
            "delete_refusal": meetings.delete_refusal(meeting) if can_write else "",
            "history": history_of(Meeting.history.filter(id=meeting.pk), Meeting),
            "breadcrumbs": _branch_crumbs(meeting.branch, (str(meeting), None)),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def meeting_delete(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = get_meeting_for_user(request.user, pk, write=True)
    detail_url = reverse("branches:meeting_detail", args=[meeting.pk])
    refusal = meetings.delete_refusal(meeting)
    if refusal:
        messages.error(request, refusal)
        return redirect(detail_url)
    if request.method == "POST":
        try:
            meetings.delete_meeting(meeting, by=request.user)
        except meetings.MeetingError as exc:
            messages.error(request, str(exc))
            return redirect(detail_url)
        messages.success(request, f"已删除{meeting}的记录。")
        return redirect(_list_url(meeting.branch))
    return render(
        request,
        "confirm.html",
        {
            "title": f"删除{meeting}",
            "danger": True,
            "explain": f"删除后会议、出席情况和附件一并删除，不再计入组织生活完成情况；"
            f"登记超过 {meetings.DELETE_WINDOW_DAYS} 天的记录不能删除。",
            "cancel_url": detail_url,
            "nav": "branches",
            "breadcrumbs": _branch_crumbs(meeting.branch, (str(meeting), detail_url), ("删除", None)),
        },
    )


@login_required
@require_GET
def meeting_attachment(request: HttpRequest, token: str) -> FileResponse:
    return get_attachment_for_user(request.user, token).download()
