"""The cached roll-up of meeting completion (三会一课) that the dashboards read.

`orglife.completion` over a city's 755 branches takes about half a second, most of it applying the
period rules in Python; the dashboards need only its sums. The sums are cached per database, year
and day (a period turns from "in progress" to "missed" overnight) under a version token.

Correctness: every save or delete of a row that completion reads — meetings, exemptions, the
year's requirements, committee terms and seats, branches, party groups, organisation rules —
replaces the token, so the next dashboard recomputes. The token is replaced at once and again
when the transaction commits: another request may have computed from the old committed data in
between and stored its result under the first new token. Tokens are random, never counters, so an
evicted token can never bring old entries back. Attendance rows are not watched: completion counts
meetings held, not who came.

Writes that bypass model signals (`bulk_create`, `QuerySet.update`, raw SQL — e.g. the demo seed)
must call `invalidate()`; a migration does it through `post_migrate`, and entries expire after
`TIMEOUT` in any case.
"""

from __future__ import annotations

import datetime
import uuid

from django.core.cache import cache
from django.db import connections, router, transaction
from django.db.models.signals import post_delete, post_migrate, post_save

TIMEOUT = 60 * 60
_PREFIX = "dashboards:orglife"


def _database_name(using: str = "default") -> str:
    # One Redis may serve several databases (test workers, bench databases): keep them apart.
    return str(connections[using].settings_dict["NAME"])


def _version_key(using: str = "default") -> str:
    return f"{_PREFIX}:version:{_database_name(using)}"


def _bump(using: str = "default") -> None:
    cache.set(_version_key(using), uuid.uuid4().hex, None)


def current_version(using: str = "default") -> str:
    key = _version_key(using)
    token = cache.get(key)
    if token is None:
        cache.add(key, uuid.uuid4().hex, None)
        token = cache.get(key)
    return token


def entry_key(year: int, today: datetime.date, using: str = "default") -> str:
    return f"{_PREFIX}:{_database_name(using)}:{current_version(using)}:{year}:{today.isoformat()}"


def invalidate(using: str = "default") -> None:
    """Forget every cached roll-up of the database, now and once the current transaction commits."""
    _bump(using)
    transaction.on_commit(lambda: _bump(using), using=using)


def _on_change(sender, instance=None, using=None, **kwargs) -> None:
    invalidate(using or router.db_for_write(sender))


def _on_migrate(sender, using="default", **kwargs) -> None:
    _bump(using)


def watched_models() -> list:
    from branches.models import (
        Branch,
        CommitteeMember,
        CommitteeTerm,
        Meeting,
        MeetingRequirement,
        OrganisationRules,
        PartyGroup,
        RequirementExemption,
    )

    return [
        Meeting,
        RequirementExemption,
        MeetingRequirement,
        CommitteeTerm,
        CommitteeMember,
        Branch,
        PartyGroup,
        OrganisationRules,
    ]


def connect_signals() -> None:
    for model in watched_models():
        uid = f"dashboards-orglife-{model._meta.label_lower}"
        post_save.connect(_on_change, sender=model, dispatch_uid=f"{uid}-save")
        post_delete.connect(_on_change, sender=model, dispatch_uid=f"{uid}-delete")
    post_migrate.connect(_on_migrate, dispatch_uid="dashboards-orglife-migrate")
