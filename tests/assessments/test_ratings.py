"""星级评定 end to end: a run computes scores from the scheme and the records, freezes them, and is
published by the 工委. (The rules themselves are tested as pure functions in test_scoring_rules.)"""

import datetime
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import PermissionDenied
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from assessments.choices import (
    AdjustmentKind,
    AppraisalGrade,
    AppraisalStatus,
    IndicatorSource,
    Metric,
    RunStatus,
    SchemeStatus,
    SecretaryGrade,
    SecretaryReportStatus,
    Tier,
)
from assessments.models import (
    Adjustment,
    Appraisal,
    AppraisalEntry,
    AssessmentScheme,
    Dimension,
    Indicator,
    IndicatorScore,
    RatingResult,
    RatingRun,
    SecretaryReport,
)
from assessments.ratings import RatingError, branch_history, compute_run, publish_run, request_run, results_for
from branches.choices import CommitteePost
from projects.choices import Grade, ProjectStatus
from tests.assessments.factories import default_scheme
from tests.factories import BranchFactory, CommitteeMemberFactory, CommitteeTermFactory, MemberFactory, UserFactory
from tests.projects.factories import MilestoneFactory, ProjectFactory

D = Decimal
YEAR = 2025
NOW = datetime.datetime(2026, 3, 1, 9, 0, tzinfo=datetime.UTC)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def in_march_2026():
    with time_machine.travel(NOW, tick=False):
        yield


ONE_HUNDRED = (D("100"),)


def simple_scheme(year=YEAR, maxima=ONE_HUNDRED, **settings) -> AssessmentScheme:
    """A scheme of manual indicators only, so that a test sets every total exactly."""
    scheme = AssessmentScheme.objects.create(year=year, name="测试方案", created_by=UserFactory(), **settings)
    dimension = Dimension.objects.create(scheme=scheme, name="综合")
    for n, maximum in enumerate(maxima):
        Indicator.objects.create(
            scheme=scheme, dimension=dimension, name=f"指标{n + 1}", max_score=maximum, source=IndicatorSource.MANUAL
        )
    return scheme


def score(branch, indicator, value, year=YEAR, **extra):
    return IndicatorScore.objects.update_or_create(
        branch=branch, year=year, lineage=indicator.lineage, defaults={"score": value, **extra}
    )[0]


@pytest.fixture
def run_now(django_capture_on_commit_callbacks):
    """Request a run as the page does; the eager Celery of the tests computes it on commit."""

    def request(year=YEAR, by=None) -> RatingRun:
        with django_capture_on_commit_callbacks(execute=True):
            run = request_run(year, by=by)
        return RatingRun.objects.get(pk=run.pk)

    return request


def result(run, branch) -> RatingResult:
    return RatingResult.objects.get(run=run, branch=branch)


@pytest.fixture
def branches(organ_a):
    return [BranchFactory(organ=organ_a, name=f"第{n}支部") for n in range(1, 5)]


def test_stars_follow_the_thresholds_exactly_at_their_boundaries(run_now, gongwei_staff, branches):
    scheme = simple_scheme(five_star_quota=D("100"))
    indicator = scheme.indicators.get()
    for branch, value in zip(branches, (D("95"), D("94.99"), D("60"), D("59.99")), strict=True):
        score(branch, indicator, value)
    run = run_now(by=gongwei_staff)
    assert run.status == RunStatus.DRAFT
    assert [result(run, b).stars for b in branches] == [5, 4, 1, 0]
    assert [result(run, b).tier for b in branches] == [Tier.ADVANCED, Tier.ADVANCED, Tier.ORDINARY, Tier.BACKWARD]
    assert [result(run, b).rank for b in branches] == [1, 2, 3, 4]


def test_the_five_star_quota_moves_the_lowest_five_stars_to_four(run_now, gongwei_staff, organ_a):
    scheme = simple_scheme()  # at most 10%: one of ten branches
    indicator = scheme.indicators.get()
    many = [BranchFactory(organ=organ_a) for _ in range(10)]
    for branch, value in zip(many, [D("99"), D("97"), D("96")] + [D("70")] * 7, strict=True):
        score(branch, indicator, value)
    run = run_now(by=gongwei_staff)
    top = [result(run, b) for b in many[:3]]
    assert [r.stars for r in top] == [5, 4, 4]
    assert [r.stars_by_score for r in top] == [5, 5, 5]


