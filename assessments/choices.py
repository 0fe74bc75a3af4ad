from django.db import models


class ReportStatus(models.TextChoices):
    DRAFT = "draft", "草稿"
    SUBMITTED = "submitted", "待审阅"
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
