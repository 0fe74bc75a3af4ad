"""Measure one scale's database from inside Django: `python -m bench.measure --out FILE.json [options]`.

Run by `python -m bench` with the scale's DATABASE_URL and production-like settings (see `bench.env`),
in two processes:

- `--phase cache-off` (Django's DummyCache, `bench.settings_nocache`): crawls the roles' pages
  (`bench.crawl`) and times each with the Django test client (server time: middleware, view, queries,
  template), beside the replay of its own SELECTs and, where one is written, its SQL floor
  (`bench.floors`); then the rating run (in a transaction rolled back) and the scorecard export.
- `--phase after-write --pages-from FILE` (the portal's cache): the same pages, each request right
  after a write (`bench.writes`) that is rolled back after the sample.

The database stays as it was built.
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

import django

# The fixed cost of any page (session, user, navigation, base template): a page with nothing on it.
# Not in any menu, so it is added to the crawl by hand, for 工委.
BASELINE = ("accounts:password_done", "gongwei")


class _Rollback(Exception):
    pass


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(share * (len(ordered) - 1))))
    return ordered[index]


def _ms(seconds: float) -> float:
    return round(seconds * 1000, 1)


def _progress(line: str) -> None:
    """One line per page measured, on stderr, so a long run shows where it is."""
    print(f"  {line}", file=sys.stderr, flush=True)


def _summary(samples: list[float], prefix: str = "") -> dict:
    return {
        f"{prefix}median_ms": _ms(statistics.median(samples)),
        f"{prefix}p95_ms": _ms(_percentile(samples, 0.95)),
        f"{prefix}min_ms": _ms(min(samples)),
        f"{prefix}n": len(samples),
    }


class Measurer:
    """Crawls the pages of the roles (`bench.crawl.ROLES`) and times them; see the module note and `bench.crawl`."""

    def __init__(self, *, repeat: int, floor_repeat: int, only: list[str] | None = None, warmup: int = 2):
        from django.contrib.auth import get_user_model
        from django.utils import timezone

        from .crawl import ROLES

        self.repeat = repeat
        self.floor_repeat = floor_repeat
        self.warmup = warmup
        self.only = only
        self.today = timezone.localdate()
        names = [name for name, _ in ROLES]
        self.users = {u.username: u for u in get_user_model().objects.filter(username__in=names)}
        self._clients = {}

    def client(self, username: str):
        from django.test import Client

        if username not in self._clients:
            client = Client(raise_request_exception=False)
            client.force_login(self.users[username])
            self._clients[username] = client
        return self._clients[username]

    def close(self) -> None:
        """Log the measuring clients out, deleting the sessions their log-ins made."""
        for client in self._clients.values():
            client.logout()
        self._clients.clear()

    # What to time ---------------------------------------------------------------------------

    def crawl(self) -> tuple[list[dict], list[dict]]:
        """The crawled pages of every role as rows (errors included), the baseline last; and what was left out."""
        from django.urls import resolve, reverse

        from .crawl import crawl

        found, skipped = crawl(self.users)
        rows = [dict(page.as_dict(), page=page.view_name) for page in found]
        view, role = BASELINE
        if role in self.users:
            url = reverse(view)
            match = resolve(url)
            rows.append(
                {
                    "page": "baseline",
                    "role": role,
                    "url": url,
                    "route": match.route,
                    "view_name": match.view_name,
                    "level": "baseline",
                    "found_on": "",
                    "kwargs": {},
                    "status": None,
                    "error": "",
                    "via": "",
                }
            )
        if self.only:
            known = {row["view_name"] for row in rows} | {"baseline"}
            unknown = set(self.only) - known
            if unknown:
                raise SystemExit(f"unknown pages: {', '.join(sorted(unknown))} (crawled: {', '.join(sorted(known))})")
            rows = [row for row in rows if row["view_name"] in self.only or row["page"] in self.only]
        return rows, [s.as_dict() for s in skipped]

    def floor_params(self) -> dict:
        from accounts.models import RoleAssignment
        from assessments.models import RatingRun
        from branches.models import Member, OrganisationRules

        rules = OrganisationRules.for_year(self.today.year)
        shuji = self.users.get("shuji")
        branch = RoleAssignment.objects.filter(user=shuji, branch__isnull=False).values_list("branch_id", flat=True)
        run = RatingRun.objects.filter(status="published").order_by("-year").values_list("pk", "year").first()
        member = Member.objects.filter(user=shuji).order_by("name_pinyin", "pk").values_list("pk", flat=True).first()
        return {
            "today": self.today,
            "year": self.today.year,
            "year_start": datetime.date(self.today.year, 1, 1),
            "branch": branch.first(),
            "user": shuji.pk if shuji else None,
            "member": member,
            "asking": shuji.pk if shuji else None,  # the bell's owner: set to each page's user
            "project": None,  # the crawled project page's own
            "run": run[0] if run else None,
            "min_full": rules.min_full_members,
            "threshold": rules.committee_threshold,
            "committee_min": rules.committee_min_size,
            "committee_max": rules.committee_max_size,
            "no_committee_max": rules.no_committee_max_size,
            "max_members": rules.max_members,
        }

    # Timing with the cache off ------------------------------------------------------------------

    def time_pages(self, rows: list[dict]) -> list[dict]:
        """Median and p95 of `repeat` requests after warm-up, queries, the page's SQL replayed, floor and ratio.

        Run in a process whose cache is Django's DummyCache (`bench.settings_nocache`): nothing is kept
        between requests, every figure is computed each time. Rows with an error are left as they are.
        """
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        from .floors import FLOORS, floor_for

        params = self.floor_params()
        for row in rows:
            if row.get("error"):
                continue
            client = self.client(row["role"])
            started = time.perf_counter()
            response = client.get(row["url"])
            row["cold_ms"] = _ms(time.perf_counter() - started)
            row["status"] = response.status_code
            if response.status_code != 200:
                row["error"] = f"HTTP {response.status_code}"
                continue
            for _ in range(max(0, self.warmup - 1)):
                client.get(row["url"])
            floor_name = floor_for(row["view_name"], row["role"])
            floor = FLOORS.get(floor_name) if floor_name else None
            floor_params = {**params, "asking": self.users[row["role"]].pk, "project": row["kwargs"].get("pk")}
            # Each request is followed by one run of the page's floor, so that both see the machine in the same
            # state: on a shared machine the load changes within seconds, and a floor timed apart from its page
            # can make the ratio swing by half.
            samples, floor_samples = [], {label: [] for label, _ in floor or ()}
            for _ in range(self.repeat):
                started = time.perf_counter()
                response = client.get(row["url"])
                samples.append(time.perf_counter() - started)
                if response.status_code != 200:
                    row["error"] = f"HTTP {response.status_code}（计时中）"
                    break
                if floor:
                    self._floor_once(floor, floor_params, floor_samples)
            if row.get("error"):
                continue
            row.update(_summary(samples))
            _progress(f"cache off    {row['role']:<9}{row['view_name']:<36}{row['median_ms']:>8.1f} ms  {row['url']}")
            with CaptureQueriesContext(connection) as captured:
                client.get(row["url"])
            selects = [q["sql"] for q in captured.captured_queries if q["sql"].lstrip().upper().startswith("SELECT")]
            row["queries"] = len(captured.captured_queries)
            row["page_sql_ms"] = self._replay(selects)
            if floor:
                row["floor"] = floor_name
                row["floor_ms"], row["floor_statements"] = self._floor_summary(floor, floor_samples)
                row["ratio_to_floor"] = round(row["median_ms"] / max(row["floor_ms"], 0.1), 1)
        return rows

    # Timing right after a write ------------------------------------------------------------------

    def time_after_write(self, rows: list[dict]) -> dict:
        """Each page `repeat` times, each request right after one write (`bench.writes`), rolled back after.

        Run in a process with the portal's own cache (Redis under the run's key prefix): a page that keeps
        figures shows here what it costs when a write has just made them stale. Adds write_* to each row.
        """
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        from .writes import WriteContext, record_lecture, rolled_back_write

        ctx = WriteContext.for_demo(self.users.get("shuji"), self.today) if "shuji" in self.users else None
        if ctx is None:
            for row in rows:
                row.setdefault("write_error", "没有支部书记演示账号，无法写入")
            return {"missing": "no demo secretary"}
        last = {}
        for row in rows:
            if row.get("error"):
                continue
            client = self.client(row["role"])
            for _ in range(self.warmup):  # fills whatever the page keeps, so a sample is not a cold start
                client.get(row["url"])
            samples = []
            for i in range(self.repeat):
                with rolled_back_write(record_lecture, ctx) as info:
                    if i == self.repeat - 1:
                        with CaptureQueriesContext(connection) as captured:
                            started = time.perf_counter()
                            response = client.get(row["url"])
                            took = time.perf_counter() - started
                        row["write_queries"] = len(captured.captured_queries)
                    else:
                        started = time.perf_counter()
                        response = client.get(row["url"])
                        took = time.perf_counter() - started
                last = info
                if response.status_code != 200:
                    row["write_error"] = f"HTTP {response.status_code}（写后）"
                    break
                samples.append(took)
            if samples and not row.get("write_error"):
                row.update(_summary(samples, prefix="write_"))
                _progress(
                    f"after write  {row['role']:<9}{row['view_name']:<36}{row['write_median_ms']:>8.1f} ms {row['url']}"
                )
        return {
            "write": "支部书记用 branches.meetings.record_meeting 为本支部登记当天党课（全员出席），事务回滚",
            "branch": ctx.branch.name,
            "deferred_run": last.get("deferred_run", 0),
            "deferred_left": last.get("deferred_left", 0),
        }

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

        candidates = [(s, row) for row in pages for s in row.get("floor_statements", [])]
        if not candidates:
            return None
        statement, row = max(candidates, key=lambda c: c[0]["median_ms"])
        page = row["page"]
        params = {**self.floor_params(), "asking": self.users[row["role"]].pk, "project": row["kwargs"].get("pk")}
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + statement["sql"], params)
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

    def load_plan(self, n_sessions: int, requests_per_user: int, marker: str) -> dict:
        """Logged-in sessions for simulated users, the pages each may open and the writes each may do.

        The mix, user by user: two in five are 工委 staff, one 机关党委 staff, one the branch secretary and
        one a party member. Each browses the pages its role's crawl found. The secretary also records
        meetings through the meeting form (GET the form for its CSRF token, POST it); the member also
        opens messages (POST mark-read) made for this test. What the writes create or change carries
        `marker` and is deleted by `drop_load` afterwards. Sessions are made in the database directly
        (as a log-in would), so the load test does not time password hashing.
        """
        from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
        from django.contrib.sessions.backends.db import SessionStore
        from django.urls import reverse

        from notifications.models import Notification

        from .crawl import crawl
        from .writes import WriteContext

        found, _ = crawl(self.users)
        urls: dict[str, list[str]] = {}
        for page in found:
            if page.status == 200 and not page.error:
                urls.setdefault(page.role, []).append(page.url)
        ctx = WriteContext.for_demo(self.users["shuji"], self.today) if "shuji" in self.users else None
        mix = ["gongwei", "gongwei", "jiguan", "shuji", "dangyuan"]
        sessions = []
        for i in range(n_sessions):
            role = mix[i % len(mix)]
            user = self.users[role]
            store = SessionStore()
            store[SESSION_KEY] = str(user.pk)
            store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
            store[HASH_SESSION_KEY] = user.get_session_auth_hash()
            store.create()
            session = {"session": store.session_key, "user": role, "urls": urls.get(role, []), "writes": []}
            if role == "shuji" and ctx is not None:
                form = reverse("branches:meeting_create") + f"?branch={ctx.branch.pk}&kind=lecture"
                session["writes"] = [{"kind": "meeting", "form": form, "topic": f"{marker} {i}"}]
            elif role == "dangyuan":
                made = Notification.objects.bulk_create(
                    Notification(recipient=user, title=f"{marker} {i}-{k}", url=reverse("notifications:list"))
                    for k in range(requests_per_user)
                )
                session["writes"] = [
                    {
                        "kind": "read",
                        "form": reverse("notifications:list"),
                        "post": reverse("notifications:read", args=[n.pk]),
                    }
                    for n in made
                ]
            sessions.append(session)
        return {"sessions": sessions, "marker": marker}

    def drop_load(self, plan: dict) -> dict:
        """Delete the load test's sessions, the meetings it recorded and the messages it made."""
        from django.contrib.sessions.models import Session

        from branches.models import Meeting
        from notifications.models import Notification

        marker = plan.get("marker")
        dropped = {
            "sessions": Session.objects.filter(session_key__in=[s["session"] for s in plan["sessions"]]).delete()[0]
        }
        if marker:
            meetings = Meeting.objects.filter(topic__startswith=marker)
            history = getattr(Meeting, "history", None)
            dropped["meetings"] = meetings.count()
            meetings.delete()
            if history is not None:
                history.filter(topic__startswith=marker).delete()
            dropped["notifications"] = Notification.objects.filter(title__startswith=marker).delete()[0]
        return dropped


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", required=True)
    parser.add_argument("--phase", choices=["cache-off", "after-write"], default="cache-off")
    parser.add_argument("--pages-from", help="after-write: the cache-off phase's output, whose pages to time")
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--floor-repeat", type=int, default=10)
    parser.add_argument("--pages", help="only these URL names, comma-separated (default: every crawled page)")
    parser.add_argument("--skip-rating", action="store_true")
    parser.add_argument("--skip-scorecards", action="store_true")
    parser.add_argument("--sessions", type=int, default=0, help="make this many load-test sessions")
    parser.add_argument("--requests-per-user", type=int, default=10)
    parser.add_argument("--marker", default="性能测试压测")
    parser.add_argument("--drop-load", help="a load plan (JSON) whose sessions and writes to delete, then exit")
    args = parser.parse_args(argv)
    django.setup()
    measurer = Measurer(
        repeat=args.repeat, floor_repeat=args.floor_repeat, only=args.pages.split(",") if args.pages else None
    )
    if args.drop_load:
        with open(args.drop_load) as f:
            result = measurer.drop_load(json.load(f))
    elif args.sessions:
        result = measurer.load_plan(args.sessions, args.requests_per_user, args.marker)
    elif args.phase == "after-write":
        with open(args.pages_from) as f:
            pages = json.load(f)["pages"]
        result = {"after_write": measurer.time_after_write(pages), "pages": pages, "settings": server_settings()}
    else:
        pages, skipped = measurer.crawl()
        pages = measurer.time_pages(pages)
        result = {"pages": pages, "skipped": skipped, "explain": measurer.explain_heaviest(pages)}
        if not args.skip_rating:
            result["rating_run"] = measurer.rating_run()
        if not args.skip_scorecards:
            result["scorecards"] = measurer.scorecards()
        result["counts"] = counts()
        result["settings"] = server_settings()
    measurer.close()
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