def test_not_applicable_indicators_are_rescaled_not_zeroed(run_now, gongwei_staff, branches):
    scheme = simple_scheme(maxima=(D("50"), D("50")))
    first, second = scheme.indicators.order_by("pk")
    score(branches[0], first, D("40"))
    IndicatorScore.objects.create(
        branch=branches[0], year=YEAR, lineage=second.lineage, not_applicable=True, note="本年度无此项工作"
    )
    score(branches[1], first, D("40"))  # the second indicator left unscored: it counts as 0
    run = run_now(by=gongwei_staff)
    assert result(run, branches[0]).total == D("80.00")
    assert result(run, branches[1]).total == D("40.00")
    lines = {line["name"]: line for line in result(run, branches[0]).breakdown}
    assert lines["指标2"]["score"] is None and lines["指标2"]["input"] == "不适用：本年度无此项工作"
    assert {line["name"]: line["input"] for line in result(run, branches[1]).breakdown}["指标2"] == "未评分"


def test_bonus_and_deduction_respect_the_caps(run_now, gongwei_staff, branches):
    scheme = simple_scheme(bonus_cap=D("5"), deduction_cap=D("10"))
    indicator = scheme.indicators.get()
    score(branches[0], indicator, D("88"))
    score(branches[1], indicator, D("88"))
    for points in (D("3"), D("3")):
        Adjustment.objects.create(
            branch=branches[0], year=YEAR, kind=AdjustmentKind.BONUS, name="市级表彰", points=points, note="文件",
            created_by=gongwei_staff,
        )  # fmt: skip
    Adjustment.objects.create(
        branch=branches[1], year=YEAR, kind=AdjustmentKind.DEDUCTION, name="违纪案件", points=D("12"), note="通报",
        created_by=gongwei_staff,
    )  # fmt: skip
    run = run_now(by=gongwei_staff)
    a, b = result(run, branches[0]), result(run, branches[1])
    assert (a.bonus, a.total, a.stars) == (D("5.00"), D("93.00"), 4)
    assert (b.deduction, b.total, b.stars) == (D("10.00"), D("78.00"), 3)
    assert "市级表彰 +3" in a.breakdown[-1]["input"]


def test_computed_indicators_come_from_the_records(run_now, gongwei_staff, branch_a, branch_b):
    """Project acceptance, milestones, appraisal and the secretary's 述职 are read, not typed in again."""
    scheme = default_scheme(YEAR, by=gongwei_staff)
    secretary = MemberFactory(branch=branch_a, name="王书记")
    term = CommitteeTermFactory(branch=branch_a, elected_on=datetime.date(2024, 3, 1))
    CommitteeMemberFactory(term=term, member=secretary, post=CommitteePost.SECRETARY)
    project = ProjectFactory(branch=branch_a, year=YEAR, accepted=True, score=D("90.00"), grade=Grade.EXCELLENT)
    MilestoneFactory(
        project=project, planned_on=datetime.date(2025, 5, 1), completed_on=datetime.date(2025, 4, 30), percent=100
    )
    MilestoneFactory(
        project=project, planned_on=datetime.date(2025, 6, 1), completed_on=datetime.date(2025, 6, 9), percent=100
    )
    appraisal = Appraisal.objects.create(
        branch=branch_a, year=YEAR, held_on=datetime.date(2025, 12, 20), status=AppraisalStatus.FINALIZED,
        finalized_at=NOW,
    )  # fmt: skip
    for grade in [AppraisalGrade.EXCELLENT, AppraisalGrade.QUALIFIED, AppraisalGrade.BASIC]:
        AppraisalEntry.objects.create(appraisal=appraisal, member=MemberFactory(branch=branch_a), grade=grade)
    SecretaryReport.objects.create(
        branch=branch_a, year=YEAR, secretary=secretary, text="述职", status=SecretaryReportStatus.EVALUATED,
        grade=SecretaryGrade.FAIR, created_by=gongwei_staff,
    )  # fmt: skip
    run = run_now(by=gongwei_staff)
    lines = {line["name"]: line for line in result(run, branch_a).breakdown}
    assert lines["项目验收得分"]["score"] == "12.60" and lines["项目验收得分"]["input"] == "验收得分 90.00（优秀）"
    assert lines["项目节点按期完成率"]["score"] == "3.00"
    assert lines["项目节点按期完成率"]["input"] == "按期完成 1/2 个节点"
    assert lines["民主评议合格率"]["score"] == "4.67"
    assert lines["书记述职评议"]["score"] == "6.80"
    assert lines["一岗双责报告按时提交率"]["score"] is None  # no 班子成员: not applicable
    assert lines["理论武装"]["input"] == "未评分"
    assert result(run, branch_a).secretary_name == "王书记"
    other = {line["name"]: line for line in result(run, branch_b).breakdown}
    assert other["项目验收得分"]["input"] == "未立项" and other["项目验收得分"]["score"] == "0.00"
    assert other["书记述职评议"]["input"] == "未提交述职报告"
    assert scheme.indicators.filter(metric=Metric.PROJECT_SCORE).exists()


