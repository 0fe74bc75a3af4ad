"""Assessment schemes: the year's current version, the DOMAIN.md default scheme, locking, and the
工委's changes — copying to a new year or version, settings, dimensions, indicators, 加减分 items.

A version is locked once a rating run uses it; any change after that is made on a new version
(a copy), so a run always refers to the exact rules it applied. Dimensions, indicators and items
have no history of their own: each change to them is recorded, with who and why, in the history of
their scheme.
"""

from dataclasses import dataclass
from decimal import Decimal
from itertools import pairwise

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.scope import scope_of
from core.errors import DomainError
from core.workflow import record

from .choices import AdjustmentKind, IndicatorSource, Metric, SchemeStatus
from .models import AdjustmentItem, AssessmentScheme, Dimension, Indicator
from .permissions import EDIT_SCHEMES


class SchemeError(DomainError):
    """The change is refused for a reason the user can fix; the message is shown to them."""


@dataclass(frozen=True)
class DefaultIndicator:
    name: str
    max_score: str
    source: str
    metric: str = ""
    criteria: str = ""
    allow_self_score: bool = False


C, M, B = IndicatorSource.COMPUTED, IndicatorSource.MANUAL, IndicatorSource.BUSINESS

# The scheme a year starts with when nothing is copied: seven dimensions, 100 points. Whatever
# the portal already records is computed; only what it cannot know is scored by staff.
DEFAULT_DIMENSIONS: tuple[tuple[str, tuple[DefaultIndicator, ...]], ...] = (
    (
        "政治建设",
        (
            DefaultIndicator(
                "理论武装", "6", M, criteria="第一议题、理论学习中心组、专题学习开展情况", allow_self_score=True
            ),
            DefaultIndicator("意识形态工作", "4", M, criteria="意识形态工作责任制落实情况"),
        ),
    ),
    (
        "组织建设",
        (
            DefaultIndicator("组织设置规范", "6", M, criteria="按期换届、支委配备、党小组设置", allow_self_score=True),
            DefaultIndicator(
                "问题整改按期销号率", "4", C, Metric.LEDGER_CLOSURE, "年内到期的整改问题按期整改完成的比例"
            ),
        ),
    ),
    (
        "组织生活",
        (
            DefaultIndicator("三会一课完成率", "10", C, Metric.MEETING_COMPLETION, "按年度组织生活要求计算"),
            DefaultIndicator("党员学时达标率", "5", C, Metric.TRAINING_HOURS, "年度学时达到目标的党员比例"),
        ),
    ),
    (
        "一支部一项目",
        (
            DefaultIndicator("项目验收得分", "14", C, Metric.PROJECT_SCORE, "公开验收得分折算；未验收不得分"),
            DefaultIndicator(
                "项目节点按期完成率", "6", C, Metric.MILESTONE_TIMELINESS, "计划日期已到的节点按期完成的比例"
            ),
        ),
    ),
    (
        "一岗双责",
        (
            DefaultIndicator(
                "一岗双责报告按时提交率", "10", C, Metric.REPORT_TIMELINESS, "班子成员半年报告按时提交的比例"
            ),
        ),
    ),
    (
        "党员队伍",
        (
            DefaultIndicator(
                "民主评议合格率", "7", C, Metric.APPRAISAL, "评定为合格及以上的正式党员比例；未开展不得分"
            ),
            DefaultIndicator("书记述职评议", "8", C, Metric.SECRETARY_REVIEW, "按机关党委评议等次折算；未述职不得分"),
        ),
    ),
    (
        "业务融合",
        (
            DefaultIndicator("业务工作年度考核", "15", B, criteria="所在单位年度业务考核结果（一表双考）"),
            DefaultIndicator("党建业务融合成效", "5", M, criteria="党建引领业务工作的成效", allow_self_score=True),
        ),
    ),
)

DEFAULT_ADJUSTMENTS = (
    (AdjustmentKind.BONUS, "获得市级及以上表彰", "2"),
    (AdjustmentKind.BONUS, "经验做法被上级推广", "1"),
    (AdjustmentKind.DEDUCTION, "发生违纪违法案件", "5"),
    (AdjustmentKind.DEDUCTION, "被上级通报批评", "3"),
)


def scheme_for_year(year: int) -> AssessmentScheme | None:
    """The year's newest version, or None when the 工委 has not set one up."""
    return AssessmentScheme.objects.current_for(year)


