"""The annual assessment scheme (考核方案): dimensions, indicators, thresholds and quotas, as data.

A scheme belongs to a year and carries a version. Once a rating run has used a version it is
locked; changing the rules then means creating the next version (a copy), so that a published
run always points at the exact rules it applied.
"""

import uuid
from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from simple_history.models import HistoricalRecords

from branches.models import Branch, branch_scope_q

from ..choices import AdjustmentKind, IndicatorSource, Metric, SchemeStatus, TierMode

SCORE = {"max_digits": 6, "decimal_places": 2}
SHARE = {"max_digits": 5, "decimal_places": 2, "validators": [MinValueValidator(0), MaxValueValidator(100)]}
RATIO = {"max_digits": 4, "decimal_places": 3, "validators": [MinValueValidator(0), MaxValueValidator(1)]}


class SchemeQuerySet(models.QuerySet):
    def current_for(self, year: int) -> "AssessmentScheme | None":
        """The year's newest version: the one scores are entered against and ratings use."""
        return self.filter(year=year).order_by("-version").first()


class AssessmentScheme(models.Model):
    """One version of a year's assessment rules (DOMAIN.md defaults as field defaults)."""

    year = models.PositiveSmallIntegerField("年度")
    version = models.PositiveSmallIntegerField("版本", default=1)
    name = models.CharField("方案名称", max_length=100)
    status = models.CharField("状态", max_length=8, choices=SchemeStatus.choices, default=SchemeStatus.DRAFT)
    notes = models.TextField("说明", blank=True)

    star5_min = models.DecimalField("五星最低分", default=Decimal("95"), **SCORE)
    star4_min = models.DecimalField("四星最低分", default=Decimal("85"), **SCORE)
    star3_min = models.DecimalField("三星最低分", default=Decimal("75"), **SCORE)
    star2_min = models.DecimalField("二星最低分", default=Decimal("65"), **SCORE)
    star1_min = models.DecimalField("一星最低分", default=Decimal("60"), **SCORE)
    five_star_quota = models.DecimalField(
        "五星比例上限（%）", default=Decimal("10"), help_text="超出时按得分从低到高降为四星", **SHARE
    )

    tier_mode = models.CharField("定级方式", max_length=10, choices=TierMode.choices, default=TierMode.THRESHOLD)
    advanced_min = models.DecimalField("先进最低分", default=Decimal("90"), **SCORE)
    good_min = models.DecimalField("良好最低分", default=Decimal("80"), **SCORE)
    ordinary_min = models.DecimalField("一般最低分", default=Decimal("60"), **SCORE)
    advanced_share = models.DecimalField("先进比例（%）", default=Decimal("20"), help_text="按比例定级时使用", **SHARE)
    good_share = models.DecimalField("良好比例（%）", default=Decimal("40"), help_text="按比例定级时使用", **SHARE)
    backward_share = models.DecimalField("后进比例（%）", default=Decimal("5"), help_text="按比例定级时使用", **SHARE)

    bottom_share = models.DecimalField(
        "排名靠后整顿比例（%）",
        default=Decimal("5"),
        max_digits=5,
        decimal_places=2,
        validators=[MinValueValidator(5), MaxValueValidator(10)],
        help_text="每年按总分从低到高标记，进入软弱涣散整顿并结对帮扶（5%–10%，向上取整）",
    )
    bonus_cap = models.DecimalField("加分上限", default=Decimal("5"), **SCORE)
    deduction_cap = models.DecimalField("扣分上限", default=Decimal("10"), **SCORE)

    review_good_ratio = models.DecimalField("述职评议“好”得分率", default=Decimal("1"), **RATIO)
    review_fair_ratio = models.DecimalField("述职评议“较好”得分率", default=Decimal("0.85"), **RATIO)
    review_average_ratio = models.DecimalField("述职评议“一般”得分率", default=Decimal("0.7"), **RATIO)
    review_poor_ratio = models.DecimalField("述职评议“差”得分率", default=Decimal("0.4"), **RATIO)

    excellent_quota_numerator = models.PositiveSmallIntegerField("民主评议优秀比例（分子）", default=1)
    excellent_quota_denominator = models.PositiveSmallIntegerField(
        "民主评议优秀比例（分母）",
        default=3,
        validators=[MinValueValidator(1)],
        help_text="默认不超过参评人数的三分之一，向下取整",
    )
    unqualified_fix_days = models.PositiveSmallIntegerField(
        "不合格党员整改期限（天）", default=180, validators=[MinValueValidator(1)]
    )
    points_base = models.DecimalField("党员积分基础分", default=Decimal("60"), **SCORE)

    locked_at = models.DateTimeField("锁定时间", null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name="创建人"
    )
    created_at = models.DateTimeField("创建时间", auto_now_add=True)

    objects = SchemeQuerySet.as_manager()
    history = HistoricalRecords(excluded_fields=["created_at"])

    class Meta:
        verbose_name = "考核方案"
        verbose_name_plural = "考核方案"
        ordering = ["-year", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["year", "version"], name="one_scheme_version_per_year"),
            models.CheckConstraint(
                name="scheme_stars_ordered",
                condition=Q(star5_min__gt=F("star4_min"))
                & Q(star4_min__gt=F("star3_min"))
                & Q(star3_min__gt=F("star2_min"))
                & Q(star2_min__gt=F("star1_min"))
                & Q(star1_min__gte=0),
            ),
            models.CheckConstraint(
                name="scheme_tiers_ordered",
                condition=Q(advanced_min__gt=F("good_min"))
                & Q(good_min__gt=F("ordinary_min"))
                & Q(ordinary_min__gte=0),
            ),
            models.CheckConstraint(
                name="scheme_tier_shares_fit",
                condition=Q(advanced_share__lte=Decimal("100") - F("good_share") - F("backward_share")),
            ),
            models.CheckConstraint(
                name="scheme_bottom_share_range", condition=Q(bottom_share__gte=5, bottom_share__lte=10)
            ),
            models.CheckConstraint(
                name="scheme_quota_fraction",
                condition=Q(excellent_quota_denominator__gte=1)
                & Q(excellent_quota_numerator__lte=F("excellent_quota_denominator")),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.year}年{self.name}（第{self.version}版）"

    @property
    def is_locked(self) -> bool:
        return self.status == SchemeStatus.LOCKED

    @property
    def star_thresholds(self) -> tuple[Decimal, Decimal, Decimal, Decimal, Decimal]:
        """Minimum totals for 1★ … 5★."""
        return (self.star1_min, self.star2_min, self.star3_min, self.star4_min, self.star5_min)


