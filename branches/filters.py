"""Filters for the branch and member lists; the same filter drives the screen and the export."""

import django_filters
from django import forms
from django.utils import timezone

from core.filters import YES_NO, QuickSelect, StyledFilterSet

from .choices import BranchKind, Education, Gender, MemberStatus
from .models import Branch, Member, Organ, OrganisationRules
from .rules import WARNING_CHOICES, warning_filter
from .search import BranchSearchFilter, branch_label, match_members

# branch_label and match_members are imported from here by other modules (they live in .search).
__all__ = ["BranchFilter", "MemberFilter", "ScopedFilterSet", "branch_label", "match_members"]


class ScopedFilterSet(StyledFilterSet):
    """A filter bar whose `organ` and `branch` filters offer only what the user may see, branches named with
    their organ."""

    def scope_choices(self, user) -> None:
        if "organ" in self.filters:
            self.filters["organ"].queryset = Organ.objects.visible_to(user)
        if "branch" in self.filters:
            self.filters["branch"].queryset = Branch.objects.visible_to(user).select_related("organ")

    @property
    def form(self):
        form = super().form
        if "branch" in form.fields:
            form.fields["branch"].label_from_instance = branch_label
        return form


class BranchFilter(ScopedFilterSet):
    q = django_filters.CharFilter(
        label="搜索", method="search", widget=forms.TextInput(attrs={"placeholder": "支部名称"})
    )
    organ = django_filters.ModelChoiceFilter(
        label="机关", queryset=Organ.objects.none(), empty_label="全部机关", widget=QuickSelect
    )
    kind = django_filters.ChoiceFilter(
        label="类型", choices=BranchKind.choices, empty_label="全部类型", widget=QuickSelect
    )
    state = django_filters.ChoiceFilter(
        label="状态",
        choices=[("active", "现有支部"), ("dissolved", "已撤销"), ("all", "全部")],
        empty_label=None,
        method="filter_state",
        widget=QuickSelect,
    )
    warning = django_filters.ChoiceFilter(
        label="预警",
        choices=[("any", "有任一预警"), *WARNING_CHOICES],
        empty_label="不限",
        method="filter_warning",
        widget=QuickSelect,
    )

    class Meta:
        model = Branch
        fields = ["q", "organ", "kind", "state", "warning"]

    def __init__(self, data=None, *args, user=None, **kwargs):
        if data is not None:
            data = data.copy()
            data.setdefault("state", "active")
        super().__init__(data, *args, **kwargs)
        self.user = user
        self.scope_choices(user)

    def search(self, queryset, name, value):
        return queryset.filter(name__icontains=value.strip())

    def filter_state(self, queryset, name, value):
        if value == "dissolved":
            return queryset.filter(dissolved_on__isnull=False)
        if value == "all":
            return queryset
        return queryset.filter(dissolved_on__isnull=True)

    def filter_warning(self, queryset, name, value):
        # The rows carry the kept figures (`with_stats`): the condition is tested on their columns.
        today = timezone.localdate()
        code = None if value == "any" else value
        return queryset.filter(warning_filter(OrganisationRules.for_year(today.year), today, code))


class MemberFilter(ScopedFilterSet):
    q = django_filters.CharFilter(
        label="搜索", method="search", widget=forms.TextInput(attrs={"placeholder": "姓名、拼音或电话"})
    )
    organ = django_filters.ModelChoiceFilter(
        label="机关", field_name="branch__organ", queryset=Organ.objects.none(), empty_label="全部机关"
    )
    branch = BranchSearchFilter(label="支部", purpose="visible", empty_label="全部支部", narrow_by="organ")
    status = django_filters.ChoiceFilter(label="党员状态", choices=MemberStatus.choices, empty_label="全部")
    gender = django_filters.ChoiceFilter(label="性别", choices=Gender.choices, empty_label="全部")
    education = django_filters.ChoiceFilter(label="学历", choices=Education.choices, empty_label="全部")
    is_leader = django_filters.ChoiceFilter(label="班子成员", choices=YES_NO, empty_label="全部", method="yes_no")
    is_party_worker = django_filters.ChoiceFilter(label="党务干部", choices=YES_NO, empty_label="全部", method="yes_no")

    class Meta:
        model = Member
        fields = ["q", "organ", "branch", "status", "gender", "education", "is_leader", "is_party_worker"]

    def __init__(self, data=None, *args, user=None, **kwargs):
        super().__init__(data, *args, **kwargs)
        self.scope_choices(user)

    def search(self, queryset, name, value):
        return match_members(queryset, value)

    def yes_no(self, queryset, name, value):
        return queryset.filter(**{name: value == "1"})
