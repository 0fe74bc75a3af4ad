"""评星定级: compute every branch's score, stars and tier for a year as a frozen run, then publish it.

`request_run` queues a run (the page button and `manage.py compute_ratings` call it);
`compute_run` does the work in a Celery task. It gathers each metric for all branches in a fixed
number of queries, applies the rules in `scoring` and stores, per branch, the inputs and the
per-indicator points with names copied, so that a later edit never changes a run silently. The
same data always gives the same run (the inputs digest shows it).
"""

import datetime
import hashlib
import json
from collections import Counter, defaultdict
from dataclasses import dataclass
from decimal import Decimal
from typing import NamedTuple

from django.db import IntegrityError, transaction
from django.db.models import Count, F, Max, Q, QuerySet
from django.utils import timezone

from accounts.models import Role, User
from accounts.scope import scope_of
from accounts.selectors import gongwei_users
from branches import hours, kept, orglife
from branches.choices import CommitteePost
from branches.models import Branch, CommitteeMember, Member
from core.errors import DomainError, IllegalTransition
from notifications.services import notify
from projects.choices import Grade, ProjectStatus
from projects.models import Milestone, Project

from . import reports, scoring, trial
from .choices import (
    AdjustmentKind,
    AppraisalGrade,
    AppraisalStatus,
    Filing,
    IndicatorSource,
    Metric,
    ProblemStatus,
    ReportStatus,
    RunStatus,
    SecretaryGrade,
    SecretaryReportStatus,
)
from .models import (
    Adjustment,
    Appraisal,
    AppraisalEntry,
    AssessmentScheme,
    DutyFiling,
    DutyReportPeriod,
    Indicator,
    IndicatorScore,
    Problem,
    RatingResult,
    RatingRun,
    SecretaryReport,
)
from .permissions import PUBLISH_RATINGS, RUN_RATINGS
from .schemes import lock_scheme, scheme_for_year

OPEN_STATUSES = (RunStatus.QUEUED, RunStatus.RUNNING, RunStatus.DRAFT)
PROJECT_STATUSES_WITH_MILESTONES = (
    ProjectStatus.APPROVED,
    ProjectStatus.FILED,
    ProjectStatus.ACCEPTANCE_REQUESTED,
    ProjectStatus.ACCEPTED,
)
# A run that has not finished this long after it was queued is taken to be lost (a worker died),
# so that the 工委 can start another instead of waiting for it forever.
STALE_AFTER = datetime.timedelta(minutes=30)
# Results are written this many to a statement: each carries its breakdown (a few kB of JSON), and a
# province's 7,500 in one statement made a 25 MB string for the client to build and the server to parse.
INSERT_BATCH = 1000


class RatingError(DomainError):
    """The run cannot be started or published; the message is shown to the user."""


class RunConflict(RatingError, IllegalTransition):
    """Refused because of the state of a run (one is computing, or it is not a draft)."""


class TrialNotConfirmed(RatingError):
    """A 试算 is published without the reason the 工委 must give for publishing it early."""


# --- who may do what ------------------------------------------------------------------------------


def can_run(user) -> bool:
    return scope_of(user).is_gongwei


def visible_runs(user):
    """工委 see every run; a 机关党委 the published ones (a published 试算 too, marked as one); anyone else
    only the runs that are their year's result of record."""
    runs = RatingRun.objects.select_related("scheme")
    scope = scope_of(user)
    if scope.is_gongwei:
        return runs
    if scope.is_organ_staff:
        return runs.published()
    return runs.final()


def visible_results(user) -> QuerySet[RatingResult]:
    """The results the user may read: the 工委 all; a 机关党委 its organs' in published runs; a branch its
    own in its year's result of record only: a 试算 is never shown to a branch as its result."""
    scope = scope_of(user)
    results = RatingResult.objects.all()
    if scope.is_gongwei:
        return results
    published = Q(run__status=RunStatus.PUBLISHED)
    final = published & Q(run__is_trial=False)
    return results.filter((published & Q(organ_id__in=scope.organ_ids)) | (final & Q(branch_id__in=scope.branch_ids)))


