"""Cached figures of the dashboards, each under a version token that every relevant write replaces.

Three figures cost most of a city dashboard and change far less often than it is read:

- ``orglife``: `orglife.completion` over a city's 755 branches takes about half a second, most of it
  applying the period rules in Python; the dashboards need only its sums.
- ``roster``: the organisation warnings, which count each branch's members and current committee.
- ``reports``: the 一岗双责 filing rates, which test every member against the period's roster.

Entries are kept per database, topic, token and whatever else the figure depends on (the year, the
day — a period turns from "in progress" to "missed" overnight — and whose scope is asked).

Correctness: every save or delete of a row a topic reads replaces the topic's token, so the next
dashboard recomputes. The token is replaced at once and again when the transaction commits: another
request may have computed from the old committed data in between and stored its result under the
first new token. Tokens are random, never counters, so an evicted token can never bring old entries
back. Attendance rows are not watched: completion counts meetings held, not who came.

Writes that bypass model signals (`bulk_create`, `bulk_update`, `QuerySet.update`) send
`partybuild.signals.bulk_written` for their model, which replaces the tokens the same way; the demo
seed and tests that write raw rows call `invalidate()`. A migration does it through `post_migrate`,
and entries expire after `TIMEOUT` in any case.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable

from django.core.cache import cache
from django.db import connections, router, transaction
from django.db.models.signals import post_delete, post_migrate, post_save

from partybuild.signals import bulk_written

TIMEOUT = 60 * 60
_PREFIX = "dashboards"
TOPICS = ("orglife", "roster", "reports")
_MISSING = object()


def _database_name(using: str = "default") -> str:
    # One Redis may serve several databases (test workers, bench databases): keep them apart.
    return str(connections[using].settings_dict["NAME"])


def _version_key(topic: str, using: str = "default") -> str:
    return f"{_PREFIX}:{topic}:version:{_database_name(using)}"


def _bump(topics: Iterable[str] = TOPICS, using: str = "default") -> None:
    cache.set_many({_version_key(topic, using): uuid.uuid4().hex for topic in topics}, None)


def current_version(topic: str = "orglife", using: str = "default") -> str:
    key = _version_key(topic, using)
    token = cache.get(key)
    if token is None:
        cache.add(key, uuid.uuid4().hex, None)
        token = cache.get(key)
    return token


def entry_key(topic: str, *parts, using: str = "default") -> str:
    tail = ":".join(str(p) for p in parts)
    return f"{_PREFIX}:{topic}:{_database_name(using)}:{current_version(topic, using)}:{tail}"


def get_or_compute(topic: str, parts: tuple, compute: Callable[[], object], using: str = "default"):
    """The cached value for the topic's current token and `parts`, computed and stored when missing."""
    key = entry_key(topic, *parts, using=using)
    found = cache.get(key, _MISSING)
    if found is _MISSING:
        found = compute()
        cache.set(key, found, TIMEOUT)
    return found


def invalidate(topics: Iterable[str] = TOPICS, using: str = "default") -> None:
    """Forget the topics' cached figures for the database, now and once the current transaction commits."""
    topics = tuple(topics)
    _bump(topics, using)
    transaction.on_commit(lambda: _bump(topics, using), using=using)


def watched_models() -> dict:
    """Each model whose rows a topic reads, with the topics that read it."""
    from assessments.models import DutyReport, DutyReportPeriod
    from branches.models import (
        Branch,
        CommitteeMember,
        CommitteeTerm,
        Meeting,
        MeetingRequirement,
        Member,
        OrganisationRules,
        PartyGroup,
        RequirementExemption,
    )

    return {
        Meeting: ("orglife",),
        RequirementExemption: ("orglife",),
        MeetingRequirement: ("orglife",),
        PartyGroup: ("orglife",),
        CommitteeTerm: ("orglife", "roster"),
        CommitteeMember: ("orglife", "roster"),
        Branch: ("orglife", "roster", "reports"),
        OrganisationRules: ("orglife", "roster"),
        Member: ("roster", "reports"),
        DutyReport: ("reports",),
        DutyReportPeriod: ("reports",),
    }


def connect_signals() -> None:
    watched = watched_models()

    def on_change(sender, using=None, **kwargs) -> None:
        topics = watched.get(sender)
        if topics:
            invalidate(topics, using or router.db_for_write(sender))

    def on_migrate(sender, using="default", **kwargs) -> None:
        _bump(TOPICS, using)

    for model in watched:
        uid = f"dashboards-cache-{model._meta.label_lower}"
        post_save.connect(on_change, sender=model, dispatch_uid=f"{uid}-save", weak=False)
        post_delete.connect(on_change, sender=model, dispatch_uid=f"{uid}-delete", weak=False)
        bulk_written.connect(on_change, sender=model, dispatch_uid=f"{uid}-bulk", weak=False)
    post_migrate.connect(on_migrate, dispatch_uid="dashboards-cache-migrate", weak=False)
