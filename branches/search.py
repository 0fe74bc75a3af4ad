"""Choosing one branch or member among thousands: the form fields, and the named querysets they search.

A field names a *purpose*. The search endpoints (branches.views.search) map the purpose to the same
scoped queryset the form validates against, for the user who asks, so the search finds exactly what the
form accepts; the client only ever sends a purpose name, never a filter. Other apps register their
purposes from their AppConfig.ready (projects: the branches one may file for and their 负责支委;
assessments: the branches one scores).

Whether a field lists or searches is core.search's one rule: more than LIST_LIMIT choices, it searches.
"""

from collections.abc import Callable
from dataclasses import dataclass

import django_filters
from django.db.models import Case, F, IntegerField, Q, QuerySet, Value, When
from django.db.models.functions import Replace

from core.search import SearchChoiceField

from .access import writable_branches
from .models import Branch, Member


def branch_label(branch: Branch) -> str:
    return f"{branch.organ.display_short} · {branch.name}"


def member_label(member: Member) -> str:
    return f"{member.name}（{member.branch.organ.display_short} · {member.branch.name}）"


@dataclass(frozen=True)
class Purpose:
    """What a search may offer to a user, and how each choice reads (the form's labels too)."""

    queryset: Callable[[object], QuerySet]
    label: Callable[[object], str]


BRANCH_PURPOSES: dict[str, Purpose] = {}
MEMBER_PURPOSES: dict[str, Purpose] = {}


def register_branch_purpose(name: str, queryset: Callable[[object], QuerySet], label=branch_label) -> None:
    BRANCH_PURPOSES[name] = Purpose(queryset, label)


def register_member_purpose(name: str, queryset: Callable[[object], QuerySet], label=member_label) -> None:
    MEMBER_PURPOSES[name] = Purpose(queryset, label)


def unlinked_members(manager) -> QuerySet:
    """Members without an account that the manager may link to a new one."""
    return Member.objects.visible_to(manager).filter(user__isnull=True).select_related("branch__organ")


register_branch_purpose("visible", lambda user: Branch.objects.visible_to(user).select_related("organ"))
register_branch_purpose("visible_active", lambda user: Branch.objects.visible_to(user).active().select_related("organ"))
register_branch_purpose("writable", writable_branches)
register_member_purpose("unlinked", unlinked_members)


# --- Matching ------------------------------------------------------------------------------

INT = IntegerField()


def match_members(queryset, value: str):
    """Members whose name contains `value`, whose 全拼 starts with it (spaces ignored: "zhangsan", "zhang s"),
    or whose phone contains it. The roster's search box and the member search of forms use this one rule."""
    value = value.strip()
    if not value:
        return queryset
    compact = value.lower().replace(" ", "")
    return queryset.annotate(_pinyin=Replace("name_pinyin", Value(" "), Value(""))).filter(
        Q(name__icontains=value) | Q(_pinyin__startswith=compact) | Q(phone__contains=compact)
    )


def match_branches(queryset: QuerySet, value: str) -> QuerySet:
    """Branches whose name or organ's name holds every word of `value` ("发改委 综合" finds 市发改委 · 综合处党支部);
    branches whose own name starts with, then holds, the words come first; active ones before dissolved."""
    words = value.split()
    for word in words:
        queryset = queryset.filter(
            Q(name__icontains=word) | Q(organ__name__icontains=word) | Q(organ__short_name__icontains=word)
        )
    text = " ".join(words)
    rank = (
        Case(When(name__istartswith=text, then=0), When(name__icontains=text, then=1), default=2, output_field=INT)
        if text
        else Value(0, output_field=INT)
    )
    return queryset.annotate(_rank=rank).order_by(
        "_rank", F("dissolved_on").asc(nulls_first=True), "organ__sort_order", "organ__name", "name", "pk"
    )


def match_member_rows(queryset: QuerySet, value: str) -> QuerySet:
    """Members by name, 全拼 or phone (the roster's rule); the exact name first, then names starting with it."""
    value = value.strip()
    queryset = match_members(queryset, value)
    rank = (
        Case(When(name=value, then=0), When(name__startswith=value, then=1), default=2, output_field=INT)
        if value
        else Value(0, output_field=INT)
    )
    return queryset.annotate(_rank=rank).order_by("_rank", "name_pinyin", "pk")


# --- Fields --------------------------------------------------------------------------------


class BranchChoiceField(SearchChoiceField):
    """A branch among the purpose's queryset (the form sets it, often narrower): listed, or searched by name."""

    default_error_messages = {"invalid_choice": "所选支部不存在或不在您的办理范围内，请重新选择。"}

    def __init__(self, *, purpose: str, queryset=None, **kwargs) -> None:
        self.purpose = purpose
        super().__init__(
            Branch.objects.none() if queryset is None else queryset,
            search_url="branches:branch_search",
            params={"purpose": purpose},
            placeholder="输入支部名称搜索",
            **kwargs,
        )

    def label_from_instance(self, obj) -> str:
        return BRANCH_PURPOSES[self.purpose].label(obj)


class MemberChoiceField(SearchChoiceField):
    """A member among the purpose's queryset: listed, or searched by name, 全拼 or phone.

    `narrow_by="branch"` sends the form's chosen branch along, so that the search lists that branch's members.
    """

    default_error_messages = {"invalid_choice": "所选党员不存在或不在您的办理范围内，请重新选择。"}

    def __init__(self, *, purpose: str, queryset=None, narrow_by: str = "", **kwargs) -> None:
        self.purpose = purpose
        super().__init__(
            Member.objects.none() if queryset is None else queryset,
            search_url="branches:member_search",
            params={"purpose": purpose},
            placeholder="输入姓名、拼音或电话搜索",
            narrow_by=narrow_by,
            **kwargs,
        )

    def label_from_instance(self, obj) -> str:
        return MEMBER_PURPOSES[self.purpose].label(obj)


class BranchSearchFilter(django_filters.ModelChoiceFilter):
    """A filter bar's branch, as a BranchChoiceField: give it `purpose` (and `narrow_by="organ"` next to an organ)."""

    field_class = BranchChoiceField
