"""Account and role changes. Who may grant what is decided by `accounts.scope`; every grant and revocation
is appended to the account's role history (`RoleChange`) in the same transaction."""

import secrets

from django.contrib.auth import get_user_model
from django.db import transaction

from core.errors import DomainError

from .models import Role, RoleAssignment, RoleChange
from .scope import forget_scope

# Easy to read aloud over the phone: no 0/O, 1/l/I.
_ALPHABET = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"


class AccountError(DomainError):
    """A change to an account that is not allowed; the message is shown to the user."""


def temporary_password() -> str:
    return "".join(secrets.choice(_ALPHABET) for _ in range(12))


@transaction.atomic
def create_account(*, username: str, full_name: str, email: str = "", member=None, by) -> tuple:
    """A new active account with a temporary password, returned once so it can be handed over."""
    User = get_user_model()
    password = temporary_password()
    user = User(username=username, full_name=full_name, email=email)
    user.set_password(password)
    user.save()
    if member is not None:
        link_member(user, member, by=by)
    return user, password


@transaction.atomic
def link_member(user, member, *, by) -> None:
    if member.user_id and member.user_id != user.pk:
        raise AccountError(f"{member.name} 已绑定其他账号。")
    member.user = user
    member._history_user = by
    member.save(update_fields=["user"])
    forget_scope(user)


@transaction.atomic
def grant_role(user, role: str, *, organ=None, branch=None, by) -> RoleAssignment:
    if RoleAssignment.objects.filter(user=user, role=role, organ=organ, branch=branch).exists():
        raise AccountError("该账号已有此角色。")
    assignment = RoleAssignment.objects.create(user=user, role=role, organ=organ, branch=branch)
    RoleChange.objects.create(**_change(assignment, RoleChange.Action.GRANT, by))
    forget_scope(user)
    return assignment


@transaction.atomic
def revoke_role(assignment: RoleAssignment, *, by) -> None:
    if assignment.role == Role.GONGWEI and assignment.user_id == by.pk:
        raise AccountError("不能撤销自己的工委工作人员角色，以免无人管理账号。")
    RoleChange.objects.create(**_change(assignment, RoleChange.Action.REVOKE, by))
    assignment.delete()
    forget_scope(assignment.user)


def record_grants(assignments, *, by=None) -> list[RoleChange]:
    """Grant rows for roles written in bulk (the demo seed), so their history starts where they did."""
    return RoleChange.objects.bulk_create(RoleChange(**_change(a, RoleChange.Action.GRANT, by)) for a in assignments)


def _change(assignment: RoleAssignment, action: str, by) -> dict:
    return {
        "user_id": assignment.user_id,
        "action": action,
        "role": assignment.role,
        "organ_id": assignment.organ_id,
        "branch_id": assignment.branch_id,
        "scope": assignment.scope_label,
        "by": by,
    }


def reset_password(user) -> str:
    password = temporary_password()
    user.set_password(password)
    user.save(update_fields=["password"])
    return password


def set_active(user, active: bool, *, by) -> None:
    if user.pk == by.pk and not active:
        raise AccountError("不能停用自己的账号。")
    user.is_active = active
    user.save(update_fields=["is_active"])
