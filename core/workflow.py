"""The steps every workflow takes: lock the row, check its state, record who changed it and why.

A step is one transaction (`@transaction.atomic` on the service function): `locked` reads the row again
under a row lock, so that two people acting at once are served one after the other and the second sees
what the first did; `require_state` refuses a step the row's state no longer allows (`IllegalTransition`,
409 in the API); `record` saves it with the actor and the reason in its django-simple-history row, and
`last_change` names that row, so that a notification about the step is keyed to this very change.
Announcing the step is `notifications.services.announce`.

The reason a step records starts with its act (`Act`: 提交, 通过, 退回, 核验销号 …), so that the history names
what was done rather than "修改" for every change; `Act.RETURN.because("…")` adds what the actor wrote.
The act lives in django-simple-history's own change-reason column ("退回：请补充…"): every app's history tables
already have it, and `core.history.act_of` reads it back.
"""

from collections.abc import Iterable

from django.db import models

from .errors import IllegalTransition


class Act(models.TextChoices):
    """What a step did, as its history row names it. Kept here, once, so that the reader can tell an act from
    the free text that may follow it."""

    CREATE = "创建"
    EDIT = "修改"
    DELETE = "删除"
    IMPORT = "导入"
    REGISTER = "登记"
    DRAFT = "起草"
    SUBMIT = "提交"
    RESUBMIT = "重新提交"
    APPROVE = "通过"
    REJECT = "不通过"
    RETURN = "退回"
    EVALUATE = "评议"
    FINALIZE = "确定结果"
    START_RECTIFYING = "开始整改"
    RECTIFIED = "整改完成"
    VERIFY = "核验销号"
    REVOKE = "撤销"

    def because(self, detail: str) -> str:
        """The act with what the actor wrote (a reason, an opinion, a changed date)."""
        detail = (detail or "").strip()
        return f"{self.value}：{detail}" if detail else self.value


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
