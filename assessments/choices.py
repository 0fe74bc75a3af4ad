from django.db import models


class ReportStatus(models.TextChoices):
    DRAFT = "draft", "草稿"
    SUBMITTED = "submitted", "待审阅"
    RETURNED = "returned", "已退回"
    ACCEPTED = "accepted", "已审阅"


class Filing(models.TextChoices):
    """A leader's filing state for one period, as staff read it. The states are exclusive: a late report that
    was accepted counts as accepted (its lateness stays visible through `DutyReport.is_late`)."""

    SUBMITTED = "submitted", "已提交"
    LATE = "late", "逾期提交"
    MISSING = "missing", "未提交"
    RETURNED = "returned", "已退回"
    ACCEPTED = "accepted", "已审阅"


class ProblemSource(models.TextChoices):
    SUPERVISION = "supervision", "督查发现"
    ASSESSMENT = "assessment", "考核发现"
    APPRAISAL = "appraisal", "民主评议"
    SELF = "self", "自查发现"


class ProblemStatus(models.TextChoices):
    OPEN = "open", "待整改"
    IN_PROGRESS = "in_progress", "整改中"
    DONE = "done", "已整改待核验"
    VERIFIED = "verified", "已核验销号"


class SchemeStatus(models.TextChoices):
    DRAFT = "draft", "草稿"
    LOCKED = "locked", "已锁定"


class IndicatorSource(models.TextChoices):
    COMPUTED = "computed", "系统计算"
    MANUAL = "manual", "人工评分"
    BUSINESS = "business", "业务工作"


class Metric(models.TextChoices):
    """What a computed indicator measures; each yields a share (0–1) of its maximum, or N/A."""

    PROJECT_SCORE = "project_score", "项目验收得分"
    MILESTONE_TIMELINESS = "milestone_timeliness", "项目节点按期完成率"
    MEETING_COMPLETION = "meeting_completion", "三会一课完成率"
    REPORT_TIMELINESS = "report_timeliness", "一岗双责报告按时提交率"
    LEDGER_CLOSURE = "ledger_closure", "问题整改按期销号率"
    APPRAISAL = "appraisal", "民主评议合格率"
    TRAINING_HOURS = "training_hours", "党员学时达标率"
    SECRETARY_REVIEW = "secretary_review", "书记述职评议等次"


class TierMode(models.TextChoices):
    THRESHOLD = "threshold", "按分数线"
    PROPORTION = "proportion", "按比例"


class Tier(models.TextChoices):
    ADVANCED = "advanced", "先进"
    GOOD = "good", "良好"
    ORDINARY = "ordinary", "一般"
    BACKWARD = "backward", "后进"


class AdjustmentKind(models.TextChoices):
    BONUS = "bonus", "加分"
    DEDUCTION = "deduction", "扣分"


class RunStatus(models.TextChoices):
    QUEUED = "queued", "排队中"
    RUNNING = "running", "计算中"
    DRAFT = "draft", "待发布"
    PUBLISHED = "published", "已发布"
    SUPERSEDED = "superseded", "已被替代"
    FAILED = "failed", "计算失败"


class AppraisalGrade(models.TextChoices):
    EXCELLENT = "excellent", "优秀"
    QUALIFIED = "qualified", "合格"
    BASIC = "basic", "基本合格"
    UNQUALIFIED = "unqualified", "不合格"


class AppraisalStatus(models.TextChoices):
    DRAFT = "draft", "评议中"
    FINALIZED = "finalized", "已确定"


class PointEntryStatus(models.TextChoices):
    PENDING = "pending", "待审核"
    APPROVED = "approved", "已审核"
    REJECTED = "rejected", "未通过"


class SecretaryReportStatus(models.TextChoices):
    DRAFT = "draft", "草稿"
    SUBMITTED = "submitted", "待评议"
    EVALUATED = "evaluated", "已评议"


class SecretaryGrade(models.TextChoices):
    GOOD = "good", "好"
    FAIR = "fair", "较好"
    AVERAGE = "average", "一般"
    POOR = "poor", "差"


class JobStatus(models.TextChoices):
    QUEUED = "queued", "排队中"
    RUNNING = "running", "生成中"
    DONE = "done", "已完成"
    FAILED = "failed", "失败"
