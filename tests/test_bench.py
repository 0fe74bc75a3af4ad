"""The bench runner on a tiny organisation: the crawler finds each role's pages and only those, asks for
no URL twice and reports a failing page; every crawled page it times answers, each floor statement
runs, the after-a-write timing leaves no trace, the budgets mark what misses them, the rating run leaves
no trace, the export and the load-test plan work. `make bench` itself, with its Xuzhou and province
databases, never runs in the test suite."""

import io
import json

import pytest
from django.contrib.sessions.models import Session
from django.core.management import call_command
from django.http import HttpResponse
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from assessments.models import DutyReportPeriod, RatingRun
from bench.__main__ import table, think_range
from bench.budgets import BUDGETS, MET, MISSED, evaluate
from bench.crawl import crawl_role
from bench.env import django_env
from bench.load import PostForm, _percentiles
from bench.measure import Measurer, counts
from bench.report import markdown
from bench.scales import SCALES
from branches.models import Meeting
from notifications.models import Notification

YEARS = 3
STAFF_PAGES = {
    "portal:dashboard",
    "branches:branch_list",
    "branches:member_list",
    "branches:warnings",
    "branches:user_list",
    "assessments:run_list",
    "projects:review_queue",
    "notifications:sent",
}


@pytest.fixture
def tiny_demo(db):
    call_command("seed_demo", organs=2, branches=4, members_per_branch=6, years=YEARS, stdout=io.StringIO())


@pytest.fixture
def measurer(tiny_demo):
    measurer = Measurer(repeat=2, floor_repeat=1, only=None, warmup=1)
    yield measurer
    measurer.close()


@pytest.fixture
def crawled(measurer):
    rows, skipped = measurer.crawl()
    return rows, skipped


def rows_of(rows, role):
    return [row for row in rows if row["role"] == role]


# --- the seed ------------------------------------------------------------------------------------


def test_seed_years_reach_back_that_many_years(tiny_demo):
    this_year = timezone.localdate().year
    first = Meeting.objects.order_by("held_on").values_list("held_on", flat=True).first()
    assert first.year == this_year - YEARS + 1
    years = set(DutyReportPeriod.objects.values_list("year", flat=True))
    assert years == set(range(this_year - YEARS + 1, this_year + 1))


def test_seed_refuses_years_out_of_range(db):
    with pytest.raises(Exception, match="--years"):
        call_command("seed_demo", organs=1, branches=1, members_per_branch=5, years=0, stdout=io.StringIO())


# --- the crawl -----------------------------------------------------------------------------------


def test_gongwei_crawl_has_the_navigation_pages_and_details(crawled):
    rows, _ = crawled
    gongwei = rows_of(rows, "gongwei")
    urls = {row["url"] for row in gongwei}
    names = {row["view_name"] for row in gongwei}

    assert {"/", reverse("portal:dashboard"), reverse("branches:branch_list"), reverse("projects:project_list")} <= urls
    # One level further: a detail page of each kind the lists link to.
    assert {"branches:branch_detail", "projects:project_detail", "branches:meeting_detail"} <= names
    assert {row["level"] for row in gongwei} >= {"nav", "detail"}
    detail = next(row for row in gongwei if row["view_name"] == "branches:branch_detail")
    assert detail["kwargs"]["pk"] > 0 and detail["found_on"]


def test_each_role_sees_its_own_pages(crawled):
    rows, _ = crawled
    names = {
        role: {row["view_name"] for row in rows_of(rows, role)}
        for role in ("gongwei", "jiguan", "shuji", "dangyuan", "pingshen1")
    }

    assert not names["dangyuan"] & STAFF_PAGES
    assert {"home", "projects:project_list", "projects:my_tasks", "notifications:list"} <= names["dangyuan"]
    assert "portal:dashboard" in names["jiguan"] and "branches:requirement_list" not in names["jiguan"]
    assert "assessments:my_reports" in names["shuji"] and "portal:dashboard" not in names["shuji"]
    # The 评审专家 reaches its queue (empty in this tiny demo: no project awaits acceptance) and no staff page.
    assert {"home", "projects:expert_queue", "accounts:my_account"} <= names["pingshen1"]
    assert not names["pingshen1"] & STAFF_PAGES
    assert all(row["status"] == 200 for row in rows_of(rows, "pingshen1"))
    # The 我的积分 menu entry redirects to the person's own page, which is what is timed.
    points = next(row for row in rows_of(rows, "dangyuan") if row["view_name"] == "assessments:points_member")
    assert points["via"] == reverse("assessments:points_mine") and points["status"] == 200


