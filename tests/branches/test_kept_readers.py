"""Every reader of meeting completion reads the kept rows (`branches.kept`) and gives exactly what it gave
when it computed `orglife.completion` itself: the dashboard, the completion page, the branch calendar,
the reminders, "本月待办" and the rating's meeting indicator.

Each test computes the old answer from `orglife.completion` first, then makes `orglife.completion`
fail and asks the reader.

Today in this world is 2026-11-22: Q4 and November are under way, October has just been missed.
"""

import datetime
from collections import defaultdict

import pytest
from django.urls import reverse

from assessments import ratings
from branches import kept, meetings, orglife, reminders
from branches.choices import CommitteePost, MeetingKind
from branches.models import Branch, CommitteeTerm, Meeting, MeetingCompletion, Member, PartyGroup
from portal import dashboard, due
from tests.factories import BranchFactory, MemberFactory, OrganFactory, Role, UserFactory, grant

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2026, 11, 22)
D = datetime.date
POSTS = [CommitteePost.SECRETARY, CommitteePost.ORGANISATION, CommitteePost.PUBLICITY]


@pytest.fixture(autouse=True)
def frozen_today(time_machine):
    time_machine.move_to(datetime.datetime(2026, 11, 22, 10, 0, tzinfo=datetime.timezone(datetime.timedelta(hours=8))))


def _meet(branch, kind, day, by, group=None):
    Meeting.objects.create(branch=branch, kind=kind, held_on=day, topic="会议", party_group=group, recorded_by=by)


def _committee(branch, elected_on, seats):
    term = CommitteeTerm.objects.create(branch=branch, elected_on=elected_on, term_years=3)
    for member, post in zip(MemberFactory.create_batch(seats, branch=branch), POSTS, strict=False):
        term.seats.create(member=member, post=post)


@pytest.fixture
def staff(db):
    user = UserFactory(username="gongwei_kept")
    grant(user, Role.GONGWEI)
    return user


@pytest.fixture
def city(staff):
    """Two organs with a mix of done, missed, exempt, not applicable and per-group periods."""
    first, second = OrganFactory(), OrganFactory()
    steady = BranchFactory(organ=first, founded_on=D(2015, 7, 1))
    _committee(steady, D(2025, 6, 15), 3)
    groups = [PartyGroup.objects.create(branch=steady, name=n) for n in ("第一党小组", "第二党小组")]
    for i, group in enumerate(groups):
        Member.objects.filter(pk__in=[m.pk for m in MemberFactory.create_batch(2, branch=steady)]).update(
            party_group=group
        )
        for month in range(1, 12 - i, 1 + i):  # the second group meets every other month, not in November
            _meet(steady, MeetingKind.GROUP, D(2026, month, 6), staff, group)
    for month in range(1, 11):
        _meet(steady, MeetingKind.THEME_DAY, D(2026, month, 3), staff)
        _meet(steady, MeetingKind.COMMITTEE, D(2026, month, 4), staff)
    for day in (D(2025, 3, 1), D(2025, 6, 1), D(2025, 12, 30), D(2026, 2, 2), D(2026, 8, 9)):
        _meet(steady, MeetingKind.GENERAL, day, staff)
    young = BranchFactory(organ=first, founded_on=D(2026, 3, 10))
    MemberFactory.create_batch(3, branch=young)
    _meet(young, MeetingKind.THEME_DAY, D(2026, 9, 9), staff)
    gone = BranchFactory(organ=first, founded_on=D(2015, 7, 1), dissolved_on=D(2026, 5, 31))
    _meet(gone, MeetingKind.THEME_DAY, D(2026, 1, 9), staff)
    small = BranchFactory(organ=second, founded_on=D(2015, 7, 1))
    _committee(small, D(2024, 3, 1), 2)  # too small to be a committee
    MemberFactory.create_batch(2, branch=small)
    for month in (1, 2, 3, 10, 11):
        _meet(small, MeetingKind.THEME_DAY, D(2026, month, 12), staff)
    _meet(small, MeetingKind.LIFE, D(2025, 12, 12), staff)
    BranchFactory(organ=second, founded_on=D(2027, 1, 1))  # not yet founded
    for year in (2025, 2026):
        orglife.ensure_requirements(year)  # the year is opened: completion is kept from now on
    orglife.grant_exemption(
        small, kind=MeetingKind.LECTURE, starts_on=D(2026, 1, 1), ends_on=D(2026, 9, 30), reason="新班子", by=staff
    )
    orglife.grant_exemption(
        young, kind="", starts_on=D(2026, 3, 10), ends_on=D(2026, 10, 31), reason="新成立", by=staff
    )
    assert MeetingCompletion.objects.exists()
    return {"steady": steady, "young": young, "gone": gone, "small": small, "organs": (first, second)}


