"""Opening a year (`portal.years`): pages read a year's rules without saving them, and the 工委, the yearly job,
`manage.py open_year` and the upgrade migration save them — every app's, once, with the kept tables right.

Today in this world is 2026-11-22 (the job opens only 2026) or 2026-12-01 (it opens 2027 too).
"""

import datetime
import importlib
import io

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.migrations.loader import MigrationLoader
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django_celery_beat.models import PeriodicTask

from assessments import points, reports
from assessments.models import DutyFiling, DutyReportPeriod, PointRule, RatingRun
from assessments.ratings import compute_run, start_run
from branches import kept, orglife
from branches.models import Branch, Meeting, MeetingCompletion, MeetingRequirement
from portal import years
from portal.tasks import open_coming_years
from projects import services as projects
from projects.acceptance import TargetResult, request_acceptance
from projects.models import ProjectYearConfig, RubricCriterion
from tests.assessments.factories import default_scheme
from tests.factories import MemberFactory, UserFactory
from tests.projects.factories import ProjectFactory
from tests.test_concurrency import run_together, slowed
from tests.test_get_never_writes import WRITE

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2026, 11, 22, 10, 0, tzinfo=datetime.timezone(datetime.timedelta(hours=8)))
TODAY = NOW.date()
LABELS = ["组织生活要求", "一岗双责报告期", "项目验收规则", "党员积分规则"]


@pytest.fixture(autouse=True)
def frozen_today(time_machine):
    time_machine.move_to(NOW, tick=False)


@pytest.fixture
def leaders(branch_a, branch_b):
    """A 班子成员 in each branch (who owes 一岗双责 reports) and a meeting of branch A this year."""
    MemberFactory(branch=branch_a, is_leader=True)
    MemberFactory(branch=branch_b, is_leader=True)
    Meeting.objects.create(
        branch=branch_a,
        kind="theme_day",
        held_on=datetime.date(2026, 3, 5),
        topic="主题党日",
        recorded_by=UserFactory(),
    )


def saved_years() -> dict[str, set[int]]:
    return {
        "组织生活要求": set(MeetingRequirement.objects.values_list("year", flat=True)),
        "一岗双责报告期": set(DutyReportPeriod.objects.values_list("year", flat=True)),
        "项目验收规则": set(ProjectYearConfig.objects.values_list("year", flat=True)),
        "党员积分规则": set(PointRule.objects.values_list("year", flat=True)),
    }


def writes(queries) -> list[str]:
    return [q["sql"] for q in queries.captured_queries if WRITE.search(q["sql"])]


def read_rules(year: int) -> dict:
    """Everything the readers say the year's rules are, as plain values."""
    config = projects.config_for_year(year)
    return {
        "requirements": [
            (r.kind, r.period, r.min_count, r.scope, r.source) for r in orglife.requirements_for_year(year)
        ],
        "periods": [(p.half, p.starts_on, p.ends_on, p.due_on) for p in reports.periods_for_year(year)],
        "config": (config.excellent_min, config.top_ten_count, config.max_evidence_mb),
        "rubric": [(c.name, c.max_points, c.description) for c in projects.rubric_of(config)],
        "points": [(r.name, r.points, r.yearly_cap, r.once_only) for r in points.point_rules_for(year)],
    }


def assert_kept_tables_right() -> None:
    for year in kept.requirement_years():
        fresh = sorted(
            (r.branch_id, r.kind, r.index, r.done, r.applies) for r in kept.fresh_rows(Branch.objects.all(), year)
        )
        stored = sorted(
            MeetingCompletion.objects.filter(year=year).values_list("branch_id", "kind", "index", "done", "applies")
        )
        assert stored == fresh, year
    assert reports.filing_differences() == []


# --- reading a year nobody opened ----------------------------------------------------------------


def test_the_readers_of_a_year_not_opened_save_nothing(leaders):
    with CaptureQueriesContext(connection) as queries:
        read_rules(2026)

    assert writes(queries) == []
    assert saved_years() == {label: set() for label in LABELS}
    assert years.unopened(2026) == LABELS