def test_crawl_never_asks_twice_nor_for_what_it_must_not(tiny_demo, django_user_model):
    asked = []

    class Recording(Client):
        def get(self, path, *args, **kwargs):
            asked.append(path)
            return super().get(path, *args, **kwargs)

        def post(self, *args, **kwargs):  # pragma: no cover - the assertion is that it never happens
            raise AssertionError("the crawl only reads")

    client = Recording(raise_request_exception=False)
    client.force_login(django_user_model.objects.get(username="gongwei"))
    pages, skipped = crawl_role(client, "gongwei")

    assert len(asked) == len(set(asked))
    assert len({(p.route, p.view_name) for p in pages}) == len(pages)
    assert not [path for path in asked if path.startswith(("/admin/", "/api/")) or "export" in path]
    reasons = {s.view_name: s.reason for s in skipped}
    assert reasons["projects:project_export"] == "logout/export/download"
    # A form page is timed: its GET is what the user waits for before filling it in
    assert "projects:project_create" not in reasons
    assert {"projects:project_create", "branches:member_create"} <= {p.view_name for p in pages}
    assert "accounts:password_change" in {p.view_name for p in pages}


def test_a_failing_page_is_an_error_row_and_post_targets_are_left_out(db):
    """A stand-in client: the start page links a list, a page that fails, a page that sends to the log-in
    page, one that redirects to an export, and a POST target; the list links two branch details (one
    pattern: only the first is taken) and an export."""
    branch_list, dashboard = reverse("branches:branch_list"), reverse("portal:dashboard")
    first, second = reverse("branches:branch_detail", args=[1]), reverse("branches:branch_detail", args=[2])
    read_all, export = reverse("notifications:read_all"), reverse("branches:roster_export")
    to_export, to_login = reverse("assessments:points_mine"), reverse("projects:my_tasks")
    login = reverse("accounts:login") + f"?next={to_login}"
    nav = "".join(
        f'<a href="{url}">{label}</a>'
        for url, label in [
            (branch_list, "党支部"),
            (dashboard, "统计"),
            (read_all, "全部已读"),
            (to_export, "我的积分"),
            (to_login, "我的任务"),
            ("#", "菜单"),
        ]
    )
    pages = {
        "/": f'<nav class="navbar">{nav}</nav><form method="post" action="{read_all}"></form>',
        branch_list: f'<nav class="navbar"><a href="/">首页</a></nav><a href="{first}">一</a><a href="{second}">二</a>'
        f'<a href="{export}">导出</a><a href="https://example.org/">外部</a>',
        first: "<p>支部</p>",
    }
    redirects = {to_export: export, to_login: login}
    asked = []

    class StandIn:
        def get(self, path):
            asked.append(path)
            if path == dashboard:
                return HttpResponse("boom", status=500)
            if path in redirects:
                return HttpResponse(status=302, headers={"Location": redirects[path]})
            return HttpResponse(pages[path], content_type="text/html; charset=utf-8")

    found, skipped = crawl_role(StandIn(), "gongwei")

    expected = [("/", "nav"), (branch_list, "nav"), (dashboard, "nav"), (to_login, "nav"), (first, "detail")]
    assert [(p.url, p.level) for p in found] == expected
    failed = next(p for p in found if p.url == dashboard)
    assert failed.status == 500 and failed.error == "HTTP 500"
    sent_away = next(p for p in found if p.url == to_login)
    assert sent_away.status == 302 and sent_away.error == f"HTTP 302 → {login}"
    assert asked == ["/", branch_list, dashboard, to_export, to_login, first]
    assert {(s.view_name, s.reason) for s in skipped} >= {
        ("notifications:read_all", "POST form target"),
        ("branches:roster_export", "logout/export/download"),
        ("assessments:points_mine", f"redirects to {export}: logout/export/download"),
    }


# --- timing --------------------------------------------------------------------------------------