@pytest.fixture
def fresh_forbidden(monkeypatch):
    """After this, any reader that still computes completion afresh fails."""

    def forbid():
        def fail(*args, **kwargs):
            raise AssertionError("a reader called orglife.completion instead of reading the kept rows")

        monkeypatch.setattr(orglife, "completion", fail)

    return forbid


def cells_of(result) -> dict:
    return {
        pk: [
            (k.requirement.kind, [(c.span, c.status, c.held, c.required, c.groups_met, c.n_groups) for c in k.cells])
            for k in bc.kinds
        ]
        for pk, bc in result.items()
    }


# --- the dashboard --------------------------------------------------------------------------------


def old_branch_rollup(bc) -> dashboard.BranchRollup:
    months = [[0, 0] for _ in dashboard.MONTHS]
    for _req, cell in bc.cells():
        if cell.status == orglife.Status.DONE:
            months[cell.span.end.month - 1][0] += 1
            months[cell.span.end.month - 1][1] += 1
        elif cell.status == orglife.Status.MISSING:
            months[cell.span.end.month - 1][1] += 1
    return dashboard.BranchRollup(
        bc.branch.organ_id,
        bc.n_done,
        bc.n_due,
        bc.n_missing,
        tuple((k.n_done, k.n_due, k.n_missing > 0) for k in bc.kinds),
        tuple((d, n) for d, n in months),
    )


def old_rollups(year: int, today: datetime.date):
    """What the dashboard computed before completion was kept."""
    requirements = orglife.requirements_for_year(year)
    branches = list(orglife.active_in_year(Branch.objects.all(), year).order_by("pk"))
    rows = {pk: old_branch_rollup(bc) for pk, bc in orglife.completion(branches, year, today).items()}
    by_organ = defaultdict(list)
    for row in rows.values():
        by_organ[row.organ_id].append(row)
    n = len(requirements)
    organs = {
        pk: dashboard.Rollup(
            len(parts),
            sum(1 for r in parts if r.n_missing),
            sum(r.n_done for r in parts),
            sum(r.n_due for r in parts),
            tuple(tuple(sum(r.kinds[i][j] for r in parts) for j in range(3)) for i in range(n)),
            tuple(tuple(sum(r.months[m][j] for r in parts) for j in range(2)) for m in range(12)),
        )
        for pk, parts in by_organ.items()
    }
    return rows, organs


@pytest.mark.parametrize("year", [2025, 2026])
def test_the_dashboard_rolls_up_the_kept_rows_as_it_did_completion(city, fresh_forbidden, year):
    rows, organs = old_rollups(year, TODAY)
    fresh_forbidden()

    assert dashboard._rollup(year, TODAY)["branches"] == rows
    assert dashboard._organ_rollups(year, TODAY)["organs"] == organs
    first = city["organs"][0]
    assert dashboard._organ_rollups(year, TODAY, [first.pk])["organs"] == {first.pk: organs[first.pk]}
    assert dashboard._rollup(year, TODAY, [first.pk])["branches"] == {
        pk: r for pk, r in rows.items() if r.organ_id == first.pk
    }


@pytest.mark.parametrize("params", [{}, "organ"])
def test_the_dashboard_page_reads_the_kept_rows(client, city, staff, fresh_forbidden, params):
    rows, organs = old_rollups(2026, TODAY)
    fresh_forbidden()
    first = city["organs"][0]
    client.force_login(staff)

    response = client.get(reverse("portal:dashboard"), {"organ": first.pk} if params else {})

    section = response.context["orglife"]
    mine = organs if not params else {first.pk: organs[first.pk]}
    assert section.by_organ == mine
    assert section.n_branches.count == sum(r.n_branches for r in mine.values())
    assert section.missing.count == sum(r.n_missing for r in mine.values())
    assert (section.done, section.due) == (sum(r.n_done for r in mine.values()), sum(r.n_due for r in mine.values()))
    if params:
        assert section.by_branch == {pk: r for pk, r in rows.items() if r.organ_id == first.pk}


# --- the completion page --------------------------------------------------------------------------


def page_figures(context) -> dict:
    return {
        "count": context["page"].paginator.count,
        "rows": [
            (
                bc.branch.pk,
                bc.n_done,
                bc.n_due,
                bc.n_missing,
                bc.rate,
                bc.css,
                [(k.n_done, k.n_due, k.n_missing, k.summary_label, k.css) for k in bc.kinds],
            )
            for bc in context["page"].object_list
        ],
        "summaries": [
            (s.organ_id, s.name, s.n_branches, s.n_complete, s.n_done, s.n_due, s.rate, cells)
            for s, cells in context["summaries"]
        ],
        "totals": (lambda t: (t.n_branches, t.n_complete, t.n_done, t.n_due, t.rate))(context["totals"]),
    }