def test_a_published_run_is_frozen_and_a_new_run_reflects_the_change(run_now, gongwei_staff, branches):
    scheme = simple_scheme()
    indicator = scheme.indicators.get()
    score(branches[0], indicator, D("86"))
    first = run_now(by=gongwei_staff)
    publish_run(first, by=gongwei_staff)
    scheme.refresh_from_db()
    assert scheme.status == SchemeStatus.LOCKED

    score(branches[0], indicator, D("70"))
    branches[0].name = "改名后的支部"
    branches[0].save()
    frozen = result(first, branches[0])
    assert (frozen.total, frozen.stars, frozen.branch_name) == (D("86.00"), 4, "第1支部")

    second = run_now(by=gongwei_staff)
    assert (result(second, branches[0]).total, result(second, branches[0]).stars) == (D("70.00"), 2)
    first.refresh_from_db()
    assert first.status == RunStatus.PUBLISHED  # the published result stays until another is published
    publish_run(second, by=gongwei_staff)
    first.refresh_from_db()
    assert first.status == RunStatus.SUPERSEDED


def test_running_twice_on_the_same_data_gives_identical_results(run_now, gongwei_staff, branches):
    scheme = simple_scheme(maxima=(D("60"), D("40")))
    first_indicator, second_indicator = scheme.indicators.order_by("pk")
    for n, branch in enumerate(branches):
        score(branch, first_indicator, D(50 + n))
        score(branch, second_indicator, D(30 + 2 * n))
    one = run_now(by=gongwei_staff)
    two = run_now(by=gongwei_staff)
    one.refresh_from_db()
    assert one.status == RunStatus.SUPERSEDED  # a new run supersedes a draft
    assert one.inputs_digest == two.inputs_digest != ""

    def snapshot(run):
        return [
            (r.branch_id, r.total, r.stars, r.tier, r.rank, r.is_bottom, r.dimensions, r.breakdown)
            for r in RatingResult.objects.filter(run=run).order_by("branch_id")
        ]

    assert snapshot(one) == snapshot(two)


def test_change_from_last_year_uses_last_years_published_run(run_now, gongwei_staff, branches):
    last_year = simple_scheme(year=2024)
    score(branches[0], last_year.indicators.get(), D("76"), year=2024)
    publish_run(run_now(2024, by=gongwei_staff), by=gongwei_staff)
    this_year = simple_scheme(year=YEAR)
    score(branches[0], this_year.indicators.get(), D("86"))
    run = run_now(by=gongwei_staff)
    mine = result(run, branches[0])
    assert (mine.previous_stars, mine.stars, mine.change_label) == (3, 4, "升1星")
    assert result(run, branches[1]).previous_stars == 0  # rated last year with no score: no star


def test_the_bottom_share_is_flagged_and_paired_with_a_strong_branch(run_now, gongwei_staff, organ_a, organ_b):
    scheme = simple_scheme(bottom_share=D("10"), five_star_quota=D("100"))
    indicator = scheme.indicators.get()
    own = [BranchFactory(organ=organ_a) for _ in range(10)]
    other = [BranchFactory(organ=organ_b) for _ in range(10)]
    for n, branch in enumerate(own):
        score(branch, indicator, D(70 + n))  # organ_a: 70 … 79, no strong branch of its own but one
    score(own[-1], indicator, D("96"))
    for n, branch in enumerate(other):
        score(branch, indicator, D(80 + n))
    run = run_now(by=gongwei_staff)
    flagged = RatingResult.objects.filter(run=run, is_bottom=True).order_by("total")
    assert [r.branch for r in flagged] == own[:2]  # ceil(20 × 10%) = 2 lowest
    assert {r.paired_with.branch for r in flagged} == {own[-1]}  # the strong branch of the same organ
    assert RatingResult.objects.filter(run=run, is_bottom=False, paired_with__isnull=False).count() == 0


