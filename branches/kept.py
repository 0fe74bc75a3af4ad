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
`tallies` gives the counts per branch and kind (the completion page's rows); `done_and_due` the totals of
every branch (the rating); the reminders and "本月待办" filter the rows in SQL.

Organ rollups. Grouping a province's rows (≈345,000 a year) by organ costs 200–700 ms a page, so the
figures of whole organs are kept a second time, summed per organ, over the rows of the branches
active in the year (`orglife.active_in_year_q`, the filter every organ reader applies):

- `OrganCompletion`: per organ, year, kind and period index, the period's dates (the same for every
  branch: `orglife.spans`) and how many rows are done, pending (applies, not done, not exempt),
  exempt and not applicable. As of `today`, over the periods begun (starts_on <= today): missing is
  n_pending where ends_on < today, upcoming n_pending where ends_on >= today.
- `OrganFirstPending`: per organ, year, kind ("" for any kind) and day, how many branches have their
  earliest pending period ending on that day. A branch missed a period by `today` exactly when that
  day is before `today` (`missed_any`), so the branches that missed are a sum over the days before it.

They are recounted from the kept rows, never adjusted by differences: `refresh` recounts the organs of
the branches it refreshed (and `organs`, where a moved or deleted branch was counted before),
`refresh_year` and `rebuild` every organ. Recounting is an INSERT … SELECT … GROUP BY per table, run
after the organs are locked (FOR NO KEY UPDATE, in key order, after the branches): two transactions
that refresh different branches of one organ then recount one after the other, and the second's
statement (READ COMMITTED) sees the rows the first committed. The readers of whole organs read them
(`organ_period_counts`, `organ_missed_counts`; the dashboard, `organ_summaries`); a reader narrowed to
some branches of an organ (a secretary, a branch list) groups the kept rows.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db import connection, transaction
from django.db.models import Count, Exists, F, Min, OuterRef, Q, QuerySet, Sum
from django.db.models.functions import Coalesce, ExtractMonth

from . import orglife
from .models import Branch, Meeting, MeetingCompletion, MeetingRequirement, Organ, OrganCompletion, OrganFirstPending
from .orglife import BranchCompletion, Cell, KindCompletion, OrganSummary, Status, spans

BATCH_SIZE = 2000

_rows = MeetingCompletion.objects
ANY_KIND = OrganFirstPending.ANY_KIND


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


def refresh(branches: Iterable, years: Iterable[int] | None = None, *, organs: Iterable[int] = ()) -> None:
    """Recompute the kept completion of `branches` (objects or ids) for `years` (default: every year
    with requirements), in the caller's transaction, and recount their organs' rollups, and those of
    `organs`: where branches were counted before they moved to another organ or were deleted."""
    ids = _ids(branches)
    organ_ids = set(organs) - {None}
    if not ids and not organ_ids:
        return
    with transaction.atomic():
        _lock(Branch.objects.filter(pk__in=ids))
        known = requirement_years()
        wanted = known if years is None else sorted(set(years) & set(known))
        for year in wanted:
            _replace(Branch.objects.filter(pk__in=ids), year, _rows.filter(year=year, branch_id__in=ids))
        organ_ids |= set(Branch.objects.filter(pk__in=ids).values_list("organ_id", flat=True))
        _lock_organs(Organ.objects.filter(pk__in=organ_ids))
        for year in wanted:
            recount(year, sorted(organ_ids))


def refresh_year(year: int, kinds: Iterable[str] | None = None, *, rollups: bool = True) -> int:
    """Recompute the kept completion of every branch for `year`, of `kinds` (default: all; a changed or
    deleted requirement recomputes its own kind), and the organ rollups. Returns the number of rows
    written. `rollups=False`: the rows alone (the migration that created them predates the rollups)."""
    with transaction.atomic():
        _lock(Branch.objects.all())
        old = _rows.filter(year=year)
        if kinds is not None:
            kinds = list(kinds)
            old = old.filter(kind__in=kinds)
        n = _replace(Branch.objects.all(), year, old, kinds)
        if rollups:
            _lock_organs(Organ.objects.all())
            recount(year, kinds=kinds)
        return n


