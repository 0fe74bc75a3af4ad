"""What a notification is about, in words: the 工委's list of sent messages shows and filters by these.

A notification's key names its subject and stage for the engine ("milestone:12:overdue"); that is
bookkeeping, not something to show. Each app registers the keys it sends, beside its reminder sources
(`<app>/reminders.py`): the first part of the key, its label, and the words for its stages. A step
announced with `services.announce` is keyed by its model (`assessments.secretaryreport:60:1234`):
registering the model gives its verbose name.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import models
from django.db.models import Q


@dataclass(frozen=True)
class Kind:
    prefix: str
    label: str
    stages: dict[str, str] = field(default_factory=dict)


# The engine's own stages (`reminders.BEFORE` …), shared by every reminder source.
STAGES = {"before": "到期前提醒", "due": "到期提醒", "escalated": "逾期上报", "missing": "未按期开展"}
UNKEYED = "一般通知"  # messages sent without a key, e.g. an export that is ready
UNKNOWN = "其他消息"
KINDS: dict[str, Kind] = {}


def register_kind(subject: str | type[models.Model], label: str = "", stages: dict[str, str] | None = None) -> None:
    """Name the keys that start with `subject:` (a key prefix, or a model for keys made by `announce`)."""
    if isinstance(subject, str):
        prefix = subject
    else:
        prefix, label = subject._meta.label_lower, label or str(subject._meta.verbose_name)
    KINDS[prefix] = Kind(prefix, label, stages or {})


def describe(key: str) -> str:
    """The type of a notification in words: "项目节点 · 已逾期", "书记述职", "一般通知"."""
    if not key:
        return UNKEYED
    prefix, _, rest = key.partition(":")
    kind = KINDS.get(prefix)
    if kind is None:
        return UNKNOWN
    # The stage is the last word of the key that names one; ids and dates around it are not shown.
    named = {**STAGES, **kind.stages}
    words = next((named[part] for part in reversed(rest.split(":")) if part in named), "")
    return f"{kind.label} · {words}" if words else kind.label


def choices() -> list[tuple[str, str]]:
    """The labels to filter by, each once (a subject may send under a short prefix and its model's)."""
    labels = dict.fromkeys(kind.label for kind in KINDS.values())
    return [(label, label) for label in labels] + [(UNKEYED, UNKEYED)]


def filter_q(label: str) -> Q:
    """The notifications of one label, by key prefix (the key index serves it)."""
    if label == UNKEYED:
        return Q(key="")
    q = Q(pk__in=[])
    for kind in KINDS.values():
        if kind.label == label:
            q |= Q(key__startswith=f"{kind.prefix}:")
    return q