def results_for(user, run: RatingRun):
    """The results of `run` the user may read (none of an unpublished run unless 工委)."""
    return visible_results(user).filter(run=run)


def branch_history(branch: Branch) -> list[RatingResult]:
    """The branch's result of record of each year, oldest first (a published 试算 is not one). One query."""
    return list(RatingResult.objects.filter(branch=branch).final().select_related("run").order_by("run__year"))


def latest_published(year: int) -> RatingRun | None:
    """The year's result of record: its published run, unless that is a 试算."""
    return RatingRun.objects.final().filter(year=year).first()


# --- requesting and publishing ----------------------------------------------------------------------


def default_as_of(year: int, today: datetime.date) -> datetime.date:
    """A past year is rated on its whole record; the current year on the record so far."""
    return min(datetime.date(year, 12, 31), today)


def request_run(year: int, *, by, as_of: datetime.date | None = None) -> RatingRun:
    """Queue a run for `year` with its current scheme (the page button); 工委 only."""
    RUN_RATINGS.require(by)
    return start_run(year, by=by, as_of=as_of)


@transaction.atomic
def start_run(year: int, *, by, as_of: datetime.date | None = None, enqueue: bool = True) -> RatingRun:
    """Create a queued run for `year`; a draft run of the year is superseded.

    With `enqueue` the Celery task computes it once the transaction commits; without, the caller
    runs `compute_run` itself (`manage.py compute_ratings --sync`).
    """
    requested_at = timezone.now()
    today = timezone.localdate()
    if not orglife.year_is_reasonable(year, today) or year > today.year:
        raise RatingError(f"{year}年度不能评定。")
    scheme = scheme_for_year(year)
    if scheme is None:
        raise RatingError(f"{year}年度尚未设置考核方案，请先在“考核方案”中创建。")
    if not scheme.indicators.exists():
        raise RatingError(f"{year}年度考核方案没有任何指标。")
    as_of = as_of or default_as_of(year, today)
    if as_of.year != year or as_of > today:
        raise RatingError("数据截止日期应在该年度内且不晚于今天。")
    for run in RatingRun.objects.select_for_update().filter(year=year, status__in=OPEN_STATUSES):
        if run.status == RunStatus.DRAFT:
            run.status = RunStatus.SUPERSEDED
            run.save(update_fields=["status"])
        elif timezone.now() - run.created_at > STALE_AFTER:
            run.status, run.error = RunStatus.FAILED, "计算超时未完成，已由新的评定替代。"
            run.save(update_fields=["status", "error"])
        else:
            raise RunConflict(f"{run}正在计算，请稍候刷新页面。")
    # A request that overlapped this one may have created its run (and even computed it) while this one
    # waited for the lock: the rows locked above were read before it committed. Asked at once, run once.
    if RatingRun.objects.filter(year=year, created_at__gt=requested_at).exists():
        raise RunConflict("同一年度的另一次评定刚刚开始，请稍候刷新页面。")
    number = (RatingRun.objects.filter(year=year).aggregate(n=Max("number"))["n"] or 0) + 1
    try:
        with transaction.atomic():
            run = RatingRun.objects.create(year=year, number=number, scheme=scheme, as_of=as_of, created_by=by)
    except IntegrityError as exc:
        raise RunConflict("同一年度的另一次评定刚刚开始，请稍候刷新页面。") from exc
    if enqueue:
        from .tasks import compute_run_task

        compute_run_task.delay_on_commit(run.pk)
    return run