def old_page(user, year: int, state: str = "", kind: str = "", organ=None) -> dict:
    """What the completion page computed before completion was kept."""
    branches = orglife.active_in_year(Branch.objects.visible_to(user), year).select_related("organ")
    if organ is not None:
        branches = branches.filter(organ=organ)
    branches = branches.order_by("organ__sort_order", "organ__name", "name", "pk")
    requirements = orglife.requirements_for_year(year)
    results = list(orglife.completion(branches, year, TODAY, requirements=requirements).values())
    summaries = orglife.organ_summaries(results)

    def missed(r):
        if kind:
            return any(k.n_missing for k in r.kinds if k.requirement.kind == kind)
        return r.n_missing

    if state == "missing":
        results = [r for r in results if missed(r)]
    elif state == "complete":
        results = [r for r in results if not missed(r)]

    class Page(list):
        pass

    page = Page(results)
    page.paginator = type("P", (), {"count": len(results)})()
    page.object_list = results
    return page_figures(
        {
            "page": page,
            "summaries": [(s, s.kind_cells(requirements)) for s in summaries],
            "totals": orglife.total_of(summaries),
        }
    )


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"year": 2025},
        {"state": "missing"},
        {"state": "complete"},
        {"state": "missing", "kind": MeetingKind.THEME_DAY},
        {"state": "complete", "kind": MeetingKind.COMMITTEE},
        {"state": "complete", "kind": MeetingKind.LECTURE},
        "organ",
    ],
)
def test_the_completion_page_reads_the_kept_rows(client, city, staff, fresh_forbidden, params):
    organ = city["organs"][0] if params == "organ" else None
    params = {"organ": organ.pk} if organ else params
    expected = old_page(staff, params.get("year", 2026), params.get("state", ""), params.get("kind", ""), organ)
    fresh_forbidden()
    client.force_login(staff)

    response = client.get(reverse("branches:completion"), params)

    assert response.status_code == 200
    assert page_figures(response.context) == expected
    assert expected["rows"]


def test_a_secretary_sees_the_same_single_branch_figures(client, city, fresh_forbidden):
    secretary = UserFactory()
    grant(secretary, Role.BRANCH, branch=city["steady"])
    expected = old_page(secretary, 2026)
    fresh_forbidden()
    client.force_login(secretary)

    assert page_figures(client.get(reverse("branches:completion")).context) == expected


# --- the branch calendar ------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["steady", "young", "gone", "small"])
@pytest.mark.parametrize("year", [2025, 2026])
def test_the_calendar_reads_the_kept_rows(city, fresh_forbidden, name, year):
    branch = city[name]
    fresh = orglife.completion([branch], year, TODAY)
    fresh_branch = fresh[branch.pk].branch
    fresh_forbidden()

    calendar = orglife.calendar_context(branch, year, TODAY)["calendar"]

    assert cells_of({branch.pk: calendar.summary}) == cells_of(fresh)
    assert [[c.cell for c in row.cells] for row in calendar.rows] == [
        [
            next((cell for cell in k.cells if cell.span == span), None)
            for span in orglife.spans(k.requirement.period, year)
        ]
        for k in fresh[branch.pk].kinds
    ]
    assert (calendar.branch.term_size, calendar.branch.n_groups) == (fresh_branch.term_size, fresh_branch.n_groups)
    assert calendar.notes == orglife._notes(fresh_branch, fresh[branch.pk], year)


def test_the_calendar_page_reads_the_kept_rows(client, city, staff, fresh_forbidden):
    fresh_forbidden()
    client.force_login(staff)

    response = client.get(reverse("branches:branch_calendar", args=[city["steady"].pk]))

    assert response.status_code == 200 and "✓" in response.content.decode()


# --- reminders and "本月待办" ----------------------------------------------------------------------


def old_meeting_reminders(today: datetime.date) -> list:
    """The reminders `meeting_reminders` built from `orglife.completion` before completion was kept."""
    rules = reminders.RulesByYear()
    since = today - datetime.timedelta(days=reminders.MEETING_LOOKBACK_DAYS)
    branches = list(Branch.objects.active().select_related("organ").order_by("organ__sort_order", "organ_id", "pk"))
    missed = defaultdict(list)
    by_id = {b.pk: b for b in branches}
    for year in sorted({since.year, today.year}):
        for branch_id, result in orglife.completion(branches, year, today).items():
            for requirement, cell in result.cells(orglife.Status.MISSING):
                if since < cell.span.end < today:
                    missed[branch_id, cell.span.end].append((requirement, cell))
    found, late = [], defaultdict(list)
    for (branch_id, ended), items in missed.items():
        branch = by_id[branch_id]
        found.append(reminders._meeting_reminder(branch, ended, items))
        if (today - ended).days > rules(ended.year).escalate_after_days:
            late[branch.organ_id, ended].append((branch, items))
    for (_organ_id, ended), rows in late.items():
        found.append(reminders._meeting_escalation(ended, rows, (today - ended).days))
    return found