def test_opening_saves_what_the_readers_showed_and_keeps_the_tables(leaders, gongwei_staff):
    read = read_rules(2026)

    opened = years.open_year(2026, by=gongwei_staff)

    assert opened == LABELS
    assert read_rules(2026) == read
    assert years.unopened(2026) == []
    assert MeetingCompletion.objects.filter(year=2026).exists()
    assert DutyFiling.objects.filter(period__year=2026).count() == 2 * 2  # two leaders, two halves
    assert_kept_tables_right()
    assert MeetingRequirement.history.filter(year=2026, history_user=gongwei_staff).count() == 7


def test_opening_again_changes_nothing(leaders):
    years.open_year(2026)

    with CaptureQueriesContext(connection) as queries:
        assert years.open_year(2026) == []

    assert writes(queries) == []


def test_a_year_opens_as_a_copy_of_the_latest_earlier_year(leaders, gongwei_staff):
    years.open_year(2024)
    MeetingRequirement.objects.filter(year=2024, kind="lecture").update(min_count=2)
    ProjectYearConfig.objects.filter(year=2024).update(top_ten_count=5)
    PointRule.objects.filter(year=2024, name="参加志愿服务").update(points=3)

    years.open_year(2026)  # 2025 was never opened

    assert MeetingRequirement.objects.get(year=2026, kind="lecture").min_count == 2
    assert ProjectYearConfig.objects.get(year=2026).top_ten_count == 5
    assert PointRule.objects.get(year=2026, name="参加志愿服务").points == 3
    assert RubricCriterion.objects.filter(config__year=2026).count() == 3


# --- the yearly job, the command, the button ------------------------------------------------------


def test_the_job_opens_this_year_and_from_december_the_next(leaders, eager_celery):
    assert open_coming_years.delay("2026-11-30").get() == {"2026": LABELS}
    assert open_coming_years.delay("2026-12-01").get() == {"2026": [], "2027": LABELS}
    assert open_coming_years.delay("2027-01-01").get() == {"2027": []}
    assert saved_years() == {label: {2026, 2027} for label in LABELS}
    assert_kept_tables_right()


def test_beat_runs_the_job_every_night(eager_celery):
    periodic = PeriodicTask.objects.get(task="portal.tasks.open_coming_years")

    assert periodic.enabled
    assert (periodic.crontab.hour, periodic.crontab.minute, periodic.crontab.day_of_month) == ("0", "10", "*")
    assert periodic.task in eager_celery.tasks


def test_the_command_opens_a_year_or_the_coming_ones(db):
    out = io.StringIO()

    call_command("open_year", "2027", stdout=out)
    call_command("open_year", "2027", stdout=out)
    call_command("open_year", stdout=out)

    assert "2027 年度已生成：组织生活要求、一岗双责报告期、项目验收规则、党员积分规则。" in out.getvalue()
    assert "2027 年度的规则均已生成，未做改动。" in out.getvalue()
    assert "2026 年度已生成" in out.getvalue()
    assert saved_years() == {label: {2026, 2027} for label in LABELS}
    with pytest.raises(CommandError, match="年度应在 2000 到 2027 之间"):
        call_command("open_year", "2030", stdout=out)


def test_the_gongwei_opens_a_year_from_its_rules_page(client_for, gongwei_staff, branch_a):
    client = client_for(gongwei_staff)
    page = f"{reverse('branches:requirement_list')}?year=2027"

    before = client.get(page).text
    answer = client.post(reverse("open_year"), {"year": "2027", "next": page})

    assert "2027年度规则尚未生成" in before and "生成2027年度规则" in before
    assert answer.status_code == 302 and answer["Location"] == page
    after = client.get(page).text
    assert (
        "尚未生成" not in after
        and reverse("branches:requirement_edit", args=[MeetingRequirement.objects.first().pk]) in after
    )
    assert saved_years() == {label: {2027} for label in LABELS}


