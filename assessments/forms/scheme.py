"""Forms of the scheme editor, the scoring grid, self-scores and 加减分. They collect input and show
the rules' complaints next to the fields; the rules themselves live in schemes.py and scores.py.
"""

from decimal import Decimal

from django import forms
from django.core.validators import MaxValueValidator
from django.forms.models import fields_for_model

from branches.models import Branch
from branches.search import BranchChoiceField

from ..choices import AdjustmentKind, IndicatorSource, Metric
from ..models import AdjustmentItem, AssessmentScheme, Dimension, Indicator
from ..schemes import (
    SETTING_FIELDS,
    IndicatorData,
    ItemData,
    Problems,
    dimension_problems,
    indicator_problems,
    item_problems,
    num,
    settings_problems,
)

POINTS = {
    "max_digits": 6,
    "decimal_places": 2,
    # Django's own wording reads awkwardly in zh-hans ("确认小数不超过 2 位."); say it plainly.
    "error_messages": {
        "invalid": "请填写数字。",
        "max_decimal_places": "最多保留两位小数。",
        "max_digits": "分值过大。",
        "max_whole_digits": "分值过大。",
    },
}

# The settings page groups the fields the way the 工委 thinks about them.
SETTING_GROUPS = (
    ("方案", ("name", "notes")),
    ("星级分数线", ("star5_min", "star4_min", "star3_min", "star2_min", "star1_min", "five_star_quota")),
    (
        "等次",
        ("tier_mode", "advanced_min", "good_min", "ordinary_min", "advanced_share", "good_share", "backward_share"),
    ),
    ("整顿与加减分", ("bottom_share", "bonus_cap", "deduction_cap")),
    ("书记述职评议折算", ("review_good_ratio", "review_fair_ratio", "review_average_ratio", "review_poor_ratio")),
    (
        "民主评议与党员积分",
        ("excellent_quota_numerator", "excellent_quota_denominator", "unqualified_fix_days", "points_base"),
    ),
)


def _report(form: forms.Form, problems: Problems) -> None:
    for field, message in problems:
        form.add_error(field if field in form.fields else None, message)


class YearForm(forms.Form):
    year = forms.IntegerField(label="年度", min_value=2000, max_value=2100)


class SchemeForm(forms.Form):
    """The settings of a version: every field of SETTING_FIELDS, with the model's labels and checks."""

    def __init__(self, *args, scheme: AssessmentScheme, **kwargs):
        kwargs.setdefault("initial", {name: getattr(scheme, name) for name in SETTING_FIELDS})
        super().__init__(*args, **kwargs)
        self.fields.update(fields_for_model(AssessmentScheme, fields=SETTING_FIELDS))
        self.fields["notes"].widget.attrs["rows"] = 3

    def groups(self) -> list[tuple[str, list]]:
        return [(title, [self[name] for name in names]) for title, names in SETTING_GROUPS]

    def clean(self):
        data = super().clean()
        if not self.errors:
            _report(self, settings_problems(data))
        return data


class DimensionForm(forms.Form):
    name = forms.CharField(label="维度名称", max_length=30)
    sort_order = forms.IntegerField(label="排序", min_value=0, max_value=32767, initial=0)

    def __init__(self, *args, scheme: AssessmentScheme, dimension: Dimension | None = None, **kwargs):
        if dimension is not None:
            kwargs.setdefault("initial", {"name": dimension.name, "sort_order": dimension.sort_order})
        super().__init__(*args, **kwargs)
        self.scheme, self.dimension = scheme, dimension

    def clean(self):
        data = super().clean()
        if "name" in data:
            _report(self, dimension_problems(self.scheme, data["name"], dimension=self.dimension))
        return data


class IndicatorForm(forms.Form):
    dimension = forms.ModelChoiceField(label="考核维度", queryset=Dimension.objects.none(), empty_label="请选择")
    name = forms.CharField(label="指标名称", max_length=60)
    max_score = forms.DecimalField(label="分值", min_value=Decimal("0.5"), max_value=100, **POINTS)
    source = forms.ChoiceField(label="数据来源", choices=IndicatorSource.choices)
    metric = forms.ChoiceField(
        label="计算口径",
        choices=[("", "—（人工评分、业务工作指标不选）"), *Metric.choices],
        required=False,
        help_text="仅“系统计算”的指标选择，按平台已有记录自动计算得分率。",
    )
    criteria = forms.CharField(label="评分标准", required=False, widget=forms.Textarea(attrs={"rows": 3}))
    allow_self_score = forms.BooleanField(
        label="支部可自评", required=False, help_text="仅人工评分、业务工作指标可设。"
    )
    sort_order = forms.IntegerField(label="排序", min_value=0, max_value=32767, initial=0)

    def __init__(self, *args, scheme: AssessmentScheme, indicator: Indicator | None = None, **kwargs):
        if indicator is not None:
            kwargs.setdefault(
                "initial",
                {
                    "dimension": indicator.dimension_id,
                    "name": indicator.name,
                    "max_score": indicator.max_score,
                    "source": indicator.source,
                    "metric": indicator.metric,
                    "criteria": indicator.criteria,
                    "allow_self_score": indicator.allow_self_score,
                    "sort_order": indicator.sort_order,
                },
            )
        super().__init__(*args, **kwargs)
        self.scheme, self.indicator = scheme, indicator
        self.fields["dimension"].queryset = scheme.dimensions.order_by("sort_order", "pk")

    def clean(self):
        data = super().clean()
        if not self.errors:
            _report(self, indicator_problems(self.scheme, self.data_for_service(), indicator=self.indicator))
        return data

    def data_for_service(self) -> IndicatorData:
        data = self.cleaned_data
        return IndicatorData(
            dimension=data["dimension"],
            name=data["name"],
            max_score=data["max_score"],
            source=data["source"],
            metric=data["metric"],
            criteria=data["criteria"],
            allow_self_score=data["allow_self_score"],
            sort_order=data["sort_order"],
        )


