"""试算: a rating run requested before its year's last assessed period is due is a trial. It says so and what is
still missing, is published only with the 工委's reason (kept with who and when), and is never a branch's result:
not on the secretary's home, the branch page, the result page or the API, nor as next year's "上年星级"."""

import datetime
import io
from decimal import Decimal

import pytest
import time_machine
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.test import APIClient

from assessments import trial
from assessments.choices import IndicatorSource, ReportStatus, RunStatus
from assessments.models import (
    AssessmentScheme,
    Dimension,
    DutyReport,
    DutyReportPeriod,
    Indicator,
    IndicatorScore,
    RatingResult,
    RatingRun,
)
from assessments.ratings import (
    RunConflict,
    TrialNotConfirmed,
    branch_history,
    compute_run,
    publish_run,
    request_run,
    results_for,
    start_run,
)
from assessments.reports import ensure_periods
from notifications.models import Notification
from tests.assessments.factories import default_scheme, keep_filing
from tests.factories import BranchFactory, MemberFactory, UserFactory

pytestmark = pytest.mark.django_db

YEAR = 2025
D = Decimal


def at(day: datetime.date, hour: int = 10):
    """Travel to `day` in Beijing time (the run's day is the local day it was asked for)."""
    return time_machine.travel(
        datetime.datetime(day.year, day.month, day.day, hour - 8, tzinfo=datetime.UTC), tick=False
    )


@pytest.fixture
def run_on(django_capture_on_commit_callbacks, gongwei_staff):
    """Request a run of YEAR on a given day, as the page does; the eager task computes it on commit."""

    def request(day: datetime.date, year: int = YEAR) -> RatingRun:
        with at(day), django_capture_on_commit_callbacks(execute=True):
            run = request_run(year, by=gongwei_staff)
        return RatingRun.objects.get(pk=run.pk)

    return request


def manual_scheme(year: int = YEAR) -> AssessmentScheme:
    """A scheme of one manual indicator: no report periods, so the year is complete on its last day."""
    scheme = AssessmentScheme.objects.create(year=year, name="测试方案", created_by=UserFactory())
    dimension = Dimension.objects.create(scheme=scheme, name="综合")
    Indicator.objects.create(
        scheme=scheme, dimension=dimension, name="综合评价", max_score=D("100"), source=IndicatorSource.MANUAL
    )
    return scheme


def score(branch, scheme, value, year=YEAR):
    IndicatorScore.objects.create(branch=branch, year=year, lineage=scheme.indicators.get().lineage, score=value)


# --- when a run is a trial: from the year's data, at the boundary ------------------------------------------


def test_a_run_before_the_second_half_reports_are_due_is_a_trial_and_on_the_due_day_it_is_not(run_on, branch_a):
    default_scheme(YEAR)  # computes 一岗双责 timeliness: the year's last period is the second half's reports

    before = run_on(datetime.date(2026, 1, 14))
    on_the_day = run_on(datetime.date(2026, 1, 15))

    assert (before.is_trial, before.complete_on) == (True, datetime.date(2026, 1, 15))
    assert str(before) == "2025年度第1次评定（试算）"
    assert (on_the_day.is_trial, on_the_day.complete_on) == (False, datetime.date(2026, 1, 15))
    assert str(on_the_day) == "2025年度第2次评定"


def test_a_moved_due_date_moves_the_day_the_year_is_complete(run_on, branch_a):
    default_scheme(YEAR)
    ensure_periods([YEAR])
    DutyReportPeriod.objects.filter(year=YEAR, half=2).update(due_on=datetime.date(2026, 1, 20))

    assert run_on(datetime.date(2026, 1, 19)).is_trial
    complete = run_on(datetime.date(2026, 1, 20))
    assert not complete.is_trial and complete.complete_on == datetime.date(2026, 1, 20)


def test_without_report_timeliness_the_year_is_complete_on_its_last_day(run_on, branch_a):
    manual_scheme()

    assert run_on(datetime.date(2025, 12, 30)).is_trial
    last_day = run_on(datetime.date(2025, 12, 31))
    assert not last_day.is_trial and last_day.complete_on == datetime.date(2025, 12, 31)