class Dimension(models.Model):
    """A group of indicators (考核维度), e.g. 组织建设."""

    scheme = models.ForeignKey(
        AssessmentScheme, on_delete=models.CASCADE, related_name="dimensions", verbose_name="方案"
    )
    name = models.CharField("维度", max_length=30)
    sort_order = models.PositiveSmallIntegerField("排序", default=0)

    class Meta:
        verbose_name = "考核维度"
        verbose_name_plural = "考核维度"
        ordering = ["scheme", "sort_order", "pk"]
        constraints = [models.UniqueConstraint(fields=["scheme", "name"], name="unique_dimension_name")]

    def __str__(self) -> str:
        return self.name


class Indicator(models.Model):
    """A scored indicator (考核指标) with its maximum and where its score comes from.

    `lineage` is kept when a scheme is copied to a new version or year, so scores entered by
    staff follow the indicator across versions instead of being lost.
    """

    scheme = models.ForeignKey(
        AssessmentScheme, on_delete=models.CASCADE, related_name="indicators", verbose_name="方案"
    )
    dimension = models.ForeignKey(Dimension, on_delete=models.CASCADE, related_name="indicators", verbose_name="维度")
    lineage = models.UUIDField(default=uuid.uuid4, editable=False)
    name = models.CharField("指标", max_length=60)
    criteria = models.TextField("评分标准", blank=True)
    max_score = models.DecimalField(
        "分值", validators=[MinValueValidator(Decimal("0.5")), MaxValueValidator(100)], **SCORE
    )
    source = models.CharField("数据来源", max_length=10, choices=IndicatorSource.choices)
    metric = models.CharField("计算口径", max_length=24, choices=Metric.choices, blank=True)
    allow_self_score = models.BooleanField("支部可自评", default=False)
    sort_order = models.PositiveSmallIntegerField("排序", default=0)

    class Meta:
        verbose_name = "考核指标"
        verbose_name_plural = "考核指标"
        ordering = ["scheme", "dimension__sort_order", "dimension", "sort_order", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["scheme", "lineage"], name="one_indicator_per_lineage"),
            models.CheckConstraint(
                name="indicator_metric_matches_source",
                condition=(Q(source=IndicatorSource.COMPUTED) & ~Q(metric=""))
                | (~Q(source=IndicatorSource.COMPUTED) & Q(metric="")),
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_computed(self) -> bool:
        return self.source == IndicatorSource.COMPUTED


class AdjustmentItem(models.Model):
    """A catalogue entry of 加分/扣分 (e.g. 市级表彰 +2, 违纪案件 −5) offered when recording one."""

    scheme = models.ForeignKey(
        AssessmentScheme, on_delete=models.CASCADE, related_name="adjustment_items", verbose_name="方案"
    )
    kind = models.CharField("类别", max_length=10, choices=AdjustmentKind.choices)
    name = models.CharField("事项", max_length=60)
    points = models.DecimalField("分值", validators=[MinValueValidator(Decimal("0.1"))], **SCORE)
    sort_order = models.PositiveSmallIntegerField("排序", default=0)

    class Meta:
        verbose_name = "加减分事项"
        verbose_name_plural = "加减分事项"
        ordering = ["scheme", "kind", "sort_order", "pk"]

    def __str__(self) -> str:
        sign = "+" if self.kind == AdjustmentKind.BONUS else "−"
        return f"{self.name}（{sign}{self.points:g}）"


class ScoreQuerySet(models.QuerySet):
    def visible_to(self, user) -> "ScoreQuerySet":
        return self.filter(branch_scope_q(user))


class IndicatorScore(models.Model):
    """A branch's score on a manual or business indicator for a year (or N/A for any indicator).

    Keyed by the indicator's lineage and the year, so a new scheme version keeps the scores.
    For a computed indicator only `not_applicable` (with a note) is used: staff may exempt a
    branch for which the record does not apply.
    """

    branch = models.ForeignKey(Branch, on_delete=models.PROTECT, related_name="indicator_scores", verbose_name="支部")
    year = models.PositiveSmallIntegerField("年度")
    lineage = models.UUIDField("指标")
    score = models.DecimalField("得分", null=True, blank=True, validators=[MinValueValidator(0)], **SCORE)
    not_applicable = models.BooleanField("不适用", default=False)
    note = models.CharField("评分说明", max_length=200, blank=True)
    scored_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="评分人",
    )
    scored_at = models.DateTimeField("评分时间", null=True, blank=True)
    self_score = models.DecimalField("支部自评分", null=True, blank=True, validators=[MinValueValidator(0)], **SCORE)
    self_note = models.CharField("自评说明", max_length=200, blank=True)

    objects = ScoreQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = "指标得分"
        verbose_name_plural = "指标得分"
        ordering = ["year", "branch", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["branch", "year", "lineage"], name="one_score_per_branch_indicator"),
            models.CheckConstraint(
                name="score_not_both_na_and_scored", condition=Q(not_applicable=False) | Q(score__isnull=True)
            ),
            models.CheckConstraint(name="score_non_negative", condition=Q(score__isnull=True) | Q(score__gte=0)),
        ]
        indexes = [models.Index(fields=["year", "lineage"], name="score_year_lineage")]

    def __str__(self) -> str:
        return f"{self.branch} {self.year}"