def refresh_years_from(year: int) -> None:
    """Every branch, every year from `year` on (organisation rules apply until the next year's rules)."""
    for y in requirement_years():
        if y >= year:
            refresh_year(y)


@transaction.atomic
def rebuild(*, rollups: bool = True) -> dict[int, int]:
    """Recompute every kept row (and, unless `rollups=False`, every organ rollup) from scratch; returns
    the number of rows per year."""
    years = requirement_years()
    _rows.exclude(year__in=years).delete()
    if rollups:
        OrganCompletion.objects.exclude(year__in=years).delete()
        OrganFirstPending.objects.exclude(year__in=years).delete()
    return {year: refresh_year(year, rollups=rollups) for year in years}


# --- the organ rollups ---------------------------------------------------------------------------


def _lock_organs(organs: QuerySet) -> None:
    # After the branches, in key order, as every refresh does: no two refreshes wait for each other in a cycle.
    list(organs.select_for_update(no_key=True).order_by("pk").values_list("pk", flat=True))


def _counted_rows(year: int, organ_ids: list[int] | None) -> QuerySet:
    """The kept rows an organ rollup sums: those of the branches active in `year` (of `organ_ids`)."""
    rows = _rows.filter(orglife.active_in_year_q(year, "branch__"), year=year)
    return rows if organ_ids is None else rows.filter(branch__organ_id__in=organ_ids)


PERIOD_COLUMNS = [
    "organ_id", "year", "kind", "index", "starts_on", "ends_on",
    "n_rows", "n_done", "n_pending", "n_exempt", "n_not_applicable",
]  # fmt: skip
FIRST_PENDING_COLUMNS = ["organ_id", "year", "kind", "first_pending_on", "n_branches"]


def period_counts(rows: QuerySet) -> QuerySet:
    """`rows` grouped into `OrganCompletion`'s columns (`PERIOD_COLUMNS`, in that order)."""
    # Aliases, not field names: the SELECT is inserted by position, and an alias cannot clash with a field.
    return (
        rows.order_by()
        .values(o=F("branch__organ_id"), y=F("year"), k=F("kind"), i=F("index"), s=F("starts_on"), e=F("ends_on"))
        .annotate(
            n_rows=Count("pk"),
            n_done=Count("pk", filter=_rows.done_q()),
            n_pending=Count("pk", filter=_rows.pending_q()),
            n_exempt=Count("pk", filter=_rows.exempt_q()),
            n_not_applicable=Count("pk", filter=Q(applies=False)),
        )
    )


def first_pending(rows: QuerySet, per_kind: bool) -> QuerySet:
    """Each branch's earliest end of a pending period (per kind, or of any kind) with its organ."""
    keys = {"o": F("branch__organ_id"), "b": F("branch_id")} | ({"k": F("kind")} if per_kind else {})
    return rows.filter(_rows.pending_q()).order_by().values(**keys).annotate(first_on=Min("ends_on"))


def _insert(model, columns: list[str], select: str, params) -> None:
    quote = connection.ops.quote_name
    names = ", ".join(quote(model._meta.get_field(c).column) for c in columns)
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {quote(model._meta.db_table)} ({names}) {select}", params)


def recount(year: int, organ_ids: list[int] | None = None, kinds: list[str] | None = None) -> None:
    """Rewrite the rollups of `year` for `organ_ids` (default: every organ) and `kinds` (default: all;
    the any-kind counts are always recounted) from the kept rows, in new statements, so that they see
    the rows other transactions committed before the caller locked the organs."""
    periods = OrganCompletion.objects.filter(year=year)
    firsts = OrganFirstPending.objects.filter(year=year)
    rows = _counted_rows(year, organ_ids)
    if organ_ids is not None:
        periods, firsts = periods.filter(organ_id__in=organ_ids), firsts.filter(organ_id__in=organ_ids)
    by_kind = rows if kinds is None else rows.filter(kind__in=kinds)
    if kinds is not None:
        periods, firsts = periods.filter(kind__in=kinds), firsts.filter(kind__in=[*kinds, ANY_KIND])
    periods.delete()
    firsts.delete()
    _insert(OrganCompletion, PERIOD_COLUMNS, *period_counts(by_kind).query.sql_with_params())
    kind_sql, kind_params = first_pending(by_kind, per_kind=True).query.sql_with_params()
    any_sql, any_params = first_pending(rows, per_kind=False).query.sql_with_params()
    select = (
        f"SELECT t.o, %s, t.k, t.first_on, COUNT(*) FROM ({kind_sql}) t GROUP BY t.o, t.k, t.first_on"
        f" UNION ALL SELECT t.o, %s, %s, t.first_on, COUNT(*) FROM ({any_sql}) t GROUP BY t.o, t.first_on"
    )
    _insert(OrganFirstPending, FIRST_PENDING_COLUMNS, select, (year, *kind_params, year, ANY_KIND, *any_params))


