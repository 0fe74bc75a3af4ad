"""The figures of the 工委 and 机关党委 dashboards, each computed in the database.

Every section is one or two aggregate queries over the same scoped querysets the linked lists use
(`visible_to(user)` narrowed to the dashboard's organs), so a figure and the list it links to count
the same rows. Meeting completion, whose period rules live in `branches.orglife`, is read from the rows
kept by the services that change it (`branches.kept`) and grouped in SQL. The number of queries does
not depend on the amount of data.
"""

from __future__ import annotations

import datetime
import functools
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from urllib.parse import urlencode

from django.core.paginator import Page, Paginator
from django.db.models import Case, Count, F, IntegerField, OuterRef, Q, QuerySet, Subquery, Sum, Value, When
from django.db.models.functions import Coalesce, ExtractMonth
from django.urls import get_script_prefix, get_urlconf, reverse

from accounts.scope import scope_of
from assessments import reports
from assessments.choices import ProblemStatus, RunStatus, Tier
from assessments.ledger import WORKING
from assessments.models import DutyFiling, DutyReportPeriod, Problem, RatingResult, RatingRun
from branches import kept, orglife
from branches.models import Branch, MeetingCompletion, Organ, OrganisationRules
from branches.rules import WARNING_KINDS, current_warning_counts, warning_counts
from projects.choices import Direction, Grade, ProjectStatus
from projects.models import Project

TOP_N = 5
HEAT_PAGE_SIZE = 30
MONTHS = range(1, 13)
FILED = (reports.FILING_SUBMITTED, reports.FILING_LATE, reports.FILING_ACCEPTED)


@functools.lru_cache(maxsize=4096)
def _reverse(name: str, args: tuple, urlconf: str | None, prefix: str) -> str:
    return reverse(name, args=args, urlconf=urlconf)


def url(name: str, *args, **params) -> str:
    """A list's address with its filter parameters (empty ones left out)."""
    # A city dashboard links a few hundred figures to a dozen lists: resolve each list's path once.
    base = _reverse(name, args, get_urlconf(), get_script_prefix())
    query = urlencode({k: v for k, v in params.items() if v not in (None, "")})
    return f"{base}?{query}" if query else base


def percent(part: int, whole: int) -> Decimal | None:
    if not whole:
        return None
    return (Decimal(part) * 100 / whole).quantize(Decimal("0.1"))


@dataclass(frozen=True)
class Figure:
    """One number on the dashboard and the filtered list that counts it."""

    label: str
    count: int
    link: str
    share: Decimal | None = None


@dataclass
class Frame:
    """Whose data a dashboard shows: the year, and the organs (None: every organ, 工委 only)."""

    user: object
    year: int
    today: datetime.date
    organ_ids: list[int] | None
    organ: Organ | None = None  # the organ chosen with ?organ= (工委), or a 机关党委's only organ

    @property
    def organ_param(self) -> int | None:
        return self.organ.pk if self.organ is not None else None

    def branches(self) -> QuerySet:
        qs = Branch.objects.visible_to(self.user)
        return qs if self.organ_ids is None else qs.filter(organ_id__in=self.organ_ids)

    def narrow(self, qs: QuerySet, path: str) -> QuerySet:
        return qs if self.organ_ids is None else qs.filter(**{f"{path}__in": self.organ_ids})


# --- 星级评定 -----------------------------------------------------------------------------


@dataclass
class RatingSection:
    run: RatingRun | None
    total: int = 0
    stars: list[Figure] = field(default_factory=list)
    tiers: list[Figure] = field(default_factory=list)
    changes: list[Figure] = field(default_factory=list)
    four_plus: Figure | None = None
    bottom: Figure | None = None
    top_results: list = field(default_factory=list)
    bottom_results: list = field(default_factory=list)

    @property
    def is_fallback(self) -> bool:
        return self.run is not None and self.run.year != self.frame_year

    frame_year: int = 0


