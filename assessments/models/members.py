"""Member-level assessments: 民主评议党员, 党员积分, and the secretary's 述职 with its 评议."""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from simple_history.models import HistoricalRecords

from accounts.scope import scope_of
from branches.models import Branch, Member, branch_scope_q
from core.uploads import StoredFile

from ..choices import AppraisalGrade, AppraisalStatus, PointEntryStatus, SecretaryGrade, SecretaryReportStatus
from .scheme import SCORE


class BranchScopedQuerySet(models.QuerySet):
    def visible_to(self, user):
        return self.filter(branch_scope_q(user))


class Appraisal(models.Model):
    """A branch's 民主评议党员 for a year: held once, graded, then finalized by the committee."""

    branch = models.ForeignKey(Branch, on_delete=models.PROTECT, related_name="appraisals", verbose_name="支部")
    year = models.PositiveSmallIntegerField("年度")
    held_on = models.DateField("评议日期", null=True, blank=True)
    status = models.CharField("状态", max_length=10, choices=AppraisalStatus.choices, default=AppraisalStatus.DRAFT)
    finalized_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="确定人",
    )
    finalized_at = models.DateTimeField("确定时间", null=True, blank=True)

    objects = BranchScopedQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = "民主评议党员"
        verbose_name_plural = "民主评议党员"
        ordering = ["-year", "branch"]
        constraints = [
            models.UniqueConstraint(fields=["branch", "year"], name="one_appraisal_per_branch_year"),
            models.CheckConstraint(
                name="finalized_appraisal_has_date",
                condition=Q(status=AppraisalStatus.DRAFT) | Q(held_on__isnull=False, finalized_at__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.branch} {self.year}年度民主评议"


class AppraisalEntry(models.Model):
    """One member in an appraisal: 自评, 互评 votes, the committee's proposal and the final grade.

    预备党员 take part (self and peer review) but receive no final grade.
    """

    appraisal = models.ForeignKey(Appraisal, on_delete=models.CASCADE, related_name="entries", verbose_name="评议")
    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="appraisal_entries", verbose_name="党员")
    is_probationary = models.BooleanField("预备党员", default=False)
    self_grade = models.CharField("自评", max_length=12, choices=AppraisalGrade.choices, blank=True)
    peer_excellent = models.PositiveSmallIntegerField("互评优秀票", default=0)
    peer_qualified = models.PositiveSmallIntegerField("互评合格票", default=0)
    peer_basic = models.PositiveSmallIntegerField("互评基本合格票", default=0)
    peer_unqualified = models.PositiveSmallIntegerField("互评不合格票", default=0)
    proposed_grade = models.CharField("支委会建议", max_length=12, choices=AppraisalGrade.choices, blank=True)
    grade = models.CharField("评定等次", max_length=12, choices=AppraisalGrade.choices, blank=True)
    note = models.CharField("备注", max_length=200, blank=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = "民主评议结果"
        verbose_name_plural = "民主评议结果"
        ordering = ["appraisal", "member__name_pinyin", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["appraisal", "member"], name="one_entry_per_member"),
            models.CheckConstraint(name="probationary_not_graded", condition=Q(is_probationary=False) | Q(grade="")),
        ]

    def __str__(self) -> str:
        return f"{self.member} {self.get_grade_display()}"


class PointRule(models.Model):
    """A named rule of the 党员积分 for a year: its points (negative deducts), yearly cap, once-only."""

    year = models.PositiveSmallIntegerField("年度")
    name = models.CharField("积分事项", max_length=60)
    points = models.DecimalField("分值", help_text="负数为扣分", **SCORE)
    yearly_cap = models.DecimalField(
        "年度上限", null=True, blank=True, validators=[MinValueValidator(Decimal("0.1"))],
        help_text="本事项一年内累计加（扣）分的绝对值上限，空为不限",
        **SCORE,
    )  # fmt: skip
    once_only = models.BooleanField("每年仅一次", default=False)
    sort_order = models.PositiveSmallIntegerField("排序", default=0)

    history = HistoricalRecords()

    class Meta:
        verbose_name = "积分规则"
        verbose_name_plural = "积分规则"
        ordering = ["year", "sort_order", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["year", "name"], name="unique_point_rule_name"),
            models.CheckConstraint(name="point_rule_nonzero", condition=~Q(points=0)),
        ]

    def __str__(self) -> str:
        return f"{self.name}（{self.points:+g}）"


