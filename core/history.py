"""Readable change history from django-simple-history records, in a fixed number of queries."""

import datetime
from dataclasses import dataclass, field

from django.apps import apps
from django.db import connection, models
from django.utils import timezone

from core.validators import mask_id_number
from core.workflow import Act

_TYPES = {"+": Act.CREATE.value, "~": Act.EDIT.value, "-": Act.DELETE.value}
_ACTS = frozenset(Act.values)


def act_of(reason: str | None) -> tuple[str, str]:
    """(act, the rest) of a recorded reason; no act when the reason does not start with one (`Act`)."""
    reason = reason or ""
    if reason in _ACTS:
        return reason, ""
    head, colon, rest = reason.partition("：")
    if colon and head in _ACTS:
        return head, rest
    return "", reason


@dataclass
class Change:
    when: object
    who: str
    action: str
    reason: str
    fields: list[tuple[str, str, str]] = field(default_factory=list)


def _display(model, field_name: str, value, fk_labels: dict, mask_ids: bool) -> str:
    if value in (None, ""):
        return "—"
    f = model._meta.get_field(field_name)
    if f.choices:
        return str(dict(f.flatchoices).get(value, value))
    if isinstance(f, models.BooleanField):
        return "是" if value else "否"
    if isinstance(f, models.ForeignKey):
        return fk_labels.get((f.related_model, value), f"#{value}")
    if field_name == "id_number" and mask_ids:
        return mask_id_number(value)
    if isinstance(value, datetime.datetime):
        # Stored in UTC: a step at 07:09 in Beijing is 23:09 of the day before there.
        moment = timezone.localtime(value) if timezone.is_aware(value) else value
        return moment.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, datetime.date):
        return value.strftime("%Y-%m-%d")
    return str(value)


def history_of(records, model, *, mask_ids: bool = True, limit: int = 50) -> list[Change]:
    """Changes newest first; `records` is a historical queryset of one or more objects."""
    rows = list(records.select_related("history_user").order_by("-history_date", "-history_id")[: limit + 1])
    tracked = [f for f in model._meta.concrete_fields if f.name not in ("id",)]
    tracked = [f for f in tracked if hasattr(rows[0], f.attname)] if rows else []
    # Resolve the foreign keys that appear, one query per related model.
    wanted: dict = {}
    for row in rows:
        for f in tracked:
            if isinstance(f, models.ForeignKey) and getattr(row, f.attname) is not None:
                wanted.setdefault(f.related_model, set()).add(getattr(row, f.attname))
    fk_labels = {}
    for related, ids in wanted.items():
        for obj in related._default_manager.filter(pk__in=ids):
            fk_labels[(related, obj.pk)] = str(obj)
    # Pair each record with the previous one of the same object.
    previous = {}
    by_object: dict = {}
    for row in reversed(rows):
        key = row.id
        previous[row.history_id] = by_object.get(key)
        by_object[key] = row
    changes = []
    for row in rows[:limit]:
        prev = previous.get(row.history_id)
        diffs = []
        for f in tracked:
            new = getattr(row, f.attname)
            old = getattr(prev, f.attname) if prev is not None else None
            if row.history_type == "~" and prev is not None and new == old:
                continue
            if row.history_type == "~" and prev is None:
                # Nothing earlier to compare with (a row written before its history was kept): the change is
                # still listed, with who, when and why, but without the fields it cannot tell apart.
                continue
            if row.history_type == "-":
                continue
            if row.history_type == "+" and new in (None, ""):
                continue
            diffs.append(
                (
                    str(f.verbose_name),
                    _display(model, f.name, old, fk_labels, mask_ids) if row.history_type == "~" else "",
                    _display(model, f.name, new, fk_labels, mask_ids),
                )
            )
        if row.history_type == "~" and prev is not None and not diffs and not row.history_change_reason:
            continue
        act, reason = act_of(row.history_change_reason)
        changes.append(
            Change(
                when=row.history_date,
                who=str(row.history_user) if row.history_user else "系统",
                action=act or _TYPES.get(row.history_type, row.history_type),
                reason=reason,
                fields=diffs,
            )
        )
    return changes


def kept_models() -> list[type[models.Model]]:
    """The models whose changes django-simple-history keeps."""
    return [m for m in apps.get_models() if hasattr(m._meta, "simple_history_manager_attribute")]


def record_unrecorded(model: type[models.Model], *, reason: str, by=None) -> int:
    """Give each row of `model` that has no history yet a first entry ("+") holding the row as it is now;
    returns how many.

    Rows written in bulk past `save()` (the demo seed, data loaded from another system) have none, and the
    first later change to them would then have nothing to compare with. One INSERT … SELECT, so that a seed's
    million rows take seconds; the entry is dated now, when the rows entered the portal.
    """
    history = model.history.model
    qn = connection.ops.quote_name
    columns = [qn(f.column) for f in history.tracked_fields]
    history_table, table = qn(history._meta.db_table), qn(model._meta.db_table)
    history_key = qn(history._meta.get_field(model._meta.pk.name).column)
    sql = (
        f"INSERT INTO {history_table} ({', '.join(columns)}, history_date, history_change_reason, history_type, "
        f"history_user_id) SELECT {', '.join(f't.{c}' for c in columns)}, %s, %s, '+', %s FROM {table} t "
        f"WHERE NOT EXISTS (SELECT 1 FROM {history_table} h WHERE h.{history_key} = t.{qn(model._meta.pk.column)})"
    )
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    with connection.cursor() as cursor:
        cursor.execute(sql, [now, reason, by.pk if by is not None else None])
        return cursor.rowcount