@transaction.atomic
def publish_run(run: RatingRun, *, by, trial_reason: str = "") -> RatingRun:
    """Make a computed run the year's result; the previously published one is superseded.

    A 试算 is published only with `trial_reason`, the 工委's reason to publish before the year's record is
    complete; it is kept with who and when. It is then read by the 工委 and the 机关党委 as a trial, never
    by a branch as its result, and it never replaces a year's published result of record.
    """
    PUBLISH_RATINGS.require(by)
    run = RatingRun.objects.select_for_update().get(pk=run.pk)
    if run.status != RunStatus.DRAFT:
        raise RunConflict(f"只有待发布的评定可以发布（当前：{run.get_status_display()}）。")
    reason = trial_reason.strip()
    if run.is_trial:
        if not reason:
            raise TrialNotConfirmed(
                f"{run}在{run.year}年度最后一个考核期到期（{run.complete_on:%Y-%m-%d}）前计算，结果不完整。"
                "如确需提前发布，请填写提前发布的理由。"
            )
        if RatingRun.objects.final().filter(year=run.year).exists():
            raise RunConflict(f"{run.year}年度已发布正式评定结果，试算不能替代它。")
        run.trial_reason = reason
    RatingRun.objects.filter(year=run.year, status=RunStatus.PUBLISHED).update(status=RunStatus.SUPERSEDED)
    run.status, run.published_by, run.published_at = RunStatus.PUBLISHED, by, timezone.now()
    run.save(update_fields=["status", "published_by", "published_at", "trial_reason"])
    staff = User.objects.filter(is_active=True, roles__role=Role.ORGAN).distinct()
    if run.is_trial:
        title = f"{run.year}年度星级支部评定试算结果已提前发布"
        body = (
            f"本次为试算，年度考核期尚未全部到期，结果不完整，支部不可见。提前发布理由：{reason}"
            f" 共试算 {run.n_branches} 个党支部，可查看本单位各支部的试算情况和尚缺事项。"
        )
    else:
        title = f"{run.year}年度星级支部评定结果已发布"
        body = f"共评定 {run.n_branches} 个党支部，可查看本单位各支部星级、等次和失分情况。"
    notify(
        list(staff) + list(gongwei_users()),
        title=title,
        body=body,
        url=run.get_absolute_url(),
        key=f"rating_run:{run.pk}:published",
    )
    return run


# --- computing ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Measure:
    """A metric for one branch: the share achieved (None = not applicable) and what it came from."""

    ratio: Decimal | None
    input: str
    pending: str = ""  # what the branch has yet to do for it (a 试算's gaps), when that can still change


def _ratio(done: int, due: int) -> Decimal | None:
    return None if due == 0 else Decimal(done) / Decimal(due)


def _participating(as_of: datetime.date) -> Q:
    return Q(founded_on__lte=as_of) & (Q(dissolved_on__isnull=True) | Q(dissolved_on__gt=as_of))


class _Participant(NamedTuple):
    """A branch as the run reads it (model instances of a province's branches and organs cost a second)."""

    pk: int
    name: str
    organ_id: int
    organ_name: str


def _participants(as_of: datetime.date):
    return (
        Branch.objects.filter(_participating(as_of))
        .select_related("organ")
        .order_by("organ__sort_order", "organ__pk", "name", "pk")
    )


def _scope(as_of: datetime.date) -> QuerySet:
    """The participants as a subquery for the metrics' filters. A province's 7,500 ids written into
    each query as a list cost ten times the query itself (binding and parsing the list)."""
    return Branch.objects.filter(_participating(as_of)).values("pk")


def _project_scores(ids, scope, year) -> dict[int, Measure]:
    """The best accepted project of the year counts; a branch without one scores nothing."""
    filed = set(
        Project.objects.filter(branch_id__in=scope, year=year)
        .exclude(status=ProjectStatus.DRAFT)
        .values_list("branch_id", flat=True)
        .distinct()
    )
    best: dict[int, tuple[Decimal, str]] = {}
    accepted = (
        Project.objects.filter(branch_id__in=scope, year=year, status=ProjectStatus.ACCEPTED, score__isnull=False)
        .order_by("branch_id", "-score", "pk")
        .values_list("branch_id", "score", "grade")
    )
    for branch_id, score, grade in accepted:
        best.setdefault(branch_id, (score, grade))
    result = {}
    for branch_id in ids:
        if branch_id in best:
            score, grade = best[branch_id]
            label = f"（{Grade(grade).label}）" if grade else ""
            result[branch_id] = Measure(score / Decimal(100), f"验收得分 {score:.2f}{label}")
        elif branch_id in filed:
            result[branch_id] = Measure(Decimal(0), "项目尚未通过验收", "项目尚未通过验收")
        else:
            result[branch_id] = Measure(Decimal(0), "未立项")
    return result


