"""Readable change history from django-simple-history records, in a fixed number of queries."""

from dataclasses import dataclass, field

from django.db import models

from core.validators import mask_id_number

_TYPES = {"+": "创建", "~": "修改", "-": "删除"}


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
    if hasattr(value, "strftime"):
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
        if row.history_type == "~" and not diffs and not row.history_change_reason:
            continue
        changes.append(
            Change(
                when=row.history_date,
                who=str(row.history_user) if row.history_user else "系统",
                action=_TYPES.get(row.history_type, row.history_type),
                reason=row.history_change_reason or "",
                fields=diffs,
            )
        )
    return changes