@transaction.atomic
def create_default_scheme(year: int, *, by) -> AssessmentScheme:
    """Version 1 of a year's scheme with the DOMAIN.md defaults."""
    if AssessmentScheme.objects.filter(year=year).exists():
        raise SchemeError(f"{year}年度已有考核方案。")
    scheme = AssessmentScheme.objects.create(year=year, name="机关党支部年度考核方案", created_by=by)
    for d_order, (dimension_name, indicators) in enumerate(DEFAULT_DIMENSIONS):
        dimension = Dimension.objects.create(scheme=scheme, name=dimension_name, sort_order=d_order)
        for i_order, item in enumerate(indicators):
            Indicator.objects.create(
                scheme=scheme,
                dimension=dimension,
                name=item.name,
                criteria=item.criteria,
                max_score=Decimal(item.max_score),
                source=item.source,
                metric=item.metric,
                allow_self_score=item.allow_self_score,
                sort_order=i_order,
            )
    AdjustmentItem.objects.bulk_create(
        AdjustmentItem(scheme=scheme, kind=kind, name=name, points=Decimal(points), sort_order=n)
        for n, (kind, name, points) in enumerate(DEFAULT_ADJUSTMENTS)
    )
    return scheme


def lock_scheme(scheme: AssessmentScheme) -> AssessmentScheme:
    """Mark a version as in use; called by the rating run inside its transaction."""
    if scheme.status != SchemeStatus.LOCKED:
        scheme.status = SchemeStatus.LOCKED
        scheme.locked_at = timezone.now()
        scheme._change_reason = "星级评定使用，方案锁定"
        scheme.save(update_fields=["status", "locked_at"])
    return scheme


# --- Changing schemes (工委 only) ---------------------------------------------------------------

LOCKED_MESSAGE = "方案已被星级评定使用，已锁定；请创建新版本后修改"

# Every rule a year's scheme carries besides its indicators; a copy takes all of them.
SETTING_FIELDS = (
    "name",
    "notes",
    "star5_min",
    "star4_min",
    "star3_min",
    "star2_min",
    "star1_min",
    "five_star_quota",
    "tier_mode",
    "advanced_min",
    "good_min",
    "ordinary_min",
    "advanced_share",
    "good_share",
    "backward_share",
    "bottom_share",
    "bonus_cap",
    "deduction_cap",
    "review_good_ratio",
    "review_fair_ratio",
    "review_average_ratio",
    "review_poor_ratio",
    "excellent_quota_numerator",
    "excellent_quota_denominator",
    "unqualified_fix_days",
    "points_base",
)
INDICATOR_FIELDS = ("dimension", "name", "criteria", "max_score", "source", "metric", "allow_self_score", "sort_order")
ITEM_FIELDS = ("kind", "name", "points", "sort_order")
CENT = Decimal("0.01")
HUNDRED = Decimal("100")

Problems = list[tuple[str | None, str]]  # (form field or None, Chinese message)


def num(value: Decimal) -> str:
    """6.00 → "6", 6.50 → "6.5": how points are said in a message."""
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return text or "0"


def can_edit_schemes(user) -> bool:
    return scope_of(user).is_gongwei


def can_view_schemes(user) -> bool:
    scope = scope_of(user)
    return scope.is_gongwei or scope.is_organ_staff


def _require_gongwei(by) -> None:
    EDIT_SCHEMES.require(by)


def _raise_first(problems: Problems) -> None:
    if problems:
        raise SchemeError(problems[0][1])


def _field_problems(instance, fields: tuple[str, ...]) -> Problems:
    """The model's own field checks (choices, ranges, digits), labelled for a message without a form."""
    exclude = [f.name for f in instance._meta.fields if f.name not in fields]
    try:
        instance.clean_fields(exclude=exclude)
    except ValidationError as exc:
        problems = []
        for name, messages in exc.message_dict.items():
            label = instance._meta.get_field(name).verbose_name
            problems += [(name, f"{label}：{message}") for message in messages]
        return problems
    return []