def test_a_past_year_cut_off_before_its_end_is_a_trial(gongwei_staff, branch_a):
    manual_scheme(2024)

    with at(datetime.date(2026, 3, 1)):
        cut = compute_run(start_run(2024, by=gongwei_staff, as_of=datetime.date(2024, 6, 30), enqueue=False).pk)

    assert cut.is_trial
    assert "2024年度至 2024-12-31 结束，本次数据截止 2024-06-30" in [g["label"] for g in cut.gaps]


def test_the_second_half_reports_count_once_due_in_a_run_of_the_past_year(run_on, branch_a):
    """A run of the whole year made after the last due date sees the second half: before, a cut-off of 12-31
    left every report due in January out."""
    default_scheme(YEAR)
    leader = MemberFactory(branch=branch_a, is_leader=True)
    for period in ensure_periods([YEAR]):
        keep_filing(
            DutyReport.objects.create(
                member=leader, period=period, business_work="业务", party_work="党建", problems="无",
                next_steps="继续", status=ReportStatus.SUBMITTED,
                submitted_at=datetime.datetime.combine(period.due_on, datetime.time(1), datetime.UTC),
            )
        )  # fmt: skip

    run = run_on(datetime.date(2026, 3, 1))

    lines = {line["name"]: line for line in RatingResult.objects.get(run=run, branch=branch_a).breakdown}
    assert lines["一岗双责报告按时提交率"]["input"] == "按时提交 2/2 份"


# --- what a trial says is missing --------------------------------------------------------------------------


@pytest.fixture
def december_trial(run_on, branch_a, branch_a2, branch_b):
    """A run on 2025-12-10 with the default scheme: branch A has a 班子成员 who has not filed the second half yet,
    branch A2 has every manual score entered, the others none."""
    scheme = default_scheme(YEAR)
    MemberFactory(branch=branch_a, is_leader=True)
    ensure_periods([YEAR])
    for indicator in scheme.indicators.exclude(source=IndicatorSource.COMPUTED):
        IndicatorScore.objects.create(branch=branch_a2, year=YEAR, lineage=indicator.lineage, score=D("1"))
    return run_on(datetime.date(2025, 12, 10))


def lines_for(run, user) -> dict[str, trial.Gap]:
    return {gap.label: gap for gap in trial.gaps_for(run, user)}


def test_a_trial_lists_the_periods_not_due_the_scores_not_entered_and_the_filings_not_made(
    december_trial, gongwei_staff
):
    run = december_trial
    gaps = lines_for(run, gongwei_staff)

    assert run.is_trial and run.complete_on == datetime.date(2026, 1, 15)
    assert "2025年度至 2025-12-31 结束，本次数据截止 2025-12-10" in gaps
    meetings = next(label for label in gaps if label.startswith("组织生活："))
    assert "12月的" in meetings and "第四季度的" in meetings and "全年的" in meetings
    reports = gaps["2025年下半年一岗双责报告：报告期至 2025-12-31 结束，2026-01-15 截止"]
    assert (reports.kind_label, reports.count, reports.unit) == ("未到期", 1, "人未提交")
    assert gaps["理论武装"].kind_label == "未评分"
    assert gaps["理论武装"].count == 2  # branch A and branch B; A2 has its scores
    assert gaps["书记述职尚未提交"].count == 3 and gaps["民主评议尚未完成"].count == 3


def test_an_organ_committee_reads_the_counts_of_its_own_organ(december_trial, organ_staff_a, organ_staff_b):
    own, other = lines_for(december_trial, organ_staff_a), lines_for(december_trial, organ_staff_b)

    assert own["理论武装"].count == 1 and own["书记述职尚未提交"].count == 2
    assert other["理论武装"].count == 1 and other["书记述职尚未提交"].count == 1
    reports = "2025年下半年一岗双责报告：报告期至 2025-12-31 结束，2026-01-15 截止"
    assert own[reports].count == 1 and other[reports].count == 0


def test_a_complete_year_lists_no_period(run_on, branch_a, gongwei_staff):
    default_scheme(YEAR)

    run = run_on(datetime.date(2026, 3, 1))

    assert not run.is_trial
    assert [gap for gap in trial.gaps_for(run, gongwei_staff) if gap.kind == trial.PERIOD] == []


