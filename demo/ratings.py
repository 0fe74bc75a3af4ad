"""Demo annual assessments for `seed_demo`: schemes, scores, appraisals, 述职 and rating runs.

The demo's story: two years ago the 工委 still scored every indicator by hand (the portal did not
hold the records yet), so that year's scheme is all manual. Last year 三会一课, 一岗双责 and the
ledger were kept in the portal and were computed; project acceptance was still on paper and
scored by hand. This year everything the portal records is computed. The two past years have
published runs (so branches show stars over the years and a change); this year has its scheme,
partly entered scores, as in late November, and a 试算 the 工委 ran to see what is still missing:
it stays unpublished, as the year's result waits for its last assessed period to be due. (Seeded
before last year's last period is due, in early January, last year's run is a 试算 as well.)
"""

import datetime
import random
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from assessments.choices import (
    AdjustmentKind,
    AppraisalGrade,
    AppraisalStatus,
    IndicatorSource,
    Metric,
    PointEntryStatus,
    RunStatus,
    SecretaryGrade,
    SecretaryReportStatus,
)
from assessments.models import (
    Adjustment,
    Appraisal,
    AppraisalEntry,
    AssessmentScheme,
    IndicatorScore,
    PointEntry,
    RatingRun,
    SecretaryReport,
)
from assessments.points import ensure_point_rules
from assessments.ratings import compute_run, publish_run, start_run
from assessments.schemes import create_default_scheme
from branches.choices import CommitteePost, MemberStatus
from demo.organisation import DemoPlan

HALF = Decimal("0.5")
PROJECT_METRICS = (Metric.PROJECT_SCORE, Metric.MILESTONE_TIMELINESS)
# Share of branches whose manual scores for this year are already entered (late November).
CURRENT_YEAR_SCORED = 0.4
BONUS_SHARE, DEDUCTION_SHARE = 0.06, 0.02


@dataclass
class RatingDemo:
    runs: list[RatingRun] = field(default_factory=list)
    n_scores: int = 0
    n_entries: int = 0
    n_reports: int = 0
    n_adjustments: int = 0
    n_points: int = 0


def _halves(value: float) -> Decimal:
    """Scores are given in half points, as staff do on paper."""
    return (Decimal(str(value)) / HALF).quantize(Decimal(1), rounding=ROUND_HALF_UP) * HALF


