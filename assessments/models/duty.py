"""一岗双责 half-yearly reports and the 问题整改台账 (problem ledger)."""

import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from simple_history.models import HistoricalRecords

from accounts.scope import scope_of
from branches.models import Branch, Member, branch_scope_q

from ..choices import Filing, ProblemSource, ProblemStatus, ReportStatus


class DutyReportPeriod(models.Model):
    """A half-year for which every 班子成员 owes a 一岗双责 report, and its due date.

    Saved with the defaults (H1 due 7/15, H2 due 1/15 of the next year) when the year is opened
    (`portal.years`); staff may move a due date.
    """

    year = models.PositiveSmallIntegerField("年度")
    half = models.PositiveSmallIntegerField("半年", choices=[(1, "上半年"), (2, "下半年")])
    starts_on = models.DateField("起始日期")
    ends_on = models.DateField("截止日期")
    due_on = models.DateField("报告截止日期")

    history = HistoricalRecords()

    class Meta:
        verbose_name = "一岗双责报告期"
        verbose_name_plural = "一岗双责报告期"
        ordering = ["-year", "-half"]
        constraints = [
            models.UniqueConstraint(fields=["year", "half"], name="one_report_period_per_half"),
            models.CheckConstraint(name="report_period_ordered", condition=Q(ends_on__gte=models.F("starts_on"))),
            models.CheckConstraint(name="report_due_after_period", condition=Q(due_on__gte=models.F("ends_on"))),
        ]

    def __str__(self) -> str:
        return f"{self.year}年{self.get_half_display()}"


class DutyReportQuerySet(models.QuerySet):
    def visible_to(self, user) -> "DutyReportQuerySet":
        scope = scope_of(user)
        if scope.is_gongwei:
            return self
        q = Q(member__branch__organ_id__in=scope.organ_ids) | Q(member__branch_id__in=scope.branch_ids)
        if scope.member_id is not None:
            q |= Q(member_id=scope.member_id)
        return self.filter(q)


class DutyReport(models.Model):
    """一述双报: a leader's report on both duties — the business of their area and party building in it."""

    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="duty_reports", verbose_name="班子成员")
    period = models.ForeignKey(
        DutyReportPeriod, on_delete=models.PROTECT, related_name="reports", verbose_name="报告期"
    )
    business_work = models.TextField("分管业务工作情况")
    party_work = models.TextField("分管领域党建工作情况")
    problems = models.TextField("存在问题")
    next_steps = models.TextField("下一步措施")
    status = models.CharField("状态", max_length=12, choices=ReportStatus.choices, default=ReportStatus.DRAFT)
    submitted_at = models.DateTimeField("提交时间", null=True, blank=True)
    is_late = models.BooleanField("逾期提交", default=False)
    return_reason = models.TextField("退回原因", blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="审阅人",
    )
    reviewed_at = models.DateTimeField("审阅时间", null=True, blank=True)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)

    objects = DutyReportQuerySet.as_manager()
    history = HistoricalRecords(excluded_fields=["created_at"])

    class Meta:
        verbose_name = "一岗双责报告"
        verbose_name_plural = "一岗双责报告"
        ordering = ["-period__year", "-period__half", "member__name_pinyin"]
        constraints = [models.UniqueConstraint(fields=["member", "period"], name="one_report_per_member_period")]

    def __str__(self) -> str:
        return f"{self.member} {self.period}"

    def get_absolute_url(self) -> str:
        return reverse("assessments:report_detail", args=[self.pk])


class DutyFilingQuerySet(models.QuerySet):
    def visible_to(self, user) -> "DutyFilingQuerySet":
        """The filings of the members the user sees (`Member.objects.visible_to`)."""
        if scope_of(user).is_gongwei:
            return self
        return self.filter(member__in=Member.objects.visible_to(user))


class DutyFiling(models.Model):
    """A member's filing state for one period, kept for the 一岗双责 counts and the staff overview.

    One row per member that the period's roster lists (`assessments.reports.fresh_roster_for`): the
    班子成员 of active branches, and anyone who filed a report for the period. The report services, the
    roster services (through `branches.figures.roster_changed`) and a new period rewrite the rows they
    touch in their own transaction; `manage.py rebuild_filing` rewrites them all.
    """

    period = models.ForeignKey(
        DutyReportPeriod, on_delete=models.CASCADE, related_name="filings", verbose_name="报告期"
    )
    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="filings", verbose_name="党员")
    branch = models.ForeignKey(
        Branch, on_delete=models.CASCADE, related_name="+", verbose_name="所在支部", help_text="党员当前所在支部"
    )
    filing = models.CharField("填报状态", max_length=12, choices=Filing.choices)
    is_late = models.BooleanField("逾期提交", default=False)

    objects = DutyFilingQuerySet.as_manager()

    class Meta:
        verbose_name = "一岗双责报送情况"
        verbose_name_plural = "一岗双责报送情况"
        constraints = [models.UniqueConstraint(fields=["period", "member"], name="one_filing_per_member_period")]
        indexes = [models.Index(fields=["period", "branch"], name="filing_period_branch")]

    def __str__(self) -> str:
        return f"{self.member_id} {self.period_id} {self.filing}"


class ProblemQuerySet(models.QuerySet):
    def visible_to(self, user) -> "ProblemQuerySet":
        return self.filter(branch_scope_q(user))

    def overdue(self, today: datetime.date) -> "ProblemQuerySet":
        return self.filter(deadline__lt=today, status__in=(ProblemStatus.OPEN, ProblemStatus.IN_PROGRESS))


class Problem(models.Model):
    """An item of the 问题整改台账: a problem found, its owner, measures and deadline, until verified."""

    branch = models.ForeignKey(Branch, on_delete=models.PROTECT, related_name="problems", verbose_name="支部")
    source = models.CharField("问题来源", max_length=12, choices=ProblemSource.choices)
    title = models.CharField("问题", max_length=200)
    description = models.TextField("具体表现", blank=True)
    responsible = models.ForeignKey(
        Member, on_delete=models.PROTECT, related_name="problems", verbose_name="整改责任人"
    )
    measures = models.TextField("整改措施")
    deadline = models.DateField("整改时限")
    status = models.CharField("状态", max_length=12, choices=ProblemStatus.choices, default=ProblemStatus.OPEN)
    closing_note = models.TextField("整改情况说明", blank=True)
    closed_at = models.DateTimeField("整改完成时间", null=True, blank=True)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="核验人",
    )
    verified_at = models.DateTimeField("核验时间", null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name="登记人"
    )
    created_at = models.DateTimeField("登记时间", auto_now_add=True)

    objects = ProblemQuerySet.as_manager()
    history = HistoricalRecords(excluded_fields=["created_at"])

    class Meta:
        verbose_name = "整改问题"
        verbose_name_plural = "问题整改台账"
        ordering = ["deadline", "pk"]
        indexes = [models.Index(fields=["status", "deadline"], name="problem_status_deadline")]
        constraints = [
            models.CheckConstraint(
                name="closed_problem_has_note",
                condition=Q(status__in=[ProblemStatus.OPEN, ProblemStatus.IN_PROGRESS]) | ~Q(closing_note=""),
            ),
            models.CheckConstraint(
                name="verified_problem_has_verifier",
                condition=~Q(status=ProblemStatus.VERIFIED) | Q(verified_by__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("assessments:problem_detail", args=[self.pk])
