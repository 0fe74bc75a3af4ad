"""Who holds a role: the people a notification about a branch or an organ goes to."""

from django.db.models import QuerySet

from .models import Role, User


def branch_committee_users(branch_id: int) -> QuerySet:
    return User.objects.filter(is_active=True, roles__role=Role.BRANCH, roles__branch_id=branch_id).distinct()


def organ_staff_users(organ_id: int) -> QuerySet:
    return User.objects.filter(is_active=True, roles__role=Role.ORGAN, roles__organ_id=organ_id).distinct()


def gongwei_users() -> QuerySet:
    return User.objects.filter(is_active=True, roles__role=Role.GONGWEI).distinct()
