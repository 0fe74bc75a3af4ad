"""Meeting completion kept in a table (`MeetingCompletion`), written by the services that change it.

`orglife.completion` is the reference computation: it applies the year's requirements, exemptions,
the committee in office, the 党小组, a branch's founding and dissolution to the recorded meetings,
≈0.5 s for a city's 755 branches, mostly Python. What it finds for a branch and a year does not
depend on "today" except through which periods have begun and which have ended, so it is kept: one
row per branch, year, requirement and period, with `applies`, `done` and `exempt`. The status as of
any day is then a SQL expression (`MeetingCompletionQuerySet`), and the city's figures are GROUP BY
queries over these rows.

Writers. Every service that writes something completion depends on calls `refresh` (a branch's
years) or `refresh_year` (every branch of a year) in its own transaction: meetings
(`branches.meetings`), requirements and exemptions (`branches.orglife`), branches, 党小组,
committee terms and seats, and the organisation rules (`branches.services`). A refresh locks the
branches it recomputes (FOR NO KEY UPDATE, in key order) before reading, so two transactions that
change the same branch recompute one after the other and the second sees the first's meetings.
`rebuild` (`manage.py rebuild_completion`) recomputes everything; `seed_demo` and the migration that
created the table end with it.

Readers. `completion` gives `orglife.completion`'s answer with the cells (the branch calendar);
`tallies` gives the counts per branch and kind (the completion page's rows, the rating); the
dashboard, the organ summary, the reminders and "本月待办" filter and group the rows in SQL.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Count, Exists, OuterRef, Q, QuerySet

from . import orglife
from .models import Branch, Meeting, MeetingCompletion, MeetingRequirement, Organ
from .orglife import BranchCompletion, Cell, KindCompletion, OrganSummary, Status, spans

BATCH_SIZE = 2000

_rows = MeetingCompletion.objects


# --- writing ---------------------------------------------------------------------------------


def requirement_years() -> list[int]:
    """The years that have requirements: the only years completion is kept for."""
    return sorted(set(MeetingRequirement.objects.values_list("year", flat=True)))


def _ids(branches: Iterable) -> list[int]:
    return sorted({b if isinstance(b, int) else b.pk for b in branches})


def _lock(branches: QuerySet) -> None:
    # NO KEY UPDATE: a meeting being inserted holds KEY SHARE on its branch, which this does not wait for.
    list(branches.select_for_update(no_key=True).order_by("pk").values_list("pk", flat=True))


def kept_q(year: int) -> Q:
    """The branches whose completion is kept for `year`: those that existed during it, and any that held a
    meeting in it. For any other branch every period is not applicable with nothing held, and the
    readers answer so without rows."""
    met = Meeting.objects.filter(held_on__gte=datetime.date(year, 1, 1), held_on__lte=datetime.date(year, 12, 31))
    return orglife.active_in_year_q(year) | Q(pk__in=met.values("branch_id"))


def _row(branch_id: int, year: int, requirement: MeetingRequirement, cell: Cell) -> MeetingCompletion:
    return MeetingCompletion(
        branch_id=branch_id,
        year=year,
        kind=requirement.kind,
        period=requirement.period,
        index=cell.span.index,
        starts_on=cell.span.start,
        ends_on=cell.span.end,
        applies=cell.status != Status.NOT_APPLICABLE,
        held=cell.held,
        required=cell.required,
        groups_met=cell.groups_met,
        n_groups=cell.n_groups,
        done=cell.status == Status.DONE,
        exempt=cell.status == Status.EXEMPT,
    )


def fresh_rows(branches: QuerySet, year: int, kinds: Iterable[str] | None = None) -> list[MeetingCompletion]:
    """What the kept rows of these branches for `year` (of `kinds`, default all) should be, computed now by
    `orglife.completion` as of the year's last day, when every period has begun.

    Each requirement's periods depend on that requirement alone, so some kinds can be computed without
    the others (a requirement changed)."""
    requirements = MeetingRequirement.objects.filter(year=year)
    if kinds is not None:
        requirements = requirements.filter(kind__in=list(kinds))
    requirements = list(requirements)
    if not requirements:
        return []
    results = orglife.completion(
        branches.filter(kept_q(year)).order_by("pk"), year, datetime.date(year, 12, 31), requirements=requirements
    )
    return [_row(pk, year, kc.requirement, cell) for pk, bc in results.items() for kc in bc.kinds for cell in kc.cells]


def _replace(branches: QuerySet, year: int, old: QuerySet, kinds: Iterable[str] | None = None) -> int:
    rows = fresh_rows(branches, year, kinds)
    old.delete()
    _rows.bulk_create(rows, batch_size=BATCH_SIZE)
    return len(rows)


def refresh(branches: Iterable, years: Iterable[int] | None = None) -> None:
    """Recompute the kept completion of `branches` (objects or ids) for `years` (default: every year
    with requirements), in the caller's transaction."""
    ids = _ids(branches)
    if not ids:
        return
    with transaction.atomic():
        _lock(Branch.objects.filter(pk__in=ids))
        known = requirement_years()
        wanted = known if years is None else sorted(set(years) & set(known))
        for year in wanted:
            _replace(Branch.objects.filter(pk__in=ids), year, _rows.filter(year=year, branch_id__in=ids))


