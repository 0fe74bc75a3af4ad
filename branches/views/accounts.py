"""Account management for 工委 and 机关党委 staff: create accounts, grant roles, reset passwords."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Prefetch, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from accounts import services
from accounts.access import can_manage_account, get_account_for_manager
from accounts.models import RoleAssignment, User
from accounts.permissions import MANAGE_ACCOUNTS, SEE_ROLE_HISTORY
from accounts.scope import scope_of
from accounts.selectors import role_history

from ..forms.accounts import AccountForm, GrantRoleForm
from ..models import Member

PAGE_SIZE = 30


def _require_manager(user) -> None:
    MANAGE_ACCOUNTS.require(user)


def _crumbs(*tail):
    return [("账号管理", reverse("branches:user_list")), *tail]


@login_required
def user_list(request: HttpRequest) -> HttpResponse:
    _require_manager(request.user)
    users = (
        User.objects.visible_to(request.user)
        .select_related("member__branch")
        .prefetch_related(Prefetch("roles", queryset=RoleAssignment.objects.select_related("organ", "branch")))
        .order_by("username")
    )
    q = request.GET.get("q", "").strip()
    if q:
        users = users.filter(Q(username__icontains=q) | Q(full_name__icontains=q))
    page = Paginator(users, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "accounts/user_list.html",
        {"page": page, "q": q, "nav": "accounts", "breadcrumbs": [("账号管理", None)]},
    )


@login_required
@require_http_methods(["GET", "POST"])
def user_create(request: HttpRequest) -> HttpResponse:
    _require_manager(request.user)
    initial = {}
    if request.GET.get("member"):
        member = get_object_or_404(Member.objects.visible_to(request.user), pk=int(request.GET["member"]))
        initial = {"member": member, "full_name": member.name}
    form = AccountForm(request.POST or None, initial=initial, manager=request.user)
    if request.method == "POST" and form.is_valid():
        if not scope_of(request.user).is_gongwei and not form.cleaned_data["member"]:
            form.add_error("member", "机关党委工作人员开通账号时须绑定本机关的党员；其他账号请联系机关工委。")
        else:
            user, password = services.create_account(
                username=form.cleaned_data["username"],
                full_name=form.cleaned_data["full_name"],
                email=form.cleaned_data["email"],
                member=form.cleaned_data["member"],
                by=request.user,
            )
            return _show_password(request, user, password, "账号已开通")
    return render(
        request,
        "form.html",
        {
            "form": form,
            "title": "开通账号",
            "nav": "accounts",
            "cancel_url": reverse("branches:user_list"),
            "breadcrumbs": _crumbs(("开通账号", None)),
        },
    )


def _show_password(request, user, password: str, title: str) -> HttpResponse:
    # Shown once and never stored in plain text; the user should change it at first log-in.
    return render(
        request,
        "accounts/password_issued.html",
        {
            "account": user,
            "password": password,
            "title": title,
            "nav": "accounts",
            "breadcrumbs": _crumbs((title, None)),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def user_detail(request: HttpRequest, pk: int) -> HttpResponse:
    account = get_account_for_manager(request.user, pk)
    can_manage = can_manage_account(request.user, account)
    form = GrantRoleForm(request.POST or None, manager=request.user)
    if request.method == "POST":
        if not can_manage:
            raise PermissionDenied("该账号的角色超出您的管理范围，请联系机关工委。")
        if form.is_valid():
            try:
                services.grant_role(
                    account,
                    form.cleaned_data["role"],
                    organ=form.cleaned_data.get("organ"),
                    branch=form.cleaned_data.get("branch"),
                    by=request.user,
                )
            except services.AccountError as exc:
                messages.error(request, str(exc))
            else:
                messages.success(request, "角色已授予。")
            return redirect("branches:user_detail", pk=account.pk)
    roles = account.roles.select_related("organ", "branch__organ")
    return render(
        request,
        "accounts/user_detail.html",
        {
            "account": account,
            "roles": roles,
            "member": getattr(account, "member", None),
            "form": form,
            "can_manage": can_manage,
            "role_history": role_history(account) if SEE_ROLE_HISTORY.allows(request.user, account) else None,
            "nav": "accounts",
            "breadcrumbs": _crumbs((str(account), None)),
        },
    )


@login_required
@require_POST
def role_revoke(request: HttpRequest, pk: int, role_pk: int) -> HttpResponse:
    account = get_account_for_manager(request.user, pk, write=True)
    assignment = get_object_or_404(RoleAssignment, pk=role_pk, user=account)
    try:
        services.revoke_role(assignment, by=request.user)
    except services.AccountError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"已撤销角色：{assignment.get_role_display()}。")
    return redirect("branches:user_detail", pk=account.pk)


@login_required
@require_POST
def password_reset(request: HttpRequest, pk: int) -> HttpResponse:
    account = get_account_for_manager(request.user, pk, write=True)
    return _show_password(request, account, services.reset_password(account), "密码已重置")


@login_required
@require_POST
def toggle_active(request: HttpRequest, pk: int) -> HttpResponse:
    account = get_account_for_manager(request.user, pk, write=True)
    try:
        services.set_active(account, not account.is_active, by=request.user)
    except services.AccountError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, "账号已启用。" if account.is_active else "账号已停用，该账号将无法登录。")
    return redirect("branches:user_detail", pk=account.pk)
