"""The 工委 and 机关党委 dashboards: every figure equals the list it links to, the page costs the
same number of queries however much data there is, a 机关党委 never sees another organ, and the
kept meeting completion follows every change."""

import datetime
import json
import shutil
import subprocess
from decimal import Decimal
from pathlib import Path

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from assessments import reports
from branches import kept, meetings, orglife, services
from branches.choices import CommitteePost, MeetingKind
from branches.models import Branch, CommitteeTerm, Meeting, MeetingRequirement, PartyGroup
from portal import dashboard as selectors
from tests.factories import MemberFactory
from tests.portal.conftest import TODAY, YEAR, populate

pytestmark = pytest.mark.django_db

URL = reverse("portal:dashboard")


def figures(context) -> list:
    """Every (label, count, link) the page shows that counts a list."""
    r, p, o = context["ratings"], context["projects"], context["orglife"]
    found = []
    if r.run is not None:
        found += [*r.stars, *r.tiers, *r.changes, r.four_plus, r.bottom]
    found += [p.total, *p.statuses, *p.directions, *p.grades, p.overdue_projects]
    found += [o.n_branches, o.missing, *(k.missing_branches for k in o.kinds)]
    for row in context["periods"]:
        found += [row.total, row.filed, row.missing, row.returned, row.late]
    found += [*context["ledger"], context["any_warning"], *context["warnings"]]
    return found


def list_count(response) -> int:
    """How many rows the linked list counts (all pages)."""
    context = response.context
    if "table" in context:
        return context["table"].page.paginator.count
    return context["page"].paginator.count


def assert_figures_match_their_lists(client, response):
    found = figures(response.context)
    assert sum(f.count for f in found) > 0
    for figure in found:
        linked = client.get(figure.link)
        assert linked.status_code == 200, figure
        assert list_count(linked) == figure.count, (figure.label, figure.link)


@pytest.fixture
def city(organ_a, organ_b, published_run, recorder):
    return populate(organ_a, 6, run=published_run, recorder=recorder) + populate(
        organ_b, 4, run=published_run, recorder=recorder, start=6
    )


# --- two paths: the figure and the list it links to ---------------------------------------------


def test_gongwei_figures_equal_the_lists_they_link_to(client_for, gongwei_staff, city):
    client = client_for(gongwei_staff)
    response = client.get(URL)
    assert response.status_code == 200
    assert response.context["ratings"].four_plus.count == 4  # 5★ and 4★ of each organ's first five
    assert response.context["projects"].overdue_projects.count == 2
    assert_figures_match_their_lists(client, response)


def test_gongwei_figures_for_one_organ_equal_the_lists(client_for, gongwei_staff, organ_a, city):
    client = client_for(gongwei_staff)
    response = client.get(URL, {"organ": organ_a.pk, "year": YEAR})
    assert response.context["frame"].organ == organ_a
    assert len(response.context["branch_rows"]) == 6
    assert_figures_match_their_lists(client, response)


def test_organ_dashboard_figures_equal_the_lists(client_for, organ_staff_a, city):
    client = client_for(organ_staff_a)
    response = client.get(URL)
    assert response.status_code == 200
    assert_figures_match_their_lists(client, response)


def test_branch_rows_link_to_what_they_count(client_for, organ_staff_a, organ_a, city):
    client = client_for(organ_staff_a)
    rows = client.get(URL).context["branch_rows"]
    for row in rows:
        problems = client.get(reverse("assessments:problem_list"), {"branch": row.branch.pk, "status": "working"})
        assert list_count(problems) == row.open_problems == 1
        period = client.get(URL).context["report_headline"].period
        leaders = client.get(
            reverse("assessments:report_overview"), {"period": period.pk, "organ": organ_a.pk, "branch": row.branch.pk}
        )
        assert list_count(leaders) == row.reports_total
        filed = client.get(
            reverse("assessments:report_overview"),
            {"period": period.pk, "organ": organ_a.pk, "branch": row.branch.pk, "filing": "filed"},
        )
        assert list_count(filed) == row.reports_filed
    assert {r.stars for r in rows} == {5, 4, 3, 2, 0}


def test_completion_per_kind_counts_the_branches_that_missed_it(client_for, gongwei_staff, city):
    client = client_for(gongwei_staff)
    kinds = {k.kind: k for k in client.get(URL).context["orglife"].kinds}
    # Half the branches held no 党员大会; every branch held only one 主题党日.
    assert kinds[MeetingKind.GENERAL].missing_branches.count == 5
    assert kinds[MeetingKind.THEME_DAY].missing_branches.count == 10
    assert kinds[MeetingKind.THEME_DAY].done == 10


