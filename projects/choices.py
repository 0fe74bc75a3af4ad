from django.db import models


class Direction(models.TextChoices):
    PARTY_BUILDING = "party", "加强党的自身建设"
    DEVELOPMENT = "development", "推进高质量发展"
    BUSINESS_ENV = "business_env", "优化营商环境建设"
    UPGRADE = "upgrade", "业务提档升级"


class ProjectStatus(models.TextChoices):
    DRAFT = "draft", "草稿"
    SUBMITTED = "submitted", "待机关党委审核"
    RETURNED = "returned", "已退回修改"
    APPROVED = "approved", "待工委备案"
    FILED = "filed", "实施中"
    ACCEPTANCE_REQUESTED = "acceptance", "待验收"
    ACCEPTED = "accepted", "已验收"


class Grade(models.TextChoices):
    EXCELLENT = "excellent", "优秀"
    GOOD = "good", "良好"
    PASS = "pass", "合格"
    FAIL = "fail", "不合格"


class TaskStatus(models.TextChoices):
    TODO = "todo", "未开始"
    DOING = "doing", "进行中"
    DONE = "done", "已完成"


class SupervisionKind(models.TextChoices):
    NOTE = "note", "督查意见"
    DUBAN = "duban", "督办"
