"""Forms of the 一岗双责 reports: the report itself, the review, the period's due date and the overview filter."""

from django import forms

from branches.models import Organ
from core.filters import style_bar_fields
from core.forms import DATE_WIDGET

from ..models import DutyReport, DutyReportPeriod
from ..reports import FILING_CHOICES, TEXT_FIELDS

TEXT_HELP = {
    "business_work": "分管业务工作的推进情况、主要成效",
    "party_work": "分管领域党建工作情况：落实“一岗双责”、指导联系支部、廉政风险防控等",
    "problems": "履职中发现的问题和不足",
    "next_steps": "下一步的工作打算和整改措施",
}


class DutyReportForm(forms.ModelForm):
    """The four parts of 一述双报. A draft may be partial; submitting needs every part."""

    class Meta:
        model = DutyReport
        fields = list(TEXT_FIELDS)
        widgets = {name: forms.Textarea(attrs={"rows": 5}) for name in TEXT_FIELDS}

    def __init__(self, *args, submitting: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.submitting = submitting
        for name, field in self.fields.items():
            field.required = False
            field.help_text = TEXT_HELP[name]

    def clean(self):
        data = super().clean()
        if self.submitting:
            for name in TEXT_FIELDS:
                if not (data.get(name) or "").strip():
                    self.add_error(name, "提交前请填写此项。")
        return data


class ReviewForm(forms.Form):
    """Accept, or return with a reason (the service refuses a return without one)."""

    reason = forms.CharField(
        label="审阅意见 / 退回原因",
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="退回修改时必须填写原因，报告人会收到通知。",
    )


class PeriodForm(forms.ModelForm):
    reason = forms.CharField(label="调整原因", required=False, max_length=200, help_text="记入变更记录")

    class Meta:
        model = DutyReportPeriod
        fields = ["due_on"]
        widgets = {"due_on": DATE_WIDGET}
        help_texts = {"due_on": "调整后，已提交报告是否“逾期”将按新的截止日期重新判定。"}

    def clean_due_on(self):
        due_on = self.cleaned_data["due_on"]
        if due_on < self.instance.ends_on:
            raise forms.ValidationError(f"报告截止日期不能早于报告期结束日期（{self.instance.ends_on:%Y-%m-%d}）。")
        return due_on


class OverviewForm(forms.Form):
    """The overview's filter bar. Rendered by branches/_filter_bar.html through `filter.form`."""

    period = forms.ModelChoiceField(label="报告期", queryset=DutyReportPeriod.objects.none(), required=False)
    organ = forms.ModelChoiceField(label="机关", queryset=Organ.objects.none(), required=False, empty_label="全部机关")
    status = forms.ChoiceField(label="状态", choices=[("", "全部状态"), *FILING_CHOICES], required=False)
    q = forms.CharField(
        label="姓名", required=False, max_length=50, widget=forms.TextInput(attrs={"placeholder": "姓名"})
    )

    def __init__(self, *args, periods, organs, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["period"].queryset = periods
        self.fields["period"].empty_label = None
        self.fields["organ"].queryset = organs
        self.fields["organ"].label_from_instance = lambda o: o.display_short
        style_bar_fields(self.fields)