def test_only_the_gongwei_opens_a_year_and_only_a_year_in_range(client_for, organ_staff_a, gongwei_staff):
    assert client_for(organ_staff_a).post(reverse("open_year"), {"year": "2027"}).status_code == 403
    gongwei = client_for(gongwei_staff)
    assert gongwei.get(reverse("open_year")).status_code == 405
    assert gongwei.post(reverse("open_year"), {"year": "2028"}).status_code == 404
    assert gongwei.post(reverse("open_year"), {"year": "二〇二七"}).status_code == 404
    elsewhere = gongwei.post(reverse("open_year"), {"year": "2027", "next": "https://example.com/"})
    assert elsewhere["Location"] == reverse("home")
    assert saved_years()["组织生活要求"] == {2027}


# --- pages of a year not opened --------------------------------------------------------------------


def test_the_completion_pages_of_a_year_not_opened_say_so(client_for, gongwei_staff, branch_a, leaders):
    years.open_year(2026)
    client = client_for(gongwei_staff)

    with CaptureQueriesContext(connection) as queries:
        completion = client.get(reverse("branches:completion"), {"year": 2023})
        calendar = client.get(reverse("branches:branch_calendar", args=[branch_a.pk]), {"year": 2027})
        this_year = client.get(reverse("branches:branch_calendar", args=[branch_a.pk]), {"year": 2026})

    assert "2023年度组织生活要求尚未生成，完成情况将在生成后统计" in completion.text
    assert "2027年度组织生活要求尚未生成" in calendar.text and "主题党日：每月1次" in calendar.text
    assert "尚未生成" not in this_year.text and "✓1" in this_year.text
    assert writes(queries) == []


def test_with_no_year_opened_the_report_pages_read_who_owes_and_write_nothing(
    client_for, gongwei_staff, secretary_of_branch_a, branch_a, leaders
):
    MemberFactory(branch=branch_a, is_leader=True, user=secretary_of_branch_a)
    secretary, gongwei = Client(), Client()
    secretary.force_login(secretary_of_branch_a)
    gongwei.force_login(gongwei_staff)

    with CaptureQueriesContext(connection) as queries:
        home = secretary.get(reverse("home"))
        overview = gongwei.get(reverse("assessments:report_overview"))
        periods = gongwei.get(reverse("assessments:period_list"))

    assert home.status_code == overview.status_code == periods.status_code == 200
    assert "2026年上半年一岗双责报告" in home.text and "未提交" in home.text
    assert "报告期尚未生成" in overview.text and overview.context["page"].paginator.count == 3
    assert "2026年度规则尚未生成" in periods.text and "2027年上半年" in periods.text
    assert writes(queries) == []


def test_acceptance_opens_the_projects_year_so_reviewers_score_saved_criteria(branch_a, secretary_of_branch_a):
    project = ProjectFactory(branch=branch_a, filed=True, year=2026)
    target = project.targets.create(name="办结率", unit="%", target_value=90)
    project.milestones.create(title="全面推行", planned_on="2026-06-30", percent=100, completed_on="2026-06-30")
    request_acceptance(project, summary="完成", results=[TargetResult(target.pk, 95)], by=secretary_of_branch_a)

    assert [c.pk is not None for c in projects.rubric_of(projects.config_for_year(2026))] == [True] * 3


def test_a_rating_run_opens_its_year_before_reading_completion_and_filings(leaders, gongwei_staff):
    default_scheme(2026, by=gongwei_staff)
    start_run(2026, by=gongwei_staff, enqueue=False)

    compute_run(RatingRun.objects.get().pk)

    assert saved_years()["组织生活要求"] == {2026} and saved_years()["一岗双责报告期"] == {2026}
    assert_kept_tables_right()


# --- two openers at once ------------------------------------------------------------------------------