class AdjustmentQuerySet(models.QuerySet):
    def visible_to(self, user) -> "AdjustmentQuerySet":
        return self.filter(branch_scope_q(user))


class Adjustment(models.Model):
    """A 加分 or 扣分 recorded for a branch in a year; the scheme's caps apply to the year's sum."""

    branch = models.ForeignKey(Branch, on_delete=models.PROTECT, related_name="adjustments", verbose_name="支部")
    year = models.PositiveSmallIntegerField("年度")
    kind = models.CharField("类别", max_length=10, choices=AdjustmentKind.choices)
    name = models.CharField("事项", max_length=60)
    points = models.DecimalField("分值", validators=[MinValueValidator(Decimal("0.1"))], **SCORE)
    note = models.CharField("依据说明", max_length=200)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name="登记人"
    )
    created_at = models.DateTimeField("登记时间", auto_now_add=True)

    objects = AdjustmentQuerySet.as_manager()
    history = HistoricalRecords(excluded_fields=["created_at"])

    class Meta:
        verbose_name = "加减分记录"
        verbose_name_plural = "加减分记录"
        ordering = ["-year", "branch", "pk"]
        constraints = [models.CheckConstraint(name="adjustment_points_positive", condition=Q(points__gt=0))]
        indexes = [models.Index(fields=["year", "branch"], name="adjustment_year_branch")]

    def __str__(self) -> str:
        return f"{self.branch} {self.name}"

    def get_absolute_url(self) -> str:
        return f"{reverse('assessments:adjustment_list')}?year={self.year}"

    @property
    def signed_points(self) -> Decimal:
        return self.points if self.kind == AdjustmentKind.BONUS else -self.points
