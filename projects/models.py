"""一支部一项目: topics, projects with targets, tasks and milestones, supervision and acceptance."""

import datetime
from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Case, Count, F, FloatField, OuterRef, Q, Subquery, Sum, Value, When
from django.db.models.functions import Cast, Coalesce, Round
from django.urls import reverse
from simple_history.models import HistoricalRecords

from accounts.scope import scope_of
from branches.models import Branch, Member, Organ
from core.uploads import StoredFile

from .choices import Direction, Grade, ProjectStatus, SupervisionKind, TaskStatus

PERCENT = [MinValueValidator(0), MaxValueValidator(100)]
# Approved projects are being carried out: milestones can fall overdue, progress is filed.
RUNNING_STATUSES = (ProjectStatus.APPROVED, ProjectStatus.FILED)


class ProjectYearConfig(models.Model):
    """The rules of a project year: grade thresholds, quotas, reminders, upload limits.

    Saved when the year is opened (`portal.years`: a copy of the latest earlier year, else the
    defaults of DOMAIN.md); the rubric criteria hang off it. Everything a 工委 may decide
    differently lives here, not in code.
    """

    year = models.PositiveSmallIntegerField("年度", unique=True)
    excellent_min = models.DecimalField("优秀分数线", max_digits=5, decimal_places=2, default=Decimal("90"))
    good_min = models.DecimalField("良好分数线", max_digits=5, decimal_places=2, default=Decimal("80"))
    pass_min = models.DecimalField("合格分数线", max_digits=5, decimal_places=2, default=Decimal("60"))
    excellent_max_share = models.DecimalField(
        "优秀比例上限", max_digits=4, decimal_places=3, default=Decimal("0.5"), help_text="占已验收项目的比例"
    )
    top_ten_count = models.PositiveSmallIntegerField("十佳项目数", default=10)
    min_reviewers = models.PositiveSmallIntegerField("最少评审人数", default=3)
    remind_days_before = models.PositiveSmallIntegerField("节点到期前提醒天数", default=3)
    escalate_after_days = models.PositiveSmallIntegerField(
        "逾期后上报机关党委天数", default=7, help_text="节点逾期超过此天数仍未完成，提醒所在机关党委"
    )
    duban_answer_days = models.PositiveSmallIntegerField("督办答复期限（天）", default=5)
    max_evidence_mb = models.PositiveSmallIntegerField("佐证材料单个文件上限（MB）", default=20)
    min_acceptance_progress = models.PositiveSmallIntegerField(
        "申请验收的最低加权进度（%）",
        default=100,
        # Also in the database: rows inserted by the older data migrations, on models without this field,
        # get it too.
        db_default=100,
        validators=PERCENT,
        help_text="按节点权重计算的完成进度达到此值方可申请验收；未完成的节点须逐一说明原因，评审人可见。"
        "默认 100，即全部节点完成",
    )
    max_projects_per_branch = models.PositiveSmallIntegerField(
        "每个支部年度项目数上限",
        null=True,
        blank=True,
        validators=[MinValueValidator(1)],
        help_text="留空为不限。设置后，支部当年的项目（含草稿）达到此数即不能再填报新项目",
    )

    history = HistoricalRecords()

    class Meta:
        verbose_name = "项目年度规则"
        verbose_name_plural = "项目年度规则"
        ordering = ["-year"]
        constraints = [
            models.CheckConstraint(
                name="grade_thresholds_ordered",
                condition=Q(pass_min__lte=models.F("good_min")) & Q(good_min__lte=models.F("excellent_min")),
            ),
            models.CheckConstraint(
                name="excellent_share_range", condition=Q(excellent_max_share__gte=0, excellent_max_share__lte=1)
            ),
            models.CheckConstraint(name="acceptance_progress_range", condition=Q(min_acceptance_progress__lte=100)),
            models.CheckConstraint(
                name="project_cap_positive",
                condition=Q(max_projects_per_branch__isnull=True) | Q(max_projects_per_branch__gte=1),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.year}年度项目规则"


class RubricCriterion(models.Model):
    """One line of the acceptance rubric of a year (default 实效性 50, 创新性 25, 可操作性 25)."""

    config = models.ForeignKey(ProjectYearConfig, on_delete=models.CASCADE, related_name="criteria")
    name = models.CharField("评分项", max_length=30)
    max_points = models.PositiveSmallIntegerField("满分")
    description = models.CharField("评分要点", max_length=200, blank=True)
    order = models.PositiveSmallIntegerField("顺序", default=0)

    history = HistoricalRecords()

    class Meta:
        verbose_name = "验收评分项"
        verbose_name_plural = "验收评分项"
        ordering = ["config", "order", "pk"]
        constraints = [models.UniqueConstraint(fields=["config", "name"], name="unique_criterion_name")]

    def __str__(self) -> str:
        return f"{self.name}（{self.max_points}分）"


class TopicListQuerySet(models.QuerySet):
    def visible_to(self, user) -> "TopicListQuerySet":
        """工委 sees every list; 机关党委 its own drafts too; branches only what has been published."""
        scope = scope_of(user)
        if scope.is_gongwei:
            return self
        branch_organs = Branch.objects.filter(pk__in=scope.branch_ids).values_list("organ_id", flat=True)
        organ_ids = set(scope.organ_ids) | set(branch_organs)
        if not organ_ids:
            return self.none()
        published = Q(published_at__isnull=False) & (Q(organ_id__in=organ_ids) | Q(organ__isnull=True))
        return self.filter(published | Q(organ_id__in=scope.organ_ids))


class TopicList(models.Model):
    """党委出题: a year's topics for the branches of one organ (or of all organs, from the 工委),
    with the window in which branches file their projects."""

    year = models.PositiveSmallIntegerField("年度")
    organ = models.ForeignKey(
        Organ, on_delete=models.PROTECT, null=True, blank=True, related_name="topic_lists",
        verbose_name="机关", help_text="不选则为工委面向全部机关发布",
    )  # fmt: skip
    opens_on = models.DateField("立项开始日期")
    closes_on = models.DateField("立项截止日期")
    reopened_until = models.DateField("补报截止日期", null=True, blank=True)
    reopen_reason = models.CharField("补报原因", max_length=200, blank=True)
    published_at = models.DateTimeField("发布时间", null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name="创建人"
    )

    objects = TopicListQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = "年度选题"
        verbose_name_plural = "年度选题"
        ordering = ["-year", "organ__sort_order"]
        constraints = [
            models.UniqueConstraint(fields=["year", "organ"], name="one_topic_list_per_organ_year"),
            models.UniqueConstraint(
                fields=["year"], condition=Q(organ__isnull=True), name="one_citywide_topic_list_per_year"
            ),
            models.CheckConstraint(name="topic_window_ordered", condition=Q(closes_on__gte=models.F("opens_on"))),
        ]

    def __str__(self) -> str:
        return f"{self.year}年{self.organ.display_short if self.organ else '工委'}选题"

    @property
    def is_published(self) -> bool:
        return self.published_at is not None

    @property
    def effective_close(self) -> datetime.date:
        return max(self.closes_on, self.reopened_until or self.closes_on)

    def is_open_on(self, day: datetime.date) -> bool:
        return self.is_published and self.opens_on <= day <= self.effective_close


class Topic(models.Model):
    """One topic (题目) of a topic list."""

    topic_list = models.ForeignKey(TopicList, on_delete=models.CASCADE, related_name="topics", verbose_name="选题")
    title = models.CharField("题目", max_length=100)
    description = models.TextField("说明", blank=True)
    direction = models.CharField("方向", max_length=16, choices=Direction.choices)

    class Meta:
        verbose_name = "选题"
        verbose_name_plural = "选题"
        ordering = ["topic_list", "pk"]

    def __str__(self) -> str:
        return self.title


class ProjectQuerySet(models.QuerySet):
    def visible_to(self, user) -> "ProjectQuerySet":
        scope = scope_of(user)
        if scope.is_gongwei:
            return self
        q = Q(branch__organ_id__in=scope.organ_ids) | Q(branch_id__in=scope.branch_ids)
        if scope.member_id is not None:
            # Members see the projects they have a task in.
            q |= Q(tasks__assignees=scope.member_id)
        if scope.is_expert:
            # 评审专家 see the projects they are currently assigned to score, and nothing else.
            q |= Q(expert_assignments__expert=user.pk, expert_assignments__withdrawn_at__isnull=True)
        return self.filter(pk__in=Project.objects.filter(q).values("pk"))

    def published(self) -> "ProjectQuerySet":
        return self.filter(status=ProjectStatus.ACCEPTED, published_at__isnull=False)

    def with_progress(self, today: datetime.date) -> "ProjectQuerySet":
        """`progress`: milestone percents weighted by milestone weight (0–100, one decimal);
        `n_overdue`: milestones past their planned date and not completed while the project runs."""
        milestones = Milestone.objects.filter(project=OuterRef("pk")).order_by().values("project")
        weighted = milestones.annotate(v=Sum(F("weight") * F("percent"))).values("v")
        weights = milestones.annotate(v=Sum("weight")).values("v")
        overdue = milestones.filter(completed_on__isnull=True, planned_on__lt=today).annotate(v=Count("pk")).values("v")
        return self.annotate(
            _weighted=Coalesce(Subquery(weighted), Value(0)),
            _weights=Coalesce(Subquery(weights), Value(0)),
        ).annotate(
            progress=Case(
                When(_weights=0, then=Value(0.0)),
                default=Round(Cast("_weighted", FloatField()) / Cast("_weights", FloatField()), 1),
                output_field=FloatField(),
            ),
            n_overdue=Case(
                When(status__in=RUNNING_STATUSES, then=Coalesce(Subquery(overdue), Value(0))),
                default=Value(0),
            ),
        )


class Project(models.Model):
    """A branch's 一支部一项目 for a year, from draft to public acceptance."""

    branch = models.ForeignKey(Branch, on_delete=models.PROTECT, related_name="projects", verbose_name="支部")
    year = models.PositiveSmallIntegerField("年度")
    title = models.CharField("项目名称", max_length=100)
    topic = models.ForeignKey(
        Topic, on_delete=models.PROTECT, null=True, blank=True, related_name="projects", verbose_name="所选题目",
        help_text="不选则为支部自拟题目",
    )  # fmt: skip
    direction = models.CharField("方向", max_length=16, choices=Direction.choices)
    problem = models.TextField("针对的业务难题")
    goals = models.TextField("项目目标")
    start_on = models.DateField("开始日期")
    end_on = models.DateField("结束日期")
    responsible = models.ForeignKey(
        Member, on_delete=models.PROTECT, related_name="responsible_projects", verbose_name="负责支委"
    )
    is_secretary_project = models.BooleanField("书记项目", default=False, help_text="由支部书记亲自领办")
    status = models.CharField(
        "状态", max_length=16, choices=ProjectStatus.choices, default=ProjectStatus.DRAFT, db_index=True
    )
    return_reason = models.TextField("退回原因", blank=True)
    acceptance_summary = models.TextField("验收总结", blank=True)
    score = models.DecimalField("验收得分", max_digits=5, decimal_places=2, null=True, blank=True)
    grade = models.CharField("验收等次", max_length=16, choices=Grade.choices, blank=True)
    published_at = models.DateTimeField("公开时间", null=True, blank=True)
    is_top_ten = models.BooleanField("十佳党建项目", default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name="填报人"
    )
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    submitted_at = models.DateTimeField("提交时间", null=True, blank=True)
    approved_at = models.DateTimeField("审核通过时间", null=True, blank=True)
    filed_at = models.DateTimeField("备案时间", null=True, blank=True)
    accepted_at = models.DateTimeField("验收时间", null=True, blank=True)

    objects = ProjectQuerySet.as_manager()
    history = HistoricalRecords(excluded_fields=["created_at"])

    class Meta:
        verbose_name = "支部项目"
        verbose_name_plural = "支部项目"
        ordering = ["-year", "branch__organ__sort_order", "branch__name", "pk"]
        indexes = [models.Index(fields=["year", "status"], name="project_year_status")]
        constraints = [
            models.CheckConstraint(name="project_dates_ordered", condition=Q(end_on__gte=models.F("start_on"))),
            models.CheckConstraint(
                name="top_ten_only_accepted", condition=Q(is_top_ten=False) | Q(status=ProjectStatus.ACCEPTED)
            ),
            models.CheckConstraint(
                name="score_range", condition=Q(score__isnull=True) | Q(score__gte=0, score__lte=100)
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("projects:project_detail", args=[self.pk])

    @property
    def is_editable(self) -> bool:
        return self.status in (ProjectStatus.DRAFT, ProjectStatus.RETURNED)

    @property
    def is_running(self) -> bool:
        """Approved: milestones, tasks and progress are being worked on."""
        return self.status in RUNNING_STATUSES


class ProjectEvent(models.Model):
    """One step of a project's workflow: who moved it, when, from which state to which, and why."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="events", verbose_name="项目")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name="操作人"
    )
    action = models.CharField("操作", max_length=30)
    from_status = models.CharField("原状态", max_length=16, choices=ProjectStatus.choices, blank=True)
    to_status = models.CharField("新状态", max_length=16, choices=ProjectStatus.choices, blank=True)
    reason = models.TextField("说明", blank=True)
    at = models.DateTimeField("时间", auto_now_add=True)

    class Meta:
        verbose_name = "项目流转记录"
        verbose_name_plural = "项目流转记录"
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.project} {self.action}"


class Target(models.Model):
    """A measurable target (指标) of a project, with the value reached at acceptance."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="targets", verbose_name="项目")
    name = models.CharField("指标", max_length=100)
    unit = models.CharField("单位", max_length=20, blank=True)
    target_value = models.DecimalField("目标值", max_digits=12, decimal_places=2)
    actual_value = models.DecimalField("完成值", max_digits=12, decimal_places=2, null=True, blank=True)
    result_note = models.CharField("完成情况说明", max_length=200, blank=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = "项目指标"
        verbose_name_plural = "项目指标"
        ordering = ["project", "pk"]

    def __str__(self) -> str:
        return self.name


class MilestoneQuerySet(models.QuerySet):
    def overdue(self, today: datetime.date) -> "MilestoneQuerySet":
        return self.filter(completed_on__isnull=True, planned_on__lt=today, project__status__in=RUNNING_STATUSES)


class Milestone(models.Model):
    """A 节点 of a project: planned date and weight; progress is filed against it."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="milestones", verbose_name="项目")
    title = models.CharField("节点", max_length=100)
    planned_on = models.DateField("计划完成日期")
    weight = models.PositiveSmallIntegerField("权重", default=1, validators=[MinValueValidator(1)])
    percent = models.PositiveSmallIntegerField("完成进度（%）", default=0, validators=PERCENT)
    completed_on = models.DateField("实际完成日期", null=True, blank=True)
    not_done_reason = models.TextField(
        "未完成原因",
        blank=True,
        default="",
        db_default="",
        help_text="申请验收时节点仍未完成的，由支部说明原因，供评审人评分时参考",
    )

    objects = MilestoneQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = "项目节点"
        verbose_name_plural = "项目节点"
        ordering = ["project", "planned_on", "pk"]
        constraints = [
            models.CheckConstraint(name="milestone_weight_positive", condition=Q(weight__gte=1)),
            models.CheckConstraint(name="milestone_percent_range", condition=Q(percent__gte=0, percent__lte=100)),
            models.CheckConstraint(
                name="milestone_completed_means_100", condition=Q(completed_on__isnull=True) | Q(percent=100)
            ),
            models.CheckConstraint(
                name="milestone_done_needs_no_reason", condition=Q(completed_on__isnull=True) | Q(not_done_reason="")
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def is_overdue(self, today: datetime.date) -> bool:
        return self.completed_on is None and self.planned_on < today and self.project.is_running


class MilestoneProgress(models.Model):
    """A progress report filed by the branch on a milestone, with evidence files."""

    milestone = models.ForeignKey(Milestone, on_delete=models.CASCADE, related_name="reports", verbose_name="节点")
    text = models.TextField("进展情况")
    percent = models.PositiveSmallIntegerField("完成进度（%）", validators=PERCENT)
    filed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name="填报人"
    )
    filed_at = models.DateTimeField("填报时间", auto_now_add=True)

    class Meta:
        verbose_name = "节点进展"
        verbose_name_plural = "节点进展"
        ordering = ["milestone", "filed_at", "pk"]

    def __str__(self) -> str:
        return f"{self.milestone} {self.percent}%"


def evidence_path(instance: "Evidence", filename: str) -> str:
    # The stored name is random: the original name is kept in the database only.
    return f"evidence/{instance.project_id}/{instance.token}"


class Evidence(StoredFile):
    """A 佐证材料 file. Served only through a permission check, never from MEDIA_URL."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="evidence", verbose_name="项目")
    report = models.ForeignKey(
        MilestoneProgress,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="files",
        verbose_name="节点进展",
    )
    file = models.FileField("文件", upload_to=evidence_path, max_length=200)

    download_prefix = "evidence"

    class Meta:
        verbose_name = "佐证材料"
        verbose_name_plural = "佐证材料"
        ordering = ["uploaded_at", "pk"]


class Task(models.Model):
    """任务到人: a task of a project assigned to named members."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="tasks", verbose_name="项目")
    title = models.CharField("任务", max_length=100)
    description = models.TextField("要求", blank=True)
    assignees = models.ManyToManyField(Member, related_name="tasks", verbose_name="责任人")
    due_on = models.DateField("完成期限")
    status = models.CharField("状态", max_length=8, choices=TaskStatus.choices, default=TaskStatus.TODO)
    progress_note = models.CharField("进展说明", max_length=300, blank=True)
    completed_on = models.DateField("完成日期", null=True, blank=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = "项目任务"
        verbose_name_plural = "项目任务"
        ordering = ["project", "due_on", "pk"]

    def __str__(self) -> str:
        return self.title


class Supervision(models.Model):
    """节点督查: a supervision note, or a 督办 the branch must answer."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="supervisions", verbose_name="项目")
    milestone = models.ForeignKey(
        Milestone, on_delete=models.SET_NULL, null=True, blank=True, related_name="supervisions", verbose_name="节点"
    )
    kind = models.CharField("类型", max_length=8, choices=SupervisionKind.choices, default=SupervisionKind.NOTE)
    text = models.TextField("督查意见")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name="督查人"
    )
    created_at = models.DateTimeField("时间", auto_now_add=True)
    answer_due_on = models.DateField("答复期限", null=True, blank=True)
    answer = models.TextField("答复", blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="答复人",
    )
    answered_at = models.DateTimeField("答复时间", null=True, blank=True)

    class Meta:
        verbose_name = "督查督办"
        verbose_name_plural = "督查督办"
        ordering = ["project", "-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                name="duban_has_due_date", condition=~Q(kind=SupervisionKind.DUBAN) | Q(answer_due_on__isnull=False)
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}：{self.text[:20]}"

    @property
    def awaits_answer(self) -> bool:
        return self.kind == SupervisionKind.DUBAN and self.answered_at is None


class AcceptanceReview(models.Model):
    """One reviewer's scoring of a project at acceptance (公开验收)."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="reviews", verbose_name="项目")
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name="评审人"
    )
    total = models.DecimalField("总分", max_digits=5, decimal_places=2)
    comment = models.TextField("评审意见", blank=True)
    scored_at = models.DateTimeField("评分时间", auto_now=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = "验收评分"
        verbose_name_plural = "验收评分"
        ordering = ["project", "scored_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["project", "reviewer"], name="one_review_per_reviewer"),
            models.CheckConstraint(name="review_total_range", condition=Q(total__gte=0, total__lte=100)),
        ]

    def __str__(self) -> str:
        return f"{self.project} · {self.reviewer} · {self.total}"


class AcceptanceMark(models.Model):
    """Points given by one reviewer on one rubric criterion."""

    review = models.ForeignKey(AcceptanceReview, on_delete=models.CASCADE, related_name="marks")
    criterion = models.ForeignKey(RubricCriterion, on_delete=models.PROTECT, related_name="+", verbose_name="评分项")
    points = models.DecimalField("得分", max_digits=5, decimal_places=2, validators=[MinValueValidator(0)])

    history = HistoricalRecords()

    class Meta:
        verbose_name = "评分明细"
        verbose_name_plural = "评分明细"
        constraints = [
            models.UniqueConstraint(fields=["review", "criterion"], name="one_mark_per_criterion"),
            models.CheckConstraint(name="mark_not_negative", condition=Q(points__gte=0)),
        ]

    def __str__(self) -> str:
        return f"{self.criterion.name} {self.points}"


class ExpertAssignment(models.Model):
    """A 评审专家 assigned by the 工委 or the project's 机关党委 to score one project at acceptance.

    Only an assigned expert scores, and sees, the project. Withdrawing an expert who has not scored closes the
    row (who, when, why) rather than deleting it, so the panel's history stays readable.
    """

    project = models.ForeignKey(
        Project, on_delete=models.CASCADE, related_name="expert_assignments", verbose_name="项目"
    )
    expert = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name="评审专家"
    )
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name="分配人"
    )
    assigned_at = models.DateTimeField("分配时间", auto_now_add=True)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name="撤回人",
    )  # fmt: skip
    withdrawn_at = models.DateTimeField("撤回时间", null=True, blank=True)
    withdraw_reason = models.CharField("撤回原因", max_length=200, blank=True)

    class Meta:
        verbose_name = "评审专家分配"
        verbose_name_plural = "评审专家分配"
        ordering = ["project", "assigned_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["project", "expert"], condition=Q(withdrawn_at__isnull=True), name="one_current_expert_seat"
            ),
            models.CheckConstraint(
                name="withdrawal_is_complete",
                condition=Q(withdrawn_at__isnull=True, withdrawn_by__isnull=True, withdraw_reason="")
                | Q(withdrawn_at__isnull=False, withdrawn_by__isnull=False) & ~Q(withdraw_reason=""),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.project} · {self.expert}"

    @property
    def is_current(self) -> bool:
        return self.withdrawn_at is None