def rating_section(frame: Frame) -> RatingSection:
    """The year's published run (or, before it is published, the latest earlier one). Four queries.

    A published 试算 is not the year's result: the figures stay those of the latest result of record."""
    run = RatingRun.objects.final().filter(year__lte=frame.year).order_by("-year").first()
    section = RatingSection(run, frame_year=frame.year)
    if run is None:
        return section
    results = frame.narrow(RatingResult.objects.filter(run=run).visible_to(frame.user), "organ_id")
    change = Case(
        When(previous_stars__isnull=True, then=Value("new")),
        When(stars__gt=F("previous_stars"), then=Value("up")),
        When(stars__lt=F("previous_stars"), then=Value("down")),
        default=Value("same"),
    )
    # Grouped rather than one filtered count per figure: a few dozen groups cost the database the same,
    # and one expression compiles in a fraction of the time of twenty.
    counts = Counter()
    for group in (
        results.order_by()
        .annotate(change=change)
        .values("stars", "tier", "is_bottom", "change")
        .annotate(n=Count("pk"))
    ):
        n = group["n"]
        counts["total"] += n
        counts[f"stars_{group['stars']}"] += n
        counts[f"tier_{group['tier']}"] += n
        counts[group["change"]] += n
        counts["four_plus"] += n if group["stars"] >= 4 else 0
        counts["bottom"] += n if group["is_bottom"] else 0
    total = section.total = counts["total"]
    # 机关党委 read the run through their own scope; the run page has no organ filter for them.
    organ = frame.organ_param if scope_of(frame.user).is_gongwei else None

    def link(**params) -> str:
        return url("assessments:run_detail", run.pk, organ=organ, **params)

    section.stars = [
        Figure(
            "★" * n + "☆" * (5 - n) if n else "无星",
            counts[f"stars_{n}"],
            link(stars=n),
            percent(counts[f"stars_{n}"], total),
        )
        for n in range(5, -1, -1)
    ]
    section.tiers = [
        Figure(
            tier.label,
            counts[f"tier_{tier.value}"],
            link(tier=tier.value),
            percent(counts[f"tier_{tier.value}"], total),
        )
        for tier in Tier
    ]
    section.changes = [
        Figure(label, counts[key], link(change=key), percent(counts[key], total))
        for key, label in (("up", "升星"), ("down", "降星"), ("same", "持平"), ("new", "新参评"))
    ]
    section.four_plus = Figure(
        "四星及以上", counts["four_plus"], link(stars="4plus"), percent(counts["four_plus"], total)
    )
    section.bottom = Figure("排名靠后整顿", counts["bottom"], link(bottom="1"), percent(counts["bottom"], total))
    section.top_results = list(results.order_by("rank", "pk")[:TOP_N])
    # Always asked, so the page costs the same queries however many branches were rated.
    bottom = list(results.order_by("-rank", "-pk")[:TOP_N])
    section.bottom_results = bottom if total > TOP_N else []
    return section


# --- 一支部一项目 --------------------------------------------------------------------------


@dataclass
class ProjectSection:
    total: Figure
    statuses: list[Figure]
    directions: list[Figure]
    grades: list[Figure]
    overdue_projects: Figure
    overdue_milestones: int
    top_ten: int


