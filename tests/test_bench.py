"""The bench runner on a tiny organisation: each page it times answers, each floor statement runs, the
rating run leaves no trace, the export and the load-test sessions work. `make bench` itself, with its
Xuzhou and province databases, never runs in the test suite."""

import io

import pytest
from django.contrib.sessions.models import Session
from django.core.management import call_command
from django.utils import timezone

from assessments.models import DutyReportPeriod, RatingRun
from bench.__main__ import budgets, table
from bench.load import _percentiles
from bench.measure import PAGES, Measurer, counts
from bench.scales import SCALES
from branches.models import Meeting

YEARS = 3


@pytest.fixture
def tiny_demo(db):
    call_command("seed_demo", organs=2, branches=4, members_per_branch=6, years=YEARS, stdout=io.StringIO())


@pytest.fixture
def measurer(tiny_demo):
    return Measurer(repeat=2, floor_repeat=1, only=None)


def test_seed_years_reach_back_that_many_years(tiny_demo):
    this_year = timezone.localdate().year
    first = Meeting.objects.order_by("held_on").values_list("held_on", flat=True).first()
    assert first.year == this_year - YEARS + 1
    years = set(DutyReportPeriod.objects.values_list("year", flat=True))
    assert years == set(range(this_year - YEARS + 1, this_year + 1))


def test_seed_refuses_years_out_of_range(db):
    with pytest.raises(Exception, match="--years"):
        call_command("seed_demo", organs=1, branches=1, members_per_branch=5, years=0, stdout=io.StringIO())


def test_every_page_answers_and_every_floor_statement_runs(measurer):
    pages = measurer.pages()

    assert [p["page"] for p in pages] == [p.name for p in PAGES]
    for page in pages:
        if page["url"] is None:  # a page another change has not added yet
            continue
        assert "error" not in page, page
        assert page["median_ms"] > 0 and page["queries"] > 0
        if page["page"] == "baseline":  # the fixed cost of a page: no figures, no floor
            continue
        assert len(page["floor_statements"]) >= 2
        assert page["floor_ms"] == pytest.approx(sum(s["median_ms"] for s in page["floor_statements"]), abs=0.2)
    explain = measurer.explain_heaviest(pages)
    assert "actual time" in explain["plan"]


def test_unknown_page_names_are_refused(tiny_demo):
    with pytest.raises(SystemExit, match="unknown pages: project"):
        Measurer(repeat=1, floor_repeat=1, only=["project"])


def test_rating_run_is_timed_and_rolled_back(measurer):
    before = RatingRun.objects.count()

    result = measurer.rating_run()

    assert result["status"] == "draft" and result["branches"] > 0 and result["seconds"] >= 0
    assert RatingRun.objects.count() == before


def test_scorecard_export_reports_time_and_memory(measurer):
    result = measurer.scorecards()

    assert result["branches"] > 0 and result["peak_python_mb"] > 0 and result["file_kb"] > 0


def test_load_sessions_are_logged_in_and_dropped(measurer, client):
    plan = measurer.load_plan(5)

    assert len(plan["sessions"]) == 5
    session = plan["sessions"][0]
    client.cookies["sessionid"] = session["session"]
    assert client.get(session["urls"][0]).status_code == 200
    measurer.drop_sessions([s["session"] for s in plan["sessions"]])
    assert not Session.objects.filter(session_key__in=[s["session"] for s in plan["sessions"]]).exists()


def test_report_names_what_misses_its_budget(measurer):
    result = {
        "pages": measurer.pages(),
        "rating_run": {"year": 2026, "seconds": 6.0, "branches": 4},
        "scorecards": {"year": 2025, "seconds": 0.1, "branches": 4, "peak_python_mb": 1, "file_kb": 9},
        "counts": counts(),
    }
    result["pages"][1].update(median_ms=151.0, p95_ms=160.0, ratio_to_floor=1.0)

    misses = budgets(result)

    assert any("median 151.0 ms" in m for m in misses)
    assert any("rating run: 6.0 s" in m for m in misses)
    assert "branch_list" in table("tiny", result)


def test_percentiles_and_scale_signatures():
    assert _percentiles([0.1, 0.2, 0.3, 0.4])["p50_ms"] in (200.0, 300.0)
    assert _percentiles([]) == {}
    xuzhou = SCALES["xuzhou"]
    assert (xuzhou.branches, xuzhou.years) == (755, 5)
    assert f"years={xuzhou.years}" in xuzhou.signature()