def _milestones(ids, scope, year, as_of) -> dict[int, Measure]:
    rows = (
        Milestone.objects.filter(
            project__branch_id__in=scope,
            project__year=year,
            project__status__in=PROJECT_STATUSES_WITH_MILESTONES,
            planned_on__lte=as_of,
        )
        .values("project__branch_id")
        .annotate(
            due=Count("pk"),
            on_time=Count("pk", filter=Q(completed_on__isnull=False, completed_on__lte=F("planned_on"))),
        )
    )
    found = {r["project__branch_id"]: r for r in rows}
    result = {}
    for branch_id in ids:
        row = found.get(branch_id, {"due": 0, "on_time": 0})
        text = f"按期完成 {row['on_time']}/{row['due']} 个节点" if row["due"] else "无到期节点"
        result[branch_id] = Measure(_ratio(row["on_time"], row["due"]), text)
    return result


def _meetings(branches, year, as_of) -> dict[int, Measure]:
    # Periods ending on the cut-off day count as over.
    today = as_of + datetime.timedelta(days=1)
    found = kept.done_and_due(year, today, orglife.requirements_for_year(year))
    result = {}
    for branch in branches:
        n_done, n_due = found.get(branch.pk, (0, 0))
        text = f"完成 {n_done}/{n_due} 期" if n_due else "无应开展的组织生活"
        result[branch.pk] = Measure(_ratio(n_done, n_due), text)
    return result


def _reports(ids, scope, year, as_of, day) -> dict[int, Measure]:
    # A period counts once it has ended by the cut-off and its reports were due by the day the run was asked
    # for: the second half, due in January, counts in a run of the past year made after its due date.
    periods = list(DutyReportPeriod.objects.filter(year=year, ends_on__lte=as_of, due_on__lte=day))
    owed: dict[int, int] = defaultdict(int)
    on_time: dict[int, int] = defaultdict(int)
    for period in periods:
        rows = (
            Member.objects.filter(branch_id__in=scope, is_leader=True, branch__founded_on__lte=period.ends_on)
            .values("branch_id")
            .annotate(
                n=Count("pk", distinct=True),
                ok=Count(
                    "duty_reports",
                    filter=Q(
                        duty_reports__period=period,
                        duty_reports__status__in=(ReportStatus.SUBMITTED, ReportStatus.ACCEPTED),
                        duty_reports__is_late=False,
                    ),
                ),
            )
        )
        for row in rows:
            owed[row["branch_id"]] += row["n"]
            on_time[row["branch_id"]] += row["ok"]
    result = {}
    for branch_id in ids:
        due = owed.get(branch_id, 0)
        text = f"按时提交 {on_time.get(branch_id, 0)}/{due} 份" if due else "无应报告的班子成员"
        result[branch_id] = Measure(_ratio(on_time.get(branch_id, 0), due), text)
    return result


def _ledger(ids, scope, year, as_of) -> dict[int, Measure]:
    rows = (
        Problem.objects.filter(branch_id__in=scope, deadline__gte=datetime.date(year, 1, 1), deadline__lte=as_of)
        .values("branch_id")
        .annotate(
            due=Count("pk"),
            closed=Count(
                "pk",
                filter=Q(status__in=(ProblemStatus.DONE, ProblemStatus.VERIFIED), closed_at__date__lte=F("deadline")),
            ),
        )
    )
    found = {r["branch_id"]: r for r in rows}
    result = {}
    for branch_id in ids:
        row = found.get(branch_id, {"due": 0, "closed": 0})
        text = f"按期整改 {row['closed']}/{row['due']} 项" if row["due"] else "无到期整改问题"
        result[branch_id] = Measure(_ratio(row["closed"], row["due"]), text)
    return result


