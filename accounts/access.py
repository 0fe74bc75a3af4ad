"""Fetch-and-authorize for account management pages."""

from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404

from .models import Role, User
from .permissions import MANAGE_ACCOUNTS
from .scope import scope_of


def can_manage_accounts(user) -> bool:
    scope = scope_of(user)
    return scope.is_gongwei or scope.is_organ_staff


def can_see_role_history(user, account: User) -> bool:
    """The 工委 reads every account's role history; anyone reads their own."""
    return scope_of(user).is_gongwei or (user.is_authenticated and user.pk == account.pk)


def can_manage_account(manager, account: User) -> bool:
    """工委 manages every account; 机关党委 manages accounts whose every role lies in its organs."""
    scope = scope_of(manager)
    if scope.is_gongwei:
        return True
    if not scope.organ_ids or account.is_superuser or account.pk == manager.pk:
        return False
    for role in account.roles.all():
        if role.role != Role.BRANCH or role.branch.organ_id not in scope.organ_ids:
            return False
    member = getattr(account, "member", None)
    return member is None or member.branch.organ_id in scope.organ_ids


def get_account_for_manager(manager, pk: int, *, write: bool = False) -> User:
    MANAGE_ACCOUNTS.require(manager)
    account = get_object_or_404(User.objects.visible_to(manager).select_related("member__branch__organ"), pk=pk)
    if write and not can_manage_account(manager, account):
        raise PermissionDenied("该账号的角色超出您的管理范围，请联系机关工委。")
    return account
