"""Measure one scale's database from inside Django: `python -m bench.measure --out FILE.json [options]`.

Run by `python -m bench` with the scale's DATABASE_URL and production-like settings (see `bench.env`).
Pages are timed with the Django test client (server time: middleware, view, queries, template), each
beside the replay of its own SELECTs and beside its hand-written SQL floor (`bench.floors`). The rating
run is computed inside a transaction that is rolled back, so the database stays as it was built.
"""

import argparse
import datetime
import io
import json
import os
import resource
import statistics
import sys
import tempfile
import time
import tracemalloc
from dataclasses import dataclass

import django


@dataclass(frozen=True)
class Page:
    """A page to time: a name, how to find its URL, and who asks for it."""

    name: str
    label: str
    username: str


# The pages `make bench` times; a page whose URL does not resolve (not built yet) is reported as missing.
PAGES = [
    Page("dashboard", "工委统计看板 /dashboard/", "gongwei"),
    Page("branch_list", "党支部列表", "gongwei"),
    Page("project_page", "项目详情页", "gongwei"),
    Page("secretary_home", "书记首页 /（shuji）", "shuji"),
    # The fixed cost of any page (session, user, navigation, base template): a page with nothing on it.
    Page("baseline", "空白页（每个页面的固定开销）", "gongwei"),
]


class _Rollback(Exception):
    pass


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(share * (len(ordered) - 1))))
    return ordered[index]


def _ms(seconds: float) -> float:
    return round(seconds * 1000, 1)


def _summary(samples: list[float]) -> dict:
    return {
        "median_ms": _ms(statistics.median(samples)),
        "p95_ms": _ms(_percentile(samples, 0.95)),
        "min_ms": _ms(min(samples)),
        "n": len(samples),
    }