@pytest.mark.parametrize("today", [TODAY, D(2026, 10, 2), D(2026, 1, 20)])
def test_meeting_reminders_read_the_kept_rows(city, fresh_forbidden, monkeypatch, today):
    expected = old_meeting_reminders(today)
    fresh_forbidden()
    sent = []
    monkeypatch.setattr(reminders, "deliver", lambda items, stages: sent.extend(items) or {})

    reminders.meeting_reminders(today)

    assert sent == expected
    assert sent


def old_due_meetings(branch_ids, today) -> list:
    branches = Branch.objects.filter(pk__in=branch_ids).active().order_by("pk")
    items = []
    for result in orglife.completion(branches, today.year, today).values():
        for requirement, cell in result.cells(orglife.Status.UPCOMING):
            if not cell.span.start <= today <= cell.span.end:
                continue
            if cell.per_group:
                detail = f"{cell.n_groups} 个党小组中已有 {cell.groups_met} 个达到要求"
            else:
                detail = f"应开 {cell.required} 次，已开 {cell.held} 次"
            items.append(
                due.DueItem(
                    category="组织生活",
                    title=f"{requirement.get_kind_display()}（{cell.span.label}，{detail}）",
                    where=result.branch.name,
                    due_on=cell.span.end,
                    url=reverse("branches:branch_calendar", args=[result.branch.pk]) + f"?year={today.year}",
                    days_left=(cell.span.end - today).days,
                )
            )
    return items


@pytest.mark.parametrize("today", [TODAY, D(2026, 3, 31), D(2026, 6, 1)])
def test_the_due_list_reads_the_kept_rows(city, fresh_forbidden, today):
    ids = sorted(b.pk for b in Branch.objects.all())
    expected = old_due_meetings(ids, today)
    fresh_forbidden()

    found = due._due_meetings(ids, today, due.month_end(today))

    assert found == expected
    assert found
    if today == TODAY:
        assert any("党小组会（11月，2 个党小组中已有 1 个达到要求）" in item.title for item in found)


def test_a_secretarys_home_lists_the_meetings_due_from_the_kept_rows(client, city, fresh_forbidden):
    secretary = UserFactory()
    grant(secretary, Role.BRANCH, branch=city["steady"])
    expected = sorted(old_due_meetings([city["steady"].pk], TODAY), key=lambda i: (i.due_on, i.category, i.title))
    fresh_forbidden()
    client.force_login(secretary)

    items = client.get(reverse("home")).context["due_items"]

    assert [i for i in items if i.category == "组织生活"] == expected
    assert expected


# --- the rating ---------------------------------------------------------------------------------


@pytest.mark.parametrize("as_of", [D(2025, 12, 31), D(2026, 9, 30), D(2026, 10, 31)])
def test_the_rating_meeting_indicator_reads_the_kept_rows(city, fresh_forbidden, as_of):
    branches = list(Branch.objects.order_by("pk"))
    fresh = orglife.completion(branches, as_of.year, as_of + datetime.timedelta(days=1))
    expected = {
        pk: ratings.Measure(
            ratings._ratio(bc.n_done, bc.n_due),
            f"完成 {bc.n_done}/{bc.n_due} 期" if bc.n_due else "无应开展的组织生活",
        )
        for pk, bc in fresh.items()
    }
    fresh_forbidden()

    found = ratings._meetings(branches, as_of.year, as_of)

    assert list(found.items()) == list(expected.items())


# --- a change is read at once ----------------------------------------------------------------------


def test_a_recorded_meeting_is_read_at_once_by_the_calendar(city, staff, fresh_forbidden):
    young = city["young"]
    meetings.record_meeting(young, {"kind": MeetingKind.LECTURE, "held_on": D(2026, 11, 2), "topic": "党课"}, by=staff)
    expected = cells_of(orglife.completion([young], 2026, TODAY))
    fresh_forbidden()

    summary = orglife.calendar_context(young, 2026, TODAY)["calendar"].summary

    assert cells_of({young.pk: summary}) == expected
    assert kept.tallies([young], 2026, TODAY, orglife.requirements_for_year(2026))[young.pk].n_done >= 1
