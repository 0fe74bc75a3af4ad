"""Forms of the organisational-life pages. They collect input; the rules live in branches/orglife.py."""

import datetime

from django import forms
from django.utils import timezone

from core.filters import style_bar_fields
from core.forms import DATE_WIDGET

from ..choices import MeetingKind, Period, RequirementScope
from ..models import Branch, MeetingRequirement, Member, Organ
from ..orglife import FIRST_YEAR
from ..search import BranchChoiceField


def year_choices(today: datetime.date, first: int | None = None) -> list[tuple[int, str]]:
    """Newest first, from this year back five years (or back to `first`)."""
    oldest = max(FIRST_YEAR, first if first is not None else today.year - 5)
    return [(y, f"{y}年") for y in range(today.year, oldest - 1, -1)]


class BarForm(forms.Form):
    """A GET filter form styled for templates/branches/_filter_bar.html (which loops `filter.form`)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        style_bar_fields(self.fields)

    @property
    def form(self):
        return self

    def value(self, name, default=None):
        """The cleaned value, or `default` when the field is empty or invalid (a filter never errors)."""
        if not self.is_bound:
            return default
        self.is_valid()  # fills cleaned_data with the fields that are valid
        return self.cleaned_data.get(name) or default


class CompletionFilterForm(BarForm):
    year = forms.TypedChoiceField(label="年度", coerce=int, choices=(), required=False, empty_value=None)
    organ = forms.ModelChoiceField(label="机关", queryset=Organ.objects.none(), required=False, empty_label="全部机关")
    state = forms.ChoiceField(
        label="完成情况",
        required=False,
        choices=[("", "全部支部"), ("missing", "有未完成"), ("complete", "全部完成")],
    )

    def __init__(self, data=None, *, user, today: datetime.date):
        super().__init__(data)
        self.fields["year"].choices = year_choices(today)
        self.fields["year"].initial = today.year
        self.fields["organ"].queryset = Organ.objects.visible_to(user)


class TrainingFilterForm(BarForm):
    year = forms.TypedChoiceField(label="年度", coerce=int, choices=(), required=False, empty_value=None)
    q = forms.CharField(label="姓名", required=False, widget=forms.TextInput(attrs={"placeholder": "姓名"}))
    organ = forms.ModelChoiceField(label="机关", queryset=Organ.objects.none(), required=False, empty_label="全部机关")
    branch = BranchChoiceField(
        label="支部", purpose="visible_active", required=False, empty_label="全部支部", narrow_by="organ"
    )
    below = forms.ChoiceField(label="学时", required=False, choices=[("", "全部党员"), ("1", "未达标")])

    def __init__(self, data=None, *, user, today: datetime.date):
        super().__init__(data)
        self.fields["year"].choices = year_choices(today)
        self.fields["year"].initial = today.year
        self.fields["organ"].queryset = Organ.objects.visible_to(user)
        self.fields["branch"].queryset = Branch.objects.visible_to(user).active().select_related("organ")


class RequirementForm(forms.ModelForm):
    min_count = forms.IntegerField(
        label="每期最少次数", min_value=1, max_value=31, error_messages={"min_value": "每期最少次数至少为 1。"}
    )

    class Meta:
        model = MeetingRequirement
        fields = ["kind", "period", "min_count", "scope", "source"]

    def __init__(self, *args, taken_kinds=(), **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["kind"].disabled = True
        else:
            self.fields["kind"].choices = [(k, label) for k, label in MeetingKind.choices if k not in taken_kinds]
        self.fields["period"].choices = Period.choices
        self.fields["scope"].choices = RequirementScope.choices
        self.fields["scope"].help_text = "“设支委会的支部”：没有支委会的支部不计；“每个党小组”：每个党小组都须召开。"

    def clean(self):
        data = super().clean()
        if data.get("scope") == RequirementScope.GROUP and data.get("kind") != MeetingKind.GROUP:
            self.add_error("scope", "“每个党小组”只适用于党小组会。")
        return data


class ExemptionForm(forms.Form):
    kind = forms.ChoiceField(
        label="会议类型",
        required=False,
        choices=[("", "全部类型"), *MeetingKind.choices],
        help_text="不选则豁免全部类型。",
    )
    starts_on = forms.DateField(label="开始日期", widget=DATE_WIDGET)
    ends_on = forms.DateField(
        label="结束日期", widget=DATE_WIDGET, help_text="某期的最后一天在豁免期内，该期即为豁免。"
    )
    reason = forms.CharField(
        label="豁免原因", max_length=200, widget=forms.TextInput(attrs={"placeholder": "如：新成立支部，首季度豁免"})
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reason"].error_messages["required"] = "请填写豁免原因。"

    def clean(self):
        data = super().clean()
        if data.get("starts_on") and data.get("ends_on") and data["ends_on"] < data["starts_on"]:
            self.add_error("ends_on", "结束日期不能早于开始日期。")
        return data


class TrainingForm(forms.Form):
    title = forms.CharField(
        label="培训名称", max_length=200, widget=forms.TextInput(attrs={"placeholder": "如：市委党校专题培训班"})
    )
    held_on = forms.DateField(label="日期", widget=DATE_WIDGET, initial=timezone.localdate)
    hours = forms.DecimalField(label="学时", max_digits=4, decimal_places=1, min_value=0.1)
    everyone = forms.BooleanField(label="本支部全体党员参加", required=False)
    members = forms.ModelMultipleChoiceField(
        label="参训党员", queryset=Member.objects.none(), required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args, branch: Branch, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["members"].queryset = branch.members.all()
        self.fields["members"].help_text = "勾选“本支部全体党员参加”时不必逐一选择。"
        self.fields["hours"].error_messages["min_value"] = "学时须大于 0。"
        self.fields["title"].error_messages["required"] = "请填写培训名称。"

    def clean_held_on(self):
        day = self.cleaned_data["held_on"]
        if day > timezone.localdate():
            raise forms.ValidationError("培训日期不能晚于今天。")
        return day

    def clean(self):
        data = super().clean()
        if data.get("everyone"):
            data["members"] = self.fields["members"].queryset
        elif not data.get("members") and "members" not in self.errors:
            self.add_error("members", "请至少选择一名党员。")
        return data
