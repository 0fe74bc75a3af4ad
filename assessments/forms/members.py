"""Forms of the member-level assessments. They collect input; the rules live in appraisal.py,
points.py and secretary.py."""

from django import forms

from branches.models import Member, Organ
from core.forms import DATE_WIDGET, MultipleFileField
from core.uploads import ALLOWED_LABEL, MAX_FILES_PER_REPORT

from ..appraisal import DEFAULT_MEASURES, VOTE_FIELDS
from ..choices import AppraisalGrade, SecretaryGrade, SecretaryReportStatus
from ..models import AppraisalEntry, PointRule, SecretaryReportAttachment
from ..points import RuleData

GRADE_CHOICES = [("", "—"), *AppraisalGrade.choices]
SMALL_SELECT = {"class": "form-select form-select-sm"}
SMALL_INPUT = {"class": "form-control form-control-sm"}


class AppraisalGridForm(forms.Form):
    """The whole appraisal as one form: a row of fields per entry, named `e<id>-<field>`.

    预备党员 rows have no final-grade field. The view renders the rows; the service checks them
    again as a whole and writes them in one transaction.
    """

    error_anchor = "appraisal-grid"  # where the error summary sends a form-wide error

    def __init__(self, *args, entries: list[AppraisalEntry], **kwargs):
        super().__init__(*args, **kwargs)
        self.entries = entries
        for entry in entries:
            p = self.prefix_for(entry)
            # Labels name the member: the error summary lists a field by its label, far from its row.
            name = entry.member.name
            self.fields[f"{p}self_grade"] = self._grade(f"{name} 自评", entry.self_grade)
            for field in VOTE_FIELDS:
                self.fields[f"{p}{field}"] = forms.IntegerField(
                    label=f"{name} {AppraisalEntry._meta.get_field(field).verbose_name}",
                    min_value=0,
                    max_value=len(entries),
                    initial=getattr(entry, field),
                    required=False,
                    widget=forms.NumberInput(attrs={**SMALL_INPUT, "min": 0, "style": "width:4.5rem"}),
                )
            self.fields[f"{p}proposed_grade"] = self._grade(f"{name} 支委会建议", entry.proposed_grade)
            if not entry.is_probationary:
                self.fields[f"{p}grade"] = self._grade(f"{name} 评定等次", entry.grade)
            self.fields[f"{p}note"] = forms.CharField(
                label=f"{name} 备注",
                required=False,
                max_length=AppraisalEntry._meta.get_field("note").max_length,
                initial=entry.note,
                widget=forms.TextInput(attrs=SMALL_INPUT),
            )
        for field in self.fields.values():
            # The grid shows no <label>s (the column headers say what a cell is); screen readers get the label.
            field.widget.attrs["aria-label"] = field.label

    @staticmethod
    def prefix_for(entry: AppraisalEntry) -> str:
        return f"e{entry.pk}-"

    @staticmethod
    def _grade(label: str, initial: str) -> forms.ChoiceField:
        return forms.ChoiceField(
            label=label, choices=GRADE_CHOICES, required=False, initial=initial, widget=forms.Select(attrs=SMALL_SELECT)
        )

    @property
    def rows(self) -> list[dict]:
        result = []
        for entry in self.entries:
            p = self.prefix_for(entry)
            result.append(
                {
                    "entry": entry,
                    "self_grade": self[f"{p}self_grade"],
                    "votes": [self[f"{p}{name}"] for name in VOTE_FIELDS],
                    "proposed_grade": self[f"{p}proposed_grade"],
                    "grade": self[f"{p}grade"] if f"{p}grade" in self.fields else None,
                    "note": self[f"{p}note"],
                }
            )
        return result

    def rows_for_service(self) -> dict[int, dict]:
        data = self.cleaned_data
        result = {}
        for entry in self.entries:
            p = self.prefix_for(entry)
            row = {name: data.get(f"{p}{name}") for name in ("self_grade", "proposed_grade", "note", *VOTE_FIELDS)}
            row["grade"] = data.get(f"{p}grade", "")
            result[entry.pk] = row
        return result


class FinalizeForm(forms.Form):
    error_anchor = "appraisal-finalize"

    held_on = forms.DateField(label="评议日期", widget=DATE_WIDGET, help_text="召开支部党员大会进行民主评议的日期")
    measures = forms.CharField(
        label="不合格党员整改措施",
        required=False,
        max_length=1000,
        initial=DEFAULT_MEASURES,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="有评定为不合格的党员时，为每人登记一项整改问题，整改措施取此处内容。",
    )


class ReasonForm(forms.Form):
    reason = forms.CharField(label="原因", max_length=200, widget=forms.Textarea(attrs={"rows": 3}))


class PointRuleForm(forms.ModelForm):
    class Meta:
        model = PointRule
        fields = ["name", "points", "yearly_cap", "once_only", "sort_order"]

    def data_for_service(self) -> RuleData:
        return RuleData(**{name: self.cleaned_data[name] for name in self.Meta.fields})


class PointEntryForm(forms.Form):
    member = forms.ModelChoiceField(label="党员", queryset=Member.objects.none())
    rule = forms.ModelChoiceField(label="积分事项", queryset=PointRule.objects.none())
    occurred_on = forms.DateField(label="发生日期", widget=DATE_WIDGET)
    note = forms.CharField(label="事由", max_length=200, help_text="如：参加3月主题党日活动")

    def __init__(self, *args, branch, year: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["member"].queryset = Member.objects.filter(branch=branch).order_by("name_pinyin", "pk")
        self.fields["rule"].queryset = PointRule.objects.filter(year=year)
        self.fields["rule"].label_from_instance = lambda r: (
            f"{r.name}（{r.points:+g} 分{'，每年一次' if r.once_only else ''}"
            f"{f'，上限 {r.yearly_cap:g} 分' if r.yearly_cap else ''}）"
        )


class SecretaryReportForm(forms.Form):
    text = forms.CharField(
        label="述职报告",
        required=False,
        widget=forms.Textarea(attrs={"rows": 12}),
        help_text="履行抓党建第一责任人职责情况、存在的问题及原因、下一步打算。保存草稿时可不完整，提交时须填写。",
    )
    files = MultipleFileField(label="附件", required=False)
    remove = forms.ModelMultipleChoiceField(
        label="删除附件",
        queryset=SecretaryReportAttachment.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, report=None, max_mb: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields[
            "files"
        ].help_text = (
            f"签字版述职报告、相关材料等，最多 {MAX_FILES_PER_REPORT} 个，单个不超过 {max_mb} MB；支持{ALLOWED_LABEL}。"
        )
        if report is not None and report.pk:
            self.fields["remove"].queryset = report.attachments.all()
            self.fields["remove"].label_from_instance = lambda a: a.original_name
        else:
            del self.fields["remove"]


class EvaluateForm(forms.Form):
    grade = forms.ChoiceField(label="评议等次", choices=SecretaryGrade.choices, widget=forms.RadioSelect)
    evaluation = forms.CharField(label="评议意见", max_length=2000, widget=forms.Textarea(attrs={"rows": 4}))


class SecretaryListForm(forms.Form):
    """The staff list's filter bar. Rendered by branches/_filter_bar.html through `filter.form`."""

    year = forms.IntegerField(label="年度", min_value=2000, max_value=2100, required=False)
    organ = forms.ModelChoiceField(label="机关", queryset=Organ.objects.none(), required=False, empty_label="全部机关")
    status = forms.ChoiceField(
        label="状态", choices=[("", "全部状态"), ("none", "未填写"), *SecretaryReportStatus.choices], required=False
    )

    def __init__(self, *args, organs, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organ"].queryset = organs