def settings_problems(values: dict) -> Problems:
    """Cross-field rules of a scheme's settings (the CheckConstraints, said in Chinese); [] when valid."""
    problems: Problems = []
    stars = [values.get(f"star{n}_min") for n in (5, 4, 3, 2, 1)]
    if None not in stars:
        if not all(high > low for high, low in pairwise(stars)) or stars[-1] < 0:
            problems.append(("star4_min", "星级分数线须从五星到一星依次降低，且不低于 0。"))
        elif stars[0] > HUNDRED:
            problems.append(("star5_min", "五星最低分不能超过 100。"))
    tiers = [values.get(name) for name in ("advanced_min", "good_min", "ordinary_min")]
    if None not in tiers:
        if not (tiers[0] > tiers[1] > tiers[2] >= 0):
            problems.append(("good_min", "等次分数线须按先进、良好、一般依次降低，且不低于 0。"))
        elif tiers[0] > HUNDRED:
            problems.append(("advanced_min", "先进最低分不能超过 100。"))
    shares = [values.get(name) for name in ("advanced_share", "good_share", "backward_share")]
    if None not in shares and sum(shares) > HUNDRED:
        problems.append(("good_share", "先进、良好、后进比例之和不能超过 100%。"))
    bottom = values.get("bottom_share")
    if bottom is not None and not (5 <= bottom <= 10):
        problems.append(("bottom_share", "排名靠后整顿比例须在 5% 至 10% 之间。"))
    numerator, denominator = values.get("excellent_quota_numerator"), values.get("excellent_quota_denominator")
    if numerator is not None and denominator is not None and not (denominator >= 1 and numerator <= denominator):
        problems.append(("excellent_quota_numerator", "民主评议优秀比例不能超过 1（分子不能大于分母）。"))
    ratios = [values.get(f"review_{name}_ratio") for name in ("good", "fair", "average", "poor")]
    if None not in ratios and not all(high >= low for high, low in pairwise(ratios)):
        problems.append(("review_fair_ratio", "述职评议得分率须按“好、较好、一般、差”依次不升高。"))
    for name in ("bonus_cap", "deduction_cap", "points_base"):
        if values.get(name) is not None and values[name] < 0:
            problems.append((name, f"{AssessmentScheme._meta.get_field(name).verbose_name}不能为负数。"))
    return problems


def _lock_for_edit(scheme: AssessmentScheme, by) -> AssessmentScheme:
    """The scheme row, locked against a rating run locking it meanwhile; refused once in use."""
    _require_gongwei(by)
    scheme = AssessmentScheme.objects.select_for_update().get(pk=scheme.pk)
    if scheme.is_locked:
        raise SchemeError(LOCKED_MESSAGE)
    return scheme


@transaction.atomic
def _copy(source: AssessmentScheme, *, year: int, version: int, by, reason: str) -> AssessmentScheme:
    scheme = AssessmentScheme(
        year=year,
        version=version,
        status=SchemeStatus.DRAFT,
        created_by=by,
        **{name: getattr(source, name) for name in SETTING_FIELDS},
    )
    scheme._history_user = by
    scheme._change_reason = reason
    try:
        with transaction.atomic():
            scheme.save()
    except IntegrityError:
        raise SchemeError(f"{year}年度第{version}版方案刚刚已被创建，请刷新页面后查看。") from None
    dimensions = list(source.dimensions.all())
    copies = Dimension.objects.bulk_create(
        Dimension(scheme=scheme, name=d.name, sort_order=d.sort_order) for d in dimensions
    )
    new_dimension = {old.pk: new for old, new in zip(dimensions, copies, strict=True)}
    Indicator.objects.bulk_create(
        Indicator(
            scheme=scheme,
            dimension=new_dimension[i.dimension_id],
            lineage=i.lineage,  # scores entered under the old version follow the indicator
            name=i.name,
            criteria=i.criteria,
            max_score=i.max_score,
            source=i.source,
            metric=i.metric,
            allow_self_score=i.allow_self_score,
            sort_order=i.sort_order,
        )
        for i in source.indicators.all()
    )
    AdjustmentItem.objects.bulk_create(
        AdjustmentItem(scheme=scheme, kind=a.kind, name=a.name, points=a.points, sort_order=a.sort_order)
        for a in source.adjustment_items.all()
    )
    return scheme


@transaction.atomic
def copy_scheme(scheme: AssessmentScheme, *, to_year: int, by) -> AssessmentScheme:
    """Start a year from another year's rules: everything copied as version 1, a draft."""
    _require_gongwei(by)
    if not 2000 <= to_year <= 2100:
        raise SchemeError("请填写正确的年度。")
    if AssessmentScheme.objects.filter(year=to_year).exists():
        raise SchemeError(f"{to_year}年度已有考核方案；如需调整，请在该年度方案上创建新版本。")
    return _copy(scheme, year=to_year, version=1, by=by, reason=f"复制{scheme.year}年度第{scheme.version}版方案")


@transaction.atomic
def new_version(scheme: AssessmentScheme, *, by) -> AssessmentScheme:
    """The next version of the same year, a draft copy; it becomes the year's current scheme."""
    _require_gongwei(by)
    # Locking the year's versions makes two simultaneous requests take turns for the number.
    versions = list(
        AssessmentScheme.objects.select_for_update().filter(year=scheme.year).values_list("version", flat=True)
    )
    number = max(versions, default=0) + 1
    return _copy(scheme, year=scheme.year, version=number, by=by, reason=f"由第{scheme.version}版复制为新版本")