def _appraisals(ids, scope, year) -> dict[int, Measure]:
    finalized_appraisals = Appraisal.objects.filter(branch_id__in=scope, year=year, status=AppraisalStatus.FINALIZED)
    finalized = set(finalized_appraisals.values_list("branch_id", flat=True))
    rows = (
        # One appraisal per branch and year: the finalized ones are those of the finalized branches.
        AppraisalEntry.objects.filter(appraisal__in=finalized_appraisals)
        .exclude(grade="")
        .values("appraisal__branch_id")
        .annotate(
            graded=Count("pk"),
            ok=Count("pk", filter=Q(grade__in=(AppraisalGrade.EXCELLENT, AppraisalGrade.QUALIFIED))),
        )
    )
    found = {r["appraisal__branch_id"]: r for r in rows}
    result = {}
    for branch_id in ids:
        if branch_id not in finalized:
            result[branch_id] = Measure(Decimal(0), "未完成民主评议", "民主评议尚未完成")
            continue
        row = found.get(branch_id, {"graded": 0, "ok": 0})
        text = f"合格及以上 {row['ok']}/{row['graded']} 人" if row["graded"] else "无参评正式党员"
        result[branch_id] = Measure(_ratio(row["ok"], row["graded"]), text)
    return result


def _training(ids, year) -> dict[int, Measure]:
    # Every member of the rated branches beside their kept 学时 (one join), rather than a lookup per member.
    members = hours.join(Member.objects.filter(branch_id__in=ids, joined_on__lte=datetime.date(year, 12, 31)), year)
    reached = hours.joined_reached_q(hours.target_of(year))
    rows = members.values("branch_id").annotate(n=Count("pk"), reached=Count("pk", filter=reached))
    found = {r["branch_id"]: r for r in rows}
    result = {}
    for branch_id in ids:
        row = found.get(branch_id, {"n": 0, "reached": 0})
        text = f"学时达标 {row['reached']}/{row['n']} 人" if row["n"] else "无党员"
        result[branch_id] = Measure(_ratio(row["reached"], row["n"]), text)
    return result


def _secretary_reviews(ids, scope, year, scheme: AssessmentScheme) -> dict[int, Measure]:
    ratios = {
        SecretaryGrade.GOOD: scheme.review_good_ratio,
        SecretaryGrade.FAIR: scheme.review_fair_ratio,
        SecretaryGrade.AVERAGE: scheme.review_average_ratio,
        SecretaryGrade.POOR: scheme.review_poor_ratio,
    }
    found = dict(SecretaryReport.objects.filter(branch_id__in=scope, year=year).values_list("branch_id", "status"))
    graded = dict(
        SecretaryReport.objects.filter(
            branch_id__in=scope, year=year, status=SecretaryReportStatus.EVALUATED
        ).values_list("branch_id", "grade")
    )
    result = {}
    for branch_id in ids:
        if branch_id in graded:
            grade = graded[branch_id]
            result[branch_id] = Measure(ratios[grade], f"评议等次：{SecretaryGrade(grade).label}")
        elif found.get(branch_id) == SecretaryReportStatus.SUBMITTED:
            result[branch_id] = Measure(Decimal(0), "述职待评议", "书记述职待评议")
        else:
            result[branch_id] = Measure(Decimal(0), "未提交述职报告", "书记述职尚未提交")
    return result


def _secretaries(scope) -> dict[int, str]:
    """The secretary of each branch's latest committee term (two rows per branch at most)."""
    rows = (
        CommitteeMember.objects.filter(term__branch_id__in=scope, post=CommitteePost.SECRETARY)
        .order_by("term__branch_id", "-term__elected_on", "-term__pk")
        .values_list("term__branch_id", "member__name")
    )
    found: dict[int, str] = {}
    for branch_id, name in rows:
        found.setdefault(branch_id, name)
    return found


def _adjustments(scope, year) -> dict[int, tuple[Decimal, Decimal, list[str]]]:
    found: dict[int, list] = defaultdict(lambda: [Decimal(0), Decimal(0), []])
    rows = Adjustment.objects.filter(branch_id__in=scope, year=year).order_by("branch_id", "pk")
    for adj in rows.values("branch_id", "kind", "name", "points"):
        entry = found[adj["branch_id"]]
        if adj["kind"] == AdjustmentKind.BONUS:
            entry[0] += adj["points"]
            entry[2].append(f"{adj['name']} +{adj['points']:g}")
        else:
            entry[1] += adj["points"]
            entry[2].append(f"{adj['name']} −{adj['points']:g}")
    return {k: (v[0], v[1], v[2]) for k, v in found.items()}