def project_section(frame: Frame) -> ProjectSection:
    """Projects of the year by status, direction and grade, and overdue milestones. One grouped query."""
    qs = frame.narrow(Project.objects.visible_to(frame.user).filter(year=frame.year), "branch__organ_id")
    counts = Counter()
    for group in (
        qs.with_progress(frame.today)
        .order_by()
        .values("status", "direction", "grade", "is_top_ten")
        .annotate(
            n=Count("pk"),
            n_late=Count("pk", filter=Q(n_overdue__gt=0)),
            late_milestones=Coalesce(Sum("n_overdue"), Value(0)),
        )
    ):
        n = group["n"]
        counts["total"] += n
        counts[f"status_{group['status']}"] += n
        counts[f"direction_{group['direction']}"] += n
        counts[f"grade_{group['grade']}"] += n
        counts["top_ten"] += n if group["is_top_ten"] else 0
        counts["overdue_projects"] += group["n_late"]
        counts["overdue_milestones"] += group["late_milestones"]
    total = counts["total"]

    def link(**params) -> str:
        return url("projects:project_list", year=frame.year, organ=frame.organ_param, **params)

    accepted = counts[f"status_{ProjectStatus.ACCEPTED.value}"]
    return ProjectSection(
        total=Figure("项目总数", total, link()),
        statuses=[
            Figure(
                s.label, counts[f"status_{s.value}"], link(status=s.value), percent(counts[f"status_{s.value}"], total)
            )
            for s in ProjectStatus
        ],
        directions=[
            Figure(
                d.label,
                counts[f"direction_{d.value}"],
                link(direction=d.value),
                percent(counts[f"direction_{d.value}"], total),
            )
            for d in Direction
        ],
        grades=[
            Figure(
                g.label, counts[f"grade_{g.value}"], link(grade=g.value), percent(counts[f"grade_{g.value}"], accepted)
            )
            for g in Grade
        ],
        overdue_projects=Figure("节点逾期项目", counts["overdue_projects"], link(overdue="1")),
        overdue_milestones=counts["overdue_milestones"],
        top_ten=counts["top_ten"],
    )


# --- 组织生活 ------------------------------------------------------------------------------


@dataclass(frozen=True)
class BranchRollup:
    """A branch's completion reduced to sums: per requirement (done, due, missed any) and per month."""

    organ_id: int
    n_done: int
    n_due: int
    n_missing: int
    kinds: tuple[tuple[int, int, bool], ...]
    months: tuple[tuple[int, int], ...]  # (done, due) of the periods ending in each month


@dataclass(frozen=True)
class Rollup:
    """Completion summed over branches (an organ's, or the dashboard's): what the figures and the heat map read."""

    n_branches: int
    n_missing: int  # branches that missed a period
    n_done: int
    n_due: int
    kinds: tuple[tuple[int, int, int], ...]  # per requirement: done, due, branches that missed it
    months: tuple[tuple[int, int], ...]

    @classmethod
    def combined(cls, parts: list[Rollup], n_kinds: int) -> Rollup:
        return cls(
            sum(p.n_branches for p in parts),
            sum(p.n_missing for p in parts),
            sum(p.n_done for p in parts),
            sum(p.n_due for p in parts),
            tuple(tuple(sum(p.kinds[i][j] for p in parts) for j in range(3)) for i in range(n_kinds)),
            tuple(tuple(sum(p.months[m][j] for p in parts) for j in range(2)) for m in range(len(MONTHS))),
        )


def _kinds(requirements) -> list[tuple[str, str, str]]:
    return [(r.kind, r.get_kind_display(), f"{r.get_period_display()}{r.min_count}次") for r in requirements]


def _branches_of_year(year: int, organ_ids: list[int] | None) -> QuerySet:
    branches = orglife.active_in_year(Branch.objects.all(), year)
    return branches if organ_ids is None else branches.filter(organ_id__in=organ_ids)


def _kept_periods(year: int, today: datetime.date, organ_ids: list[int] | None) -> QuerySet:
    """The kept periods that have begun by `today` of the branches `_branches_of_year` counts (what
    `orglife.completion` lists for them). A join, not a subquery: PostgreSQL then joins the branches once."""
    rows = MeetingCompletion.objects.filter(orglife.active_in_year_q(year, "branch__"), year=year).begun(today)
    return rows if organ_ids is None else rows.filter(branch__organ_id__in=organ_ids)


