"""The project list's filter; the same filter drives the screen and the Excel export."""

import django_filters
from django import forms
from django.db.models import Q
from django.utils import timezone

from branches.filters import ScopedFilterSet
from branches.models import Organ
from branches.search import BranchSearchFilter
from core.filters import YES_NO

from .choices import Direction, Grade, ProjectStatus
from .models import Project

ALL_YEARS = "all"


def year_options(today) -> list[tuple[str, str]]:
    """Years that hold projects, and this year even before the first one is filed."""
    years = set(Project.objects.order_by().values_list("year", flat=True).distinct()) | {today.year}
    return [(str(y), f"{y}年") for y in sorted(years, reverse=True)] + [(ALL_YEARS, "全部年度")]


class ProjectFilter(ScopedFilterSet):
    q = django_filters.CharFilter(
        label="搜索", method="search", widget=forms.TextInput(attrs={"placeholder": "项目或支部名称"})
    )
    year = django_filters.ChoiceFilter(label="年度", choices=[], empty_label=None, method="filter_year")
    organ = django_filters.ModelChoiceFilter(
        label="机关", field_name="branch__organ", queryset=Organ.objects.none(), empty_label="全部机关"
    )
    branch = BranchSearchFilter(label="支部", purpose="visible", empty_label="全部支部", narrow_by="organ")
    direction = django_filters.ChoiceFilter(label="方向", choices=Direction.choices, empty_label="全部方向")
    status = django_filters.ChoiceFilter(label="状态", choices=ProjectStatus.choices, empty_label="全部状态")
    grade = django_filters.ChoiceFilter(label="验收等次", choices=Grade.choices, empty_label="全部等次")
    overdue = django_filters.ChoiceFilter(label="节点逾期", choices=YES_NO, empty_label="不限", method="filter_overdue")
    secretary = django_filters.ChoiceFilter(
        label="书记项目", choices=YES_NO, empty_label="不限", field_name="is_secretary_project", method="yes_no"
    )

    class Meta:
        model = Project
        fields = ["q", "year", "organ", "branch", "direction", "status", "grade", "overdue", "secretary"]

    def __init__(self, data=None, *args, user=None, today=None, **kwargs):
        today = today or timezone.localdate()
        if data is not None:
            # The list opens on this year's projects; "全部年度" is one click away.
            data = data.copy()
            data.setdefault("year", str(today.year))
        super().__init__(data, *args, **kwargs)
        self.filters["year"].extra["choices"] = year_options(today)
        self.scope_choices(user)

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(title__icontains=value) | Q(branch__name__icontains=value))

    def filter_year(self, queryset, name, value):
        if value == ALL_YEARS:
            return queryset
        return queryset.filter(year=int(value))

    def filter_overdue(self, queryset, name, value):
        return queryset.filter(n_overdue__gt=0) if value == "1" else queryset.filter(n_overdue=0)

    def yes_no(self, queryset, name, value):
        return queryset.filter(**{name: value == "1"})
