"""Organisation pages: home, tree, branches, members, committee terms and warnings."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, Prefetch, Sum, Value
from django.db.models.functions import Coalesce
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_tables2 import RequestConfig

from accounts.access import can_manage_accounts
from accounts.scope import scope_of
from core.history import history_of
from core.validators import mask_id_number

from .. import orglife, services
from ..access import get_branch_for_user, get_member_for_user, get_organ_for_manager, get_term_for_user
from ..filters import BranchFilter, MemberFilter
from ..forms.organisation import (
    BranchForm,
    CommitteeTermForm,
    DissolveForm,
    MemberForm,
    OrganisationRulesForm,
    PartyGroupForm,
    SeatFormSet,
)
from ..models import (
    GROUP_ORDER,
    Branch,
    CommitteeMember,
    CommitteeTerm,
    Meeting,
    Member,
    Organ,
    OrganisationRules,
    PartyGroup,
)
from ..panels import branch_panels
from ..permissions import CREATE_BRANCH, DELETE_BRANCH, DISSOLVE_BRANCH, SEE_STAFF_PAGES
from ..rules import WARNING_KINDS, describe_warnings, warning_counts, warning_filter
from ..selectors import POST_ORDER, member_queryset
from ..tables import BranchTable, MemberTable

PAGE_SIZE = 30
SEAT_ROWS = 7


def _require_staff_or_committee(user) -> None:
    SEE_STAFF_PAGES.require(user)


def _rules():
    return OrganisationRules.for_year(timezone.localdate().year)


def _form_page(request, form, *, title: str, nav: str, cancel_url: str, breadcrumbs: list) -> HttpResponse:
    context = {"form": form, "title": title, "nav": nav, "cancel_url": cancel_url, "breadcrumbs": breadcrumbs}
    return render(request, "form.html", context)


@login_required
def tree(request: HttpRequest) -> HttpResponse:
    """The organs with their branch and member counts; an organ's branches load when it is opened.

    A province has thousands of branches: the page lists its organs (one grouped query) and each organ's
    branches come from `tree_organ` when the reader opens it, so the page costs the same at any scale.
    Up to three organs (a 机关党委, a secretary) are shown open, their branches in the page itself.
    """
    _require_staff_or_committee(request.user)
    organs = list(Organ.objects.visible_to(request.user))
    counts = {
        row["organ_id"]: row
        for row in Branch.objects.visible_to(request.user)
        .active()
        .order_by()
        .values("organ_id")
        .annotate(n_branches=Count("pk"), n_members=Coalesce(Sum("figures__n_members"), Value(0)))
    }
    open_all = len(organs) <= 3
    inline = _tree_branches(request.user, [o.pk for o in organs]) if open_all else {}
    rows = [
        (
            organ,
            counts.get(organ.pk, {}).get("n_branches", 0),
            counts.get(organ.pk, {}).get("n_members", 0),
            inline.get(organ.pk, []),
        )
        for organ in organs
    ]
    return render(
        request,
        "branches/tree.html",
        {"nav": "tree", "rows": rows, "breadcrumbs": [("组织架构", None)], "open_all": open_all},
    )


def _tree_branches(user, organ_ids: list[int]) -> dict[int, list]:
    branches = (
        Branch.objects.visible_to(user)
        .active()
        .filter(organ_id__in=organ_ids)
        .with_stats()
        .prefetch_related(
            Prefetch("groups", queryset=PartyGroup.objects.annotate(n=Count("members")).order_by(*GROUP_ORDER))
        )
        .order_by("name", "pk")
    )
    by_organ: dict[int, list] = {}
    for branch in branches:
        by_organ.setdefault(branch.organ_id, []).append(branch)
    return by_organ


@login_required
@require_GET
def tree_organ(request: HttpRequest, pk: int) -> HttpResponse:
    """One organ's branches and 党小组 in the tree (loaded when the organ is opened)."""
    _require_staff_or_committee(request.user)
    organ = get_object_or_404(Organ.objects.visible_to(request.user), pk=pk)
    branches = _tree_branches(request.user, [organ.pk]).get(organ.pk, [])
    return render(request, "branches/_tree_branches.html", {"branches": branches, "organ": organ})