def _per_kind_and_month(rows: QuerySet, key: str, today: datetime.date):
    """Rows grouped by `key` and kind (done, missed periods, branches that missed), and by `key` and the
    month each period ends in (done, due): two grouped queries."""
    done, missing = MeetingCompletion.objects.done_q(), MeetingCompletion.objects.missing_q(today)
    by_kind = (
        rows.order_by()
        .values(key, "kind")
        .annotate(
            n_done=Count("pk", filter=done),
            n_missing=Count("pk", filter=missing),
            n_missed=Count("branch_id", distinct=True, filter=missing),
        )
        .values_list(key, "kind", "n_done", "n_missing", "n_missed")
    )
    by_month = (
        rows.filter(done | missing)
        .order_by()
        .values(key, month=ExtractMonth("ends_on"))
        .annotate(n_done=Count("pk", filter=done), n_due=Count("pk"))
        .values_list(key, "month", "n_done", "n_due")
    )
    kinds: dict[int, dict[str, tuple[int, int, int]]] = defaultdict(dict)
    for pk, kind, n_done, n_missing, n_missed in by_kind:
        kinds[pk][kind] = (n_done, n_done + n_missing, n_missed)
    months: dict[int, list[tuple[int, int]]] = defaultdict(lambda: [(0, 0)] * len(MONTHS))
    for pk, month, n_done, n_due in by_month:
        months[pk][month - 1] = (n_done, n_due)
    return kinds, months


def _organ_rollups(year: int, today: datetime.date, organ_ids: list[int] | None = None) -> dict:
    """Completion summed per organ (of `organ_ids`, or every organ): the branches counted, and the kept
    organ rollups (`kept.organ_kind_counts` and its siblings), which sum whole organs' branches active
    in the year, as `_branches_of_year` counts them. Four grouped queries and the year's requirements,
    however many branches."""
    requirements = orglife.requirements_for_year(year)
    sizes = (
        _branches_of_year(year, organ_ids)
        .order_by()
        .values("organ_id")
        .annotate(n=Count("pk"))
        .values_list("organ_id", "n")
    )
    kinds = kept.organ_kind_counts(year, today, organ_ids)
    missed = kept.organ_missed_counts(year, today, organ_ids)
    months = kept.organ_month_counts(year, today, organ_ids)
    organs = {}
    for organ_id, n in sizes:
        per_kind = []
        for r in requirements:
            done, missing = kinds.get((organ_id, r.kind), (0, 0))
            per_kind.append((done, done + missing, missed.get((organ_id, r.kind), 0)))
        organs[organ_id] = Rollup(
            n,
            missed.get((organ_id, kept.ANY_KIND), 0),
            sum(k[0] for k in per_kind),
            sum(k[1] for k in per_kind),
            tuple(per_kind),
            tuple(months.get((organ_id, m), (0, 0)) for m in MONTHS),
        )
    return {"kinds": _kinds(requirements), "organs": organs, "is_open": orglife.is_open(requirements)}


def _rollup(year: int, today: datetime.date, organ_ids: list[int] | None = None) -> dict:
    """Each branch's completion of the year (branches of `organ_ids`, or all) reduced to a `BranchRollup`,
    from the kept rows: three queries and the year's requirements."""
    requirements = orglife.requirements_for_year(year)
    branches = _branches_of_year(year, organ_ids).order_by("pk")
    organ_of = dict(branches.values_list("pk", "organ_id"))
    kinds, months = _per_kind_and_month(_kept_periods(year, today, organ_ids), "branch_id", today)
    rows = {}
    for pk, organ_id in organ_of.items():
        per_kind = [kinds[pk].get(r.kind, (0, 0, 0)) for r in requirements]
        rows[pk] = BranchRollup(
            organ_id,
            sum(k[0] for k in per_kind),
            sum(k[1] for k in per_kind),
            sum(k[1] - k[0] for k in per_kind),
            tuple((done, due, missed > 0) for done, due, missed in per_kind),
            tuple(months[pk]),
        )
    return {"kinds": _kinds(requirements), "branches": rows}


@dataclass
class KindRow:
    kind: str
    label: str
    rule: str
    done: int
    due: int
    missing_branches: Figure

    @property
    def rate(self) -> Decimal | None:
        return percent(self.done, self.due)


@dataclass
class HeatRow:
    label: str
    link: str
    cells: list[tuple[int, int, Decimal | None]]  # (done, due, rate) per month