class Measurer:
    def __init__(self, *, repeat: int, floor_repeat: int, only: list[str] | None):
        from django.contrib.auth import get_user_model
        from django.utils import timezone

        self.repeat = repeat
        self.floor_repeat = floor_repeat
        unknown = set(only or ()) - {page.name for page in PAGES}
        if unknown:
            raise SystemExit(f"unknown pages: {', '.join(sorted(unknown))} (known: {', '.join(p.name for p in PAGES)})")
        self.only = only
        self.today = timezone.localdate()
        self.users = {u.username: u for u in get_user_model().objects.filter(username__in=["gongwei", "shuji"])}

    # URLs and floor parameters -------------------------------------------------------------

    def project_id(self) -> int:
        from django.db.models import Count

        from projects.models import Project

        # The heaviest project page: the most milestones, then tasks; the lowest key breaks ties.
        project = (
            Project.objects.annotate(n_m=Count("milestones", distinct=True), n_t=Count("tasks", distinct=True))
            .order_by("-n_m", "-n_t", "pk")
            .first()
        )
        return project.pk

    def url(self, page: Page) -> str | None:
        from django.urls import NoReverseMatch, reverse

        try:
            if page.name == "dashboard":
                return reverse("portal:dashboard")
            if page.name == "branch_list":
                return reverse("branches:branch_list")
            if page.name == "project_page":
                return reverse("projects:project_detail", args=[self.project_id()])
            if page.name == "secretary_home":
                return reverse("home")
            if page.name == "baseline":
                return reverse("accounts:password_done")
        except NoReverseMatch:
            return None
        raise ValueError(page.name)

    def floor_params(self) -> dict:
        from accounts.models import RoleAssignment
        from assessments.models import RatingRun
        from branches.models import Member, OrganisationRules

        rules = OrganisationRules.for_year(self.today.year)
        shuji = self.users["shuji"]
        branch = RoleAssignment.objects.filter(user=shuji, branch__isnull=False).values_list("branch_id", flat=True)
        run = RatingRun.objects.filter(status="published").order_by("-year").values_list("pk", "year").first()
        member = Member.objects.filter(user=shuji).order_by("name_pinyin", "pk").values_list("pk", flat=True).first()
        return {
            "today": self.today,
            "year": self.today.year,
            "year_start": datetime.date(self.today.year, 1, 1),
            "branch": branch.first(),
            "user": shuji.pk,
            "member": member,
            "asking": shuji.pk,  # the bell's owner: set to each page's user before its floor is timed
            "project": self.project_id(),
            "run": run[0] if run else None,
            "min_full": rules.min_full_members,
            "threshold": rules.committee_threshold,
            "committee_min": rules.committee_min_size,
            "committee_max": rules.committee_max_size,
            "no_committee_max": rules.no_committee_max_size,
            "max_members": rules.max_members,
        }

    # Pages ----------------------------------------------------------------------------------

    def pages(self) -> list[dict]:
        from django.db import connection
        from django.test import Client
        from django.test.utils import CaptureQueriesContext

        from .floors import FLOORS

        params = self.floor_params()
        results = []
        for page in PAGES:
            if self.only and page.name not in self.only:
                continue
            url = self.url(page)
            row = {"page": page.name, "label": page.label, "user": page.username, "url": url}
            results.append(row)
            if url is None:
                row["missing"] = "页面尚未实现（URL 无法解析），未计时"
                continue
            # A page that fails is reported as its status; the other pages are still measured.
            client = Client(raise_request_exception=False)
            client.force_login(self.users[page.username])
            started = time.perf_counter()
            response = client.get(url)
            row["cold_ms"] = _ms(time.perf_counter() - started)
            if response.status_code != 200:
                row["error"] = f"HTTP {response.status_code}"
                continue
            client.get(url)
            floor = FLOORS.get(page.name)
            floor_params = {**params, "asking": self.users[page.username].pk}
            # Each request is followed by one run of the page's floor, so that both see the machine in the same
            # state: on a shared machine the load changes within seconds, and a floor timed apart from its page
            # can make the ratio swing by half.
            samples, floor_samples = [], {label: [] for label, _ in floor or ()}
            for _ in range(self.repeat):
                started = time.perf_counter()
                client.get(url)
                samples.append(time.perf_counter() - started)
                if floor:
                    self._floor_once(floor, floor_params, floor_samples)
            row.update(_summary(samples))
            with CaptureQueriesContext(connection) as captured:
                client.get(url)
            selects = [q["sql"] for q in captured.captured_queries if q["sql"].lstrip().upper().startswith("SELECT")]
            row["queries"] = len(captured.captured_queries)
            row["page_sql_ms"] = self._replay(selects)
            if floor:
                row["floor_ms"], row["floor_statements"] = self._floor_summary(floor, floor_samples)
                row["ratio_to_floor"] = round(row["median_ms"] / max(row["floor_ms"], 0.1), 1)
        return results

    def _replay(self, statements: list[str]) -> float:
        """Median time of running the page's own SELECTs again, back to back (the page's database share)."""
        from django.db import connection

        samples = []
        with connection.cursor() as cursor:
            for _ in range(max(3, self.floor_repeat // 2)):
                started = time.perf_counter()
                for sql in statements:
                    cursor.execute(sql)
                    cursor.fetchall()
                samples.append(time.perf_counter() - started)
        return _ms(statistics.median(samples))

    def _floor_once(self, statements, params, samples: dict[str, list[float]]) -> None:
        """Run each of the floor's statements once, adding its time to `samples` under its label."""
        from django.db import connection

        with connection.cursor() as cursor:
            for label, sql in statements:
                started = time.perf_counter()
                cursor.execute(sql, params)
                cursor.fetchall()
                samples[label].append(time.perf_counter() - started)

    @staticmethod
    def _floor_summary(statements, samples: dict[str, list[float]]) -> tuple[float, list[dict]]:
        per_statement = [
            {"label": label, "median_ms": _ms(statistics.median(samples[label])), "sql": sql}
            for label, sql in statements
        ]
        return round(sum(s["median_ms"] for s in per_statement), 1), per_statement

    def explain_heaviest(self, pages: list[dict]) -> dict | None:
        """EXPLAIN (ANALYZE, BUFFERS) of the slowest floor statement of all pages."""
        from django.db import connection

        candidates = [(s, row["page"]) for row in pages for s in row.get("floor_statements", [])]
        if not candidates:
            return None
        statement, page = max(candidates, key=lambda c: c[0]["median_ms"])
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + statement["sql"], self.floor_params())
            plan = "\n".join(line for (line,) in cursor.fetchall())
        return {"page": page, "label": statement["label"], "median_ms": statement["median_ms"], "plan": plan}

    # The rating run and the scorecard export ------------------------------------------------------------------

    def rating_run(self) -> dict:
        """`compute_run` on a new run of this year (every metric computed), rolled back afterwards."""
        from django.db import transaction

        from assessments.ratings import compute_run, start_run

        year = self.today.year
        result = {"year": year}
        try:
            with transaction.atomic():
                run = start_run(year, by=self.users["gongwei"], enqueue=False)
                started = time.perf_counter()
                run = compute_run(run.pk)
                result["seconds"] = round(time.perf_counter() - started, 2)
                result["status"] = run.status
                result["branches"] = run.n_branches
                raise _Rollback
        except _Rollback:
            pass
        return result

    def scorecards(self) -> dict:
        """The year-end workbook of last year's published run: time, then peak Python memory in a second pass."""
        from assessments.ratings import latest_published
        from assessments.scorecards import write_scorecards

        run = latest_published(self.today.year - 1)
        if run is None:
            return {"missing": "没有已发布的上一年度评定"}
        with tempfile.NamedTemporaryFile(suffix=".xlsx") as out:
            rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
            started = time.perf_counter()
            n = write_scorecards(run, out.name)
            seconds = time.perf_counter() - started
            rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
            size = os.path.getsize(out.name)
        # tracemalloc slows Python down several times: its pass is not the timed one.
        tracemalloc.start()
        write_scorecards(run, io.BytesIO())
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        return {
            "year": run.year,
            "branches": n,
            "seconds": round(seconds, 2),
            "peak_python_mb": round(peak / 2**20, 1),
            "max_rss_growth_mb": round(max(0, rss_after - rss_before) / 1024, 1),
            "file_kb": round(size / 1024),
        }

    # Sessions for the load test ----------------------------------------------------------------------------

    def load_plan(self, n_sessions: int) -> dict:
        """Logged-in sessions for simulated reviewers and the URLs each may ask for.

        Most reviewers are 工委 staff; every fifth is the demo secretary on the home page. Sessions are
        made in the database directly (as a login would), so the load test does not time password hashing.
        """
        from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
        from django.contrib.sessions.backends.db import SessionStore

        urls = {page.name: self.url(page) for page in PAGES}
        staff_urls = [urls[n] for n in ("dashboard", "branch_list", "project_page") if urls[n]]
        sessions = []
        for i in range(n_sessions):
            user = self.users["shuji" if i % 5 == 4 else "gongwei"]
            store = SessionStore()
            store[SESSION_KEY] = str(user.pk)
            store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
            store[HASH_SESSION_KEY] = user.get_session_auth_hash()
            store.create()
            mine = [urls["secretary_home"]] if user.username == "shuji" else [*staff_urls, urls["secretary_home"]]
            sessions.append({"session": store.session_key, "user": user.username, "urls": mine})
        return {"sessions": sessions}

    def drop_sessions(self, keys: list[str]) -> None:
        from django.contrib.sessions.models import Session

        Session.objects.filter(session_key__in=keys).delete()


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", required=True)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--floor-repeat", type=int, default=10)
    parser.add_argument("--pages", help="comma-separated page names (default: all)")
    parser.add_argument("--skip-rating", action="store_true")
    parser.add_argument("--skip-scorecards", action="store_true")
    parser.add_argument("--sessions", type=int, default=0, help="make this many load-test sessions")
    parser.add_argument("--drop-sessions", help="a JSON file of sessions to delete, then exit")
    args = parser.parse_args(argv)
    django.setup()
    measurer = Measurer(
        repeat=args.repeat, floor_repeat=args.floor_repeat, only=args.pages.split(",") if args.pages else None
    )
    if args.drop_sessions:
        with open(args.drop_sessions) as f:
            measurer.drop_sessions([s["session"] for s in json.load(f)["sessions"]])
        return
    if args.sessions:
        result = measurer.load_plan(args.sessions)
    else:
        pages = measurer.pages()
        result = {"pages": pages, "explain": measurer.explain_heaviest(pages)}
        if not args.skip_rating:
            result["rating_run"] = measurer.rating_run()
        if not args.skip_scorecards:
            result["scorecards"] = measurer.scorecards()
        result["counts"] = counts()
        result["settings"] = server_settings()
    with open(args.out, "w") as f:
        json.dump(result, f, ensure_ascii=False, indent=1, default=str)