@login_required
def branch_list(request: HttpRequest) -> HttpResponse:
    """The branches with their counts and warnings."""
    _require_staff_or_committee(request.user)
    scope = scope_of(request.user)
    base = Branch.objects.visible_to(request.user).select_related("organ").with_warnings()
    filterset = BranchFilter(request.GET, queryset=base, user=request.user)
    table = BranchTable(filterset.qs)
    RequestConfig(request, paginate={"per_page": PAGE_SIZE}).configure(table)
    context = {
        "nav": "branches",
        "breadcrumbs": [("党支部", None)],
        "filter": filterset,
        "table": table,
        "can_found": scope.is_gongwei or scope.is_organ_staff,
    }
    return render(request, "branches/branch_list.html", context)


@login_required
def branch_detail(request: HttpRequest, pk: int) -> HttpResponse:
    rules = _rules()
    branch = get_branch_for_user(request.user, pk)
    branch = Branch.objects.select_related("organ").with_warnings(rules).get(pk=branch.pk)
    scope = scope_of(request.user)
    terms = list(
        branch.terms.prefetch_related(
            Prefetch("seats", queryset=CommitteeMember.objects.select_related("member").order_by(POST_ORDER, "pk"))
        ).order_by("-elected_on", "-pk")
    )
    members = branch.members.select_related("party_group")
    groups = branch.groups.select_related("leader").annotate(n=Count("members")).order_by(*GROUP_ORDER)
    mask = not scope.can_see_full_id_numbers()
    return render(
        request,
        "branches/branch_detail.html",
        {
            "nav": "branches",
            "branch": branch,
            "warnings": describe_warnings(branch, rules),
            "n_probationary": branch.n_members - branch.n_full,
            "current_term": terms[0] if terms else None,
            "past_terms": terms[1:],
            "members": members,
            "groups": groups,
            "can_write": scope.can_write_branch(branch),
            "can_manage": scope.can_manage_organ(branch.organ_id),
            "can_delete": scope.can_manage_organ(branch.organ_id) and not services.branch_has_records(branch),
            "history": history_of(Branch.history.filter(id=branch.pk), Branch, mask_ids=mask),
            "term_history": history_of(CommitteeTerm.history.filter(branch_id=branch.pk), CommitteeTerm),
            **orglife.calendar_context(branch, timezone.localdate().year, timezone.localdate()),
            **branch_panels(branch, request.user),
            "current_year": timezone.localdate().year,
            "breadcrumbs": [("党支部", reverse("branches:branch_list")), (branch.name, None)],
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def branch_create(request: HttpRequest) -> HttpResponse:
    CREATE_BRANCH.require(request.user)
    initial = {"founded_on": timezone.localdate()}
    if request.GET.get("organ"):
        initial["organ"] = get_organ_for_manager(request.user, int(request.GET["organ"]))
    form = BranchForm(request.POST or None, initial=initial, user=request.user)
    if request.method == "POST" and form.is_valid():
        branch = services.save_branch(form.save(commit=False), by=request.user, reason="成立支部")
        messages.success(request, f"已成立 {branch.name}。")
        return redirect(branch)
    return _form_page(
        request,
        form,
        title="成立党支部",
        nav="branches",
        cancel_url=reverse("branches:branch_list"),
        breadcrumbs=[("党支部", reverse("branches:branch_list")), ("成立党支部", None)],
    )


@login_required
@require_http_methods(["GET", "POST"])
def branch_edit(request: HttpRequest, pk: int) -> HttpResponse:
    branch = get_branch_for_user(request.user, pk, write=True)
    form = BranchForm(request.POST or None, instance=branch, user=request.user)
    if request.method == "POST" and form.is_valid():
        branch = services.save_branch(form.save(commit=False), by=request.user)
        messages.success(request, "支部信息已保存。")
        return redirect(branch)
    return _form_page(
        request,
        form,
        title=f"编辑 {branch.name}",
        nav="branches",
        cancel_url=branch.get_absolute_url(),
        breadcrumbs=[
            ("党支部", reverse("branches:branch_list")),
            (branch.name, branch.get_absolute_url()),
            ("编辑", None),
        ],
    )


@login_required
@require_http_methods(["GET", "POST"])
def branch_dissolve(request: HttpRequest, pk: int) -> HttpResponse:
    branch = get_branch_for_user(request.user, pk)
    DISSOLVE_BRANCH.require(request.user, branch)
    form = DissolveForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.dissolve_branch(
                branch, on=form.cleaned_data["dissolved_on"], reason=form.cleaned_data["reason"], by=request.user
            )
        except services.OrganisationError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, f"{branch.name} 已撤销，记录保留。")
            return redirect(branch)
    return render(
        request,
        "confirm.html",
        {
            "form": form,
            "title": f"撤销 {branch.name}",
            "danger": True,
            "explain": "撤销后支部保留在系统中，历史记录可查；支部须已无党员。",
            "cancel_url": branch.get_absolute_url(),
            "nav": "branches",
            "breadcrumbs": [
                ("党支部", reverse("branches:branch_list")),
                (branch.name, branch.get_absolute_url()),
                ("撤销", None),
            ],
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def branch_delete(request: HttpRequest, pk: int) -> HttpResponse:
    branch = get_branch_for_user(request.user, pk)
    DELETE_BRANCH.require(request.user, branch)
    if request.method == "POST":
        try:
            services.delete_empty_branch(branch, by=request.user)
        except services.OrganisationError as exc:
            messages.error(request, str(exc))
            return redirect(branch)
        messages.success(request, f"已删除误建的 {branch.name}。")
        return redirect("branches:branch_list")
    return render(
        request,
        "confirm.html",
        {
            "title": f"删除 {branch.name}",
            "danger": True,
            "explain": "仅用于删除误建且没有任何记录的支部，删除后不可恢复。",
            "cancel_url": branch.get_absolute_url(),
            "nav": "branches",
        },
    )


@login_required
def member_list(request: HttpRequest) -> HttpResponse:
    _require_staff_or_committee(request.user)
    filterset = MemberFilter(request.GET, queryset=member_queryset(request.user), user=request.user)
    table = MemberTable(filterset.qs)
    RequestConfig(request, paginate={"per_page": PAGE_SIZE}).configure(table)
    scope = scope_of(request.user)
    return render(
        request,
        "branches/member_list.html",
        {
            "nav": "members",
            "filter": filterset,
            "table": table,
            "can_add": scope.is_gongwei or scope.is_organ_staff or scope.is_branch_committee,
            "export_query": request.GET.urlencode(),
            "breadcrumbs": [("党员名册", None)],
        },
    )


@login_required
def member_detail(request: HttpRequest, pk: int) -> HttpResponse:
    member = get_member_for_user(request.user, pk)
    scope = scope_of(request.user)
    mask = not scope.can_see_full_id_numbers()
    seats = CommitteeMember.objects.filter(member=member).select_related("term").order_by("-term__elected_on")
    crumbs = [(member.name, None)]
    if scope.is_staff_or_committee:
        crumbs.insert(0, ("党员名册", reverse("branches:member_list")))
    training = orglife.training_context(member, timezone.localdate().year)
    # A meeting is linked only where the viewer may open it: a member sees the hours, not the minutes.
    attended = training["training"].meetings
    openable = set(
        Meeting.objects.visible_to(request.user)
        .filter(pk__in=[a.meeting_id for a in attended])
        .values_list("pk", flat=True)
    )
    for attendance in attended:
        attendance.openable = attendance.meeting_id in openable
    return render(
        request,
        "branches/member_detail.html",
        {
            "nav": "me" if member.pk == scope.member_id and not scope.is_staff_or_committee else "members",
            "member": member,
            "id_display": mask_id_number(member.id_number) if mask else member.id_number,
            "seats": seats,
            "can_write": scope.can_write_branch(member.branch),
            "can_open_account": member.user_id is None and can_manage_accounts(request.user),
            "account_url": reverse("branches:user_detail", args=[member.user_id])
            if member.user_id and can_manage_accounts(request.user)
            else "",
            "history": history_of(Member.history.filter(id=member.pk), Member, mask_ids=mask),
            **training,
            "breadcrumbs": crumbs,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def member_create(request: HttpRequest) -> HttpResponse:
    _require_staff_or_committee(request.user)
    initial = {}
    if request.GET.get("branch"):
        branch = get_branch_for_user(request.user, int(request.GET["branch"]), write=True)
        initial = {"branch": branch, "organ": branch.organ}
    form = MemberForm(request.POST or None, initial=initial, user=request.user)
    if request.method == "POST" and form.is_valid():
        member = services.save_member(form.save(commit=False), by=request.user)
        messages.success(request, f"已将 {member.name} 加入 {member.branch.name} 名册。")
        return redirect(member)
    return _form_page(
        request,
        form,
        title="登记党员",
        nav="members",
        cancel_url=reverse("branches:member_list"),
        breadcrumbs=[("党员名册", reverse("branches:member_list")), ("登记党员", None)],
    )


@login_required
@require_http_methods(["GET", "POST"])
def member_edit(request: HttpRequest, pk: int) -> HttpResponse:
    member = get_member_for_user(request.user, pk, write=True)
    form = MemberForm(request.POST or None, instance=member, user=request.user)
    if request.method == "POST" and form.is_valid():
        member = services.save_member(form.save(commit=False), by=request.user)
        messages.success(request, "党员信息已保存。")
        return redirect(member)
    return _form_page(
        request,
        form,
        title=f"编辑 {member.name}",
        nav="members",
        cancel_url=member.get_absolute_url(),
        breadcrumbs=[
            ("党员名册", reverse("branches:member_list")),
            (member.name, member.get_absolute_url()),
            ("编辑", None),
        ],
    )


@login_required
@require_http_methods(["GET", "POST"])
def term_edit(request: HttpRequest, branch_pk: int, pk: int | None = None) -> HttpResponse:
    branch = get_branch_for_user(request.user, branch_pk, write=True)
    term = get_term_for_user(request.user, pk, write=True) if pk else CommitteeTerm(branch=branch)
    if term.branch_id != branch.pk:
        raise PermissionDenied("届次不属于该支部。")
    seats = [{"member": s.member_id, "post": s.post} for s in term.seats.all()] if term.pk else []
    # Blank rows are ignored on save; enough of them for a full committee.
    seats += [{}] * max(SEAT_ROWS - len(seats), 2)
    form = CommitteeTermForm(request.POST or None, instance=term, branch=branch)
    formset = SeatFormSet(request.POST or None, initial=seats, form_kwargs={"branch": branch}, prefix="seats")
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        term = form.save(commit=False)
        services.save_committee_term(term, formset.seats(), by=request.user)
        messages.success(request, "届次信息已保存。")
        return redirect(branch)
    return render(
        request,
        "branches/term_form.html",
        {
            "form": form,
            "formset": formset,
            "branch": branch,
            "term": term,
            "nav": "branches",
            "breadcrumbs": [
                ("党支部", reverse("branches:branch_list")),
                (branch.name, branch.get_absolute_url()),
                ("编辑届次" if term.pk else "登记换届选举", None),
            ],
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def group_edit(request: HttpRequest, branch_pk: int, pk: int | None = None) -> HttpResponse:
    branch = get_branch_for_user(request.user, branch_pk, write=True)
    group = get_object_or_404(PartyGroup, pk=pk, branch=branch) if pk else PartyGroup(branch=branch)
    form = PartyGroupForm(request.POST or None, instance=group, branch=branch)
    if request.method == "POST" and form.is_valid():
        services.save_party_group(form.save(commit=False))
        messages.success(request, f"党小组 {form.instance.name} 已保存。")
        return redirect(branch)
    return _form_page(
        request,
        form,
        title="编辑党小组" if pk else "新建党小组",
        nav="branches",
        cancel_url=branch.get_absolute_url(),
        breadcrumbs=[
            ("党支部", reverse("branches:branch_list")),
            (branch.name, branch.get_absolute_url()),
            ("党小组", None),
        ],
    )


@login_required
@require_POST
def group_delete(request: HttpRequest, branch_pk: int, pk: int) -> HttpResponse:
    branch = get_branch_for_user(request.user, branch_pk, write=True)
    group = get_object_or_404(PartyGroup, pk=pk, branch=branch)
    n = group.members.count()
    services.delete_party_group(group)
    messages.success(request, f"已删除党小组 {group.name}" + (f"，{n} 名党员改为未分组。" if n else "。"))
    return redirect(branch)


@login_required
def warnings(request: HttpRequest) -> HttpResponse:
    _require_staff_or_committee(request.user)
    rules = _rules()
    today = timezone.localdate()
    mine = Branch.objects.visible_to(request.user).active()
    counts = warning_counts(mine, rules, today)
    warned = (
        mine.with_warnings(rules, today)
        .filter(warning_filter(rules, today))
        .select_related("organ")
        .order_by("organ__sort_order", "organ__name", "name")
    )
    page = Paginator(warned, PAGE_SIZE).get_page(request.GET.get("page"))
    kinds = [(k, counts[k.code]) for k in WARNING_KINDS]
    return render(
        request,
        "branches/warnings.html",
        {
            "nav": "warnings",
            "counts": counts,
            "kinds": kinds,
            "page": page,
            "rules": rules,
            "breadcrumbs": [("组织设置预警", None)],
        },
    )


def _require_gongwei(user) -> None:
    if not scope_of(user).is_gongwei:
        raise PermissionDenied("只有工委工作人员可以修改组织设置规则。")


@login_required
def rules_list(request: HttpRequest) -> HttpResponse:
    _require_gongwei(request.user)
    year = timezone.localdate().year
    return render(
        request,
        "branches/rules_list.html",
        {
            "rows": OrganisationRules.objects.all(),
            "current": OrganisationRules.for_year(year),
            "year": year,
            "nav": "warnings",
            "breadcrumbs": [("组织设置预警", reverse("branches:warnings")), ("组织设置规则", None)],
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def rules_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    _require_gongwei(request.user)
    if pk:
        rules = get_object_or_404(OrganisationRules, pk=pk)
    else:
        # A new year starts as a copy of the latest rules, so only what changes needs typing.
        latest = OrganisationRules.objects.order_by("-year").first()
        rules = OrganisationRules.for_year(timezone.localdate().year)
        if latest is not None:
            rules = latest
            rules.pk, rules.year = None, latest.year + 1
    form = OrganisationRulesForm(request.POST or None, instance=rules)
    if request.method == "POST" and form.is_valid():
        services.save_rules(form.save(commit=False))
        messages.success(request, f"{form.instance.year} 年起适用的组织设置规则已保存。")
        return redirect("branches:rules_list")
    return _form_page(
        request,
        form,
        title="编辑组织设置规则" if pk else "新增年度组织设置规则",
        nav="warnings",
        cancel_url=reverse("branches:rules_list"),
        breadcrumbs=[
            ("组织设置预警", reverse("branches:warnings")),
            ("组织设置规则", reverse("branches:rules_list")),
            ("编辑", None),
        ],
    )
