"""Forms and the list filter of the 问题整改台账. They collect input; the rules live in assessments/ledger.py."""

import datetime

import django_filters
from django import forms
from django.db.models import Q

from branches.filters import ScopedFilterSet
from branches.models import Branch, Member, Organ
from branches.search import BranchChoiceField, BranchSearchFilter
from core.filters import YES_NO
from core.forms import DATE_WIDGET

from ..choices import ProblemSource, ProblemStatus
from ..ledger import WORKING, ProblemData
from ..models import Problem


class MemberChoice(forms.ModelChoiceField):
    def label_from_instance(self, member: Member) -> str:
        return f"{member.name}（{member.post}）" if member.post else member.name


class ProblemForm(forms.Form):
    source = forms.ChoiceField(label="问题来源", choices=ProblemSource.choices)
    title = forms.CharField(label="问题", max_length=200)
    description = forms.CharField(
        label="具体表现", required=False, widget=forms.Textarea(attrs={"rows": 3}), help_text="问题的具体情形、发现经过"
    )
    responsible = MemberChoice(label="整改责任人", queryset=Member.objects.none(), empty_label="请选择")
    measures = forms.CharField(label="整改措施", widget=forms.Textarea(attrs={"rows": 3}))
    deadline = forms.DateField(label="整改时限", widget=DATE_WIDGET)
    reason = forms.CharField(
        label="修改原因",
        max_length=200,
        required=False,
        help_text="调整整改时限时必填，将记入变更记录。",
    )

    def __init__(self, *args, branch: Branch, problem: Problem | None = None, **kwargs):
        if problem is not None:
            kwargs.setdefault(
                "initial",
                {
                    "source": problem.source,
                    "title": problem.title,
                    "description": problem.description,
                    "responsible": problem.responsible_id,
                    "measures": problem.measures,
                    "deadline": problem.deadline,
                },
            )
        super().__init__(*args, **kwargs)
        self.fields["responsible"].queryset = Member.objects.filter(branch=branch).order_by("name_pinyin", "pk")
        if problem is None:
            del self.fields["reason"]

    def data_for_service(self) -> ProblemData:
        data = self.cleaned_data
        return ProblemData(
            source=data["source"],
            title=data["title"],
            description=data["description"],
            responsible=data["responsible"],
            measures=data["measures"],
            deadline=data["deadline"],
        )


class BranchChoiceForm(forms.Form):
    branch = BranchChoiceField(label="支部", purpose="writable", empty_label="请选择支部")

    def __init__(self, *args, branches, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["branch"].queryset = branches


class CloseForm(forms.Form):
    note = forms.CharField(
        label="整改情况说明",
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="写明采取了哪些措施、取得了什么效果，供机关党委核验。",
        error_messages={"required": "请填写整改情况说明：做了什么、效果如何。"},
    )


class ReopenForm(forms.Form):
    reason = forms.CharField(
        label="退回原因",
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "请填写退回重新整改的原因。"},
    )
    deadline = forms.DateField(
        label="新的整改时限", required=False, widget=DATE_WIDGET, help_text="不填则保持原整改时限。"
    )


class ProblemFilter(ScopedFilterSet):
    q = django_filters.CharFilter(
        label="搜索", method="search", widget=forms.TextInput(attrs={"placeholder": "问题、支部或责任人"})
    )
    organ = django_filters.ModelChoiceFilter(
        label="机关", field_name="branch__organ", queryset=Organ.objects.none(), empty_label="全部机关"
    )
    branch = BranchSearchFilter(label="支部", purpose="visible", empty_label="全部支部", narrow_by="organ")
    source = django_filters.ChoiceFilter(label="来源", choices=ProblemSource.choices, empty_label="全部来源")
    status = django_filters.ChoiceFilter(
        label="状态",
        choices=[("working", "未整改完成"), *ProblemStatus.choices],
        empty_label="全部状态",
        method="filter_status",
    )
    overdue = django_filters.ChoiceFilter(label="逾期", choices=YES_NO, empty_label="不限", method="filter_overdue")

    class Meta:
        model = Problem
        fields = ["q", "organ", "branch", "source", "status", "overdue"]

    def __init__(self, data=None, *args, user=None, today: datetime.date, **kwargs):
        super().__init__(data, *args, **kwargs)
        self.today = today
        self.scope_choices(user)

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(title__icontains=value) | Q(branch__name__icontains=value) | Q(responsible__name__icontains=value)
        )

    def filter_status(self, queryset, name, value):
        if value == "working":
            return queryset.filter(status__in=WORKING)
        return queryset.filter(status=value)

    def filter_overdue(self, queryset, name, value):
        overdue = Q(status__in=WORKING, deadline__lt=self.today)
        return queryset.filter(overdue) if value == "1" else queryset.exclude(overdue)
