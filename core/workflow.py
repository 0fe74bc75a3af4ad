"""The steps every workflow takes: lock the row, check its state, record who changed it and why.

A step is one transaction (`@transaction.atomic` on the service function): `locked` reads the row again
under a row lock, so that two people acting at once are served one after the other and the second sees
what the first did; `require_state` refuses a step the row's state no longer allows (`IllegalTransition`,
409 in the API); `record` saves it with the actor and the reason in its django-simple-history row, and
`last_change` names that row, so that a notification about the step is keyed to this very change.
Announcing the step is `notifications.services.announce`.
"""

from collections.abc import Iterable

from django.db import models

from .errors import IllegalTransition


def locked(instance: models.Model, *related: str) -> models.Model:
    """`instance` read again and locked for the rest of the transaction, with `related` joined (not locked)."""
    manager = type(instance)._default_manager
    return manager.select_for_update(of=("self",)).select_related(*related).get(pk=instance.pk)


def require_state(instance: models.Model, allowed: Iterable[str], message: str) -> None:
    """Refuse the step unless the row's `status` is one of `allowed`; the message says what is wrong."""
    if instance.status not in tuple(allowed):
        raise IllegalTransition(f"{message}（当前状态：{instance.get_status_display()}）")


def record(instance: models.Model, by, reason: str, fields: list[str] | None = None) -> models.Model:
    """Save the row with who changed it and why in its history; `fields` limits the UPDATE."""
    instance._history_user = by
    instance._change_reason = reason
    instance.save(update_fields=fields)
    return instance


def last_change(instance: models.Model) -> int | None:
    """The id of the row's latest history record: names one change, for keys that must be unique per step."""
    return instance.history.order_by("-history_id").values_list("history_id", flat=True).first()
