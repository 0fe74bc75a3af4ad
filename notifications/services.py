"""Send in-app notifications (and email) once per person and key."""

import logging
from collections.abc import Iterable

from django.db import IntegrityError, transaction

from core.workflow import last_change

from .models import Notification

logger = logging.getLogger(__name__)


def notify(recipients: Iterable, *, title: str, body: str = "", url: str = "", key: str = "") -> list[Notification]:
    """Create one notification per recipient and return those created.

    With a `key` ("milestone:12:overdue"), a recipient who already has that key gets nothing: the
    database constraint decides, so two jobs racing still send once. Emails go out after commit.
    """
    users = {user.pk: user for user in recipients}
    if key:
        already = Notification.objects.filter(key=key, recipient_id__in=users).values_list("recipient_id", flat=True)
        for pk in already:
            users.pop(pk, None)
    created = []
    for user in users.values():
        try:
            with transaction.atomic():
                created.append(Notification.objects.create(recipient=user, title=title, body=body, url=url, key=key))
        except IntegrityError:
            if not key:
                raise
    ids = [n.pk for n in created if n.recipient.email]
    if ids:
        from .tasks import email_notifications

        # With the broker down the step still succeeds; `email_unsent` sends these later.
        email_notifications.delay_on_commit(ids)
    return created


def announce(
    subject, *, actor, recipients: Iterable, title: str, body: str, url: str = "", event=None
) -> list[Notification]:
    """Tell the people concerned about a step `actor` took on `subject`, never the actor themself.

    The key names the subject and this very change (`event`, by default its latest history row), so a
    step is announced once however often it is retried, and each later step is announced afresh.
    The link is `url`, by default the subject's own page.
    """
    event = last_change(subject) if event is None else event
    return notify(
        [user for user in recipients if user.pk != actor.pk],
        title=title,
        body=body,
        url=url or subject.get_absolute_url(),
        key=f"{subject._meta.label_lower}:{subject.pk}:{event}",
    )
