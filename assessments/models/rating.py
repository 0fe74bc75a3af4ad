"""Rating runs (评星定级) and scorecard export jobs.

A run is a frozen snapshot: it stores the scheme version and, per branch, the inputs and the
per-indicator scores it used, with names copied, so that later edits to the scheme, the
scores or the organisation never change what a published run says.
"""

import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from accounts.scope import scope_of
from branches.models import Branch, Organ

from ..choices import JobStatus, RunStatus, Tier
from .scheme import SCORE, AssessmentScheme


class RunQuerySet(models.QuerySet):
    def published(self) -> "RunQuerySet":
        return self.filter(status=RunStatus.PUBLISHED)

    def final(self) -> "RunQuerySet":
        """The year's result of record: published and not a trial (a published 试算 is only ever a trial)."""
        return self.filter(status=RunStatus.PUBLISHED, is_trial=False)


class RatingRun(models.Model):
    """One computation of every active branch's score, stars and tier for a year.

    A run requested before the year's last assessed period is due, or cut off before it ended, is a 试算
    (`is_trial`, see `assessments.trial`): it keeps the day the year's record is complete and what the
    record still lacked (`gaps`), is published only with a reason (`trial_reason`, given by the 工委 who
    publishes it: `published_by`, `published_at`), and is never shown to a branch as its result.
    """

    year = models.PositiveSmallIntegerField("年度")
    number = models.PositiveSmallIntegerField("批次")
    scheme = models.ForeignKey(AssessmentScheme, on_delete=models.PROTECT, related_name="runs", verbose_name="考核方案")
    status = models.CharField("状态", max_length=12, choices=RunStatus.choices, default=RunStatus.QUEUED)
    as_of = models.DateField("数据截止日期", help_text="组织生活等按此日期计算；年度结束后为 12 月 31 日")
    error = models.TextField("错误信息", blank=True)
    n_branches = models.PositiveIntegerField("参评支部数", default=0)
    inputs_digest = models.CharField("输入摘要", max_length=64, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name="发起人"
    )
    created_at = models.DateTimeField("发起时间", auto_now_add=True)
    started_at = models.DateTimeField("开始计算", null=True, blank=True)
    finished_at = models.DateTimeField("完成计算", null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="发布人",
    )
    published_at = models.DateTimeField("发布时间", null=True, blank=True)
    is_trial = models.BooleanField("试算", default=False, help_text="在年度最后一个考核期到期前计算的评定")
    complete_on = models.DateField(
        "考核期全部到期日", null=True, blank=True, help_text="计算时年度最后一个考核期的到期日"
    )
    gaps = models.JSONField(
        "计算时尚缺事项",
        default=list,
        blank=True,
        help_text='[{"kind": "period|score|filing", "label": 说明, "organs": {单位编号: 数量}}]',
    )
    trial_reason = models.TextField("试算提前发布理由", blank=True)

    objects = RunQuerySet.as_manager()

    class Meta:
        verbose_name = "星级评定批次"
        verbose_name_plural = "星级评定批次"
        ordering = ["-year", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["year", "number"], name="unique_run_number"),
            models.UniqueConstraint(
                fields=["year"], condition=Q(status="published"), name="one_published_run_per_year"
            ),
            models.UniqueConstraint(
                fields=["year"],
                condition=Q(status__in=["queued", "running", "draft"]),
                name="one_open_run_per_year",
            ),
            models.CheckConstraint(
                name="published_trial_has_reason",
                condition=Q(is_trial=False) | Q(published_at__isnull=True) | ~Q(trial_reason=""),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.year}年度第{self.number}次评定" + ("（试算）" if self.is_trial else "")

    def get_absolute_url(self) -> str:
        return reverse("assessments:run_detail", args=[self.pk])

    @property
    def is_finished(self) -> bool:
        return self.status in (RunStatus.DRAFT, RunStatus.PUBLISHED, RunStatus.SUPERSEDED)

    @property
    def requested_on(self) -> datetime.date:
        """The day the run was asked for: which periods were due then decides whether it is a trial."""
        return timezone.localdate(self.created_at)


class ResultQuerySet(models.QuerySet):
    def visible_to(self, user) -> "ResultQuerySet":
        scope = scope_of(user)
        if scope.is_gongwei:
            return self
        return self.filter(Q(organ_id__in=scope.organ_ids) | Q(branch_id__in=scope.branch_ids))

    def final(self) -> "ResultQuerySet":
        """Results of the runs that are their year's result of record (`RunQuerySet.final`)."""
        return self.filter(run__status=RunStatus.PUBLISHED, run__is_trial=False)