@transaction.atomic
def update_scheme(scheme: AssessmentScheme, data: dict, *, by) -> AssessmentScheme:
    """Change the settings (thresholds, quotas, caps, ratios, name) of a draft version."""
    unknown = set(data) - set(SETTING_FIELDS)
    if unknown:
        raise ValueError(f"not scheme settings: {sorted(unknown)}")
    scheme = _lock_for_edit(scheme, by)
    changed = [name for name, value in data.items() if getattr(scheme, name) != value]
    if not changed:
        return scheme
    for name in changed:
        setattr(scheme, name, data[name])
    _raise_first(_field_problems(scheme, SETTING_FIELDS))
    _raise_first(settings_problems({name: getattr(scheme, name) for name in SETTING_FIELDS}))
    return record(scheme, by, "修改方案设置", changed)


# --- Dimensions ------------------------------------------------------------------------------


def dimension_problems(scheme: AssessmentScheme, name: str, *, dimension: Dimension | None = None) -> Problems:
    name = (name or "").strip()
    if not name:
        return [("name", "请填写维度名称。")]
    others = Dimension.objects.filter(scheme=scheme, name=name)
    if dimension is not None:
        others = others.exclude(pk=dimension.pk)
    if others.exists():
        return [("name", f"本方案已有维度“{name}”。")]
    return []


@transaction.atomic
def add_dimension(scheme: AssessmentScheme, *, name: str, sort_order: int = 0, by) -> Dimension:
    scheme = _lock_for_edit(scheme, by)
    name = (name or "").strip()
    _raise_first(dimension_problems(scheme, name))
    dimension = Dimension.objects.create(scheme=scheme, name=name, sort_order=sort_order)
    record(scheme, by, f"新增维度“{name}”")
    return dimension


@transaction.atomic
def update_dimension(dimension: Dimension, *, name: str, sort_order: int, by) -> Dimension:
    scheme = _lock_for_edit(dimension.scheme, by)
    name = (name or "").strip()
    _raise_first(dimension_problems(scheme, name, dimension=dimension))
    if (dimension.name, dimension.sort_order) == (name, sort_order):
        return dimension
    reason = f"修改维度“{dimension.name}”" + (f"为“{name}”" if name != dimension.name else "")
    dimension.name, dimension.sort_order = name, sort_order
    dimension.save(update_fields=["name", "sort_order"])
    record(scheme, by, reason)
    return dimension


@transaction.atomic
def delete_dimension(dimension: Dimension, *, by) -> None:
    scheme = _lock_for_edit(dimension.scheme, by)
    if dimension.indicators.exists():
        raise SchemeError(f"维度“{dimension.name}”下还有指标，请先删除或移走这些指标。")
    name = dimension.name
    dimension.delete()
    record(scheme, by, f"删除维度“{name}”")


# --- Indicators ------------------------------------------------------------------------------


@dataclass(frozen=True)
class IndicatorData:
    """What the 工委 types in for an indicator."""

    dimension: Dimension
    name: str
    max_score: Decimal
    source: str
    metric: str = ""
    criteria: str = ""
    allow_self_score: bool = False
    sort_order: int = 0


def indicator_problems(
    scheme: AssessmentScheme, data: IndicatorData, *, indicator: Indicator | None = None
) -> Problems:
    """Everything wrong with an indicator's input, before anything is written; [] when valid."""
    problems: Problems = []
    name = (data.name or "").strip()
    if not name:
        problems.append(("name", "请填写指标名称。"))
    elif scheme.indicators.filter(name=name).exclude(pk=getattr(indicator, "pk", None)).exists():
        problems.append(("name", f"本方案已有指标“{name}”。"))
    if data.dimension is None or data.dimension.scheme_id != scheme.pk:
        problems.append(("dimension", "请选择本方案的考核维度。"))
    if data.max_score is not None and data.max_score != data.max_score.quantize(CENT):
        problems.append(("max_score", "分值最多保留两位小数。"))
    if data.source == IndicatorSource.COMPUTED:
        if not data.metric:
            problems.append(("metric", "系统计算的指标须选择计算口径。"))
        if data.allow_self_score:
            problems.append(("allow_self_score", "系统计算的指标不设支部自评。"))
    elif data.metric:
        problems.append(("metric", "只有系统计算的指标才选择计算口径；人工评分和业务工作指标请留空。"))
    probe = Indicator(
        name=name, criteria=data.criteria or "", max_score=data.max_score, source=data.source, metric=data.metric or ""
    )
    known = {field for field, _ in problems}
    problems += [
        p for p in _field_problems(probe, ("name", "criteria", "max_score", "source", "metric")) if p[0] not in known
    ]
    return problems