def test_only_the_gongwei_runs_and_publishes(run_now, gongwei_staff, organ_staff_a, secretary_of_branch_a, branches):
    simple_scheme()
    for user in (organ_staff_a, secretary_of_branch_a):
        with pytest.raises(PermissionDenied):
            request_run(YEAR, by=user)
    run = run_now(by=gongwei_staff)
    with pytest.raises(PermissionDenied):
        publish_run(run, by=organ_staff_a)
    assert results_for(organ_staff_a, run).count() == 0  # not published: nothing to read yet
    run = publish_run(run, by=gongwei_staff)
    assert results_for(organ_staff_a, run).count() == len(branches) + 1  # with branch_a of the secretary
    assert set(results_for(secretary_of_branch_a, run).values_list("branch_id", flat=True)) == {
        secretary_of_branch_a.roles.get().branch_id
    }


def test_a_year_without_a_scheme_or_a_run_in_progress_is_refused(gongwei_staff, branches):
    with pytest.raises(RatingError, match="尚未设置考核方案"):
        request_run(YEAR, by=gongwei_staff)
    simple_scheme()
    from django.db import transaction

    with transaction.atomic():
        queued = RatingRun.objects.create(
            year=YEAR, number=1, scheme=AssessmentScheme.objects.get(), as_of=datetime.date(2025, 12, 31),
            created_by=gongwei_staff,
        )  # fmt: skip
    with pytest.raises(RatingError, match="正在计算"):
        request_run(YEAR, by=gongwei_staff)
    with pytest.raises(RatingError, match="不能评定"):
        request_run(2027, by=gongwei_staff)
    assert compute_run(queued.pk).status == RunStatus.DRAFT
    assert compute_run(queued.pk).n_branches == len(branches)  # computing again changes nothing


def test_a_failing_computation_is_recorded_on_the_run(gongwei_staff, branches, monkeypatch):
    simple_scheme()
    run = RatingRun.objects.create(
        year=YEAR, number=1, scheme=AssessmentScheme.objects.get(), as_of=datetime.date(2025, 12, 31),
        created_by=gongwei_staff,
    )  # fmt: skip

    def broken(*args, **kwargs):
        raise ValueError("数据异常")

    monkeypatch.setattr("assessments.ratings.gather", broken)
    with pytest.raises(ValueError):
        compute_run(run.pk)
    run.refresh_from_db()
    assert run.status == RunStatus.FAILED and "数据异常" in run.error
    assert not RatingResult.objects.filter(run=run).exists()


def test_the_branch_history_lists_published_years_only(run_now, gongwei_staff, branches):
    for year in (2024, 2025):
        scheme = simple_scheme(year=year)
        score(branches[0], scheme.indicators.get(), D("80") + year - 2024, year=year)
        publish_run(run_now(year, by=gongwei_staff), by=gongwei_staff)
    run_now(YEAR, by=gongwei_staff)  # a draft after the published one
    history = branch_history(branches[0])
    assert [(r.run.year, r.total) for r in history] == [(2024, D("80.00")), (2025, D("81.00"))]


def test_computing_takes_the_same_queries_for_few_or_many_branches(gongwei_staff, organ_a, organ_b):
    default_scheme(YEAR, by=gongwei_staff)

    def queries_for_run() -> int:
        run = RatingRun.objects.create(
            year=YEAR, number=RatingRun.objects.count() + 1, scheme=AssessmentScheme.objects.get(),
            as_of=datetime.date(2025, 12, 31), created_by=gongwei_staff,
        )  # fmt: skip
        with CaptureQueriesContext(connection) as ctx:
            compute_run(run.pk)
        RatingRun.objects.filter(pk=run.pk).update(status=RunStatus.SUPERSEDED)
        return len(ctx.captured_queries)

    BranchFactory(organ=organ_a)
    queries_for_run()  # the first use of a year creates its default organisation rules
    few = queries_for_run()
    for n in range(12):
        branch = BranchFactory(organ=organ_b if n % 2 else organ_a)
        MemberFactory(branch=branch, is_leader=True)
        ProjectFactory(branch=branch, year=YEAR, status=ProjectStatus.ACCEPTED, score=D("80"))
    many = queries_for_run()
    assert few == many


def test_the_command_computes_in_process_with_sync(gongwei_staff, branches, capsys):
    simple_scheme()
    call_command("compute_ratings", "--year", str(YEAR), "--sync")
    run = RatingRun.objects.get()
    assert run.status == RunStatus.DRAFT and run.n_branches == len(branches)
    assert "待发布" in capsys.readouterr().out
    with pytest.raises(CommandError, match="尚未设置考核方案"):
        call_command("compute_ratings", "--year", "2024", "--sync")