def test_the_trial_status_costs_the_same_queries_for_few_or_many_branches(gongwei_staff, organ_a, organ_b):
    default_scheme(YEAR, by=gongwei_staff)

    def queries_for_run() -> int:
        with at(datetime.date(2025, 12, 10)):
            run = start_run(YEAR, by=gongwei_staff, enqueue=False)
            with CaptureQueriesContext(connection) as ctx:
                run = compute_run(run.pk)
        assert run.is_trial and run.gaps
        RatingRun.objects.filter(pk=run.pk).update(status=RunStatus.SUPERSEDED)
        return len(ctx.captured_queries)

    MemberFactory(branch=BranchFactory(organ=organ_a), is_leader=True)
    queries_for_run()  # the first run opens the year
    few = queries_for_run()
    for n in range(12):
        MemberFactory(branch=BranchFactory(organ=organ_b if n % 2 else organ_a), is_leader=True)
    many = queries_for_run()
    assert few == many


def test_the_command_says_a_run_is_a_trial(gongwei_staff, branch_a):
    manual_scheme()
    out = io.StringIO()

    with at(datetime.date(2025, 12, 10)):
        call_command("compute_ratings", "--year", str(YEAR), "--sync", stdout=out)

    assert "2025年度第1次评定（试算）已完成" in out.getvalue()
    assert "这是试算：2025年度最后一个考核期于 2025-12-31 到期" in out.getvalue()


# --- publishing a trial takes a reason ---------------------------------------------------------------------


@pytest.fixture
def trial_run(run_on, branch_a, branch_b) -> RatingRun:
    scheme = manual_scheme()
    score(branch_a, scheme, D("50"))
    score(branch_b, scheme, D("90"))
    return run_on(datetime.date(2025, 12, 10))


@pytest.mark.parametrize("reason", ["", "   "])
def test_a_trial_is_not_published_without_a_reason(trial_run, gongwei_staff, reason):
    with pytest.raises(TrialNotConfirmed, match="如确需提前发布，请填写提前发布的理由"):
        publish_run(trial_run, by=gongwei_staff, trial_reason=reason)

    trial_run.refresh_from_db()
    assert trial_run.status == RunStatus.DRAFT and trial_run.published_at is None and trial_run.trial_reason == ""


def test_a_trial_published_with_a_reason_keeps_who_when_and_why(trial_run, gongwei_staff, organ_staff_a):
    with at(datetime.date(2025, 12, 11)):
        run = publish_run(trial_run, by=gongwei_staff, trial_reason="  年终表彰需提前参考  ")

    run.refresh_from_db()
    assert run.status == RunStatus.PUBLISHED and run.is_trial
    assert (run.published_by, run.trial_reason) == (gongwei_staff, "年终表彰需提前参考")
    assert run.published_at.date() == datetime.date(2025, 12, 11)
    notice = Notification.objects.get(recipient=organ_staff_a, key=f"rating_run:{run.pk}:published")
    assert "试算" in notice.title and "年终表彰需提前参考" in notice.body


def test_a_reason_is_not_asked_of_a_complete_year(run_on, gongwei_staff, branch_a):
    manual_scheme()
    run = publish_run(run_on(datetime.date(2026, 1, 2)), by=gongwei_staff)

    assert run.status == RunStatus.PUBLISHED and not run.is_trial and run.trial_reason == ""


def test_a_trial_never_replaces_the_years_published_result(run_on, gongwei_staff, branch_a):
    manual_scheme()
    final = publish_run(run_on(datetime.date(2026, 1, 2)), by=gongwei_staff)
    with at(datetime.date(2026, 1, 3)):
        cut = compute_run(start_run(YEAR, by=gongwei_staff, as_of=datetime.date(2025, 6, 30), enqueue=False).pk)

    with pytest.raises(RunConflict, match="试算不能替代它"):
        publish_run(cut, by=gongwei_staff, trial_reason="看看上半年")

    final.refresh_from_db()
    assert final.status == RunStatus.PUBLISHED


# --- a trial is never a branch's result --------------------------------------------------------------------