class ItemForm(forms.Form):
    kind = forms.ChoiceField(label="类别", choices=AdjustmentKind.choices)
    name = forms.CharField(label="事项", max_length=60)
    points = forms.DecimalField(label="分值", min_value=Decimal("0.1"), max_value=100, **POINTS)
    sort_order = forms.IntegerField(label="排序", min_value=0, max_value=32767, initial=0)

    def __init__(self, *args, item: AdjustmentItem | None = None, **kwargs):
        if item is not None:
            kwargs.setdefault(
                "initial", {"kind": item.kind, "name": item.name, "points": item.points, "sort_order": item.sort_order}
            )
        super().__init__(*args, **kwargs)

    def clean(self):
        data = super().clean()
        if not self.errors:
            _report(self, item_problems(self.data_for_service()))
        return data

    def data_for_service(self) -> ItemData:
        data = self.cleaned_data
        return ItemData(kind=data["kind"], name=data["name"], points=data["points"], sort_order=data["sort_order"])


# --- Scores ----------------------------------------------------------------------------------


class ScoreCellForm(forms.Form):
    """One cell of the scoring grid; the prefix keeps each cell's inputs apart on the page."""

    score = forms.DecimalField(label="得分", required=False, min_value=0, **POINTS)
    not_applicable = forms.BooleanField(label="不适用", required=False)
    note = forms.CharField(label="说明", required=False, max_length=200)

    def __init__(self, *args, branch: Branch, indicator: Indicator, **kwargs):
        kwargs.setdefault("prefix", self.prefix_for(branch, indicator))
        super().__init__(*args, **kwargs)
        label = f"{branch.name} {indicator.name}"
        self.fields["score"].widget.attrs.update(
            {
                "class": "form-control form-control-sm score-input",
                "step": "0.01",
                "max": f"{indicator.max_score}",
                "inputmode": "decimal",
                "aria-label": f"{label} 得分（满分 {indicator.max_score}）",
            }
        )
        self.fields["not_applicable"].widget.attrs.update(
            {"class": "form-check-input", "aria-label": f"{label} 不适用"}
        )
        self.fields["note"].widget.attrs.update(
            {"class": "form-control form-control-sm", "placeholder": "说明", "aria-label": f"{label} 说明"}
        )

    @staticmethod
    def prefix_for(branch: Branch, indicator: Indicator) -> str:
        return f"c{branch.pk}-{indicator.pk}"

    @staticmethod
    def initial_for(record) -> dict:
        if record is None:
            return {}
        return {"score": record.score, "not_applicable": record.not_applicable, "note": record.note}

    def cleaned_score(self) -> Decimal | None:
        # Ticking 不适用 is the decision; a number left in the box beside it is not a second one.
        return None if self.cleaned_data["not_applicable"] else self.cleaned_data["score"]


class SelfScoreForm(forms.Form):
    self_score = forms.DecimalField(label="自评分", required=False, min_value=0, **POINTS)
    self_note = forms.CharField(
        label="自评说明", required=False, max_length=200, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, indicator: Indicator, **kwargs):
        kwargs.setdefault("prefix", f"i{indicator.pk}")
        super().__init__(*args, **kwargs)
        self.indicator = indicator
        self.error_context = indicator.name  # one form per indicator: the error summary names which
        self.fields["self_score"].label = f"自评分（满分 {indicator.max_score}）"
        self.fields["self_score"].widget.attrs.update({"step": "0.01", "max": f"{indicator.max_score}"})
        self.fields["self_score"].validators.append(MaxValueValidator(indicator.max_score))


class ItemChoice(forms.ModelChoiceField):
    def label_from_instance(self, item: AdjustmentItem) -> str:
        sign = "+" if item.kind == AdjustmentKind.BONUS else "−"
        return f"{item.get_kind_display()}：{item.name}（{sign}{num(item.points)}）"


class AdjustmentForm(forms.Form):
    """A 加分/扣分: pick a catalogue item, or type the kind, name and points."""

    branch = BranchChoiceField(label="支部", purpose="scoring", empty_label="请选择支部")
    item = ItemChoice(
        label="常用事项",
        queryset=AdjustmentItem.objects.none(),
        required=False,
        empty_label="不使用（自行填写）",
        help_text="选择后按该事项的类别、名称和分值登记。",
    )
    kind = forms.ChoiceField(label="类别", choices=[("", "请选择"), *AdjustmentKind.choices], required=False)
    name = forms.CharField(label="事项", max_length=60, required=False)
    points = forms.DecimalField(label="分值", min_value=Decimal("0.1"), max_value=100, required=False, **POINTS)
    note = forms.CharField(label="依据说明", max_length=200, help_text="如表彰文件、通报文号")

    def __init__(self, *args, branches, items, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["branch"].queryset = branches
        self.fields["item"].queryset = items

    def clean(self):
        data = super().clean()
        item = data.get("item")
        if item is not None:
            data.update(kind=item.kind, name=item.name, points=item.points)
            return data
        for field, message in (("kind", "请选择加分或扣分。"), ("name", "请填写事项。"), ("points", "请填写分值。")):
            if field not in self.errors and data.get(field) in (None, ""):
                self.add_error(field, message)
        return data