def gather(
    scheme: AssessmentScheme,
    branches: list[_Participant],
    as_of: datetime.date,
    day: datetime.date | None = None,
) -> dict[int, dict[str, Measure]]:
    """Each branch's measure for every metric the scheme's computed indicators use.

    `branches` are the participants as of `as_of` (`_participants`); each metric is one or two grouped
    queries over them, whatever their number. `day` is when the run was asked for (default `as_of`): what
    was due by then counts.
    """
    day = day or as_of
    ids = [b.pk for b in branches]
    scope = _scope(as_of)
    year = scheme.year
    metrics = set(scheme.indicators.filter(source=IndicatorSource.COMPUTED).values_list("metric", flat=True))
    gatherers = {
        Metric.PROJECT_SCORE: lambda: _project_scores(ids, scope, year),
        Metric.MILESTONE_TIMELINESS: lambda: _milestones(ids, scope, year, as_of),
        Metric.MEETING_COMPLETION: lambda: _meetings(branches, year, as_of),
        Metric.REPORT_TIMELINESS: lambda: _reports(ids, scope, year, as_of, day),
        Metric.LEDGER_CLOSURE: lambda: _ledger(ids, scope, year, as_of),
        Metric.APPRAISAL: lambda: _appraisals(ids, scope, year),
        Metric.TRAINING_HOURS: lambda: _training(ids, year),
        Metric.SECRETARY_REVIEW: lambda: _secretary_reviews(ids, scope, year, scheme),
    }
    per_metric = {metric: gatherers[metric]() for metric in sorted(metrics)}
    return {branch_id: {m: found[branch_id] for m, found in per_metric.items()} for branch_id in ids}


class _Score(NamedTuple):
    """What `_score_line` reads of an `IndicatorScore`."""

    score: Decimal | None
    not_applicable: bool
    note: str


def _money(value: Decimal | None) -> str | None:
    return None if value is None else f"{value:.2f}"


@dataclass(frozen=True)
class _Column:
    """An indicator's part of every branch's line, worked out once per run rather than once per line."""

    indicator: Indicator
    lineage: str
    max_value: Decimal  # the maximum as the line stores it, read back
    head: dict

    @classmethod
    def of(cls, indicator: Indicator) -> "_Column":
        head = {
            "lineage": str(indicator.lineage),
            "dimension": indicator.dimension.name,
            "name": indicator.name,
            "source": indicator.source,
            "max": _money(indicator.max_score),
        }
        return cls(indicator, head["lineage"], Decimal(head["max"]), head)


def _score_line(column: _Column, measure: Measure | None, score: _Score | None) -> dict:
    """One indicator of one branch, as the run stores it."""
    indicator = column.indicator
    if score is not None and score.not_applicable:
        points, text = None, "不适用" + (f"：{score.note}" if score.note else "")
    elif indicator.source == IndicatorSource.COMPUTED:
        points, text = scoring.points_for(measure.ratio, indicator.max_score), measure.input
        if measure.ratio is None:
            text = f"不适用（{measure.input}）"
    elif score is None or score.score is None:
        points, text = Decimal(0), "未评分"
    else:
        points = min(score.score, indicator.max_score)
        text = score.note or "已评分"
    return {**column.head, "score": _money(points), "input": text}


def _missing(column: _Column, measure: Measure | None, score: _Score | None) -> tuple[str, str] | None:
    """What a branch still lacks for one indicator, as a line of the run's gaps: a score not entered, or a
    step of its own not taken yet (`Measure.pending`). Nothing for an indicator that does not apply."""
    if score is not None and score.not_applicable:
        return None
    if column.indicator.source == IndicatorSource.COMPUTED:
        return (trial.FILING, measure.pending) if measure.pending else None
    if score is None or score.score is None:
        return (trial.SCORE, column.indicator.name)
    return None