def rollup_differences(year: int) -> tuple[int, int]:
    """How many kept rollup rows of `year` differ from a fresh count of the kept rows (periods, first
    pending), for `manage.py rebuild_completion --check`."""
    rows = _counted_rows(year, None)
    fresh_periods = set(period_counts(rows).values_list("o", "y", "k", "i", "s", "e", *PERIOD_COLUMNS[6:]))
    kept_periods = set(OrganCompletion.objects.filter(year=year).values_list(*PERIOD_COLUMNS))
    fresh_firsts: dict[tuple, int] = defaultdict(int)
    for per_kind in (True, False):
        for row in first_pending(rows, per_kind):
            fresh_firsts[row["o"], year, row.get("k", ANY_KIND), row["first_on"]] += 1
    kept_firsts = set(OrganFirstPending.objects.filter(year=year).values_list(*FIRST_PENDING_COLUMNS))
    return (
        len(fresh_periods ^ kept_periods),
        len({(*key, n) for key, n in fresh_firsts.items()} ^ kept_firsts),
    )


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


def done_and_due(year: int, today: datetime.date, requirements: list[MeetingRequirement]) -> dict[int, tuple[int, int]]:
    """(n_done, n_due) of every branch kept for `year` as of `today`: `tallies`' figures without the counts
    per kind, for all branches at once (the rating). A branch without rows has done and owed nothing.

    One query grouped by branch; no list of branches to bind, as the rating wants nearly all of them.
    """
    rows = (
        _rows.filter(year=year, kind__in=[r.kind for r in requirements])
        .begun(today)
        .order_by()
        .values("branch_id")
        .annotate(n_done=Count("pk", filter=_rows.done_q()), n_missing=Count("pk", filter=_rows.missing_q(today)))
        .values_list("branch_id", "n_done", "n_missing")
    )
    return {branch_id: (n_done, n_done + n_missing) for branch_id, n_done, n_missing in rows}


def missed_any(year: int, today: datetime.date, kind: str | None = None) -> Exists:
    """A Branch filter: the branch missed a period of the year (of one kind) that is over by `today`."""
    rows = _rows.filter(branch=OuterRef("pk"), year=year).missing(today)
    if kind:
        rows = rows.filter(kind=kind)
    return Exists(rows)


def _organ_periods(year: int, today: datetime.date, organ_ids: Iterable[int] | None) -> QuerySet:
    periods = OrganCompletion.objects.filter(year=year, starts_on__lte=today)
    return periods if organ_ids is None else periods.filter(organ_id__in=list(organ_ids))


def _missing_sum(today: datetime.date) -> Coalesce:
    return Coalesce(Sum("n_pending", filter=Q(ends_on__lt=today)), 0)


def organ_kind_counts(
    year: int, today: datetime.date, organ_ids: Iterable[int] | None = None
) -> dict[tuple[int, str], tuple[int, int]]:
    """(organ, kind) → (periods done, periods missed) by `today` over the periods begun, of the branches
    active in `year` of whole organs (`organ_ids`, default every organ). One query on the rollup."""
    grouped = (
        _organ_periods(year, today, organ_ids)
        .order_by()
        .values("organ_id", "kind")
        .annotate(done=Coalesce(Sum("n_done"), 0), missing=_missing_sum(today))
        .values_list("organ_id", "kind", "done", "missing")
    )
    return {(organ_id, kind): (done, missing) for organ_id, kind, done, missing in grouped}