# --- the headline figures ------------------------------------------------------------------------


def glance_card(page: str, label: str) -> str:
    """The at-a-glance card whose title is `label`."""
    start = page.index(f'<div class="text-muted small">{label}</div>')
    return page[start : page.index("</div></div></div>", start)]


def test_the_report_headline_is_the_latest_period_that_is_due(client_for, gongwei_staff, city):
    response = client_for(gongwei_staff).get(URL)
    h1, h2 = (row.period for row in response.context["periods"])
    assert h1.due_on < TODAY < h2.due_on  # the second half-year has begun; its reports are not due
    headline = response.context["report_headline"]
    assert headline.period == h1
    assert headline.rate == Decimal("60.0")  # 6 of the 10 leaders filed the first half-year
    card = glance_card(response.content.decode(), "一岗双责报送率")
    assert "60.0%" in card and "0.0%" not in card.replace("60.0%", "")
    assert str(h1) in card


@pytest.mark.parametrize(("days", "headline"), [(0, "h1"), (1, None)])
def test_a_period_counts_as_due_from_its_due_date(client_for, gongwei_staff, city, days, headline):
    h1, _h2 = reports.ensure_periods([YEAR])
    h1.due_on = TODAY + datetime.timedelta(days=days)
    h1.save()
    response = client_for(gongwei_staff).get(URL)
    found = response.context["report_headline"]
    assert (found.period if found else None) == (h1 if headline else None)
    if headline is None:
        assert "尚无已到截止日期的报告期" in glance_card(response.content.decode(), "一岗双责报送率")


def test_the_branch_rows_report_the_headline_period(client_for, organ_staff_a, city):
    context = client_for(organ_staff_a).get(URL).context
    assert sum(r.reports_filed for r in context["branch_rows"]) == context["report_headline"].filed.count == 4


NODE = shutil.which("node")


def heat_colours(chart_json: str) -> list[tuple[list, str]]:
    """Each drawn heat-map cell and its colour, as static/js/dashboards.js draws them (ECharts in Node)."""
    script = Path(__file__).with_name("dashboard_charts.js")
    root = Path(__file__).resolve().parents[2]
    done = subprocess.run(
        [NODE, str(script), str(root)], input=chart_json, capture_output=True, text=True, timeout=120, check=True
    )
    return [(cell, colour) for cell, colour in json.loads(done.stdout)]


@pytest.mark.skipif(NODE is None, reason="未安装 node：此测试用 Node 运行 ECharts 检查热力图着色。")
def test_the_heat_map_colours_each_cell_by_its_completion_rate(client_for, gongwei_staff, recorder, city):
    # Every branch holds January's monthly meetings: both organs' January is complete, over 6 and 4 branches.
    for branch in city:
        for kind in (MeetingKind.COMMITTEE, MeetingKind.GROUP, MeetingKind.THEME_DAY):
            Meeting.objects.create(
                branch=branch, kind=kind, held_on=datetime.date(YEAR, 1, 20), topic="一月", recorded_by=recorder,
                party_group=branch.groups.first() if kind == MeetingKind.GROUP else None,
            )  # fmt: skip
    kept.refresh(city, [YEAR])
    page = client_for(gongwei_staff).get(URL).content.decode()
    start = page.index('<script id="dashboard-charts" type="application/json">')
    chart_json = page[page.index(">", start) + 1 : page.index("</script>", start)]
    heat = json.loads(chart_json)["heat"]
    rate_at = heat["rate_index"]
    drawn = heat_colours(chart_json)
    assert len(drawn) == sum(1 for cell in heat["cells"] if cell[rate_at] is not None) > 0
    by_rate = {}
    for cell, colour in drawn:
        by_rate.setdefault(cell[rate_at], set()).add(colour)
    # One colour per rate, whatever the number of periods due behind it.
    assert all(len(colours) == 1 for colours in by_rate.values()), by_rate
    january = [(cell, colour) for cell, colour in drawn if cell[0] == 0]
    assert [cell[rate_at] for cell, _ in january] == [100.0, 100.0]
    assert january[0][0][4] != january[1][0][4]  # as many periods due as each organ has branches
    # The scale's ends: a full month is the darkest green, a month with nothing done the palest red.
    assert by_rate[100.0] == {"rgba(25,135,84,1)"}
    assert by_rate.get(0.0, {"rgba(248,215,218,1)"}) == {"rgba(248,215,218,1)"}