def _unfiled(pending: list[trial.Period], scope) -> dict[int, dict[int, int]]:
    """Per report period not due yet and per organ, the 班子成员 who have not filed. One query, or none."""
    pks = [p.pk for p in pending if p.source == trial.REPORTS and p.pk is not None]
    if not pks:
        return {}
    rows = (
        DutyFiling.objects.filter(period_id__in=pks, branch_id__in=scope, filing__in=(Filing.MISSING, Filing.RETURNED))
        .values("period_id", "branch__organ_id")
        .annotate(n=Count("pk"))
        .order_by()
    )
    found: dict[int, dict[int, int]] = defaultdict(dict)
    for row in rows:
        found[row["period_id"]][row["branch__organ_id"]] = row["n"]
    return found


def _dimension_points(lines: list[dict], dimension_names: list[str]) -> dict[str, str]:
    """Each dimension's points on the 100 scale of the base score (N/A rescaled like the total)."""
    possible = sum((Decimal(line["max"]) for line in lines if line["score"] is not None), Decimal(0))
    totals: dict[str, Decimal] = {name: Decimal(0) for name in dimension_names}
    for line in lines:
        if line["score"] is not None:
            totals[line["dimension"]] += Decimal(line["score"])
    return {name: _money(scoring.rescale(points, possible) or Decimal(0)) for name, points in totals.items()}


def compute_run(run_id: int) -> RatingRun:
    """Compute a queued run. A run that is no longer queued is returned as it is (idempotent)."""
    with transaction.atomic():
        run = RatingRun.objects.select_for_update().select_related("scheme").get(pk=run_id)
        if run.status != RunStatus.QUEUED:
            return run
        run.status, run.started_at = RunStatus.RUNNING, timezone.now()
        run.save(update_fields=["status", "started_at"])
    try:
        # The run reads the year's kept completion and its report periods, which an opened year has.
        orglife.ensure_requirements(run.year)
        reports.ensure_periods([run.year])
        with transaction.atomic():
            run = RatingRun.objects.select_for_update().select_related("scheme").get(pk=run_id)
            if run.status != RunStatus.RUNNING:
                return run
            _compute(run)
    except Exception as exc:
        RatingRun.objects.filter(pk=run_id, status=RunStatus.RUNNING).update(
            status=RunStatus.FAILED, error=f"{type(exc).__name__}: {exc}", finished_at=timezone.now()
        )
        raise
    return RatingRun.objects.get(pk=run_id)