@pytest.fixture
def published_trial(run_on, gongwei_staff, branch_a, branch_b) -> RatingRun:
    """2024 is rated and published (branch A 4★); 2025's trial, published early, gives it no star."""
    last_year = manual_scheme(2024)
    score(branch_a, last_year, D("88"), year=2024)
    publish_run(run_on(datetime.date(2025, 3, 1), year=2024), by=gongwei_staff)
    this_year = manual_scheme()
    score(branch_a, this_year, D("10"))
    run = run_on(datetime.date(2025, 12, 10))
    with at(datetime.date(2025, 12, 10)):
        return publish_run(run, by=gongwei_staff, trial_reason="年终表彰需提前参考")


def test_the_secretary_never_sees_a_trial_as_the_branchs_result(published_trial, secretary_of_branch_a, branch_a):
    trial_result = RatingResult.objects.get(run=published_trial, branch=branch_a)
    assert (trial_result.stars, trial_result.change_label) == (0, "降4星")

    assert [r.run.year for r in branch_history(branch_a)] == [2024]
    assert results_for(secretary_of_branch_a, published_trial).count() == 0


def test_the_secretarys_home_shows_the_last_result_of_record_not_the_trial(
    client, published_trial, secretary_of_branch_a, branch_a
):
    MemberFactory(branch=branch_a, name="综合处书记", user=secretary_of_branch_a)
    client.force_login(secretary_of_branch_a)

    with at(datetime.date(2025, 12, 12)):
        html = client.get(reverse("home")).content.decode()
        result_page = client.get(
            reverse(
                "assessments:result_detail", args=[RatingResult.objects.get(run=published_trial, branch=branch_a).pk]
            )
        )
        branch_page = client.get(branch_a.get_absolute_url()).content.decode()

    assert "2024年度" in html and "★★★★☆" in html and "较上年新参评" in html
    assert "降4星" not in html and "☆☆☆☆☆" not in html
    assert result_page.status_code == 404
    assert "★★★★☆" in branch_page
    assert "降4星" not in branch_page and "☆☆☆☆☆" not in branch_page


def test_an_organ_committee_reads_a_published_trial_as_a_trial(client, published_trial, organ_staff_a, branch_a):
    client.force_login(organ_staff_a)
    result = RatingResult.objects.get(run=published_trial, branch=branch_a)

    with at(datetime.date(2025, 12, 12)):
        run_page = client.get(reverse("assessments:run_detail", args=[published_trial.pk])).content.decode()
        result_page = client.get(reverse("assessments:result_detail", args=[result.pk])).content.decode()

    assert "试算结果，不是年度评定结果" in run_page
    assert "提前发布，理由：年终表彰需提前参考" in run_page and "工委干部" in run_page
    assert "计算时尚缺事项" in run_page and "2025-12-31 结束，本次数据截止 2025-12-10" in run_page
    assert "试算结果：2025年度最后一个考核期于 2025-12-31 到期" in result_page


def test_next_years_change_is_counted_from_the_result_of_record_not_a_trial(
    published_trial, run_on, gongwei_staff, branch_a
):
    manual_scheme(2026)

    run = run_on(datetime.date(2027, 1, 5), year=2026)

    assert RatingResult.objects.get(run=run, branch=branch_a).previous_stars is None  # no 2025 result of record


def test_the_dashboard_does_not_take_a_trial_for_the_years_result(client, published_trial, gongwei_staff):
    client.force_login(gongwei_staff)

    with at(datetime.date(2025, 12, 12)):
        response = client.get(reverse("portal:dashboard"), {"year": YEAR})

    assert response.context["ratings"].run.year == 2024


# --- the run pages -----------------------------------------------------------------------------------------


def test_the_run_list_warns_before_the_year_is_complete_and_not_after(client, gongwei_staff, branch_a):
    manual_scheme()
    client.force_login(gongwei_staff)
    url = reverse("assessments:run_list")

    with at(datetime.date(2025, 12, 30)):
        before = client.get(url, {"year": YEAR}).content.decode()
    with at(datetime.date(2025, 12, 31)):
        after = client.get(url, {"year": YEAR}).content.decode()

    assert "2025年度最后一个考核期于 2025-12-31 到期，此前计算的结果为<strong>试算</strong>" in before
    assert "此前计算的结果为" not in after


