"""Jobs whose work is recorded in the database before the message is sent."""

import functools
import logging

from celery.contrib.django.task import DjangoTask
from django.db import transaction
from kombu.exceptions import OperationalError

logger = logging.getLogger(__name__)


class RecordedJobTask(DjangoTask):
    """A task whose job is already recorded (a queued run or export, an unsent notification email).

    If the broker cannot be reached after the record is committed, the user's action has still
    succeeded: the failure is logged instead of becoming a 500, and a periodic sweep
    (`requeue_queued_jobs`, `email_unsent`) sends the job again once the broker is back.
    """

    def delay_on_commit(self, *args, **kwargs) -> None:
        transaction.on_commit(functools.partial(self.send_or_log, *args, **kwargs))

    def send_or_log(self, *args, **kwargs) -> bool:
        try:
            self.delay(*args, **kwargs)
        except (OperationalError, OSError) as exc:
            logger.error("Broker unavailable, %s%r left for its sweep to send again: %s", self.name, args, exc)
            return False
        return True