def test_the_heat_map_pages_through_the_organs_with_its_chart(
    client_for, gongwei_staff, organ_a, organ_b, city, monkeypatch
):
    monkeypatch.setattr(selectors, "HEAT_PAGE_SIZE", 1)
    client = client_for(gongwei_staff)

    first, second = client.get(URL), client.get(URL, {"hpage": 2})

    labels = [[row.label for row in r.context["orglife"].heat] for r in (first, second)]
    assert labels == [[organ_a.display_short], [organ_b.display_short]]
    for response, shown in zip((first, second), labels, strict=True):
        chart = response.context["charts"]["heat"]
        assert chart["rows"] == shown and len(chart["cells"]) == 12
    page = first.content.decode()
    assert "第 1 / 2 页，共 2 个机关" in page and "hpage=2" in page
    # The figures above the map still count every organ.
    assert first.context["orglife"].n_branches.count == second.context["orglife"].n_branches.count == 10


# --- scoping and denials ---------------------------------------------------------------------------


def test_organ_dashboard_never_includes_another_organ(client_for, organ_staff_a, organ_a, organ_b, city):
    client = client_for(organ_staff_a)
    response = client.get(URL)
    context = response.context
    assert context["frame"].organ_ids == [organ_a.pk]
    assert context["ratings"].total == 6
    assert context["projects"].total.count == 6
    assert context["orglife"].n_branches.count == 6
    assert {r.branch.organ_id for r in context["branch_rows"]} == {organ_a.pk}
    assert [row.label for row in context["orglife"].heat] == sorted(b.name for b in city[:6])
    assert all(r.organ_id == organ_a.pk for r in context["ratings"].top_results + context["ratings"].bottom_results)
    page = response.content.decode()
    for branch in city[6:]:
        assert branch.name not in page
    assert organ_b.name not in page and organ_b.short_name not in page


def test_organ_staff_asking_for_another_organ_get_404(client_for, organ_staff_a, organ_b, city):
    assert client_for(organ_staff_a).get(URL, {"organ": organ_b.pk}).status_code == 404


def test_an_unknown_organ_is_404_for_the_gongwei_too(client_for, gongwei_staff, city):
    assert client_for(gongwei_staff).get(URL, {"organ": 999999}).status_code == 404
    assert client_for(gongwei_staff).get(URL, {"organ": "abc"}).status_code == 404


@pytest.mark.parametrize("persona", ["secretary_of_branch_a", "member_user", "outsider"])
def test_the_dashboard_is_not_for_branches_members_or_outsiders(client_for, request, persona):
    user = request.getfixturevalue(persona)
    assert client_for(user).get(URL).status_code == 403


def test_anonymous_visitors_are_sent_to_log_in(client):
    response = client.get(URL)
    assert response.status_code == 302
    assert reverse("accounts:login") in response["Location"]


def test_a_year_without_a_published_run_shows_the_latest_earlier_one(client_for, gongwei_staff, city, published_run):
    published_run.year = YEAR - 1
    published_run.save()
    ratings = client_for(gongwei_staff).get(URL).context["ratings"]
    assert ratings.run == published_run and ratings.is_fallback


def test_the_page_draws_charts_from_json_without_inline_scripts(client_for, gongwei_staff, city):
    page = client_for(gongwei_staff).get(URL).content.decode()
    assert '<script id="dashboard-charts" type="application/json">' in page
    assert "js/dashboards.js" in page and "vendor/echarts/echarts.min.js" in page
    # Every <script> is either the JSON data or a file: nothing a CSP would have to allow inline.
    for chunk in page.split("<script")[1:]:
        head = chunk.split(">", 1)[0]
        assert "src=" in head or 'type="application/json"' in head


# --- a fixed number of queries -----------------------------------------------------------------------


def count_queries(client, params=None) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(URL, params or {})
    assert response.status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize(
    ("persona", "params"), [("gongwei_staff", {}), ("gongwei_staff", "organ_a"), ("organ_staff_a", {})]
)
def test_queries_do_not_grow_with_the_data(client_for, request, organ_a, organ_b, published_run, persona, params):
    client = client_for(request.getfixturevalue(persona))
    params = {"organ": organ_a.pk} if params == "organ_a" else params
    populate(organ_a, 1, run=published_run)
    count_queries(client, params)  # warm up
    small = count_queries(client, params), count_queries(client, params)
    populate(organ_a, 8, run=published_run, start=1)
    populate(organ_b, 6, run=published_run, start=9)
    large = count_queries(client, params), count_queries(client, params)
    assert small == large


# --- completion follows every change ------------------------------------------------------
#
# The dashboard reads the completion the services keep (`branches.kept`): each change below goes
# through the service a page or the API calls, and the next read shows it.