def test_crawled_pages_are_timed_with_their_floors(measurer):
    measurer.only = ["portal:dashboard", "branches:branch_list", "projects:project_detail", "home", "baseline"]
    rows, _ = measurer.crawl()
    pages = measurer.time_pages(rows)

    assert {"baseline", "portal:dashboard", "projects:project_detail"} <= {row["page"] for row in pages}
    for row in pages:
        assert "error" not in row or not row["error"], row
        assert row["median_ms"] > 0 and row["p95_ms"] >= row["median_ms"] and row["queries"] > 0
        assert row["n"] == 2
    with_floor = {(row["role"], row["floor"]) for row in pages if "floor" in row}
    assert with_floor >= {
        ("gongwei", "dashboard"),
        ("gongwei", "branch_list"),
        ("shuji", "secretary_home"),
        ("dangyuan", "project_page"),
    }
    for row in pages:
        if "floor" in row:
            assert len(row["floor_statements"]) >= 2
            assert row["floor_ms"] == pytest.approx(sum(s["median_ms"] for s in row["floor_statements"]), abs=0.2)
    assert "actual time" in measurer.explain_heaviest(pages)["plan"]


def test_unknown_page_names_are_refused(measurer):
    measurer.only = ["project"]
    with pytest.raises(SystemExit, match="unknown pages: project"):
        measurer.crawl()


def test_after_a_write_each_sample_sees_a_new_meeting_that_is_rolled_back(measurer):
    measurer.only = ["home", "branches:completion"]
    rows, _ = measurer.crawl()
    meetings = Meeting.objects.count()

    info = measurer.time_after_write(rows)

    assert Meeting.objects.count() == meetings
    assert info["branch"] and "record_meeting" in info["write"]
    for row in rows:
        assert row["write_median_ms"] > 0 and row["write_n"] == 2 and row["write_queries"] > 0, row


def test_cache_off_settings_use_the_dummy_cache():
    from bench import settings_nocache

    assert settings_nocache.CACHES["default"]["BACKEND"] == "django.core.cache.backends.dummy.DummyCache"
    assert django_env("x", cache_prefix="p", cache=False)["DJANGO_SETTINGS_MODULE"] == "bench.settings_nocache"
    assert django_env("x", cache_prefix="p")["DJANGO_SETTINGS_MODULE"] == "partybuild.settings"


# --- budgets -------------------------------------------------------------------------------------


def fake_row(**figures):
    row = {"page": "x", "role": "gongwei", "url": "/x/", "view_name": "x:page", "error": ""}
    row.update(figures)
    return row


def test_budgets_mark_slow_rows_missed_and_fast_ones_met():
    result = {
        "pages": [
            fake_row(median_ms=40.0, write_median_ms=60.0, floor_ms=30.0, ratio_to_floor=1.3),
            fake_row(url="/slow/", median_ms=151.0, write_median_ms=20.0),
            fake_row(url="/stale/", median_ms=20.0, write_median_ms=900.0),
            fake_row(url="/ratio/", median_ms=100.0, write_median_ms=100.0, floor_ms=25.0, ratio_to_floor=4.0),
            # A 5 ms floor is below the 20 ms the ratio budget starts at: 10× is not judged.
            fake_row(url="/tiny-floor/", median_ms=50.0, write_median_ms=50.0, floor_ms=5.0, ratio_to_floor=10.0),
            fake_row(url="/broken/", error="HTTP 500"),
            fake_row(url="/unmeasured/", median_ms=20.0),  # no after-a-write figure
        ],
        "rating_run": {"year": 2026, "seconds": 6.0, "branches": 4},
        "scorecards": {"year": 2025, "seconds": 0.1, "branches": 4, "peak_python_mb": 1, "file_kb": 9},
        "load": {"errors": {"POST meeting: HTTP 403": 2}, "latency": {"p95_ms": 400.0}},
    }

    misses = evaluate("xuzhou", result)

    verdicts = {row["url"]: row["budget"] for row in result["pages"]}
    assert verdicts == {
        "/x/": MET,
        "/slow/": MISSED,
        "/stale/": MISSED,
        "/ratio/": MISSED,
        "/tiny-floor/": MET,
        "/broken/": MISSED,
        "/unmeasured/": MISSED,
    }
    assert any("/slow/" in m and "151 ms > 150 ms" in m for m in misses)
    assert any("/ratio/" in m and "4 × > 3 ×" in m for m in misses)
    assert any("/broken/" in m and "HTTP 500" in m for m in misses)
    assert any("星级评定 6 s > 5 s" in m for m in misses)
    assert any("错误数 2" in m for m in misses)
    assert result["rating_run"]["budgets"]["rating_run"]["met"] is False
    assert result["scorecards"]["budgets"]["scorecards"]["met"] is True
    assert result["load"]["budgets"]["load_p95"]["met"] is True


