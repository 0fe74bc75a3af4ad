from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone


class NotificationQuerySet(models.QuerySet):
    def for_user(self, user) -> "NotificationQuerySet":
        return self.filter(recipient=user) if user.is_authenticated else self.none()

    def unread(self) -> "NotificationQuerySet":
        return self.filter(read_at__isnull=True)

    def mark_read(self) -> int:
        """Mark the unread ones among these messages read now; the first reading is the one remembered."""
        unread = self.unread()
        rows = list(unread.only("pk", "recipient_id"))
        if not rows:
            return 0
        count = self.model.objects.filter(pk__in=[row.pk for row in rows], read_at__isnull=True).update(
            read_at=timezone.now()
        )
        return count


class Notification(models.Model):
    """A message in a person's notification list, also sent by email when they have an address.

    `key` names the item and stage a reminder is about ("milestone:12:overdue"): the unique
    constraint makes every reminder go out once per person, however often a job runs.
    """

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications", verbose_name="接收人"
    )
    title = models.CharField("标题", max_length=200)
    body = models.TextField("内容", blank=True)
    url = models.CharField("链接", max_length=300, blank=True)
    key = models.CharField("去重键", max_length=120, blank=True)
    created_at = models.DateTimeField("发送时间", auto_now_add=True, db_index=True)
    read_at = models.DateTimeField("阅读时间", null=True, blank=True)
    emailed_at = models.DateTimeField("邮件发送时间", null=True, blank=True)

    objects = NotificationQuerySet.as_manager()

    class Meta:
        verbose_name = "消息"
        verbose_name_plural = "消息"
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["recipient", "key"], condition=~Q(key=""), name="one_notification_per_key")
        ]
        indexes = [
            models.Index(fields=["recipient", "read_at"], name="notification_unread"),
            # The reminder job looks keys up across recipients, and staff filter them by prefix.
            models.Index(fields=["key"], name="notification_key"),
        ]

    def __str__(self) -> str:
        return self.title


class ReminderRules(models.Model):
    """When reminders go out in a year: days before a due date, and the grace before escalation.

    The row with the greatest year not after the asked year applies; without one, the defaults.
    Project milestones keep their own days in the project year's rules.
    """

    year = models.PositiveSmallIntegerField("适用年度（起）", unique=True)
    days_before = models.PositiveSmallIntegerField("到期前提醒天数", default=7)
    escalate_after_days = models.PositiveSmallIntegerField("逾期后上报上级天数", default=7)

    class Meta:
        verbose_name = "提醒规则"
        verbose_name_plural = "提醒规则"
        ordering = ["-year"]

    def __str__(self) -> str:
        return f"{self.year}年起提醒规则"

    @classmethod
    def for_year(cls, year: int) -> "ReminderRules":
        found = cls.objects.filter(year__lte=year).order_by("-year").first()
        return found or cls(year=year)