def refresh_year(year: int, kinds: Iterable[str] | None = None) -> int:
    """Recompute the kept completion of every branch for `year`, of `kinds` (default: all; a changed or
    deleted requirement recomputes its own kind). Returns the number of rows written."""
    with transaction.atomic():
        _lock(Branch.objects.all())
        old = _rows.filter(year=year)
        if kinds is not None:
            kinds = list(kinds)
            old = old.filter(kind__in=kinds)
        return _replace(Branch.objects.all(), year, old, kinds)


def refresh_years_from(year: int) -> None:
    """Every branch, every year from `year` on (organisation rules apply until the next year's rules)."""
    for y in requirement_years():
        if y >= year:
            refresh_year(y)


@transaction.atomic
def rebuild() -> dict[int, int]:
    """Recompute every kept row from scratch; returns the number of rows per year."""
    years = requirement_years()
    _rows.exclude(year__in=years).delete()
    return {year: refresh_year(year) for year in years}


# --- reading ---------------------------------------------------------------------------------


def status_of(row: MeetingCompletion, today: datetime.date) -> str:
    """A kept row's status as of `today` (the rules of `orglife._cell`; the QuerySet has them in SQL)."""
    if not row.applies:
        return Status.NOT_APPLICABLE
    if row.done:
        return Status.DONE
    if row.exempt:
        return Status.EXEMPT
    return Status.UPCOMING if row.ends_on >= today else Status.MISSING


def cell_of(row: MeetingCompletion, today: datetime.date) -> Cell:
    span = spans(row.period, row.year)[row.index - 1]
    return Cell(span, status_of(row, today), row.held, row.required, row.groups_met, row.n_groups)


def _not_kept(requirement: MeetingRequirement, year: int, today: datetime.date) -> list[Cell]:
    """A branch-year without rows: every period begun is not applicable, with no meeting held."""
    return [Cell(s, Status.NOT_APPLICABLE, 0, 0) for s in spans(requirement.period, year) if s.start <= today]


def completion(
    branches, year: int, today: datetime.date, *, requirements: list[MeetingRequirement] | None = None
) -> dict[int, BranchCompletion]:
    """`orglife.completion`'s answer read from the kept rows, keyed by branch id, in input order.

    Three queries (two when the caller holds the requirements); for a few branches, since every
    period becomes a `Cell` in Python. Many branches: `tallies`, or the QuerySet in SQL.
    """
    if requirements is None:
        requirements = orglife.requirements_for_year(year)
    branch_list = orglife.branches_with_counts(branches)
    found: dict[tuple[int, str], list[Cell]] = defaultdict(list)
    rows = _rows.filter(branch_id__in=[b.pk for b in branch_list], year=year).begun(today).order_by("index")
    for row in rows:
        found[row.branch_id, row.kind].append(cell_of(row, today))
    result = {}
    for branch in branch_list:
        kinds = []
        for req in requirements:
            cells = found.get((branch.pk, req.kind))
            kinds.append(KindCompletion(req, cells if cells is not None else _not_kept(req, year, today)))
        result[branch.pk] = BranchCompletion(branch, kinds)
    return result