def test_province_budgets_judge_the_dashboard_after_a_write_only():
    result = {
        "pages": [
            fake_row(view_name="portal:dashboard", url="/dashboard/", median_ms=250.0, write_median_ms=600.0),
            fake_row(view_name="branches:branch_list", url="/org/branches/", median_ms=250.0, write_median_ms=600.0),
            fake_row(view_name="branches:tree", url="/org/tree/", median_ms=301.0, write_median_ms=10.0),
        ]
    }

    misses = evaluate("province", result)

    assert [row["budget"] for row in result["pages"]] == [MISSED, MET, MISSED]
    assert len(misses) == 2
    assert {b.key for b in BUDGETS["province"]} >= {"cache_off", "dashboard_after_write", "rating_run", "scorecards"}


def test_table_prints_each_row_with_its_verdict(measurer):
    measurer.only = ["home", "baseline"]
    rows, skipped = measurer.crawl()
    result = {
        "pages": measurer.time_pages(rows),
        "skipped": skipped,
        "rating_run": {"year": 2026, "seconds": 1.0, "branches": 4},
        "counts": counts(),
    }
    result["pages"][0]["median_ms"] = 999.0
    evaluate("xuzhou", result)

    text = table("xuzhou", result)

    lines = text.splitlines()
    slow = next(line for line in lines if "999.0ms" in line)
    assert MISSED in slow
    assert any(line.startswith("gongwei") and "accounts:password_done" in line for line in lines)
    assert "rating run 2026: 1.0 s for 4 branches  达到" in text
    readme = markdown({"scales": {"xuzhou": result}}).splitlines()
    assert any(line.startswith("| home | 工委 | `/` | 999.0 |") and line.endswith("| 未达到 |") for line in readme)
    assert "- 星级评定（2026 年度，4 个支部）：1.0 s，达到" in readme


# --- the rating run, the export, the load test -----------------------------------------------------


def test_rating_run_is_timed_and_rolled_back(measurer):
    before = RatingRun.objects.count()

    result = measurer.rating_run()

    assert result["status"] == "draft" and result["branches"] > 0 and result["seconds"] >= 0
    assert RatingRun.objects.count() == before


def test_scorecard_export_reports_time_and_memory(measurer):
    result = measurer.scorecards()

    assert result["branches"] > 0 and result["peak_python_mb"] > 0 and result["file_kb"] > 0


def test_load_plan_sessions_and_writes_work_and_are_dropped(measurer, client):
    plan = json.loads(json.dumps(measurer.load_plan(5, 2, "压测标记")))

    assert [s["user"] for s in plan["sessions"]] == ["gongwei", "gongwei", "jiguan", "shuji", "dangyuan"]
    staff, secretary, member = plan["sessions"][0], plan["sessions"][3], plan["sessions"][4]
    assert reverse("portal:dashboard") in staff["urls"]
    client.cookies["sessionid"] = staff["session"]
    assert client.get(staff["urls"][0]).status_code == 200

    # The secretary's write: the meeting form as the load test fills it in from the page.
    client.cookies["sessionid"] = secretary["session"]
    action = secretary["writes"][0]
    page = client.get(action["form"])
    form = PostForm(action["form"])
    form.feed(page.content.decode())
    assert form.found and any(name == "present" for name, _ in form.fields)
    body = {}
    for name, value in form.fields:
        body.setdefault(name, []).append(value)
    body["topic"] = [action["topic"]]
    response = client.post(action["form"], body)
    assert response.status_code == 302, response.content.decode()[:2000]
    assert Meeting.objects.filter(topic=action["topic"]).count() == 1

    # The member's write: opening one of the messages made for the test.
    assert len(member["writes"]) == 2
    client.cookies["sessionid"] = member["session"]
    assert client.post(member["writes"][0]["post"]).status_code == 302

    dropped = measurer.drop_load(plan)

    assert dropped == {"sessions": 5, "meetings": 1, "notifications": 2}
    assert not Session.objects.filter(session_key__in=[s["session"] for s in plan["sessions"]]).exists()
    assert not Meeting.objects.filter(topic__startswith="压测标记").exists()
    assert not Notification.objects.filter(title__startswith="压测标记").exists()


def test_percentiles_think_ranges_and_scale_signatures():
    assert _percentiles([0.1, 0.2, 0.3, 0.4])["p50_ms"] in (200.0, 300.0)
    assert think_range("1-5") == (1.0, 5.0) and think_range("0") == (0.0, 0.0)
    assert _percentiles([]) == {}
    xuzhou = SCALES["xuzhou"]
    assert (xuzhou.branches, xuzhou.years) == (755, 5)
    assert f"years={xuzhou.years}" in xuzhou.signature()
