"""Filters of the assessments' lists shared by the pages and the API."""

import django_filters
from django import forms
from django.db.models import F, Q

from accounts.scope import scope_of
from branches.filters import ScopedFilterSet
from branches.models import Organ

from .choices import Tier
from .models import RatingResult


class ResultFilter(ScopedFilterSet):
    """Search by the frozen branch name, so a renamed branch is found under the name it was rated with."""

    organ = django_filters.ModelChoiceFilter(label="单位", queryset=Organ.objects.none(), empty_label="全部单位")
    q = django_filters.CharFilter(
        label="搜索", field_name="branch_name", lookup_expr="icontains",
        widget=forms.TextInput(attrs={"placeholder": "支部名称"}),
    )  # fmt: skip

    stars = django_filters.ChoiceFilter(
        label="星级",
        choices=[("4plus", "四星及以上"), *((str(n), f"{n}星" if n else "无星") for n in range(5, -1, -1))],
        empty_label="全部星级",
        method="filter_stars",
    )
    tier = django_filters.ChoiceFilter(label="等次", choices=Tier.choices, empty_label="全部等次")
    change = django_filters.ChoiceFilter(
        label="较上年",
        choices=[("up", "升星"), ("down", "降星"), ("same", "持平"), ("new", "新参评")],
        empty_label="不限",
        method="filter_change",
    )
    bottom = django_filters.ChoiceFilter(
        label="排名靠后整顿", field_name="is_bottom", choices=[("1", "是"), ("0", "否")], empty_label="不限",
        method="filter_bottom",
    )  # fmt: skip

    class Meta:
        model = RatingResult
        fields = ["organ", "q", "stars", "tier", "change", "bottom"]

    def __init__(self, data=None, *args, user=None, **kwargs):
        super().__init__(data, *args, **kwargs)
        self.scope_choices(user)
        if not scope_of(user).is_gongwei:
            # One organ to choose from is no choice; 机关党委 see their own organ anyway.
            del self.filters["organ"]

    def filter_stars(self, queryset, name, value):
        if value == "4plus":
            return queryset.filter(stars__gte=4)
        return queryset.filter(stars=int(value))

    def filter_change(self, queryset, name, value):
        # The dashboard counts the same four groups (portal.dashboard.rating_section).
        lookups = {
            "up": Q(stars__gt=F("previous_stars")),
            "down": Q(stars__lt=F("previous_stars")),
            "same": Q(stars=F("previous_stars")),
            "new": Q(previous_stars__isnull=True),
        }
        return queryset.filter(lookups[value])

    def filter_bottom(self, queryset, name, value):
        return queryset.filter(is_bottom=value == "1")