@dataclass
class OrglifeSection:
    n_branches: Figure
    missing: Figure
    complete: int
    done: int
    due: int
    kinds: list[KindRow]
    heat: list[HeatRow]
    by_organ: dict[int, Rollup]
    by_branch: dict[int, BranchRollup]  # filled when the dashboard shows one organ
    heat_page: Page | None = None  # the page of organs (or branches) that `heat` shows
    is_open: bool = True  # False: the year's requirements are not opened, nothing is kept to count

    @property
    def rate(self) -> Decimal | None:
        return percent(self.done, self.due)


def orglife_section(frame: Frame, organs: list[Organ]) -> OrglifeSection:
    """Completion by kind and a heat map (organ × month; branch × month for one organ).

    Counts the branches the completion page counts for the same year and organ: those the user
    sees that existed during the year. Grouped queries over the kept completion (`branches.kept`).
    """
    data = _organ_rollups(frame.year, frame.today, frame.organ_ids)
    organ_ids = None if frame.organ_ids is None else set(frame.organ_ids)
    scope = scope_of(frame.user)
    mine = {
        pk: rollup
        for pk, rollup in data["organs"].items()
        if (organ_ids is None or pk in organ_ids) and (scope.is_gongwei or pk in scope.organ_ids)
    }
    total = Rollup.combined(list(mine.values()), len(data["kinds"]))
    by_branch = {}
    if frame.organ is not None:
        rollups = _rollup(frame.year, frame.today, frame.organ_ids)["branches"]
        by_branch = {pk: r for pk, r in rollups.items() if r.organ_id in mine}

    def link(**params) -> str:
        return url("branches:completion", year=frame.year, organ=frame.organ_param, **params)

    kinds = [
        KindRow(kind, label, rule, done, due, Figure(label, missed, link(kind=kind, state="missing")))
        for (kind, label, rule), (done, due, missed) in zip(data["kinds"], total.kinds, strict=True)
    ]
    return OrglifeSection(
        n_branches=Figure("参与统计支部", total.n_branches, link()),
        missing=Figure("有未完成的支部", total.n_missing, link(state="missing")),
        complete=total.n_branches - total.n_missing,
        done=total.n_done,
        due=total.n_due,
        kinds=kinds,
        heat=[],
        by_organ=mine,
        by_branch=by_branch,
        is_open=data["is_open"],
    )


def _cells(months) -> list[tuple[int, int, Decimal | None]]:
    return [(done, due, percent(done, due)) for done, due in months]


def heat_rows(
    frame: Frame, section: OrglifeSection, organs: list[Organ], branches: list[Branch] | None, page: str | None = None
) -> None:
    """Fill `section.heat` with a page of rows: one per organ, or per branch when the dashboard shows one organ.

    A province has 900 organs: all of them made a megabyte of page and a chart no one can read, so the
    map pages like the lists it links to (`section.heat_page`).
    """
    if branches is not None:
        rows = [b for b in branches if b.pk in section.by_branch]
        section.heat_page = Paginator(rows, HEAT_PAGE_SIZE).get_page(page)
        section.heat = [
            HeatRow(
                b.name, url("branches:branch_calendar", b.pk, year=frame.year), _cells(section.by_branch[b.pk].months)
            )
            for b in section.heat_page
        ]
        return
    rows = [o for o in organs if o.pk in section.by_organ]
    section.heat_page = Paginator(rows, HEAT_PAGE_SIZE).get_page(page)
    section.heat = [
        HeatRow(
            o.display_short,
            url("branches:completion", year=frame.year, organ=o.pk),
            _cells(section.by_organ[o.pk].months),
        )
        for o in section.heat_page
    ]


# --- 一岗双责 ------------------------------------------------------------------------------


@dataclass
class PeriodRow:
    period: DutyReportPeriod
    total: Figure
    filed: Figure
    missing: Figure
    returned: Figure
    late: Figure

    @property
    def rate(self) -> Decimal | None:
        return percent(self.filed.count, self.total.count)


