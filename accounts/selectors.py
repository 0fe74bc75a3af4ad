"""Who holds a role: the people a notification about a branch or an organ goes to."""

from django.db.models import QuerySet

from .models import Role, RoleChange, User


def branch_committee_users(branch_id: int) -> QuerySet:
    return User.objects.filter(is_active=True, roles__role=Role.BRANCH, roles__branch_id=branch_id).distinct()


def organ_staff_users(organ_id: int) -> QuerySet:
    return User.objects.filter(is_active=True, roles__role=Role.ORGAN, roles__organ_id=organ_id).distinct()


def gongwei_users() -> QuerySet:
    return User.objects.filter(is_active=True, roles__role=Role.GONGWEI).distinct()


def expert_users() -> QuerySet:
    """Active accounts holding the 评审专家 role: whom a project's acceptance may be assigned to."""
    return User.objects.filter(is_active=True, roles__role=Role.EXPERT).distinct()


def role_history(user) -> QuerySet:
    """The account's role grants and revocations, newest first."""
    return RoleChange.objects.filter(user=user).select_related("by").order_by("-at", "-pk")
