import datetime

from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail
from django.utils import timezone

from core.jobs import RecordedJobTask

from .models import Notification
from .reminders import send_reminders


@shared_task(base=RecordedJobTask, autoretry_for=(OSError,), retry_backoff=60, max_retries=5)
def email_notifications(ids: list[int]) -> int:
    """Email each notification once: claim it by stamping `emailed_at`, release it if sending fails."""
    sent = 0
    for notification in Notification.objects.filter(pk__in=ids, emailed_at__isnull=True).select_related("recipient"):
        if not notification.recipient.email:
            continue
        claimed = Notification.objects.filter(pk=notification.pk, emailed_at__isnull=True).update(
            emailed_at=timezone.now()
        )
        if not claimed:
            continue
        body = notification.body
        if notification.url:
            body += f"\n\n查看详情：{settings.SITE_URL.rstrip('/')}{notification.url}"
        try:
            send_mail(f"【机关党建】{notification.title}", body, None, [notification.recipient.email])
        except OSError:
            Notification.objects.filter(pk=notification.pk).update(emailed_at=None)
            raise
        sent += 1
    return sent


@shared_task
def send_reminders_task(today_iso: str | None = None) -> dict[str, int]:
    """Beat runs this every morning; a date (YYYY-MM-DD) re-runs a day the job missed.

    Safe to run again: reminders already sent are not sent twice.
    """
    today = datetime.date.fromisoformat(today_iso) if today_iso else timezone.localdate()
    return send_reminders(today)


# Older unsent emails are left alone: a reminder that went unsent for days is news no longer.
UNSENT_WINDOW = datetime.timedelta(days=2)
UNSENT_GRACE = datetime.timedelta(minutes=5)


@shared_task
def email_unsent() -> int:
    """Send the emails whose job never reached the queue (the broker was down); beat runs this
    every few minutes. Notifications already emailed are skipped, so a run racing the normal job
    sends nothing twice (`email_notifications` claims each row)."""
    now = timezone.now()
    ids = list(
        Notification.objects.filter(
            emailed_at__isnull=True,
            created_at__gte=now - UNSENT_WINDOW,
            created_at__lte=now - UNSENT_GRACE,
        )
        .exclude(recipient__email="")
        .values_list("pk", flat=True)[:500]
    )
    return email_notifications(ids) if ids else 0