@dataclass(slots=True)
class KindTally(KindCompletion):
    """A requirement's periods for one branch known by their count per status, without the cells."""

    counts: dict[str, int] = field(default_factory=dict)

    def count(self, status: str) -> int:
        return self.counts.get(status, 0)


def status_counts(today: datetime.date) -> dict:
    """Aggregates `n_<status>` counting the rows of each status as of `today` (for `.values(...).annotate(**)`)."""
    conditions = {
        Status.DONE: _rows.done_q(),
        Status.MISSING: _rows.missing_q(today),
        Status.UPCOMING: _rows.upcoming_q(today),
        Status.EXEMPT: _rows.exempt_q(),
        Status.NOT_APPLICABLE: Q(applies=False),
    }
    return {f"n_{status.value}": Count("pk", filter=q) for status, q in conditions.items()}


def tallies(
    branches: list[Branch], year: int, today: datetime.date, requirements: list[MeetingRequirement]
) -> dict[int, BranchCompletion]:
    """Each branch's completion as counts per requirement and status (no cells), in input order.

    `BranchCompletion`'s figures (n_done, n_due, n_missing, rate, css, each kind's summary) are the
    same as `orglife.completion`'s. One query, grouped by branch and kind.
    """
    ids = [b.pk for b in branches]
    counts: dict[tuple[int, str], dict[str, int]] = {}
    if ids:
        grouped = (
            _rows.filter(branch_id__in=ids, year=year)
            .begun(today)
            .order_by()
            .values("branch_id", "kind")
            .annotate(**status_counts(today))
        )
        for row in grouped:
            counts[row["branch_id"], row["kind"]] = {s: row[f"n_{s}"] for s in Status.values}
    return {
        b.pk: BranchCompletion(b, [KindTally(req, counts=counts.get((b.pk, req.kind), {})) for req in requirements])
        for b in branches
    }


def missed_any(year: int, today: datetime.date, kind: str | None = None) -> Exists:
    """A Branch filter: the branch missed a period of the year (of one kind) that is over by `today`."""
    rows = _rows.filter(branch=OuterRef("pk"), year=year).missing(today)
    if kind:
        rows = rows.filter(kind=kind)
    return Exists(rows)


def organ_summaries(
    branches: QuerySet, year: int, today: datetime.date, requirements: list[MeetingRequirement]
) -> list[OrganSummary]:
    """`orglife.organ_summaries` of these branches from the kept rows: two grouped queries and the organs'
    names, whatever the number of branches.

    Organs come in the branches' order (organ sort order, then name), as the completion page lists them.
    """
    per_organ = (
        branches.order_by()
        .values("organ_id")
        .annotate(n=Count("pk"), n_missing=Count("pk", filter=Q(missed_any(year, today))))
        .values_list("organ_id", "n", "n_missing")
    )
    sizes = {organ_id: (n, n_missing) for organ_id, n, n_missing in per_organ}
    kinds = {r.kind for r in requirements}
    by_kind: dict[int, dict[str, list[int]]] = defaultdict(dict)
    grouped = (
        _rows.filter(branch__in=branches.order_by().values("pk"), year=year)
        .begun(today)
        .order_by()
        .values("branch__organ_id", "kind")
        .annotate(n_done=Count("pk", filter=_rows.done_q()), n_missing=Count("pk", filter=_rows.missing_q(today)))
        .values_list("branch__organ_id", "kind", "n_done", "n_missing")
    )
    for organ_id, kind, done, missing in grouped:
        if kind in kinds:
            by_kind[organ_id][kind] = [done, done + missing]
    organs = Organ.objects.filter(pk__in=list(sizes)).order_by("sort_order", "name")
    summaries = []
    for organ in organs:
        n, n_missing = sizes[organ.pk]
        summary = OrganSummary(organ.pk, organ.display_short, n_branches=n, n_complete=n - n_missing)
        # Every requirement appears, as `orglife.organ_summaries` lists each kind of each branch.
        summary.by_kind = {r.kind: by_kind[organ.pk].get(r.kind, [0, 0]) for r in requirements}
        summary.n_done = sum(done for done, _ in summary.by_kind.values())
        summary.n_due = sum(due for _, due in summary.by_kind.values())
        summaries.append(summary)
    return summaries