def _filings(frame: Frame) -> QuerySet:
    """The kept filings of the members the dashboard covers (those the user sees, in its organs)."""
    return frame.narrow(DutyFiling.objects.visible_to(frame.user), "branch__organ_id")


def _report_counts(frame: Frame) -> list[tuple[DutyReportPeriod, dict]]:
    """Per period begun in the year: who owes or filed, and how many filed, are missing, returned, late.

    Counted over the kept filings (`DutyFiling`), which list the members `reports.roster_for` lists.
    """
    periods = list(DutyReportPeriod.objects.filter(year=frame.year, starts_on__lte=frame.today).order_by("half"))
    counts = {
        row.pop("period_id"): row
        for row in _filings(frame)
        .filter(period__in=[p.pk for p in periods])
        .order_by()
        .values("period_id")
        .annotate(
            total=Count("pk"),
            filed=Count("pk", filter=Q(filing__in=FILED)),
            missing=Count("pk", filter=Q(filing=reports.FILING_MISSING)),
            returned=Count("pk", filter=Q(filing=reports.FILING_RETURNED)),
            late=Count("pk", filter=Q(is_late=True)),
        )
    }
    empty = {"total": 0, "filed": 0, "missing": 0, "returned": 0, "late": 0}
    return [(period, counts.get(period.pk, empty)) for period in periods]


def report_section(frame: Frame) -> list[PeriodRow]:
    """Filing per half-year of the year that has begun, as the overview counts it: the periods, then one
    grouped query over the kept filings."""
    rows = []
    for period, counts in _report_counts(frame):

        def link(period=period, **params) -> str:
            return url("assessments:report_overview", period=period.pk, organ=frame.organ_param, **params)

        rows.append(
            PeriodRow(
                period,
                Figure("应报", counts["total"], link()),
                Figure("已报送", counts["filed"], link(filing="filed")),
                Figure("未提交", counts["missing"], link(status=reports.FILING_MISSING)),
                Figure("已退回", counts["returned"], link(status=reports.FILING_RETURNED)),
                Figure("逾期提交", counts["late"], link(filing="late_any")),
            )
        )
    return rows


# --- 问题整改台账 ---------------------------------------------------------------------------


def ledger_section(frame: Frame) -> list[Figure]:
    """Open and overdue items now (the ledger has no year: an item stays until it is verified)."""
    qs = frame.narrow(Problem.objects.visible_to(frame.user), "branch__organ_id")
    counts = qs.aggregate(
        working=Count("pk", filter=Q(status__in=WORKING)),
        overdue=Count("pk", filter=Q(status__in=WORKING, deadline__lt=frame.today)),
        **{s.value: Count("pk", filter=Q(status=s.value)) for s in ProblemStatus},
    )

    def link(**params) -> str:
        return url("assessments:problem_list", organ=frame.organ_param, **params)

    return [
        Figure("未整改完成", counts["working"], link(status="working")),
        Figure("已逾期", counts["overdue"], link(overdue="1")),
        *(Figure(s.label, counts[s.value], link(status=s.value)) for s in ProblemStatus),
    ]


# --- 组织设置预警 ---------------------------------------------------------------------------


def _warning_counts(frame: Frame) -> dict[str, int]:
    """Warnings are of today whatever the dashboard's year."""
    if frame.organ_ids is None:
        return current_warning_counts(frame.user, frame.today)
    return warning_counts(frame.branches().active(), OrganisationRules.for_year(frame.today.year), frame.today)


def warning_section(frame: Frame, branches: list[Branch] | None = None) -> tuple[Figure, list[Figure]]:
    """Current branches with each organisation warning, as the branch list filters them.

    `branches`: the organ's branches already annotated by `with_warnings` (the 支部一览 rows), counted
    without a query. Otherwise one query over the kept figures (`branches.figures`).
    """
    codes = [k.code for k in WARNING_KINDS]
    if branches is not None:
        counts = {code: sum(1 for b in branches if getattr(b, f"w_{code}")) for code in codes}
        counts["any"] = sum(1 for b in branches if b.has_warning)
    else:
        counts = _warning_counts(frame)

    def link(warning: str) -> str:
        return url("branches:branch_list", organ=frame.organ_param, warning=warning)

    return (
        Figure("有预警的支部", counts["any"], link("any")),
        [Figure(k.label, counts[k.code], link(k.code)) for k in WARNING_KINDS],
    )