def server_settings() -> dict:
    """What shapes the numbers besides the code: the cache the pages share and PostgreSQL's JIT."""
    from django.conf import settings
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW jit")
        jit = cursor.fetchone()[0]
    return {"cache": settings.CACHES["default"]["BACKEND"], "jit": jit, "debug": settings.DEBUG}


def counts() -> dict:
    """The size of what was measured, from the database."""
    from django.db import connection

    tables = {
        "organs": "branches_organ",
        "branches": "branches_branch",
        "members": "branches_member",
        "projects": "projects_project",
        "milestones": "projects_milestone",
        "meetings": "branches_meeting",
        "attendance": "branches_attendance",
        "duty_reports": "assessments_dutyreport",
        "problems": "assessments_problem",
        "rating_results": "assessments_ratingresult",
    }
    with connection.cursor() as cursor:
        result = {}
        for name, table in tables.items():
            cursor.execute(f"SELECT count(*) FROM {table}")  # fixed table names, not input
            result[name] = cursor.fetchone()[0]
        cursor.execute("SELECT min(held_on), max(held_on) FROM branches_meeting")
        first, last = cursor.fetchone()
        result["meetings_from"], result["meetings_to"] = str(first), str(last)
    return result


if __name__ == "__main__":
    sys.exit(main())