def test_the_trial_page_asks_for_a_reason_and_publishes_with_it(client, trial_run, gongwei_staff):
    client.force_login(gongwei_staff)
    url = reverse("assessments:run_detail", args=[trial_run.pk])
    publish = reverse("assessments:run_publish", args=[trial_run.pk])

    with at(datetime.date(2025, 12, 11)):
        page = client.get(url).content.decode()
        refused = client.post(publish, {"trial_reason": " "}, follow=True).content.decode()
        trial_run.refresh_from_db()
        assert trial_run.status == RunStatus.DRAFT
        published = client.post(publish, {"trial_reason": "年终表彰需提前参考"}, follow=True).content.decode()

    assert "试算结果，不是年度评定结果" in page and 'name="trial_reason"' in page and "提前发布试算结果" in page
    assert ">发布结果</button>" not in page
    assert "如确需提前发布，请填写提前发布的理由" in refused
    trial_run.refresh_from_db()
    assert trial_run.status == RunStatus.PUBLISHED and trial_run.trial_reason == "年终表彰需提前参考"
    assert "提前发布，理由：年终表彰需提前参考" in published


# --- the API -----------------------------------------------------------------------------------------------


def api_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_the_api_says_a_run_is_a_trial_and_publishes_it_only_with_a_reason(
    december_trial, gongwei_staff, organ_staff_a, secretary_of_branch_a
):
    gongwei = api_for(gongwei_staff)
    url = f"/api/rating-runs/{december_trial.pk}/"

    with at(datetime.date(2025, 12, 11)):
        detail = gongwei.get(url).json()
        refused = gongwei.post(f"{url}publish/", {}, format="json")
        published = gongwei.post(f"{url}publish/", {"trial_reason": "年终表彰需提前参考"}, format="json")
        organ = api_for(organ_staff_a).get(url).json()
        organ_results = api_for(organ_staff_a).get(f"/api/rating-results/?run={december_trial.pk}").json()
        branch_results = api_for(secretary_of_branch_a).get(f"/api/rating-results/?year={YEAR}").json()

    assert detail["is_trial"] is True and detail["complete_on"] == "2026-01-15"
    assert {"kind": "score", "kind_label": "未评分", "label": "理论武装", "count": 2, "unit": "个支部"} in detail[
        "gaps"
    ]
    assert refused.status_code == 400 and "请填写提前发布的理由" in str(refused.json()["detail"])
    assert published.status_code == 200, published.content
    assert published.json()["trial_reason"] == "年终表彰需提前参考" and published.json()["status"] == "published"
    assert organ["is_trial"] is True
    assert next(g for g in organ["gaps"] if g["label"] == "理论武装")["count"] == 1  # its own organ's only
    assert organ_results["count"] == 2 and all(row["is_trial"] for row in organ_results["results"])
    assert branch_results["count"] == 0


# --- runs made before trials were known --------------------------------------------------------------------


def test_the_migration_marks_a_published_december_run_as_a_trial(gongwei_staff, branch_a):
    import importlib

    from django.apps import apps

    scheme = default_scheme(YEAR)
    ensure_periods([YEAR])
    with at(datetime.date(2025, 12, 10)):
        december = RatingRun.objects.create(
            year=YEAR, number=1, scheme=scheme, as_of=datetime.date(2025, 12, 10), created_by=gongwei_staff,
            status=RunStatus.SUPERSEDED, published_by=gongwei_staff, published_at=datetime.datetime.now(datetime.UTC),
        )  # fmt: skip
    with at(datetime.date(2026, 2, 1)):
        february = RatingRun.objects.create(
            year=YEAR, number=2, scheme=scheme, as_of=datetime.date(2025, 12, 31), created_by=gongwei_staff,
            status=RunStatus.PUBLISHED, published_by=gongwei_staff, published_at=datetime.datetime.now(datetime.UTC),
        )  # fmt: skip

    importlib.import_module("assessments.migrations.0006_mark_existing_trial_runs").mark(apps, None)

    december.refresh_from_db()
    february.refresh_from_db()
    assert december.is_trial and december.complete_on == datetime.date(2026, 1, 15)
    assert "未记录提前发布理由" in december.trial_reason and december.gaps
    assert not february.is_trial and february.trial_reason == ""