def organ_month_counts(
    year: int, today: datetime.date, organ_ids: Iterable[int] | None = None
) -> dict[tuple[int, int], tuple[int, int]]:
    """(organ, month a period ends in) → (periods done, periods due: done or missed) by `today`, as
    `organ_kind_counts`. One query on the rollup."""
    grouped = (
        _organ_periods(year, today, organ_ids)
        .order_by()
        .values("organ_id", month=ExtractMonth("ends_on"))
        .annotate(done=Coalesce(Sum("n_done"), 0), missing=_missing_sum(today))
        .values_list("organ_id", "month", "done", "missing")
    )
    return {(organ_id, month): (done, done + missing) for organ_id, month, done, missing in grouped}


def organ_missed_counts(
    year: int, today: datetime.date, organ_ids: Iterable[int] | None = None
) -> dict[tuple[int, str], int]:
    """(organ, kind, or `ANY_KIND`) → how many of the organ's branches active in `year` missed a period
    (of that kind, of any kind) by `today`: `missed_any` counted from the rollup in one query."""
    firsts = OrganFirstPending.objects.filter(year=year, first_pending_on__lt=today)
    if organ_ids is not None:
        firsts = firsts.filter(organ_id__in=list(organ_ids))
    grouped = firsts.order_by().values("organ_id", "kind").annotate(n=Sum("n_branches"))
    return {(organ_id, kind): n for organ_id, kind, n in grouped.values_list("organ_id", "kind", "n")}


def _whole_organs(sizes: dict[int, tuple[int, int]], year: int) -> set[int]:
    """The organs of which `sizes` ({organ: (branches, of them active in `year`)}) counts every branch
    active in `year`, and no other: those the rollups answer for."""
    everyone = dict(
        Branch.objects.filter(orglife.active_in_year_q(year), organ_id__in=list(sizes))
        .order_by()
        .values("organ_id")
        .annotate(n=Count("pk"))
        .values_list("organ_id", "n")
    )
    return {organ_id for organ_id, (n, n_active) in sizes.items() if n == n_active == everyone.get(organ_id)}


def organ_summaries(
    branches: QuerySet, year: int, today: datetime.date, requirements: list[MeetingRequirement]
) -> list[OrganSummary]:
    """`orglife.organ_summaries` of these branches from the kept completion, whatever their number.

    An organ all of whose branches active in the year are among `branches` is read from the organ
    rollups; the others (a secretary's branch, a user who sees a few branches of an organ) from the
    kept rows of those branches. Organs come in the branches' order (organ sort order, then name), as
    the completion page lists them.
    """
    per_organ = (
        branches.order_by()
        .values("organ_id")
        .annotate(n=Count("pk"), n_active=Count("pk", filter=orglife.active_in_year_q(year)))
        .values_list("organ_id", "n", "n_active")
    )
    sizes = {organ_id: (n, n_active) for organ_id, n, n_active in per_organ}
    whole = _whole_organs(sizes, year) if sizes else set()
    partial = sorted(set(sizes) - whole)
    kinds = {r.kind for r in requirements}
    n_missing: dict[int, int] = {}
    by_kind: dict[int, dict[str, list[int]]] = defaultdict(dict)
    if whole:
        for (organ_id, kind), n in organ_missed_counts(year, today, sorted(whole)).items():
            if kind == ANY_KIND:
                n_missing[organ_id] = n
        for (organ_id, kind), (done, missing) in organ_kind_counts(year, today, sorted(whole)).items():
            if kind in kinds:
                by_kind[organ_id][kind] = [done, done + missing]
    if partial:
        some = branches.filter(organ_id__in=partial).order_by()
        n_missing.update(
            some.values("organ_id")
            .annotate(n_missing=Count("pk", filter=Q(missed_any(year, today))))
            .values_list("organ_id", "n_missing")
        )
        grouped = (
            _rows.filter(branch__in=some.values("pk"), year=year)
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
        n = sizes[organ.pk][0]
        summary = OrganSummary(organ.pk, organ.display_short, n_branches=n, n_complete=n - n_missing.get(organ.pk, 0))
        # Every requirement appears, as `orglife.organ_summaries` lists each kind of each branch.
        summary.by_kind = {r.kind: by_kind[organ.pk].get(r.kind, [0, 0]) for r in requirements}
        summary.n_done = sum(done for done, _ in summary.by_kind.values())
        summary.n_due = sum(due for _, due in summary.by_kind.values())
        summaries.append(summary)
    return summaries
