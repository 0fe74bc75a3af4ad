"""Forms of 公开验收: the branch's acceptance request, a reviewer's score sheet, the year's rules."""

from decimal import Decimal

from django import forms
from django.core.validators import MaxValueValidator, MinValueValidator
from django.forms import BaseInlineFormSet, inlineformset_factory

from core.uploads import validate_rule_mb

from ..acceptance import CONFIG_FIELDS, CriterionRow, TargetResult
from ..models import AcceptanceReview, Project, ProjectYearConfig, RubricCriterion

SMALL_INPUT = "form-control form-control-sm"


class AcceptanceRequestForm(forms.Form):
    """The summary, the value reached for every target, and why each milestone not completed was not."""

    summary = forms.CharField(
        label="验收总结",
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text="写明项目实施情况、解决了哪些业务难题、取得了哪些成效。",
    )

    def __init__(self, *args, project: Project, **kwargs):
        super().__init__(*args, **kwargs)
        self.targets = list(project.targets.all())
        self.fields["summary"].initial = project.acceptance_summary
        for target in self.targets:
            unit = f"（{target.unit}）" if target.unit else ""
            self.fields[f"actual_{target.pk}"] = forms.DecimalField(
                label=f"完成值{unit}",
                max_digits=12,
                decimal_places=2,
                initial=target.actual_value,
                error_messages={"required": "请填写该指标的完成值。"},
            )
            self.fields[f"note_{target.pk}"] = forms.CharField(
                label="完成情况说明", max_length=200, required=False, initial=target.result_note
            )
        self.milestones = list(project.milestones.order_by("planned_on", "pk"))
        self.not_done = [m for m in self.milestones if m.completed_on is None]
        for milestone in self.not_done:
            self.fields[f"reason_{milestone.pk}"] = forms.CharField(
                label="未完成原因",
                widget=forms.Textarea(attrs={"rows": 2}),
                initial=milestone.not_done_reason,
                help_text="评审人评分时可见。",
                error_messages={"required": "请说明该节点未完成的原因。"},
            )

    def target_rows(self) -> list[tuple]:
        return [(t, self[f"actual_{t.pk}"], self[f"note_{t.pk}"]) for t in self.targets]

    def not_done_rows(self) -> list[tuple]:
        return [(m, self[f"reason_{m.pk}"]) for m in self.not_done]

    def results(self) -> list[TargetResult]:
        data = self.cleaned_data
        return [TargetResult(t.pk, data[f"actual_{t.pk}"], data[f"note_{t.pk}"]) for t in self.targets]

    def reasons(self) -> dict[int, str]:
        return {m.pk: self.cleaned_data[f"reason_{m.pk}"] for m in self.not_done}


class ScoreForm(forms.Form):
    """One reviewer's points on each rubric criterion of the project's year."""

    comment = forms.CharField(label="评审意见", widget=forms.Textarea(attrs={"rows": 4}), required=False)

    def __init__(self, *args, criteria: list[RubricCriterion], review: AcceptanceReview | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.criteria = criteria
        given = {m.criterion_id: m.points for m in review.marks.all()} if review else {}
        fields = {}
        for c in criteria:
            fields[f"c_{c.pk}"] = forms.DecimalField(
                label=f"{c.name}（满分 {c.max_points} 分）",
                help_text=c.description,
                min_value=0,
                max_value=c.max_points,
                max_digits=5,
                decimal_places=2,
                initial=given.get(c.pk),
                widget=forms.NumberInput(attrs={"step": "0.5", "min": 0, "max": c.max_points}),
                error_messages={
                    "required": "请为该项打分。",
                    "min_value": "得分不能低于 0 分。",
                    "max_value": f"得分不能超过满分 {c.max_points} 分。",
                },
            )
        # Criteria first, in rubric order; the comment last.
        fields["comment"] = self.fields.pop("comment")
        self.fields = fields
        if review is not None:
            self.fields["comment"].initial = review.comment

    def criterion_fields(self) -> list:
        return [self[f"c_{c.pk}"] for c in self.criteria]

    def marks(self) -> dict[int, Decimal]:
        return {c.pk: self.cleaned_data[f"c_{c.pk}"] for c in self.criteria}


GRADING_FIELDS = ("excellent_min", "good_min", "pass_min", "excellent_max_share", "top_ten_count", "min_reviewers")
GATE_FIELDS = ("max_projects_per_branch", "min_acceptance_progress")


class YearConfigForm(forms.ModelForm):
    class Meta:
        model = ProjectYearConfig
        fields = list(CONFIG_FIELDS)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("excellent_min", "good_min", "pass_min"):
            self.fields[name].validators += [MinValueValidator(0), MaxValueValidator(100)]
            self.fields[name].widget.attrs.update(min=0, max=100)
        share = self.fields["excellent_max_share"]
        share.validators += [MinValueValidator(0), MaxValueValidator(1)]
        share.widget.attrs.update(min=0, max=1, step="0.01")
        share.help_text = (
            "占当年已验收项目的比例，如 0.5 即至多一半（向下取整）；名额线上得分相同的项目一并评为良好，"
            "不因验收先后而不同"
        )
        self.fields["min_reviewers"].validators.append(MinValueValidator(1))
        self.fields["max_evidence_mb"].validators += [MinValueValidator(1), validate_rule_mb]
        self.fields["min_acceptance_progress"].widget.attrs.update(min=0, max=100)
        self.fields["max_projects_per_branch"].widget.attrs.update(min=1, placeholder="不限")

    def grading_fields(self) -> list:
        return [self[name] for name in GRADING_FIELDS]

    def gate_fields(self) -> list:
        return [self[name] for name in GATE_FIELDS]

    def progress_fields(self) -> list:
        return [self[name] for name in CONFIG_FIELDS if name not in GRADING_FIELDS + GATE_FIELDS]

    def clean(self):
        data = super().clean()
        low, mid, high = data.get("pass_min"), data.get("good_min"), data.get("excellent_min")
        if None not in (low, mid, high) and not low <= mid <= high:
            self.add_error("good_min", "分数线应满足：合格 ≤ 良好 ≤ 优秀。")
        return data


class BaseCriterionFormSet(BaseInlineFormSet):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for form in self.forms:
            form.fields["max_points"].validators.append(MinValueValidator(1))
            for field in form.fields.values():
                if not isinstance(field.widget, forms.CheckboxInput):
                    field.widget.attrs.setdefault("class", SMALL_INPUT)

    def _kept(self) -> list:
        return [
            f
            for f in self.forms
            if f.cleaned_data and not f.cleaned_data.get("DELETE") and (f.instance.pk or f.has_changed())
        ]

    def clean(self):
        super().clean()
        if any(self.errors):
            return
        kept = self._kept()
        if not kept:
            raise forms.ValidationError("请至少设置一个评分项。")
        total = sum(f.cleaned_data["max_points"] for f in kept)
        if total != 100:
            raise forms.ValidationError(f"评分项满分合计应为 100 分，当前为 {total} 分。")

    def rows(self) -> list[CriterionRow]:
        return [
            CriterionRow(
                f.instance.pk, f.cleaned_data["name"], f.cleaned_data["max_points"], f.cleaned_data["description"]
            )
            for f in self._kept()
        ]


CriterionFormSet = inlineformset_factory(
    ProjectYearConfig,
    RubricCriterion,
    formset=BaseCriterionFormSet,
    fields=["name", "max_points", "description"],
    extra=1,
    can_delete=True,
)