def rollup_totals():
    data = selectors._rollup(YEAR, TODAY)
    rows = data["branches"].values()
    return sum(r.n_done for r in rows), sum(r.n_due for r in rows), len(data["branches"]), len(data["kinds"])


@pytest.fixture
def cached_city(organ_a, recorder):
    branches = populate(organ_a, 2, recorder=recorder)
    before = rollup_totals()
    assert rollup_totals() == before  # read from the kept rows now
    return branches, before


def test_a_new_meeting_shows_at_once(cached_city, gongwei_staff):
    (branch, _), (done, due, _n, _) = cached_city
    meetings.record_meeting(
        branch,
        {"kind": MeetingKind.THEME_DAY, "held_on": datetime.date(YEAR, 4, 2), "topic": "主题党日"},
        by=gongwei_staff,
    )
    assert rollup_totals()[:2] == (done + 1, due)


def test_a_deleted_meeting_shows_at_once(cached_city, gongwei_staff):
    (branch, _), (done, due, _n, _) = cached_city
    meetings.delete_meeting(Meeting.objects.filter(branch=branch, kind=MeetingKind.THEME_DAY).get(), by=gongwei_staff)
    assert rollup_totals()[:2] == (done - 1, due)


def test_an_exemption_shows_at_once(cached_city, gongwei_staff):
    (branch, _), (done, due, _n, _) = cached_city
    orglife.grant_exemption(
        branch, kind=MeetingKind.THEME_DAY, starts_on=datetime.date(YEAR, 4, 1),
        ends_on=datetime.date(YEAR, 4, 30), reason="新组建", by=gongwei_staff,
    )  # fmt: skip
    assert rollup_totals()[:2] == (done, due - 1)


def test_a_changed_requirement_shows_at_once(cached_city, gongwei_staff):
    _, (_done, _due, _n, n_kinds) = cached_city
    orglife.delete_requirement(MeetingRequirement.objects.get(year=YEAR, kind=MeetingKind.LECTURE), by=gongwei_staff)
    assert rollup_totals()[3] == n_kinds - 1


def test_a_committee_change_shows_at_once(cached_city, gongwei_staff):
    (branch, _), (_done, due, _n, _) = cached_city
    # A new term with no seats yet: the branch has no committee, 支委会 is no longer due.
    term = services.save_committee_term(
        CommitteeTerm(branch=branch, elected_on=datetime.date(YEAR, 1, 2), term_years=3), [], by=gongwei_staff
    )
    after_term = rollup_totals()[1]
    assert after_term < due
    posts = [CommitteePost.SECRETARY, CommitteePost.ORGANISATION, CommitteePost.PUBLICITY]
    seats = list(zip(MemberFactory.create_batch(3, branch=branch), posts, strict=True))
    services.save_committee_term(term, seats, by=gongwei_staff)
    assert rollup_totals()[1] == due


def test_party_groups_and_a_moved_founding_date_show_at_once(cached_city, gongwei_staff):
    (branch, other), (_done, due, n, _) = cached_city
    # Without a 党小组 the monthly 党小组会 is no longer due.
    services.delete_party_group(branch.groups.get())
    assert rollup_totals()[1] < due
    services.save_party_group(PartyGroup(branch=branch, name="第二党小组"))
    assert rollup_totals()[1] == due
    other.founded_on = datetime.date(YEAR + 1, 1, 1)
    services.save_branch(other, by=gongwei_staff)
    assert rollup_totals()[2] == n - 1


def test_branches_outside_the_year_are_left_out(organ_a, recorder):
    populate(organ_a, 1, recorder=recorder)
    Branch.objects.update(founded_on=datetime.date(YEAR + 1, 2, 1))
    assert rollup_totals()[2] == 0


def test_a_meeting_moved_to_another_branch_changes_both(cached_city):
    (branch, other), _ = cached_city
    before = selectors._rollup(YEAR, TODAY)["branches"]
    meeting = Meeting.objects.filter(branch=branch, kind=MeetingKind.THEME_DAY).get()
    # No page or API moves a meeting to another branch (the branch stays as recorded); a write that
    # did would refresh both branches, as this one does.
    meeting.branch, meeting.held_on = other, datetime.date(YEAR, 4, 2)  # a month the other had no 主题党日
    with transaction.atomic():
        meeting.save()
        kept.refresh([branch, other], [YEAR])
    after = selectors._rollup(YEAR, TODAY)["branches"]
    assert after[branch.pk].n_done == before[branch.pk].n_done - 1
    assert after[other.pk].n_done == before[other.pk].n_done + 1