ONLY_ON_POSTGRESQL = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="并发测试需要 PostgreSQL（CI 使用 PostgreSQL）。"
)
WRITERS = [
    (orglife, "carried_over", lambda: orglife.ensure_requirements(2026)),
    (reports, "periods_for_years", lambda: reports.ensure_periods([2026])),
    (projects, "carried_over", lambda: projects.ensure_config(2026)),
    (points, "carried_over", lambda: points.ensure_point_rules(2026)),
]


def assert_opened_once() -> None:
    assert MeetingRequirement.objects.filter(year=2026).count() in (0, 7)
    assert DutyReportPeriod.objects.filter(year=2026).count() in (0, 2)
    assert ProjectYearConfig.objects.filter(year=2026).count() in (0, 1)
    assert RubricCriterion.objects.filter(config__year=2026).count() in (0, 3)
    assert PointRule.objects.filter(year=2026).count() in (0, len(points.DEFAULT_RULES))
    assert_kept_tables_right()


@ONLY_ON_POSTGRESQL
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(("module", "reader", "writer"), WRITERS, ids=["requirements", "periods", "config", "points"])
def test_two_callers_opening_one_apps_year_at_once_save_it_once(branch_a, monkeypatch, module, reader, writer):
    MemberFactory(branch=branch_a, is_leader=True)
    # Both read the year as not opened before either saves it.
    monkeypatch.setattr(module, reader, slowed(getattr(module, reader)))

    results, errors = run_together(writer, writer)

    assert errors == [None, None]
    assert results[0] == results[1]  # the loser answers with the winner's rows
    assert_opened_once()


@ONLY_ON_POSTGRESQL
@pytest.mark.django_db(transaction=True)
def test_two_jobs_opening_the_year_at_once_open_it_once(branch_a, monkeypatch):
    MemberFactory(branch=branch_a, is_leader=True)
    monkeypatch.setattr(orglife, "carried_over", slowed(orglife.carried_over))

    results, errors = run_together(lambda: years.open_year(2026), lambda: years.open_year(2026))

    assert errors == [None, None]
    assert LABELS in results
    assert years.unopened(2026) == []
    assert_opened_once()


# --- the migration that opened the years of existing installs ----------------------------------------


NAME = "0001_open_the_years_in_use"


def migrate() -> None:
    """Run the migration's function as `migrate` does: on the models as they stand at that migration."""
    state = MigrationLoader(connection).project_state(("portal", NAME)).apps
    importlib.import_module(f"portal.migrations.{NAME}").open_years_in_use(state, None)


def test_the_migration_leaves_a_new_database_alone(db):
    migrate()

    assert saved_years() == {label: set() for label in LABELS}


def test_the_migration_opens_this_year_and_the_earlier_years_in_use(branch_a, leaders):
    Meeting.objects.create(
        branch=branch_a, kind="general", held_on=datetime.date(2024, 5, 6), topic="党员大会", recorded_by=UserFactory()
    )
    ProjectFactory(branch=branch_a, year=2025)
    half = DutyReportPeriod.objects.bulk_create(reports.default_periods(2025)[:1])  # a year half opened
    reports.refresh_filing(periods=half)

    migrate()

    assert saved_years() == {
        "组织生活要求": {2024, 2026},
        "一岗双责报告期": {2025, 2026},
        "项目验收规则": {2025, 2026},
        "党员积分规则": {2026},
    }
    assert DutyReportPeriod.objects.filter(year=2025).count() == 2
    assert RubricCriterion.objects.filter(config__year=2025).count() == 3
    # Each row has the history record the services would have written.
    assert MeetingRequirement.history.filter(year=2024, history_change_reason="按默认要求生成").count() == 7
    assert MeetingRequirement.history.filter(year=2026, history_change_reason="沿用2024年要求").count() == 7
    assert PointRule.history.filter(year=2026).count() == len(points.DEFAULT_RULES)
    assert RubricCriterion.history.filter(config_id__in=ProjectYearConfig.objects.values("pk")).count() == 6
    assert_kept_tables_right()
    # Running it again (an install migrated twice over a restore) adds nothing.
    migrate()
    assert MeetingRequirement.objects.count() == 14
