"""A GET never writes: every page each demo role reaches from its navigation is read with the SQL captured,
and not one statement inserts, updates, deletes or locks a row for writing.

The database is the demo's, seen on 10 February of the year after it was seeded: the new year's rules
(组织生活要求, 一岗双责报告期, 项目年度规则, 积分规则) are not opened, as on an install whose yearly job has
not run yet. Pages must read what the year's rules would be, not create them. The pages of the year after
(completion, calendar, rules pages) are read too. The same crawl runs on the day of the seed, when the year
is open. The log-in (a POST in real life, `force_login` here) happens before the capture.
"""

import datetime
import io
import re

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from assessments.models import DutyReportPeriod, PointRule
from bench.crawl import ROLES, crawl_role
from branches.models import Branch, MeetingRequirement
from core.error_pages import has_chinese
from projects.models import ProjectYearConfig

SEEDED = datetime.datetime(2026, 11, 22, 9, 0, tzinfo=datetime.UTC)
NEXT_YEAR = datetime.datetime(2027, 2, 10, 9, 0, tzinfo=datetime.UTC)

WRITE = re.compile(r"^\s*(INSERT|UPDATE|DELETE|MERGE|TRUNCATE)\b|\bFOR\s+(NO\s+KEY\s+)?UPDATE\b", re.IGNORECASE)
TABLE = re.compile(r'^\s*(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+"?([\w.]+)"?', re.IGNORECASE)


@pytest.fixture
def demo(db, time_machine):
    time_machine.move_to(SEEDED, tick=False)
    call_command("seed_demo", organs=2, branches=4, members_per_branch=6, years=2, stdout=io.StringIO())
    return time_machine


def writes_of(queries) -> list[str]:
    return [q["sql"] for q in queries if WRITE.search(q["sql"])]


def tables_of(statements) -> set[str]:
    return {m.group(1) if (m := TABLE.match(sql)) else sql[:80] for sql in statements}


def year_pages(year: int) -> list[str]:
    """Pages of a given year that the navigation reaches only through a year picker."""
    branch = Branch.objects.order_by("pk").first()
    return [
        f"{reverse('branches:completion')}?year={year}",
        f"{reverse('branches:requirement_list')}?year={year}",
        f"{reverse('branches:branch_calendar', args=[branch.pk])}?year={year}",
        f"{reverse('portal:dashboard')}?year={year}",
        reverse("projects:year_config", args=[year]),
        reverse("assessments:point_rules", args=[year]),
        reverse("assessments:points_branch", args=[branch.pk, year]),
        reverse("assessments:period_list"),
        f"{reverse('assessments:scoring_grid')}?year={year}",
    ]


def crawl_capturing(username: str) -> tuple[list, list[str], list]:
    client = Client()
    client.force_login(get_user_model().objects.get(username=username))
    with CaptureQueriesContext(connection) as captured:
        pages, _skipped = crawl_role(client, username)
        extra = []
        if username == "gongwei":
            this_year = timezone.localdate().year
            for url in year_pages(this_year) + year_pages(this_year + 1):
                extra.append((url, client.get(url).status_code))
    return pages, writes_of(captured.captured_queries), extra


def rules_years() -> dict[str, set[int]]:
    return {
        "requirements": set(MeetingRequirement.objects.values_list("year", flat=True)),
        "periods": set(DutyReportPeriod.objects.values_list("year", flat=True)),
        "project config": set(ProjectYearConfig.objects.values_list("year", flat=True)),
        "point rules": set(PointRule.objects.values_list("year", flat=True)),
    }


@pytest.mark.slow
@pytest.mark.parametrize("when", [NEXT_YEAR, SEEDED], ids=["year-not-opened", "year-opened"])
@pytest.mark.parametrize("username", [username for username, _label in ROLES])
def test_no_page_a_role_reaches_writes(demo, when, username):
    demo.move_to(when, tick=False)
    before = rules_years()

    pages, writes, extra = crawl_capturing(username)

    assert len(pages) > 3, [p.url for p in pages]
    assert not writes, f"{username} 的 GET 写了数据库：{sorted(tables_of(writes))}\n" + "\n".join(
        sql[:160] for sql in writes[:5]
    )
    assert [(p.url, p.status) for p in pages if p.status != 200] == []
    assert [(url, status) for url, status in extra if status != 200] == []
    assert rules_years() == before


@pytest.mark.slow
def test_an_unopened_year_is_read_as_the_year_before_without_rows(demo):
    """The year not opened yet shows last year's rules on the staff pages (read, not written)."""
    demo.move_to(NEXT_YEAR, tick=False)
    client = Client()
    client.force_login(get_user_model().objects.get(username="gongwei"))

    page = client.get(f"{reverse('branches:requirement_list')}?year=2027")

    assert page.status_code == 200
    assert "尚未生成" in page.content.decode()
    assert not MeetingRequirement.objects.filter(year=2027).exists()


# The log-in's own bookkeeping may be written on any request; nothing else may.
BOOKKEEPING = {"django_session", "accounts_user"}
FAR_FUTURE = 2095


def api_lists() -> list[str]:
    from core.api import router

    return [f"/api/{prefix}/" for prefix, viewset, _basename in router.registry if hasattr(viewset, "list")]


@pytest.mark.slow
@pytest.mark.parametrize("when", [NEXT_YEAR, SEEDED], ids=["year-not-opened", "year-opened"])
@pytest.mark.parametrize("username", [username for username, _label in ROLES])
def test_no_api_list_writes_whatever_the_year(demo, when, username):
    """Every API list, plain and for this year, next year and a far-future one, as each role."""
    demo.move_to(when, tick=False)
    client = Client()
    client.force_login(get_user_model().objects.get(username=username))
    this_year = timezone.localdate().year
    before = rules_years()
    answers = []
    with CaptureQueriesContext(connection) as captured:
        for url in api_lists():
            for query in ("", f"?year={this_year}", f"?year={this_year + 1}", f"?year={FAR_FUTURE}"):
                response = client.get(url + query, HTTP_ACCEPT="application/json")
                answers.append((url + query, response.status_code, response.content.decode()))

    changed = tables_of(writes_of(captured.captured_queries)) - BOOKKEEPING
    assert not changed, f"{username} 的 API 读取写了数据库：{sorted(changed)}"
    assert len(answers) >= 4 * 30
    # A role may be refused a list (403), or told in Chinese that it cannot have that year (400); nothing else.
    unexpected = [
        (url, status)
        for url, status, body in answers
        if status != 200 and status != 403 and not (status == 400 and "year=" in url and has_chinese(body))
    ]
    assert unexpected == []
    assert rules_years() == before
    assert FAR_FUTURE not in set().union(*rules_years().values())