def _compute(run: RatingRun) -> None:
    scheme = lock_scheme(run.scheme)
    year = run.year
    branches = [
        _Participant(*row) for row in _participants(run.as_of).values_list("pk", "name", "organ_id", "organ__name")
    ]
    indicators = list(
        scheme.indicators.select_related("dimension").order_by(
            "dimension__sort_order", "dimension__pk", "sort_order", "pk"
        )
    )
    columns = [_Column.of(i) for i in indicators]
    dimension_names = list(scheme.dimensions.order_by("sort_order", "pk").values_list("name", flat=True))
    day = run.requested_on
    measures = gather(scheme, branches, run.as_of, day)
    scope = _scope(run.as_of)
    completion = trial.completion(
        year,
        {i.metric for i in indicators if i.source == IndicatorSource.COMPUTED},
        orglife.requirements_for_year(year),
        DutyReportPeriod.objects.filter(year=year),
    )
    scores = {
        (branch_id, str(lineage)): _Score(score, not_applicable, note)
        for branch_id, lineage, score, not_applicable, note in IndicatorScore.objects.filter(
            branch_id__in=scope, year=year, lineage__in=[i.lineage for i in indicators]
        ).values_list("branch_id", "lineage", "score", "not_applicable", "note")
    }
    adjustments = _adjustments(scope, year)
    secretaries = _secretaries(scope)
    previous = latest_published(year - 1)
    previous_stars = (
        dict(RatingResult.objects.filter(run=previous).values_list("branch_id", "stars")) if previous else {}
    )

    drafts = {}
    missing: dict[tuple[str, str], Counter] = defaultdict(Counter)
    for branch in branches:
        found = measures[branch.pk]
        lines, lacks = [], set()
        for column in columns:
            measure, entered = found.get(column.indicator.metric), scores.get((branch.pk, column.lineage))
            lines.append(_score_line(column, measure, entered))
            lacks.add(_missing(column, measure, entered))
        for what in lacks - {None}:
            missing[what][branch.organ_id] += 1
        base = scoring.base_score(
            scoring.Line(c.max_value, None if line["score"] is None else Decimal(line["score"]))
            for c, line in zip(columns, lines, strict=True)
        )
        bonus, deduction, notes = adjustments.get(branch.pk, (Decimal(0), Decimal(0), []))
        bonus_used, deduction_used, total = scoring.total_score(
            base, bonus, deduction, scheme.bonus_cap, scheme.deduction_cap
        )
        if notes:
            lines.append(
                {
                    "lineage": "",
                    "dimension": "加减分",
                    "name": "加减分事项",
                    "source": "adjustment",
                    "max": None,
                    "score": _money(bonus_used - deduction_used),
                    "input": "；".join(notes),
                }
            )
        drafts[branch.pk] = (branch, lines, base, bonus_used, deduction_used, total)

    rated = [scoring.Rated(key=pk, total=d[5]) for pk, d in drafts.items()]
    by_score = {r.key: scoring.stars_for(r.total, scheme.star_thresholds) for r in rated}
    stars = scoring.apply_star_quota(rated, by_score, scheme.five_star_quota)
    rank = scoring.ranks(rated)
    tier = scoring.tiers(
        rated,
        scoring.TierRules(
            scheme.tier_mode,
            scheme.advanced_min,
            scheme.good_min,
            scheme.ordinary_min,
            scheme.advanced_share,
            scheme.good_share,
            scheme.backward_share,
        ),
    )
    flagged = scoring.bottom(rated, scheme.bottom_share)

    results = {}
    for pk, (branch, lines, base, bonus_used, deduction_used, total) in drafts.items():
        results[pk] = RatingResult(
            run=run,
            branch_id=branch.pk,
            organ_id=branch.organ_id,
            organ_name=branch.organ_name,
            branch_name=branch.name,
            secretary_name=secretaries.get(pk, ""),
            base_score=base,
            bonus=bonus_used,
            deduction=deduction_used,
            total=total,
            stars=stars[pk],
            stars_by_score=by_score[pk],
            tier=tier[pk],
            rank=rank[pk],
            previous_stars=previous_stars.get(pk),
            is_bottom=pk in flagged,
            dimensions=_dimension_points([line for line in lines if line["lineage"]], dimension_names),
            breakdown=lines,
        )
    RatingResult.objects.bulk_create(results.values(), batch_size=INSERT_BATCH)

    strong = [
        scoring.Candidate(pk, drafts[pk][0].organ_id, drafts[pk][5])
        for pk in drafts
        if pk not in flagged and stars[pk] >= 4
    ]
    weak = [scoring.Candidate(pk, drafts[pk][0].organ_id, drafts[pk][5]) for pk in flagged]
    pairs = scoring.pairings(weak, strong)
    for weak_pk, strong_pk in pairs.items():
        results[weak_pk].paired_with = results[strong_pk]
    RatingResult.objects.bulk_update([results[pk] for pk in pairs], ["paired_with"])

    digest = hashlib.sha256(
        json.dumps(
            [scheme.pk, [[pk, d[1], str(d[3]), str(d[4])] for pk, d in sorted(drafts.items())]],
            ensure_ascii=False,
            sort_keys=True,
        ).encode()
    ).hexdigest()
    pending = completion.pending(run.as_of, day)
    gaps = trial.period_gaps(pending, run.as_of, _unfiled(pending, scope))
    for kind in (trial.SCORE, trial.FILING):
        gaps += [trial.gap(kind, label, dict(organs), "个支部") for (k, label), organs in missing.items() if k == kind]
    run.status, run.finished_at = RunStatus.DRAFT, timezone.now()
    run.n_branches, run.inputs_digest = len(drafts), digest
    run.is_trial, run.complete_on, run.gaps = completion.is_trial(run.as_of, day), completion.complete_on, gaps
    run.save(update_fields=["status", "finished_at", "n_branches", "inputs_digest", "is_trial", "complete_on", "gaps"])