def _indicator_values(data: IndicatorData) -> dict:
    return {
        "dimension": data.dimension,
        "name": data.name.strip(),
        "criteria": (data.criteria or "").strip(),
        "max_score": data.max_score,
        "source": data.source,
        "metric": data.metric or "",
        "allow_self_score": data.allow_self_score,
        "sort_order": data.sort_order,
    }


@transaction.atomic
def add_indicator(scheme: AssessmentScheme, data: IndicatorData, *, by) -> Indicator:
    scheme = _lock_for_edit(scheme, by)
    _raise_first(indicator_problems(scheme, data))
    indicator = Indicator.objects.create(scheme=scheme, **_indicator_values(data))
    record(scheme, by, f"新增指标“{indicator.name}”（{num(indicator.max_score)}分）")
    return indicator


@transaction.atomic
def update_indicator(indicator: Indicator, data: IndicatorData, *, by) -> Indicator:
    """Edit an indicator in place; its lineage (and so the scores entered for it) stays."""
    scheme = _lock_for_edit(indicator.scheme, by)
    _raise_first(indicator_problems(scheme, data, indicator=indicator))
    values = _indicator_values(data)
    changed = [name for name, value in values.items() if getattr(indicator, name) != value]
    if not changed:
        return indicator
    old_name = indicator.name
    for name in changed:
        setattr(indicator, name, values[name])
    indicator.save(update_fields=changed)
    labels = "、".join(str(Indicator._meta.get_field(name).verbose_name) for name in changed)
    record(scheme, by, f"修改指标“{old_name}”：{labels}")
    return indicator


@transaction.atomic
def delete_indicator(indicator: Indicator, *, by) -> None:
    scheme = _lock_for_edit(indicator.scheme, by)
    name = indicator.name
    indicator.delete()
    record(scheme, by, f"删除指标“{name}”")


# --- The 加减分 catalogue ---------------------------------------------------------------------


@dataclass(frozen=True)
class ItemData:
    kind: str
    name: str
    points: Decimal
    sort_order: int = 0


def item_problems(data: ItemData) -> Problems:
    problems: Problems = []
    if not (data.name or "").strip():
        problems.append(("name", "请填写加减分事项。"))
    if data.points is not None and data.points != data.points.quantize(CENT):
        problems.append(("points", "分值最多保留两位小数。"))
    probe = AdjustmentItem(kind=data.kind, name=(data.name or "").strip(), points=data.points)
    known = {field for field, _ in problems}
    return problems + [p for p in _field_problems(probe, ("kind", "name", "points")) if p[0] not in known]


def _item_values(data: ItemData) -> dict:
    return {"kind": data.kind, "name": data.name.strip(), "points": data.points, "sort_order": data.sort_order}


@transaction.atomic
def add_adjustment_item(scheme: AssessmentScheme, data: ItemData, *, by) -> AdjustmentItem:
    scheme = _lock_for_edit(scheme, by)
    _raise_first(item_problems(data))
    item = AdjustmentItem.objects.create(scheme=scheme, **_item_values(data))
    record(scheme, by, f"新增{item.get_kind_display()}事项“{item.name}”")
    return item


@transaction.atomic
def update_adjustment_item(item: AdjustmentItem, data: ItemData, *, by) -> AdjustmentItem:
    scheme = _lock_for_edit(item.scheme, by)
    _raise_first(item_problems(data))
    values = _item_values(data)
    changed = [name for name, value in values.items() if getattr(item, name) != value]
    if not changed:
        return item
    old_name = item.name
    for name in changed:
        setattr(item, name, values[name])
    item.save(update_fields=changed)
    record(scheme, by, f"修改加减分事项“{old_name}”")
    return item


@transaction.atomic
def delete_adjustment_item(item: AdjustmentItem, *, by) -> None:
    scheme = _lock_for_edit(item.scheme, by)
    name = item.name
    item.delete()
    record(scheme, by, f"删除加减分事项“{name}”")


def maxima_warning(total: Decimal) -> str:
    """Said on the scheme page, not refused: a scheme is built up one indicator at a time."""
    if total == HUNDRED:
        return ""
    return f"各指标分值合计为 {total} 分，不等于 100 分；总分按适用指标折算为百分制，但请核对分值设置。"