class _Builder:
    def __init__(self, org: DemoPlan, *, seed: int, today: datetime.date, by: User):
        self.org, self.today, self.by = org, today, by
        self.rng = random.Random(seed * 7 + 5)
        self.branches = org.active_branches
        # Each branch has a steady quality, so its stars over the years look like one branch's.
        self.quality = {b.pk: min(max(self.rng.gauss(0.86, 0.075), 0.45), 1.0) for b in self.branches}
        self.secretaries = {
            seat.term.branch_id: seat.member for seat in org.seats if seat.post == CommitteePost.SECRETARY
        }
        self.result = RatingDemo()

    def _scheme(self, year: int, manual_metrics) -> AssessmentScheme:
        scheme = create_default_scheme(year, by=self.by)
        scheme.indicators.filter(metric__in=manual_metrics).update(source=IndicatorSource.MANUAL, metric="")
        return scheme

    def _mark(self, branch_id: int, maximum: Decimal) -> Decimal:
        share = min(max(self.quality[branch_id] + self.rng.gauss(0, 0.05), 0.3), 1.0)
        return min(_halves(float(maximum) * share), maximum)

    def _scores(self, scheme: AssessmentScheme, branches) -> None:
        manual = list(scheme.indicators.exclude(source=IndicatorSource.COMPUTED))
        at = timezone.make_aware(datetime.datetime(min(scheme.year, self.today.year), 12, 20, 10))
        rows = [
            IndicatorScore(
                branch_id=b.pk,
                year=scheme.year,
                lineage=i.lineage,
                score=self._mark(b.pk, i.max_score),
                note="",
                scored_by=self.by,
                scored_at=min(at, timezone.now()),
            )
            for b in branches
            for i in manual
        ]
        IndicatorScore.objects.bulk_create(rows, batch_size=2000)
        self.result.n_scores += len(rows)

    def _adjustments(self, year: int) -> None:
        rows = []
        for b in self.branches:
            roll = self.rng.random()
            if roll < BONUS_SHARE:
                kind, name, points, note = AdjustmentKind.BONUS, "获得市级及以上表彰", Decimal(2), "市委表彰文件"
            elif roll < BONUS_SHARE + DEDUCTION_SHARE:
                kind, name, points, note = AdjustmentKind.DEDUCTION, "被上级通报批评", Decimal(3), "督查通报"
            else:
                continue
            rows.append(
                Adjustment(
                    branch_id=b.pk, year=year, kind=kind, name=name, points=points, note=note, created_by=self.by
                )
            )
        Adjustment.objects.bulk_create(rows)
        self.result.n_adjustments += len(rows)

    def _appraisals(self, year: int) -> None:
        """民主评议 held in December: about a quarter 优秀 (within the third), a few 基本合格."""
        held = datetime.date(year, 12, 18)
        finalized_at = timezone.make_aware(datetime.datetime(year, 12, 20, 16))
        appraisals = [
            Appraisal(
                branch_id=b.pk,
                year=year,
                held_on=held,
                status=AppraisalStatus.FINALIZED,
                finalized_by=self.by,
                finalized_at=finalized_at,
            )
            for b in self.branches
        ]
        Appraisal.objects.bulk_create(appraisals)
        by_branch = {a.branch_id: a for a in appraisals}
        members: dict[int, list] = {}
        for m in self.org.members:
            if m.branch_id in by_branch and m.joined_on <= held:
                members.setdefault(m.branch_id, []).append(m)
        entries = []
        for branch_id, roster in members.items():
            full = [m for m in roster if m.status == MemberStatus.FULL]
            quota = len(full) // 3
            n_excellent = min(quota, round(len(full) * self.rng.uniform(0.15, 0.3)))
            excellent = {id(m) for m in self.rng.sample(full, n_excellent)}
            for m in roster:
                probationary = m.status != MemberStatus.FULL
                if probationary:
                    grade = ""
                elif id(m) in excellent:
                    grade = AppraisalGrade.EXCELLENT
                elif self.rng.random() < 0.03 + (1 - self.quality[branch_id]) * 0.1:
                    grade = AppraisalGrade.BASIC
                else:
                    grade = AppraisalGrade.QUALIFIED
                votes = len(roster) - 1
                entries.append(
                    AppraisalEntry(
                        appraisal=by_branch[branch_id],
                        member=m,
                        is_probationary=probationary,
                        self_grade=AppraisalGrade.QUALIFIED,
                        peer_excellent=votes // 3 if grade == AppraisalGrade.EXCELLENT else votes // 8,
                        peer_qualified=votes - (votes // 3 if grade == AppraisalGrade.EXCELLENT else votes // 8),
                        proposed_grade=grade,
                        grade=grade,
                    )
                )
        AppraisalEntry.objects.bulk_create(entries, batch_size=5000)
        self.result.n_entries += len(entries)

    def _secretary_reports(self, year: int) -> None:
        submitted = timezone.make_aware(datetime.datetime(year, 12, 10, 9))
        evaluated = timezone.make_aware(datetime.datetime(year, 12, 28, 15))
        rows = []
        for b in self.branches:
            secretary = self.secretaries.get(b.pk)
            if secretary is None:
                continue
            q = self.quality[b.pk] + self.rng.gauss(0, 0.04)
            grade = (
                SecretaryGrade.GOOD
                if q >= 0.9
                else SecretaryGrade.FAIR
                if q >= 0.8
                else SecretaryGrade.AVERAGE
                if q >= 0.65
                else SecretaryGrade.POOR
            )
            rows.append(
                SecretaryReport(
                    branch_id=b.pk,
                    year=year,
                    secretary=secretary,
                    text=f"{year}年度，支部书记认真履行党建工作第一责任人职责，抓班子带队伍，推动党建与业务深度融合。",
                    status=SecretaryReportStatus.EVALUATED,
                    submitted_at=submitted,
                    grade=grade,
                    evaluation="述职内容全面，下一步需进一步突出问题导向。",
                    evaluated_by=self.by,
                    evaluated_at=evaluated,
                    created_by=self.by,
                )
            )
        SecretaryReport.objects.bulk_create(rows)
        self.result.n_reports += len(rows)

    def _points(self, year: int, last_day: datetime.date) -> None:
        """A few approved 积分 entries per member: mostly additions, the odd deduction, no sanctions."""
        rules = {r.name: r for r in ensure_point_rules(year, by=self.by)}
        common = [rules[n] for n in ("参加组织生活", "参加志愿服务", "承担支部工作任务") if n in rules]
        rare = [rules[n] for n in ("获得表彰奖励", "无故缺席组织生活") if n in rules]
        approved_at = timezone.make_aware(datetime.datetime(last_day.year, last_day.month, last_day.day, 17))
        first = datetime.date(year, 1, 1)
        span = (last_day - first).days
        rows = []
        for m in self.org.members:
            if m.branch_id not in self.quality or m.joined_on > last_day:
                continue
            picks = [self.rng.choice(common) for _ in range(self.rng.randint(1, 4))]
            if rare and self.rng.random() < 0.08:
                picks.append(self.rng.choice(rare))
            for rule in picks:
                rows.append(
                    PointEntry(
                        member=m,
                        rule=rule,
                        year=year,
                        points=rule.points,
                        occurred_on=first + datetime.timedelta(days=self.rng.randint(0, span)),
                        note=rule.name,
                        status=PointEntryStatus.APPROVED,
                        added_by=self.by,
                        approved_by=self.by,
                        approved_at=approved_at,
                    )
                )
        PointEntry.objects.bulk_create(rows, batch_size=5000)
        self.result.n_points += len(rows)

    def _run(self, year: int) -> RatingRun:
        """Rate `year` on its record so far; publish it once the year is complete, leave a 试算 unpublished."""
        as_of = min(datetime.date(year, 12, 31), self.today)
        run = compute_run(start_run(year, by=self.by, as_of=as_of, enqueue=False).pk)
        if run.status == RunStatus.DRAFT and not run.is_trial:
            run = publish_run(run, by=self.by)
        self.result.runs.append(run)
        return run

    def build(self) -> RatingDemo:
        year = self.today.year
        oldest = self._scheme(year - 2, manual_metrics=[m.value for m in Metric])
        self._scores(oldest, self.branches)
        self._adjustments(year - 2)
        self._run(year - 2)

        last = self._scheme(year - 1, manual_metrics=PROJECT_METRICS)
        self._scores(last, self.branches)
        self._adjustments(year - 1)
        self._appraisals(year - 1)
        self._secretary_reports(year - 1)
        self._points(year - 1, datetime.date(year - 1, 12, 31))
        self._run(year - 1)

        current = self._scheme(year, manual_metrics=())
        scored = [b for b in self.branches if self.rng.random() < CURRENT_YEAR_SCORED]
        self._scores(current, scored)
        self._points(year, self.today - datetime.timedelta(days=1))
        self._run(year)
        return self.result


def seed_ratings(org: DemoPlan, *, seed: int, today: datetime.date) -> RatingDemo:
    by = User.objects.get(username="gongwei")
    with transaction.atomic():
        return _Builder(org, seed=seed, today=today, by=by).build()


def describe(demo: RatingDemo) -> str:
    runs = "、".join(
        f"{run.year}年度{'试算' if run.is_trial else ''}（{run.get_status_display()}）" for run in demo.runs
    )
    return (
        f"已生成年度考核演示数据：指标得分 {demo.n_scores} 条，民主评议 {demo.n_entries} 人次，"
        f"书记述职 {demo.n_reports} 份，加减分 {demo.n_adjustments} 条，党员积分 {demo.n_points} 条；星级评定 {runs}。"
    )