# --- 支部一览 (one organ's branches side by side) -------------------------------------------


@dataclass
class BranchRow:
    branch: Branch
    result_id: int | None
    stars: int | None
    project_status: str | None
    n_projects: int
    completion: BranchRollup | None
    reports_total: int
    reports_filed: int
    open_problems: int
    n_warnings: int

    @property
    def star_text(self) -> str:
        return "" if self.stars is None else "★" * self.stars + "☆" * (5 - self.stars)

    @property
    def project_status_label(self) -> str:
        return ProjectStatus(self.project_status).label if self.project_status else ""

    @property
    def completion_rate(self) -> Decimal | None:
        return None if self.completion is None else percent(self.completion.n_done, self.completion.n_due)


def branch_rows(
    frame: Frame, run: RatingRun | None, period: DutyReportPeriod | None, orglife_rows: dict[int, BranchRollup]
) -> list[BranchRow]:
    """Each current branch of the organ with its stars, project, completion, reports, problems and
    warnings. Two queries (branches with subqueries and their kept figures; kept filings grouped by branch)."""
    rules = OrganisationRules.for_year(frame.today.year)
    projects = Project.objects.filter(branch=OuterRef("pk"), year=frame.year).order_by("pk")
    result = RatingResult.objects.filter(run=run, branch=OuterRef("pk"))
    problems = (
        Problem.objects.filter(branch=OuterRef("pk"), status__in=WORKING)
        .order_by()
        .values("branch")
        .annotate(c=Count("pk"))
        .values("c")
    )
    n_projects = projects.order_by().values("branch").annotate(c=Count("pk")).values("c")
    branches = list(
        frame.branches()
        .active()
        .with_warnings(rules, frame.today)
        .annotate(
            result_id=Subquery(result.values("pk")[:1]),
            stars=Subquery(result.values("stars")[:1]),
            project_status=Subquery(projects.values("status")[:1]),
            n_projects=Coalesce(Subquery(n_projects, output_field=IntegerField()), Value(0)),
            open_problems=Coalesce(Subquery(problems, output_field=IntegerField()), Value(0)),
        )
        .order_by("name")
    )
    filed: dict[int, tuple[int, int]] = {}
    if period is not None:
        for row in (
            _filings(frame)
            .filter(period=period)
            .values("branch_id")
            .annotate(total=Count("pk"), filed=Count("pk", filter=Q(filing__in=FILED)))
            .order_by()
        ):
            filed[row["branch_id"]] = (row["total"], row["filed"])
    return [
        BranchRow(
            branch=b,
            result_id=b.result_id,
            stars=b.stars,
            project_status=b.project_status,
            n_projects=b.n_projects,
            completion=orglife_rows.get(b.pk),
            reports_total=filed.get(b.pk, (0, 0))[0],
            reports_filed=filed.get(b.pk, (0, 0))[1],
            open_problems=b.open_problems,
            n_warnings=sum(1 for k in WARNING_KINDS if getattr(b, f"w_{k.code}")),
        )
        for b in branches
    ]


def latest_due(periods: list[PeriodRow], today: datetime.date) -> PeriodRow | None:
    """The period the headline and the branch rows report: the latest whose reports are due by `today`.

    A period still open for filing would read as a rate near 0% however well the branches are doing.
    Due means the due date has come, as the rating run counts it (`ratings`: due_on <= as_of).
    """
    due = [row for row in periods if row.period.due_on <= today]
    return due[-1] if due else None


def is_published(run: RatingRun | None) -> bool:
    return run is not None and run.status == RunStatus.PUBLISHED
