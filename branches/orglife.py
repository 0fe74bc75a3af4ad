"""Organisational life (三会一课): the year's requirements, each branch's completion, and 学时.

Completion is counted from the meetings already recorded, never typed in. The meetings of the
asked branches are aggregated in the database per branch, kind, 党小组 and month (one query);
the few aggregated rows are then rolled up into the periods the year's requirements ask for
(month, quarter or year). Periods are calendar dates, so a meeting on 3/31 belongs to Q1 and
one on 4/1 to Q2.

The write verbs (requirements, exemptions, training records) check the role themselves, run in
one transaction and leave who and why in the history. Each member's 学时 per year are kept in
`branches.hours`, which the training verbs refresh.
"""

from __future__ import annotations

import calendar
import datetime
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache

from django.db import IntegrityError, models, transaction
from django.db.models import (
    BooleanField,
    Count,
    ExpressionWrapper,
    F,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce, ExtractMonth, Greatest
from simple_history.utils import bulk_create_with_history

from accounts.scope import scope_of
from core.errors import DomainError

from . import hours as kept_hours
from .choices import MeetingKind, Period, RequirementScope
from .hours import HOURS_FIELD
from .models import (
    Attendance,
    Branch,
    CommitteeTerm,
    Meeting,
    MeetingRequirement,
    Member,
    OrganisationRules,
    PartyGroup,
    RequirementExemption,
    TrainingRecord,
)
from .permissions import DELETE_TRAINING, GRANT_EXEMPTION, REVOKE_EXEMPTION, SET_REQUIREMENTS


class OrgLifeError(DomainError):
    """A change the organisational-life rules do not allow; the message is shown to the user."""


# DOMAIN.md "Organisational life: default frequencies": used only when a year has no rows and
# no earlier year exists to copy from. From then on the rows are the rules.
DEFAULT_REQUIREMENTS = (
    (MeetingKind.GENERAL, Period.QUARTER, RequirementScope.BRANCH, "支部工作条例 第十一条"),
    (MeetingKind.COMMITTEE, Period.MONTH, RequirementScope.COMMITTEE, "支部工作条例 第十二条"),
    (MeetingKind.GROUP, Period.MONTH, RequirementScope.GROUP, "支部工作条例 第十三条"),
    (MeetingKind.LECTURE, Period.QUARTER, RequirementScope.BRANCH, "本地规定"),
    (MeetingKind.THEME_DAY, Period.MONTH, RequirementScope.BRANCH, "党员教育管理工作条例 第十六条"),
    (MeetingKind.LIFE, Period.YEAR, RequirementScope.BRANCH, "支部工作条例 第十七条"),
    (MeetingKind.APPRAISAL, Period.YEAR, RequirementScope.BRANCH, "支部工作条例 第十八条"),
)

KIND_ORDER = {kind: i for i, kind in enumerate(MeetingKind.values)}
# The oldest year the pages offer; also keeps a typed-in year from creating rows for year 9999.
FIRST_YEAR = 2000


def year_is_reasonable(year: int, today: datetime.date) -> bool:
    return FIRST_YEAR <= year <= today.year + 1


# --- requirements ------------------------------------------------------------------------


def _ordered(rows: Iterable[MeetingRequirement]) -> list[MeetingRequirement]:
    return sorted(rows, key=lambda r: KIND_ORDER.get(r.kind, len(KIND_ORDER)))


def requirements_for_year(year: int) -> list[MeetingRequirement]:
    """The year's requirements as saved, or, for a year not opened yet, what opening it would save (unsaved).

    Never writes: a page of a year nobody opened reads the rules the year would start with (see
    `carried_over`); `is_open` tells the two apart. `ensure_requirements` is the writer.
    """
    rows = list(MeetingRequirement.objects.filter(year=year))
    return _ordered(rows or carried_over(year)[0])


def is_open(requirements: list[MeetingRequirement]) -> bool:
    """Whether `requirements_for_year` found saved rows: only an opened year has kept completion to read."""
    return bool(requirements) and all(r.pk is not None for r in requirements)


def carried_over(year: int, model=MeetingRequirement) -> tuple[list, str]:
    """The unsaved requirements a new year starts with, and the reason the history records.

    A copy of the latest earlier year (so a 工委's changes carry over), or the DOMAIN.md defaults when
    there is none. `model` is the historical model in a data migration.
    """
    previous = model.objects.filter(year__lt=year).aggregate(y=Max("year"))["y"]
    if previous is not None:
        rows = [
            model(year=year, kind=r.kind, period=r.period, min_count=r.min_count, scope=r.scope, source=r.source)
            for r in model.objects.filter(year=previous)
        ]
        return rows, f"沿用{previous}年要求"
    rows = [
        model(year=year, kind=kind, period=period, min_count=1, scope=scope, source=source)
        for kind, period, scope, source in DEFAULT_REQUIREMENTS
    ]
    return rows, "按默认要求生成"


def ensure_requirements(year: int, *, by=None) -> list[MeetingRequirement]:
    """Open the year: save the requirements `requirements_for_year` reads for it and keep its completion.

    Idempotent, and safe when two callers race: the unique (year, kind) decides and the loser reads the
    winner's rows. Called by what needs saved rows: editing the year's requirements, the yearly job
    (`portal.years`), the rating run, seed_demo. Inside the caller's transaction when there is one.
    """
    rows = list(MeetingRequirement.objects.filter(year=year))
    if rows:
        return _ordered(rows)
    try:
        with transaction.atomic():
            objs, reason = carried_over(year)
            bulk_create_with_history(objs, MeetingRequirement, default_user=by, default_change_reason=reason)
            # Completion is kept for the years that have requirements: from now on, this one.
            _kept().refresh_year(year)
    except IntegrityError:
        # Another caller opened the year at the same moment; theirs is as good as ours.
        pass
    return _ordered(MeetingRequirement.objects.filter(year=year))


def active_in_year(qs, year: int):
    """Branches that existed at some point of the year (a branch dissolved in June still owed Q1)."""
    return qs.filter(active_in_year_q(year))


def active_in_year_q(year: int, prefix: str = "") -> Q:
    """`active_in_year` as a filter, on a branch reached through `prefix` (e.g. "branch__")."""
    return Q(**{f"{prefix}founded_on__lte": datetime.date(year, 12, 31)}) & (
        Q(**{f"{prefix}dissolved_on__isnull": True}) | Q(**{f"{prefix}dissolved_on__gte": datetime.date(year, 1, 1)})
    )


def _kept():
    # `branches.kept` is built on this module's `completion`; the write verbs here reach it at call time.
    from . import kept

    return kept


def _require_gongwei(by) -> None:
    SET_REQUIREMENTS.require(by, error=OrgLifeError)


def _check_scope(kind: str, scope: str) -> None:
    if scope == RequirementScope.GROUP and kind != MeetingKind.GROUP:
        raise OrgLifeError("“每个党小组”只适用于党小组会。")


@transaction.atomic
def save_requirement(requirement: MeetingRequirement, *, by) -> MeetingRequirement:
    """Create or change one year's requirement (工委 only)."""
    _require_gongwei(by)
    _check_scope(requirement.kind, requirement.scope)
    # A year's first change opens it: the new row joins the rules the year had been read with.
    ensure_requirements(requirement.year, by=by)
    if requirement.min_count < 1:
        raise OrgLifeError("每期最少次数至少为 1。")
    clash = MeetingRequirement.objects.filter(year=requirement.year, kind=requirement.kind)
    if clash.exclude(pk=requirement.pk).exists():
        raise OrgLifeError(f"{requirement.year}年已有{requirement.get_kind_display()}的要求。")
    requirement._history_user = by
    requirement._change_reason = "修改组织生活要求" if requirement.pk else "新增组织生活要求"
    before = MeetingRequirement.objects.filter(pk=requirement.pk).values_list("year", "kind").first()
    requirement.save()
    # The periods of the changed requirement, in the year it is (and was) in; the other kinds stay.
    for year, kind in {(requirement.year, requirement.kind), before or (requirement.year, requirement.kind)}:
        _kept().refresh_year(year, kinds=[kind])
    return requirement


@transaction.atomic
def delete_requirement(requirement: MeetingRequirement, *, by) -> None:
    """Drop a kind from a year's requirements (e.g. a local 党课 norm the city does not keep)."""
    _require_gongwei(by)
    if not MeetingRequirement.objects.filter(year=requirement.year).exclude(pk=requirement.pk).exists():
        # An empty year would read as not opened, with the year before's rules.
        raise OrgLifeError("每年至少保留一项组织生活要求。")
    requirement._history_user = by
    requirement._change_reason = "删除组织生活要求"
    requirement.delete()
    _kept().refresh_year(requirement.year, kinds=[requirement.kind])


# --- periods -----------------------------------------------------------------------------

QUARTER_LABELS = ("第一季度", "第二季度", "第三季度", "第四季度")


@dataclass(frozen=True, slots=True)
class Span:
    """One period of a year: a month, a quarter or the whole year, by calendar dates."""

    period: str
    index: int
    start: datetime.date
    end: datetime.date

    @property
    def label(self) -> str:
        if self.period == Period.MONTH:
            return f"{self.index}月"
        if self.period == Period.QUARTER:
            return QUARTER_LABELS[self.index - 1]
        return "全年"

    @property
    def n_months(self) -> int:
        return self.end.month - self.start.month + 1


def _last_day(year: int, month: int) -> datetime.date:
    return datetime.date(year, month, calendar.monthrange(year, month)[1])


@lru_cache(maxsize=64)
def spans(period: str, year: int) -> tuple[Span, ...]:
    if period == Period.MONTH:
        return tuple(Span(period, m, datetime.date(year, m, 1), _last_day(year, m)) for m in range(1, 13))
    if period == Period.QUARTER:
        return tuple(Span(period, q, datetime.date(year, 3 * q - 2, 1), _last_day(year, 3 * q)) for q in range(1, 5))
    return (Span(Period.YEAR, 1, datetime.date(year, 1, 1), datetime.date(year, 12, 31)),)


def span_index(period: str, month: int) -> int:
    """Which span of `period` a month falls in (months, quarters 1–4, or the one year)."""
    if period == Period.MONTH:
        return month
    if period == Period.QUARTER:
        return (month - 1) // 3 + 1
    return 1


def span_containing(period: str, year: int, month: int) -> Span:
    return spans(period, year)[span_index(period, month) - 1]


# --- completion --------------------------------------------------------------------------


class Status(models.TextChoices):
    DONE = "done", "已完成"
    MISSING = "missing", "未完成"
    EXEMPT = "exempt", "已豁免"
    NOT_APPLICABLE = "not_applicable", "不适用"
    UPCOMING = "upcoming", "进行中"


# Bootstrap background classes per status: one colour scheme for the table, calendar and legend.
# Colour is never the only signal: every cell also carries a symbol or a count (Cell.short).
STATUS_CSS = {
    Status.DONE: "bg-success-subtle",
    Status.MISSING: "bg-danger-subtle",
    Status.EXEMPT: "bg-secondary-subtle",
    Status.NOT_APPLICABLE: "bg-body-tertiary text-muted",
    Status.UPCOMING: "bg-primary-subtle",
}
PARTLY_DONE_CSS = "bg-warning-subtle"


@dataclass(slots=True)
class Cell:
    """One period of one requirement for one branch."""

    span: Span
    status: str
    held: int
    required: int
    # Per-group requirements only: how many of the branch's groups met the minimum.
    groups_met: int = 0
    n_groups: int = 0

    @property
    def status_label(self) -> str:
        return Status(self.status).label

    @property
    def css(self) -> str:
        return STATUS_CSS[self.status]

    @property
    def per_group(self) -> bool:
        return self.n_groups > 0

    @property
    def short(self) -> str:
        """What the calendar cell shows: a symbol and the count (groups met, for per-group rows)."""
        if self.status == Status.NOT_APPLICABLE:
            return "—"
        if self.status == Status.EXEMPT:
            return "免"
        count = f"{self.groups_met}/{self.n_groups}组" if self.per_group else str(self.held)
        if self.status == Status.DONE:
            return f"✓{count}"
        if self.status == Status.MISSING:
            return f"✗{count}"
        return count if self.per_group else f"{self.held}/{self.required}"

    @property
    def title(self) -> str:
        """The cell's tooltip and screen-reader text."""
        text = f"{self.span.label}：{self.status_label}，召开 {self.held} 次"
        if self.per_group:
            text += f"，{self.groups_met}/{self.n_groups} 个党小组达到要求"
        elif self.required:
            text += f"，要求 {self.required} 次"
        return text


@dataclass(slots=True)
class KindCompletion:
    """A branch's periods of one requirement in the year, up to the current period."""

    requirement: MeetingRequirement
    cells: list[Cell] = field(default_factory=list)

    def count(self, status: str) -> int:
        return sum(1 for c in self.cells if c.status == status)

    @property
    def n_done(self) -> int:
        return self.count(Status.DONE)

    @property
    def n_missing(self) -> int:
        return self.count(Status.MISSING)

    @property
    def n_due(self) -> int:
        """Periods that count towards the rate: done, or over and missed."""
        return self.n_done + self.n_missing

    @property
    def summary_status(self) -> str:
        if self.n_due:
            return Status.MISSING if self.n_missing else Status.DONE
        for status in (Status.UPCOMING, Status.EXEMPT):
            if self.count(status):
                return status
        return Status.NOT_APPLICABLE

    @property
    def summary_label(self) -> str:
        return Status(self.summary_status).label

    @property
    def css(self) -> str:
        if self.n_missing and self.n_done:
            return PARTLY_DONE_CSS
        return STATUS_CSS[self.summary_status]


@dataclass(slots=True)
class BranchCompletion:
    branch: Branch
    kinds: list[KindCompletion]

    @property
    def by_kind(self) -> dict[str, KindCompletion]:
        return {k.requirement.kind: k for k in self.kinds}

    @property
    def n_done(self) -> int:
        return sum(k.n_done for k in self.kinds)

    @property
    def n_due(self) -> int:
        return sum(k.n_due for k in self.kinds)

    @property
    def n_missing(self) -> int:
        return sum(k.n_missing for k in self.kinds)

    @property
    def rate(self) -> int | None:
        """Percentage of the due periods that were done; None when nothing was due yet."""
        return round(100 * self.n_done / self.n_due) if self.n_due else None

    @property
    def css(self) -> str:
        if not self.n_due:
            return STATUS_CSS[Status.NOT_APPLICABLE]
        if not self.n_missing:
            return STATUS_CSS[Status.DONE]
        return PARTLY_DONE_CSS if self.n_done else STATUS_CSS[Status.MISSING]

    def cells(self, status: str | None = None):
        """(requirement, cell) pairs, optionally of one status (e.g. the missed periods)."""
        for k in self.kinds:
            for cell in k.cells:
                if status is None or cell.status == status:
                    yield k.requirement, cell


def branches_with_counts(branches) -> list[Branch]:
    """The branches with `term_size` (current committee) and `n_groups`, in the given order."""
    n_groups = (
        PartyGroup.objects.filter(branch=OuterRef("pk")).order_by().values("branch").annotate(c=Count("pk")).values("c")
    )
    if isinstance(branches, QuerySet):
        qs, order = branches, None
    else:
        order = [b.pk for b in branches]
        qs = Branch.objects.filter(pk__in=order).select_related("organ").order_by()
    if "term_size" not in qs.query.annotations:
        qs = qs.with_term_size()
    rows = list(qs.annotate(n_groups=Coalesce(Subquery(n_groups), Value(0))))
    if order is not None:
        position = {pk: i for i, pk in enumerate(order)}
        rows.sort(key=lambda b: position[b.pk])
    return rows


def _held_counts(branch_ids: list[int], requirements: list[MeetingRequirement], year: int):
    """Meetings per (branch, kind, span index), and per-group requirements' groups that met the minimum."""
    period_of = {r.kind: r.period for r in requirements}
    min_count = {r.kind: r.min_count for r in requirements}
    per_group = {r.kind for r in requirements if r.scope == RequirementScope.GROUP}
    rows = (
        Meeting.objects.filter(
            branch_id__in=branch_ids,
            kind__in=list(period_of),
            held_on__gte=datetime.date(year, 1, 1),
            held_on__lte=datetime.date(year, 12, 31),
        )
        # A group meeting counts only for its own branch's group (the form enforces it; this
        # keeps a stray row from making a branch look complete).
        .filter(Q(party_group__isnull=True) | Q(party_group__branch_id=F("branch_id")))
        .annotate(month=ExtractMonth("held_on"))
        .order_by()
        .values("branch_id", "kind", "party_group_id", "month")
        .annotate(n=Count("pk"))
        .values_list("branch_id", "kind", "party_group_id", "month", "n")
    )
    held: dict[tuple, int] = defaultdict(int)
    by_group: dict[tuple, int] = defaultdict(int)
    for branch_id, kind, group_id, month, n in rows:
        index = span_index(period_of[kind], month)
        held[branch_id, kind, index] += n
        if kind in per_group and group_id is not None:
            by_group[branch_id, kind, index, group_id] += n
    groups_met: dict[tuple, int] = defaultdict(int)
    for (branch_id, kind, index, _group_id), n in by_group.items():
        if n >= min_count[kind]:
            groups_met[branch_id, kind, index] += 1
    return held, groups_met


def _exemptions(branch_ids: list[int], year: int) -> dict[int, list[tuple[str, datetime.date, datetime.date]]]:
    found = defaultdict(list)
    rows = RequirementExemption.objects.filter(
        branch_id__in=branch_ids, starts_on__lte=datetime.date(year, 12, 31), ends_on__gte=datetime.date(year, 1, 1)
    ).values_list("branch_id", "kind", "starts_on", "ends_on")
    for branch_id, kind, starts_on, ends_on in rows:
        found[branch_id].append((kind, starts_on, ends_on))
    return found


def completion(
    branches, year: int, today: datetime.date, *, requirements: list[MeetingRequirement] | None = None
) -> dict[int, BranchCompletion]:
    """Each branch's completion of the year's requirements, keyed by branch id, in input order.

    `branches` is an unsliced Branch queryset or a list of branches. Periods that have not
    begun by `today` are left out; the period containing `today` is `upcoming` until it is
    done. Six queries, however many branches and meetings (five when the caller already holds
    `requirements_for_year(year)`).
    """
    if requirements is None:
        requirements = requirements_for_year(year)
    rules = OrganisationRules.for_year(year)
    branch_list = branches_with_counts(branches)
    ids = [b.pk for b in branch_list]
    held, groups_met = _held_counts(ids, requirements, year)
    exemptions = _exemptions(ids, year)
    committees = _committee_sizes(ids)
    result: dict[int, BranchCompletion] = {}
    for branch in branch_list:
        terms = committees.get(branch.pk, [])
        kinds = []
        for req in requirements:
            kc = KindCompletion(req)
            for span in spans(req.period, year):
                if span.start > today:
                    break
                # The committee in office when the period closes decides whether 支委会 meetings were due.
                has_committee = _size_on(terms, span.end) >= rules.committee_min_size
                kc.cells.append(
                    _cell(branch, req, span, today, has_committee, held, groups_met, exemptions.get(branch.pk, ()))
                )
            kinds.append(kc)
        result[branch.pk] = BranchCompletion(branch, kinds)
    return result


def _committee_sizes(branch_ids: list[int]) -> dict[int, list[tuple[datetime.date, int]]]:
    """Every committee term of the branches as (elected_on, seats), oldest first. One query."""
    rows = (
        CommitteeTerm.objects.filter(branch_id__in=branch_ids)
        .annotate(size=Count("seats"))
        .order_by("branch_id", "elected_on", "pk")
        .values_list("branch_id", "elected_on", "size")
    )
    terms: dict[int, list[tuple[datetime.date, int]]] = {}
    for branch_id, elected_on, size in rows:
        terms.setdefault(branch_id, []).append((elected_on, size))
    return terms


def _size_on(terms: list[tuple[datetime.date, int]], day: datetime.date) -> int:
    """Seats of the term in office on `day`: the latest elected on or before it (0 before any)."""
    size = 0
    for elected_on, seats in terms:
        if elected_on > day:
            break
        size = seats
    return size


def _cell(branch, req, span, today, has_committee, held, groups_met, exemptions) -> Cell:
    n = held.get((branch.pk, req.kind, span.index), 0)
    per_group = req.scope == RequirementScope.GROUP
    n_groups = branch.n_groups if per_group else 0
    if (
        branch.founded_on > span.end
        or (branch.dissolved_on is not None and branch.dissolved_on < span.start)
        or (req.scope == RequirementScope.COMMITTEE and not has_committee)
        or (per_group and n_groups == 0)
    ):
        return Cell(span, Status.NOT_APPLICABLE, n, 0)
    if per_group:
        met = groups_met.get((branch.pk, req.kind, span.index), 0)
        done = met >= n_groups
        cell = Cell(span, Status.DONE, n, req.min_count * n_groups, met, n_groups)
    else:
        done = n >= req.min_count
        cell = Cell(span, Status.DONE, n, req.min_count)
    if done:
        return cell
    if any(kind in ("", req.kind) and starts_on <= span.end <= ends_on for kind, starts_on, ends_on in exemptions):
        cell.status = Status.EXEMPT
    elif span.end >= today:
        cell.status = Status.UPCOMING
    else:
        cell.status = Status.MISSING
    return cell


# --- the calendar (branch page and calendar page) ----------------------------------------


@dataclass(slots=True)
class CalendarCell:
    span: Span
    cell: Cell | None  # None: the period has not begun

    @property
    def css(self) -> str:
        return self.cell.css if self.cell else ""


@dataclass(slots=True)
class CalendarRow:
    kind: KindCompletion
    cells: list[CalendarCell]


@dataclass(slots=True)
class Calendar:
    branch: Branch
    year: int
    today: datetime.date
    rows: list[CalendarRow]
    summary: BranchCompletion | None  # None: the year is not opened, nothing is kept to read
    notes: list[str] = field(default_factory=list)  # why some rows do not apply
    requirements: list[MeetingRequirement] = field(default_factory=list)

    @property
    def is_open(self) -> bool:
        return self.summary is not None

    @property
    def months(self) -> range:
        return range(1, 13)

    @property
    def current_month(self) -> int | None:
        return self.today.month if self.today.year == self.year else None


def calendar_context(branch: Branch, year: int, today: datetime.date) -> dict:
    """Context for templates/branches/_meeting_calendar.html: {"calendar": Calendar}.

    Rows are the year's requirements, columns the twelve months; a quarterly or yearly
    requirement's cell spans its months. Read from the kept completion: four queries. A year not opened
    has no kept completion: the calendar then lists the rules the year would start with, and no figures.
    """
    requirements = requirements_for_year(year)
    if not is_open(requirements):
        return {"calendar": Calendar(branch, year, today, [], None, requirements=requirements)}
    summary = _kept().completion([branch], year, today, requirements=requirements)[branch.pk]
    rows = []
    for kc in summary.kinds:
        done = {c.span.index: c for c in kc.cells}
        rows.append(CalendarRow(kc, [CalendarCell(s, done.get(s.index)) for s in spans(kc.requirement.period, year)]))
    annotated = summary.branch
    return {"calendar": Calendar(annotated, year, today, rows, summary, _notes(annotated, summary, year), requirements)}


def _notes(branch: Branch, summary: BranchCompletion, year: int) -> list[str]:
    scopes = {k.requirement.scope for k in summary.kinds}
    notes = []
    if branch.founded_on.year == year:
        notes.append(f"本支部于 {branch.founded_on:%Y年%m月%d日} 成立，此前结束的各期不计。")
    min_size = OrganisationRules.for_year(year).committee_min_size
    if RequirementScope.COMMITTEE in scopes and branch.term_size < min_size:
        notes.append(f"本支部未设支委会（现任委员 {branch.term_size} 人，少于 {min_size} 人），支委会要求不适用。")
    if RequirementScope.GROUP in scopes and not branch.n_groups:
        notes.append("本支部未设党小组，党小组会要求不适用。")
    return notes


# --- organ summary -----------------------------------------------------------------------


@dataclass(slots=True)
class OrganSummary:
    organ_id: int
    name: str
    n_branches: int = 0
    n_complete: int = 0  # branches with no missed period
    n_done: int = 0
    n_due: int = 0
    by_kind: dict[str, list[int]] = field(default_factory=dict)  # kind -> [done, due]

    @property
    def rate(self) -> int | None:
        return round(100 * self.n_done / self.n_due) if self.n_due else None

    def kind_cells(self, requirements) -> list[tuple[int, int]]:
        return [tuple(self.by_kind.get(r.kind, (0, 0))) for r in requirements]


def organ_summaries(results: Iterable[BranchCompletion]) -> list[OrganSummary]:
    """Roll branch completion up per organ (in the order the branches came)."""
    organs: dict[int, OrganSummary] = {}
    for bc in results:
        organ = bc.branch.organ
        s = organs.get(organ.pk) or organs.setdefault(organ.pk, OrganSummary(organ.pk, organ.display_short))
        s.n_branches += 1
        s.n_complete += bc.n_missing == 0
        s.n_done += bc.n_done
        s.n_due += bc.n_due
        for k in bc.kinds:
            pair = s.by_kind.setdefault(k.requirement.kind, [0, 0])
            pair[0] += k.n_done
            pair[1] += k.n_due
    return list(organs.values())


def total_of(summaries: Iterable[OrganSummary]) -> OrganSummary:
    total = OrganSummary(0, "合计")
    for s in summaries:
        total.n_branches += s.n_branches
        total.n_complete += s.n_complete
        total.n_done += s.n_done
        total.n_due += s.n_due
    return total


# --- exemptions --------------------------------------------------------------------------


def can_grant_exemption(user, branch: Branch) -> bool:
    return scope_of(user).can_manage_organ(branch.organ_id)


@transaction.atomic
def grant_exemption(
    branch: Branch, *, kind: str, starts_on: datetime.date, ends_on: datetime.date, reason: str, by
) -> RequirementExemption:
    """Excuse a branch from the requirements (of one kind, or all when `kind` is empty)."""
    GRANT_EXEMPTION.require(by, branch, error=OrgLifeError)
    reason = (reason or "").strip()
    if not reason:
        raise OrgLifeError("请填写豁免原因。")
    if ends_on < starts_on:
        raise OrgLifeError("结束日期不能早于开始日期。")
    if kind and kind not in MeetingKind.values:
        raise OrgLifeError("会议类型无效。")
    exemption = RequirementExemption(
        branch=branch, kind=kind, starts_on=starts_on, ends_on=ends_on, reason=reason, granted_by=by
    )
    exemption._history_user = by
    exemption._change_reason = f"批准豁免：{reason}"
    exemption.save()
    _kept().refresh([branch], range(starts_on.year, ends_on.year + 1))
    return exemption


@transaction.atomic
def revoke_exemption(exemption: RequirementExemption, *, by) -> None:
    REVOKE_EXEMPTION.require(by, exemption.branch, error=OrgLifeError)
    exemption._history_user = by
    exemption._change_reason = "撤销豁免"
    exemption.delete()
    _kept().refresh([exemption.branch_id], range(exemption.starts_on.year, exemption.ends_on.year + 1))


# --- training hours (学时) ----------------------------------------------------------------


def training_hours(members_qs: QuerySet, year: int) -> QuerySet:
    """Annotate each member's 学时 in `year` and the year's target.

    `meeting_hours`: hours of the meetings attended (present) that year; `course_hours`:
    recorded trainings; `hours`: both; `target`, `below_target` and `shortfall` (hours still
    missing) from OrganisationRules.
    One query for the rules; the rest is subqueries of the members query.

    The reference computation: the pages read the same figures from the kept sums
    (`branches.hours.with_hours`), and the tests hold those equal to this after any writes.
    """
    target = OrganisationRules.for_year(year).training_hours_target
    first, last = datetime.date(year, 1, 1), datetime.date(year, 12, 31)
    attended = (
        Attendance.objects.filter(
            member=OuterRef("pk"),
            present=True,
            # Most meetings carry no 学时; leaving them out keeps the per-member scan short.
            meeting__hours__gt=0,
            meeting__held_on__gte=first,
            meeting__held_on__lte=last,
        )
        .order_by()
        .values("member")
        .annotate(s=Sum("meeting__hours"))
        .values("s")
    )
    courses = (
        TrainingRecord.objects.filter(member=OuterRef("pk"), held_on__gte=first, held_on__lte=last)
        .order_by()
        .values("member")
        .annotate(s=Sum("hours"))
        .values("s")
    )
    zero = Value(Decimal("0"), output_field=HOURS_FIELD)
    return (
        members_qs.annotate(
            meeting_hours=Coalesce(Subquery(attended, output_field=HOURS_FIELD), zero),
            course_hours=Coalesce(Subquery(courses, output_field=HOURS_FIELD), zero),
        )
        .annotate(
            hours=ExpressionWrapper(F("meeting_hours") + F("course_hours"), output_field=HOURS_FIELD),
            target=Value(target, output_field=HOURS_FIELD),
        )
        .annotate(
            # For the rows shown. To filter a whole roster use `below_target_q`: filtering on this
            # re-runs both per-member subqueries for every member of the city.
            below_target=ExpressionWrapper(Q(hours__lt=target), output_field=BooleanField()),
            shortfall=Greatest(
                ExpressionWrapper(Value(target, output_field=HOURS_FIELD) - F("hours"), output_field=HOURS_FIELD),
                zero,
            ),
        )
    )


def reached_target_q(year: int) -> Q:
    """Members whose 学时 in `year` reach the year's target, as a filter (also inside an aggregate).

    Read from the kept sums (`branches.hours`): a filter computed from the attendance summed every
    attendance row of the year, for a secretary's 26 members as for a province.
    """
    return kept_hours.reached_q(year, kept_hours.target_of(year))


def below_target_q(year: int) -> Q:
    """Members whose 学时 in `year` fall short of the year's target, as a filter."""
    return kept_hours.below_q(year, kept_hours.target_of(year))


@dataclass(slots=True)
class TrainingSummary:
    member: Member
    year: int
    meeting_hours: Decimal
    course_hours: Decimal
    hours: Decimal
    target: Decimal
    meetings: list  # Attendance rows with their meeting
    records: list  # TrainingRecord rows

    @property
    def below_target(self) -> bool:
        return self.hours < self.target

    @property
    def percent(self) -> int:
        if not self.target:
            return 100
        return min(100, int(self.hours * 100 / self.target))

    @property
    def missing(self) -> Decimal:
        return max(Decimal("0"), self.target - self.hours)


def training_context(member: Member, year: int) -> dict:
    """Context for templates/branches/_training_hours.html: {"training": TrainingSummary}."""
    meeting_hours, course_hours = kept_hours.of(member, year)
    row = {
        "meeting_hours": meeting_hours,
        "course_hours": course_hours,
        "hours": meeting_hours + course_hours,
        "target": kept_hours.target_of(year),
    }
    first, last = datetime.date(year, 1, 1), datetime.date(year, 12, 31)
    meetings = list(
        Attendance.objects.filter(
            member=member, present=True, meeting__held_on__gte=first, meeting__held_on__lte=last, meeting__hours__gt=0
        )
        .select_related("meeting")
        .order_by("-meeting__held_on", "-meeting__pk")
    )
    records = list(member.trainings.filter(held_on__gte=first, held_on__lte=last).order_by("-held_on", "-pk"))
    return {"training": TrainingSummary(member, year, meetings=meetings, records=records, **row)}


def can_record_training(user, member: Member) -> bool:
    return scope_of(user).can_write_branch(member.branch)


@transaction.atomic
def record_training(
    members: list[Member], *, held_on: datetime.date, title: str, hours: Decimal, by, today: datetime.date
) -> list[TrainingRecord]:
    """Record one training (a course, online study) for one or several members at once."""
    title = (title or "").strip()
    if not members:
        raise OrgLifeError("请至少选择一名党员。")
    if not title:
        raise OrgLifeError("请填写培训名称。")
    if hours is None or hours <= 0:
        raise OrgLifeError("学时须大于 0。")
    if held_on > today:
        raise OrgLifeError("培训日期不能晚于今天。")
    for member in members:
        if not can_record_training(by, member):
            raise OrgLifeError(f"您无权为 {member.name} 登记学时。")
    records = [TrainingRecord(member=m, held_on=held_on, title=title, hours=hours, recorded_by=by) for m in members]
    created = bulk_create_with_history(records, TrainingRecord, default_user=by, default_change_reason="登记学时")
    kept_hours.refresh([m.pk for m in members], [held_on.year])
    return created


@transaction.atomic
def delete_training(record: TrainingRecord, *, by) -> None:
    """Remove a training entered by mistake (the history keeps it)."""
    DELETE_TRAINING.require(by, record.member, error=OrgLifeError)
    record._history_user = by
    record._change_reason = "删除学时记录"
    record.delete()
    kept_hours.refresh([record.member_id], [record.held_on.year])