class PointEntryQuerySet(models.QuerySet):
    def visible_to(self, user):
        scope = scope_of(user)
        if scope.is_gongwei:
            return self
        q = Q(member__branch__organ_id__in=scope.organ_ids) | Q(member__branch_id__in=scope.branch_ids)
        if scope.member_id is not None:
            q |= Q(member_id=scope.member_id)
        return self.filter(q)


class PointEntry(models.Model):
    """An addition or deduction in a member's 积分 ledger: who added it, who approved it."""

    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="point_entries", verbose_name="党员")
    rule = models.ForeignKey(PointRule, on_delete=models.PROTECT, related_name="entries", verbose_name="积分事项")
    year = models.PositiveSmallIntegerField("年度")
    points = models.DecimalField("分值", **SCORE)
    occurred_on = models.DateField("发生日期")
    note = models.CharField("事由", max_length=200)
    status = models.CharField("状态", max_length=10, choices=PointEntryStatus.choices, default=PointEntryStatus.PENDING)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name="登记人"
    )
    added_at = models.DateTimeField("登记时间", auto_now_add=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="审核人",
    )
    approved_at = models.DateTimeField("审核时间", null=True, blank=True)
    reject_reason = models.CharField("不通过原因", max_length=200, blank=True)

    objects = PointEntryQuerySet.as_manager()
    history = HistoricalRecords(excluded_fields=["added_at"])

    class Meta:
        verbose_name = "积分记录"
        verbose_name_plural = "积分记录"
        ordering = ["-occurred_on", "-pk"]
        indexes = [models.Index(fields=["year", "member", "status"], name="point_entry_year_member")]
        constraints = [
            models.CheckConstraint(
                name="approved_entry_has_approver",
                condition=~Q(status=PointEntryStatus.APPROVED) | Q(approved_by__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.member} {self.rule.name}"

    def get_absolute_url(self) -> str:
        # An entry is read and reviewed on its branch's points page of the year.
        return reverse("assessments:points_branch", args=[self.member.branch_id, self.year])


class SecretaryReport(models.Model):
    """书记述职: the secretary's year-end report, and the 机关党委's 评议 of it."""

    branch = models.ForeignKey(Branch, on_delete=models.PROTECT, related_name="secretary_reports", verbose_name="支部")
    year = models.PositiveSmallIntegerField("年度")
    secretary = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="+", verbose_name="述职人")
    text = models.TextField("述职报告")
    status = models.CharField(
        "状态", max_length=10, choices=SecretaryReportStatus.choices, default=SecretaryReportStatus.DRAFT
    )
    submitted_at = models.DateTimeField("提交时间", null=True, blank=True)
    grade = models.CharField("评议等次", max_length=10, choices=SecretaryGrade.choices, blank=True)
    evaluation = models.TextField("评议意见", blank=True)
    evaluated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="评议人",
    )
    evaluated_at = models.DateTimeField("评议时间", null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name="填报人"
    )
    created_at = models.DateTimeField("创建时间", auto_now_add=True)

    objects = BranchScopedQuerySet.as_manager()
    history = HistoricalRecords(excluded_fields=["created_at"])

    class Meta:
        verbose_name = "书记述职"
        verbose_name_plural = "书记述职"
        ordering = ["-year", "branch"]
        constraints = [
            models.UniqueConstraint(fields=["branch", "year"], name="one_secretary_report_per_year"),
            models.CheckConstraint(
                name="evaluated_report_has_grade",
                condition=~Q(status=SecretaryReportStatus.EVALUATED) | ~Q(grade=""),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.branch} {self.year}年度书记述职"

    def get_absolute_url(self) -> str:
        return reverse("assessments:secretary_report", args=[self.branch_id, self.year])


def secretary_file_path(instance: "SecretaryReportAttachment", filename: str) -> str:
    return f"secretary-reports/{instance.report.branch_id}/{instance.token}"


class SecretaryReportAttachment(StoredFile):
    """A file attached to a 书记述职 (the signed report, photos). Served only after a scope check."""

    report = models.ForeignKey(
        SecretaryReport, on_delete=models.CASCADE, related_name="attachments", verbose_name="述职"
    )
    file = models.FileField("文件", upload_to=secretary_file_path, max_length=200)

    download_prefix = "secretary-report"

    class Meta:
        verbose_name = "述职附件"
        verbose_name_plural = "述职附件"
        ordering = ["uploaded_at", "pk"]