class RatingResult(models.Model):
    """A branch's frozen result in a run.

    `breakdown` lists every indicator as it was scored: {"lineage", "dimension", "name",
    "source", "max", "score" (null when N/A), "input" (what the score was computed from)}.
    `dimensions` maps each dimension name to its (rescaled) points. Decimals are strings.
    """

    # No index of their own: (run, branch) is unique and (branch, run) indexed below, and a province's run writes
    # 7,500 rows through every index.
    run = models.ForeignKey(
        RatingRun, on_delete=models.CASCADE, related_name="results", verbose_name="评定批次", db_index=False
    )
    branch = models.ForeignKey(
        Branch, on_delete=models.PROTECT, related_name="rating_results", verbose_name="支部", db_index=False
    )
    organ = models.ForeignKey(Organ, on_delete=models.PROTECT, related_name="+", verbose_name="所属单位")
    organ_name = models.CharField("单位名称", max_length=100)
    branch_name = models.CharField("支部名称", max_length=100)
    secretary_name = models.CharField("支部书记", max_length=50, blank=True)
    base_score = models.DecimalField("指标得分（折算）", **SCORE)
    bonus = models.DecimalField("加分", **SCORE)
    deduction = models.DecimalField("扣分", **SCORE)
    total = models.DecimalField("总分", **SCORE)
    stars = models.PositiveSmallIntegerField("星级")
    stars_by_score = models.PositiveSmallIntegerField("按分数星级", help_text="五星比例限制前")
    tier = models.CharField("等次", max_length=10, choices=Tier.choices)
    rank = models.PositiveIntegerField("排名")
    previous_stars = models.PositiveSmallIntegerField("上年星级", null=True, blank=True)
    is_bottom = models.BooleanField("排名靠后整顿", default=False)
    paired_with = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="helped", verbose_name="结对帮扶支部"
    )
    dimensions = models.JSONField("维度得分", default=dict)
    breakdown = models.JSONField("指标明细", default=list)

    objects = ResultQuerySet.as_manager()

    class Meta:
        verbose_name = "星级评定结果"
        verbose_name_plural = "星级评定结果"
        ordering = ["run", "rank", "branch_name", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["run", "branch"], name="one_result_per_branch_run"),
            models.CheckConstraint(name="result_stars_range", condition=Q(stars__lte=5) & Q(stars_by_score__lte=5)),
        ]
        indexes = [
            models.Index(fields=["branch", "run"], name="result_branch_run"),
            # The dashboards' and run page's first and last places: five rows of the index, not a scan of the run.
            models.Index(fields=["run", "rank", "id"], name="result_run_rank"),
        ]

    def __str__(self) -> str:
        return f"{self.branch_name} {self.stars}星"

    @property
    def star_text(self) -> str:
        return "★" * self.stars + "☆" * (5 - self.stars)

    @property
    def change(self) -> int | None:
        """Stars gained (+) or lost (−) since last year's published run; None when not rated then."""
        if self.previous_stars is None:
            return None
        return self.stars - self.previous_stars

    @property
    def change_label(self) -> str:
        change = self.change
        if change is None:
            return "新参评"
        if change > 0:
            return f"升{change}星"
        if change < 0:
            return f"降{-change}星"
        return "持平"


def scorecard_path(instance: "ScorecardExport", filename: str) -> str:
    return f"exports/scorecards/{instance.pk}-{instance.token}.xlsx"


class ExportQuerySet(models.QuerySet):
    def visible_to(self, user) -> "ExportQuerySet":
        return self.filter(requested_by=user)


class ScorecardExport(models.Model):
    """A year-end scorecard workbook built by a Celery job, for the organs the requester may see."""

    run = models.ForeignKey(RatingRun, on_delete=models.CASCADE, related_name="exports", verbose_name="评定批次")
    organ = models.ForeignKey(
        Organ, on_delete=models.CASCADE, null=True, blank=True, related_name="+", verbose_name="限定单位",
        help_text="空为全部单位（仅工委）",
    )  # fmt: skip
    token = models.CharField(max_length=40, editable=False)
    status = models.CharField("状态", max_length=8, choices=JobStatus.choices, default=JobStatus.QUEUED)
    progress = models.PositiveSmallIntegerField("进度（%）", default=0)
    error = models.TextField("错误信息", blank=True)
    file = models.FileField("文件", upload_to=scorecard_path, max_length=200, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", verbose_name="申请人"
    )
    created_at = models.DateTimeField("申请时间", auto_now_add=True)
    finished_at = models.DateTimeField("完成时间", null=True, blank=True)

    objects = ExportQuerySet.as_manager()

    class Meta:
        verbose_name = "考核结果导出"
        verbose_name_plural = "考核结果导出"
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(name="export_progress_range", condition=Q(progress__lte=100)),
        ]

    def __str__(self) -> str:
        return f"{self.run} 导出"
