"""The kept branch figures (`BranchFigures`): what the organisation warnings read, one row per branch.

Counting each branch's members and its current committee with a subquery per branch cost every branch
list, warning count and dashboard hundreds of milliseconds at a province's 7,500 branches. So the
counts are kept in a table instead: every service that writes members, committee terms, seats or
branches calls `refresh` with the branches it touched, inside its own transaction; `rebuild` (the
`rebuild_warnings` command) rewrites every row; and the tests check the kept rows against
`Branch.objects.with_fresh_stats()` after any sequence of writes.

Other apps keep figures about the same rosters (the 一岗双责 filings): they listen to `roster_changed`,
which `refresh` sends after writes that changed who is on a branch's roster.
"""

from collections.abc import Iterable

from django.db import transaction
from django.dispatch import Signal

from .models import Branch, BranchFigures

FIELDS = ("n_members", "n_full", "n_probationary", "current_term_id", "term_ends_on", "term_size", "has_secretary")
BATCH_SIZE = 1000

# Sent with `branch_ids` (a sorted list) inside the writer's transaction, after the members of those
# branches were created, edited, moved or deleted, or a branch was founded or dissolved.
roster_changed = Signal()


def fresh(branches) -> dict[int, dict]:
    """The figures of `branches` computed afresh, by branch key."""
    rows = branches.with_fresh_stats().order_by().values("pk", *FIELDS)
    return {row.pop("pk"): row for row in rows}


def kept(branches) -> dict[int, dict]:
    """The kept figures of `branches`, by branch key (a branch without a row is missing)."""
    rows = BranchFigures.objects.filter(branch__in=branches).order_by().values("branch_id", *FIELDS)
    return {row.pop("branch_id"): row for row in rows}


def lock_branches(branch_ids: Iterable[int] | None) -> None:
    """Hold the branches' rows (all when None) until the transaction ends, so that writers to one branch
    take turns: each refresh computes afresh after the lock and sees what an earlier writer committed.

    FOR NO KEY UPDATE does not wait for transactions that only add rows referring to the branch.
    """
    branches = Branch.objects.all()
    if branch_ids is not None:
        branches = branches.filter(pk__in=sorted(set(branch_ids)))
    list(branches.order_by("pk").select_for_update(no_key=True).values_list("pk"))


def _write(branches) -> int:
    rows = [BranchFigures(branch_id=pk, **values) for pk, values in fresh(branches).items()]
    BranchFigures.objects.bulk_create(
        rows, batch_size=BATCH_SIZE, update_conflicts=True, unique_fields=["branch"], update_fields=list(FIELDS)
    )
    return len(rows)


def refresh(branch_ids: Iterable[int | None], *, roster: bool = True) -> None:
    """Rewrite the kept figures of these branches from a fresh computation, in the caller's transaction.

    `roster`: the write changed who is on the branches' rosters (members, not only terms and seats);
    the apps that keep figures about rosters hear of it through `roster_changed`.
    """
    ids = sorted({int(pk) for pk in branch_ids if pk is not None})
    if not ids:
        return
    with transaction.atomic():
        lock_branches(ids)
        _write(Branch.objects.filter(pk__in=ids))
        if roster:
            roster_changed.send(sender=BranchFigures, branch_ids=ids)


def rebuild() -> int:
    """Rewrite every branch's kept figures from scratch; the number of rows written."""
    with transaction.atomic():
        lock_branches(None)
        BranchFigures.objects.all().delete()
        return _write(Branch.objects.all())
