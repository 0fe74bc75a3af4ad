"""Completion of the required meetings, per branch, kind and period, and the pages that show it.

Today in this world is 2026-11-22: Q4 and November are current, December has not begun.
"""

import datetime
from decimal import Decimal

import pytest
from django.db import connection, connections
from django.template.loader import render_to_string
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from branches import kept, orglife
from branches.choices import CommitteePost, MeetingKind, Period, RequirementScope
from branches.models import Meeting, MeetingRequirement, OrganisationRules, RequirementExemption
from branches.orglife import Status, completion, requirements_for_year
from tests.factories import (
    BranchFactory,
    CommitteeMemberFactory,
    CommitteeTermFactory,
    OrganFactory,
    PartyGroupFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2026, 11, 22)
D = datetime.date


@pytest.fixture(autouse=True)
def frozen_today(time_machine):
    time_machine.move_to(datetime.datetime(2026, 11, 22, 10, 0, tzinfo=datetime.timezone(datetime.timedelta(hours=8))))


@pytest.fixture(autouse=True)
def opened_years(db):
    """Last year and this one are open, as the yearly job leaves them on a live install."""
    orglife.ensure_requirements(2025)
    orglife.ensure_requirements(2026)


@pytest.fixture
def recorder(db):
    return UserFactory(username="recorder")


def meet(branch, kind, day, recorder, group=None, hours="0"):
    return Meeting.objects.create(
        branch=branch,
        kind=kind,
        held_on=day,
        topic="会议",
        party_group=group,
        hours=Decimal(hours),
        recorded_by=recorder,
    )


LAST_YEARS_ELECTION = D(2025, 6, 15)


def with_committee(branch, seats=3, elected_on=LAST_YEARS_ELECTION):
    term = CommitteeTermFactory(branch=branch, elected_on=elected_on)
    posts = [CommitteePost.SECRETARY, CommitteePost.ORGANISATION, CommitteePost.PUBLICITY, CommitteePost.DISCIPLINE]
    for i in range(seats):
        CommitteeMemberFactory(term=term, post=posts[i] if i < len(posts) else CommitteePost.MEMBER)
    return term


def keep_completion():
    """The tests write branches and meetings with the ORM, past the services that keep completion: keep it
    before a page reads it."""
    kept.rebuild()


def cells(branch, kind, year=2026, today=TODAY):
    result = completion([branch], year, today)[branch.pk]
    return {c.span.index: c for c in result.by_kind[kind].cells}


# --- requirements as data ----------------------------------------------------------------


def test_a_year_not_opened_reads_the_domain_defaults_without_saving_them():
    MeetingRequirement.objects.all().delete()

    with CaptureQueriesContext(connection) as queries:
        rows = requirements_for_year(2026)

    assert [(r.pk, r.kind, r.period, r.scope, r.min_count) for r in rows] == [
        (None, MeetingKind.GENERAL, Period.QUARTER, RequirementScope.BRANCH, 1),
        (None, MeetingKind.COMMITTEE, Period.MONTH, RequirementScope.COMMITTEE, 1),
        (None, MeetingKind.GROUP, Period.MONTH, RequirementScope.GROUP, 1),
        (None, MeetingKind.LECTURE, Period.QUARTER, RequirementScope.BRANCH, 1),
        (None, MeetingKind.THEME_DAY, Period.MONTH, RequirementScope.BRANCH, 1),
        (None, MeetingKind.LIFE, Period.YEAR, RequirementScope.BRANCH, 1),
        (None, MeetingKind.APPRAISAL, Period.YEAR, RequirementScope.BRANCH, 1),
    ]
    assert not orglife.is_open(rows)
    assert all(q["sql"].startswith("SELECT") for q in queries.captured_queries)
    assert not MeetingRequirement.objects.exists()


def test_opening_a_year_saves_what_it_was_read_as_once():
    read = [(r.kind, r.period, r.scope, r.min_count, r.source) for r in requirements_for_year(2031)]

    opened = orglife.ensure_requirements(2031)
    orglife.ensure_requirements(2031)

    assert [(r.kind, r.period, r.scope, r.min_count, r.source) for r in opened] == read
    assert orglife.is_open(requirements_for_year(2031))
    assert MeetingRequirement.objects.filter(year=2031).count() == 7
    assert MeetingRequirement.history.filter(year=2031).count() == 7


def test_a_new_year_copies_the_latest_earlier_years_changes():
    orglife.ensure_requirements(2027)
    MeetingRequirement.objects.filter(year=2027, kind=MeetingKind.LECTURE).update(period=Period.MONTH, min_count=2)
    MeetingRequirement.objects.filter(year=2027, kind=MeetingKind.APPRAISAL).delete()

    # 2028 is not opened: 2029 is read as a copy of 2027, and so is 2028 once opened.
    read = {r.kind: r for r in requirements_for_year(2029)}
    rows = {r.kind: r for r in orglife.ensure_requirements(2028)}

    for found in (read, rows):
        assert (found[MeetingKind.LECTURE].period, found[MeetingKind.LECTURE].min_count) == (Period.MONTH, 2)
        assert MeetingKind.APPRAISAL not in found
        assert len(found) == 6
    assert set(MeetingRequirement.history.filter(year=2028).values_list("history_change_reason", flat=True)) == {
        "沿用2027年要求"
    }


@pytest.mark.django_db(transaction=True)
def test_two_callers_opening_the_same_year_do_not_fail_or_duplicate(monkeypatch):
    real = orglife.carried_over

    def racing(year, model=MeetingRequirement):
        # Another caller (its own database session) commits the year's rows first.
        other = connections.create_connection("default")
        try:
            with other.cursor() as cursor:
                for kind, period, scope, _source in orglife.DEFAULT_REQUIREMENTS:
                    cursor.execute(
                        "INSERT INTO branches_meetingrequirement (year, kind, period, min_count, scope, source)"
                        " VALUES (%s, %s, %s, 1, %s, %s)",
                        [year, kind, period, scope, "另一请求"],
                    )
        finally:
            other.close()
        return real(year, model)

    monkeypatch.setattr(orglife, "carried_over", racing)
    rows = orglife.ensure_requirements(2030)

    assert len(rows) == 7
    assert {r.source for r in rows} == {"另一请求"}
    assert MeetingRequirement.objects.filter(year=2030).count() == 7


# --- period boundaries -------------------------------------------------------------------


def test_a_general_meeting_on_march_31_counts_for_q1_and_not_q2(branch_a, recorder):
    meet(branch_a, MeetingKind.GENERAL, D(2026, 3, 31), recorder)

    q = cells(branch_a, MeetingKind.GENERAL)

    assert (q[1].status, q[1].held) == (Status.DONE, 1)
    assert (q[2].status, q[2].held) == (Status.MISSING, 0)


def test_a_general_meeting_on_april_1_counts_for_q2_and_not_q1(branch_a, recorder):
    meet(branch_a, MeetingKind.GENERAL, D(2026, 4, 1), recorder)

    q = cells(branch_a, MeetingKind.GENERAL)

    assert q[1].status == Status.MISSING
    assert (q[2].status, q[2].held) == (Status.DONE, 1)


def test_month_and_year_boundaries(branch_a, recorder):
    meet(branch_a, MeetingKind.THEME_DAY, D(2026, 1, 31), recorder)
    meet(branch_a, MeetingKind.THEME_DAY, D(2026, 2, 1), recorder)
    meet(branch_a, MeetingKind.THEME_DAY, D(2025, 12, 31), recorder)  # last year's December
    meet(branch_a, MeetingKind.LIFE, D(2027, 1, 1), recorder)  # next year

    months = cells(branch_a, MeetingKind.THEME_DAY)
    life = cells(branch_a, MeetingKind.LIFE)

    assert (months[1].held, months[2].held, months[3].held) == (1, 1, 0)
    assert [months[m].status for m in (1, 2, 3)] == [Status.DONE, Status.DONE, Status.MISSING]
    assert (life[1].held, life[1].status) == (0, Status.UPCOMING)


def test_the_current_period_is_upcoming_and_later_periods_are_left_out(branch_a, recorder):
    months = cells(branch_a, MeetingKind.THEME_DAY)
    quarters = cells(branch_a, MeetingKind.GENERAL)

    assert sorted(months) == list(range(1, 12))  # December has not begun
    assert months[10].status == Status.MISSING
    assert months[11].status == Status.UPCOMING
    assert quarters[4].status == Status.UPCOMING


def test_a_period_is_still_upcoming_on_its_last_day_and_missing_the_day_after(branch_a):
    assert cells(branch_a, MeetingKind.THEME_DAY, today=D(2026, 11, 30))[11].status == Status.UPCOMING
    assert cells(branch_a, MeetingKind.THEME_DAY, today=D(2026, 12, 1))[11].status == Status.MISSING


def test_a_past_year_has_every_period_ended_and_a_future_year_none(branch_a, recorder):
    meet(branch_a, MeetingKind.LIFE, D(2025, 12, 31), recorder)

    assert cells(branch_a, MeetingKind.LIFE, year=2025)[1].status == Status.DONE
    assert len(cells(branch_a, MeetingKind.THEME_DAY, year=2025)) == 12
    assert cells(branch_a, MeetingKind.THEME_DAY, year=2027) == {}


def test_the_minimum_count_is_read_from_the_requirement(branch_a, recorder):
    requirements_for_year(2026)
    MeetingRequirement.objects.filter(year=2026, kind=MeetingKind.LECTURE).update(min_count=2)
    meet(branch_a, MeetingKind.LECTURE, D(2026, 2, 10), recorder)
    meet(branch_a, MeetingKind.LECTURE, D(2026, 4, 10), recorder)
    meet(branch_a, MeetingKind.LECTURE, D(2026, 5, 10), recorder)

    q = cells(branch_a, MeetingKind.LECTURE)

    assert (q[1].status, q[1].held, q[1].required) == (Status.MISSING, 1, 2)
    assert (q[2].status, q[2].held) == (Status.DONE, 2)


# --- exemptions --------------------------------------------------------------------------


def exempt(branch, starts_on, ends_on, kind=""):
    return RequirementExemption.objects.create(
        branch=branch, kind=kind, starts_on=starts_on, ends_on=ends_on, reason="新成立", granted_by=UserFactory()
    )


def test_an_exemption_covering_the_last_day_of_a_period_exempts_it(branch_a):
    exempt(branch_a, D(2026, 3, 1), D(2026, 3, 31))

    q = cells(branch_a, MeetingKind.GENERAL)
    months = cells(branch_a, MeetingKind.THEME_DAY)

    assert q[1].status == Status.EXEMPT  # 3/31, the last day of Q1, is covered
    assert months[3].status == Status.EXEMPT
    assert months[2].status == Status.MISSING
    assert months[4].status == Status.MISSING


def test_an_exemption_ending_the_day_before_a_periods_last_day_does_not(branch_a):
    exempt(branch_a, D(2026, 1, 1), D(2026, 3, 30))

    assert cells(branch_a, MeetingKind.GENERAL)[1].status == Status.MISSING
    assert cells(branch_a, MeetingKind.THEME_DAY)[2].status == Status.EXEMPT


def test_an_exemption_of_one_kind_leaves_the_others_due(branch_a):
    exempt(branch_a, D(2026, 1, 1), D(2026, 6, 30), kind=MeetingKind.LECTURE)

    assert cells(branch_a, MeetingKind.LECTURE)[2].status == Status.EXEMPT
    assert cells(branch_a, MeetingKind.GENERAL)[2].status == Status.MISSING


def test_a_meeting_held_in_an_exempt_period_still_counts_as_done(branch_a, recorder):
    exempt(branch_a, D(2026, 1, 1), D(2026, 3, 31))
    meet(branch_a, MeetingKind.GENERAL, D(2026, 2, 1), recorder)

    assert cells(branch_a, MeetingKind.GENERAL)[1].status == Status.DONE


def test_exempt_periods_do_not_lower_the_rate(branch_a, recorder):
    exempt(branch_a, D(2026, 1, 1), D(2026, 6, 30), kind=MeetingKind.GENERAL)
    meet(branch_a, MeetingKind.GENERAL, D(2026, 8, 1), recorder)

    general = completion([branch_a], 2026, TODAY)[branch_a.pk].by_kind[MeetingKind.GENERAL]

    assert (general.n_done, general.n_due, general.n_missing) == (1, 1, 0)


# --- not applicable ----------------------------------------------------------------------


def test_committee_meetings_do_not_apply_to_a_branch_without_a_committee(branch_a, recorder):
    meet(branch_a, MeetingKind.COMMITTEE, D(2026, 1, 5), recorder)

    months = cells(branch_a, MeetingKind.COMMITTEE)

    assert {c.status for c in months.values()} == {Status.NOT_APPLICABLE}
    assert completion([branch_a], 2026, TODAY)[branch_a.pk].by_kind[MeetingKind.COMMITTEE].n_due == 0


def test_a_term_smaller_than_the_committee_minimum_is_no_committee(branch_a):
    with_committee(branch_a, seats=2)

    assert cells(branch_a, MeetingKind.COMMITTEE)[1].status == Status.NOT_APPLICABLE

    OrganisationRules.objects.create(year=2020, committee_min_size=2)
    assert cells(branch_a, MeetingKind.COMMITTEE)[1].status == Status.MISSING


def test_committee_meetings_apply_to_a_branch_with_a_committee(branch_a, recorder):
    with_committee(branch_a, seats=3)
    meet(branch_a, MeetingKind.COMMITTEE, D(2026, 1, 5), recorder)

    months = cells(branch_a, MeetingKind.COMMITTEE)

    assert months[1].status == Status.DONE
    assert months[2].status == Status.MISSING


def test_a_committee_elected_mid_year_applies_from_its_election(branch_a, recorder):
    # Given a branch that first elected a committee on 15 June
    with_committee(branch_a, seats=3, elected_on=D(2026, 6, 15))
    meet(branch_a, MeetingKind.COMMITTEE, D(2026, 6, 20), recorder)

    months = cells(branch_a, MeetingKind.COMMITTEE)

    # Then the months before it owed no 支委会, and from June on they did
    assert {months[m].status for m in range(1, 6)} == {Status.NOT_APPLICABLE}
    assert months[6].status == Status.DONE
    assert months[7].status == Status.MISSING


def test_group_meetings_count_per_group(branch_a, recorder):
    first, second = PartyGroupFactory(branch=branch_a), PartyGroupFactory(branch=branch_a)
    meet(branch_a, MeetingKind.GROUP, D(2026, 1, 10), recorder, group=first)
    meet(branch_a, MeetingKind.GROUP, D(2026, 1, 20), recorder, group=first)  # twice does not cover the other
    meet(branch_a, MeetingKind.GROUP, D(2026, 2, 10), recorder, group=first)
    meet(branch_a, MeetingKind.GROUP, D(2026, 2, 11), recorder, group=second)

    months = cells(branch_a, MeetingKind.GROUP)

    assert (months[1].status, months[1].groups_met, months[1].n_groups, months[1].held) == (
        Status.MISSING,
        1,
        2,
        2,
    )
    assert (months[2].status, months[2].groups_met) == (Status.DONE, 2)
    assert months[2].short == "✓2/2组"


def test_group_meetings_do_not_apply_to_a_branch_without_groups(branch_a):
    assert {c.status for c in cells(branch_a, MeetingKind.GROUP).values()} == {Status.NOT_APPLICABLE}


def test_a_meeting_of_another_branchs_group_does_not_count(branch_a, branch_a2, recorder):
    own = PartyGroupFactory(branch=branch_a)
    foreign = PartyGroupFactory(branch=branch_a2)
    meet(branch_a, MeetingKind.GROUP, D(2026, 1, 10), recorder, group=foreign)

    months = cells(branch_a, MeetingKind.GROUP)

    assert (months[1].status, months[1].held, months[1].n_groups) == (Status.MISSING, 0, 1)
    assert own.meetings.count() == 0


def test_periods_before_a_branch_was_founded_do_not_apply(organ_a, recorder):
    branch = BranchFactory(organ=organ_a, founded_on=D(2026, 5, 10))

    months = cells(branch, MeetingKind.THEME_DAY)
    quarters = cells(branch, MeetingKind.GENERAL)

    assert [months[m].status for m in (1, 4, 5, 6)] == [
        Status.NOT_APPLICABLE,
        Status.NOT_APPLICABLE,
        Status.MISSING,  # founded within May: May's meeting was due
        Status.MISSING,
    ]
    assert quarters[1].status == Status.NOT_APPLICABLE
    assert quarters[2].status == Status.MISSING


def test_periods_after_a_branch_was_dissolved_do_not_apply(organ_a):
    branch = BranchFactory(organ=organ_a, founded_on=D(2015, 1, 1), dissolved_on=D(2026, 3, 15))

    months = cells(branch, MeetingKind.THEME_DAY)

    assert months[3].status == Status.MISSING
    assert months[4].status == Status.NOT_APPLICABLE


# --- query count -------------------------------------------------------------------------


def populate(organ, n, recorder):
    made = []
    for i in range(n):
        branch = BranchFactory(organ=organ)
        with_committee(branch)
        groups = [PartyGroupFactory(branch=branch) for _ in range(2)]
        for month in range(1, 12):
            meet(branch, MeetingKind.THEME_DAY, D(2026, month, 3), recorder)
            meet(branch, MeetingKind.GROUP, D(2026, month, 4), recorder, group=groups[month % 2])
            if month % 3 == 0:
                meet(branch, MeetingKind.GENERAL, D(2026, month, 28), recorder)
        exempt(branch, D(2026, 1, 1), D(2026, 1, 31 - i % 3))
        made.append(branch)
    return made


def test_completion_runs_a_fixed_number_of_queries(organ_a, recorder):
    requirements_for_year(2026)
    one = populate(organ_a, 1, recorder)
    with CaptureQueriesContext(connection) as small:
        completion(one, 2026, TODAY)
    many = one + populate(organ_a, 8, recorder)
    with CaptureQueriesContext(connection) as large:
        result = completion(many, 2026, TODAY)

    assert len(small.captured_queries) == len(large.captured_queries) == 6
    assert len(result) == 9


def count_queries(client, url, params=None):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, params or {})
    assert response.status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize("params", [{}, {"state": "missing"}, {"year": "2025"}])
def test_completion_page_queries_do_not_grow_with_branches(client_for, gongwei_staff, organ_a, recorder, params):
    client = client_for(gongwei_staff)
    populate(organ_a, 1, recorder)
    url = reverse("branches:completion")
    count_queries(client, url, params)  # creates the year's requirements on first use
    small = count_queries(client, url, params)
    populate(organ_a, 6, recorder)
    populate(BranchFactory().organ, 2, recorder)
    assert count_queries(client, url, params) == small


def test_calendar_page_queries_do_not_grow_with_meetings(client_for, gongwei_staff, organ_a, recorder):
    client = client_for(gongwei_staff)
    (branch,) = populate(organ_a, 1, recorder)
    url = reverse("branches:branch_calendar", args=[branch.pk])
    count_queries(client, url)
    small = count_queries(client, url)
    for month in range(1, 12):
        meet(branch, MeetingKind.LECTURE, D(2026, month, 9), recorder, hours="2")
    exempt(branch, D(2026, 2, 1), D(2026, 2, 28), kind=MeetingKind.LECTURE)
    PartyGroupFactory(branch=branch)
    assert count_queries(client, url) == small


# --- the completion page -----------------------------------------------------------------


def test_staff_see_completion_of_their_branches_with_the_organ_summary(
    client_for, organ_staff_a, branch_a, branch_a2, branch_b, recorder
):
    meet(branch_a, MeetingKind.GENERAL, D(2026, 3, 31), recorder)

    keep_completion()
    response = client_for(organ_staff_a).get(reverse("branches:completion"))

    assert response.status_code == 200
    rows = {bc.branch.pk: bc for bc in response.context["page"].object_list}
    assert set(rows) == {branch_a.pk, branch_a2.pk}
    assert rows[branch_a.pk].by_kind[MeetingKind.GENERAL].n_done == 1
    assert rows[branch_a.pk].by_kind[MeetingKind.GENERAL].n_due == 3  # Q1–Q3 over; Q4 still open
    body = response.content.decode()
    assert branch_b.name not in body
    assert "1/3" in body
    assert reverse("branches:branch_calendar", args=[branch_a.pk]) in body


def test_gongwei_filters_by_organ_and_missing(client_for, gongwei_staff, branch_a, branch_b, recorder):
    # branch_b holds everything that is over; branch_a holds nothing.
    for month in range(1, 11):
        meet(branch_b, MeetingKind.THEME_DAY, D(2026, month, 5), recorder)
    for q_end in (D(2026, 3, 5), D(2026, 6, 5), D(2026, 9, 5)):
        meet(branch_b, MeetingKind.GENERAL, q_end, recorder)
        meet(branch_b, MeetingKind.LECTURE, q_end, recorder)
    keep_completion()
    client = client_for(gongwei_staff)

    everyone = client.get(reverse("branches:completion"))
    missing = client.get(reverse("branches:completion"), {"state": "missing"})
    complete = client.get(reverse("branches:completion"), {"state": "complete"})
    organ_b_only = client.get(reverse("branches:completion"), {"organ": branch_b.organ_id})

    def names(r):
        return {bc.branch.name for bc in r.context["page"].object_list}

    assert names(everyone) == {branch_a.name, branch_b.name}
    assert names(missing) == {branch_a.name}
    assert names(complete) == {branch_b.name}
    assert names(organ_b_only) == {branch_b.name}
    summaries = {s.name: s for s, _ in everyone.context["summaries"]}
    assert summaries[branch_b.organ.display_short].rate == 100
    assert summaries[branch_a.organ.display_short].rate == 0


def test_branches_founded_after_the_year_or_dissolved_before_it_are_left_out(client_for, gongwei_staff, organ_a):
    BranchFactory(organ=organ_a, name="明年成立", founded_on=D(2026, 1, 1))
    BranchFactory(organ=organ_a, name="早已撤销", founded_on=D(2015, 1, 1), dissolved_on=D(2024, 12, 31))
    BranchFactory(organ=organ_a, name="年中撤销", founded_on=D(2015, 1, 1), dissolved_on=D(2025, 6, 30))

    response = client_for(gongwei_staff).get(reverse("branches:completion"), {"year": 2025})

    assert {bc.branch.name for bc in response.context["page"].object_list} == {"年中撤销"}


def test_a_secretary_sees_only_their_own_branch(client_for, secretary_of_branch_a, branch_a, branch_b):
    response = client_for(secretary_of_branch_a).get(reverse("branches:completion"))

    assert [bc.branch.pk for bc in response.context["page"].object_list] == [branch_a.pk]


def test_members_and_outsiders_may_not_see_completion(client_for, member_user, outsider):
    assert client_for(member_user).get(reverse("branches:completion")).status_code == 403
    assert client_for(outsider).get(reverse("branches:completion")).status_code == 403


def test_completion_page_is_paginated(client_for, gongwei_staff, organ_a):
    for _ in range(32):
        BranchFactory(organ=organ_a)

    keep_completion()
    client = client_for(gongwei_staff)
    first = client.get(reverse("branches:completion"))
    second = client.get(reverse("branches:completion"), {"page": 2, "state": "missing"})

    assert len(first.context["page"].object_list) == 30
    assert len(second.context["page"].object_list) == 2
    assert "state=missing" in second.content.decode()  # the pager keeps the filter


# --- the branch calendar -----------------------------------------------------------------


def test_branch_calendar_shows_statuses_and_links_to_the_periods_meetings(
    client_for, secretary_of_branch_a, branch_a, recorder
):
    meet(branch_a, MeetingKind.GENERAL, D(2026, 3, 31), recorder)

    keep_completion()
    response = client_for(secretary_of_branch_a).get(reverse("branches:branch_calendar", args=[branch_a.pk]))

    assert response.status_code == 200
    body = response.content.decode()
    rows = {r.kind.requirement.kind: r for r in response.context["calendar"].rows}
    general = rows[MeetingKind.GENERAL].cells
    assert [c.span.n_months for c in general] == [3, 3, 3, 3]
    assert [c.cell.status for c in general] == [Status.DONE, Status.MISSING, Status.MISSING, Status.UPCOMING]
    assert len(rows[MeetingKind.THEME_DAY].cells) == 12
    assert rows[MeetingKind.THEME_DAY].cells[11].cell is None  # December has not begun
    assert rows[MeetingKind.LIFE].cells[0].span.n_months == 12
    assert 'colspan="3"' in body and 'colspan="12"' in body
    list_url = reverse("branches:meeting_list")
    assert f"{list_url}?branch={branch_a.pk}&amp;kind=general&amp;start=2026-01-01&amp;end=2026-03-31" in body
    assert "本支部未设支委会" in body and "本支部未设党小组" in body
    assert "登记会议" in body
    assert "登记豁免" not in body  # only the organ's 机关党委 or the 工委 grant exemptions


def test_branch_calendar_is_scoped(client_for, secretary_of_branch_a, member_user, branch_b, branch_a):
    url_b = reverse("branches:branch_calendar", args=[branch_b.pk])
    assert client_for(secretary_of_branch_a).get(url_b).status_code == 404
    assert client_for(member_user).get(reverse("branches:branch_calendar", args=[branch_a.pk])).status_code == 404


def test_branch_calendar_of_another_year(client_for, organ_staff_a, branch_a, recorder):
    meet(branch_a, MeetingKind.LIFE, D(2025, 12, 20), recorder)
    url = reverse("branches:branch_calendar", args=[branch_a.pk])

    keep_completion()
    response = client_for(organ_staff_a).get(url, {"year": 2025})
    silly = client_for(organ_staff_a).get(url, {"year": "9999"})

    rows = {r.kind.requirement.kind: r for r in response.context["calendar"].rows}
    assert rows[MeetingKind.LIFE].cells[0].cell.status == Status.DONE
    assert silly.context["calendar"].year == 2026
    assert not MeetingRequirement.objects.filter(year=9999).exists()


def test_calendar_partial_renders_for_the_branch_page(branch_a, recorder):
    PartyGroupFactory(branch=branch_a)
    with_committee(branch_a)
    meet(branch_a, MeetingKind.THEME_DAY, D(2026, 1, 31), recorder)

    keep_completion()
    html = render_to_string("branches/_meeting_calendar.html", orglife.calendar_context(branch_a, 2026, TODAY))

    assert "2026年组织生活" in html
    assert "✓1" in html and "✗0" in html
    assert "0/1组" in html  # November, per group, still open
    assert reverse("branches:branch_calendar", args=[branch_a.pk]) in html


def test_calendar_context_runs_a_fixed_number_of_queries(branch_a, recorder):
    requirements_for_year(2026)
    with CaptureQueriesContext(connection) as small:
        orglife.calendar_context(branch_a, 2026, TODAY)
    populate(branch_a.organ, 1, recorder)
    for month in range(1, 12):
        meet(branch_a, MeetingKind.THEME_DAY, D(2026, month, 1), recorder)
    with CaptureQueriesContext(connection) as large:
        orglife.calendar_context(branch_a, 2026, TODAY)
    assert len(small.captured_queries) == len(large.captured_queries)


# --- requirements pages (工委) -------------------------------------------------------------


def test_gongwei_changes_a_requirement_and_completion_follows(client_for, gongwei_staff, branch_a, recorder):
    client = client_for(gongwei_staff)
    listing = client.get(reverse("branches:requirement_list"))
    lecture = MeetingRequirement.objects.get(year=2026, kind=MeetingKind.LECTURE)
    meet(branch_a, MeetingKind.LECTURE, D(2026, 1, 9), recorder)

    response = client.post(
        reverse("branches:requirement_edit", args=[lecture.pk]),
        {"period": Period.MONTH, "min_count": 1, "scope": RequirementScope.BRANCH, "source": "市委规定"},
    )

    assert listing.status_code == 200 and "党课" in listing.content.decode()
    assert response.status_code == 302
    lecture.refresh_from_db()
    assert (lecture.period, lecture.source) == (Period.MONTH, "市委规定")
    assert lecture.history.first().history_user == gongwei_staff
    months = cells(branch_a, MeetingKind.LECTURE)
    assert (months[1].status, months[2].status) == (Status.DONE, Status.MISSING)


def test_per_group_scope_is_refused_for_other_kinds(client_for, gongwei_staff):
    requirements_for_year(2026)
    theme = MeetingRequirement.objects.get(year=2026, kind=MeetingKind.THEME_DAY)

    response = client_for(gongwei_staff).post(
        reverse("branches:requirement_edit", args=[theme.pk]),
        {"period": Period.MONTH, "min_count": 1, "scope": RequirementScope.GROUP, "source": ""},
    )

    assert response.status_code == 200
    assert "只适用于党小组会" in response.content.decode()
    theme.refresh_from_db()
    assert theme.scope == RequirementScope.BRANCH


def test_a_zero_minimum_is_refused(client_for, gongwei_staff):
    requirements_for_year(2026)
    general = MeetingRequirement.objects.get(year=2026, kind=MeetingKind.GENERAL)

    response = client_for(gongwei_staff).post(
        reverse("branches:requirement_edit", args=[general.pk]),
        {"period": Period.QUARTER, "min_count": 0, "scope": RequirementScope.BRANCH, "source": ""},
    )

    assert response.status_code == 200
    assert "每期最少次数至少为 1" in response.content.decode()
    general.refresh_from_db()
    assert general.min_count == 1


def test_gongwei_adds_a_kind_and_removes_one(client_for, gongwei_staff):
    client = client_for(gongwei_staff)
    requirements_for_year(2026)

    added = client.post(
        f"{reverse('branches:requirement_create')}?year=2026",
        {"kind": MeetingKind.TALK, "period": Period.YEAR, "min_count": 1, "scope": RequirementScope.BRANCH},
    )
    lecture = MeetingRequirement.objects.get(year=2026, kind=MeetingKind.LECTURE)
    removed = client.post(reverse("branches:requirement_delete", args=[lecture.pk]))

    assert added.status_code == removed.status_code == 302
    kinds = {r.kind for r in requirements_for_year(2026)}
    assert MeetingKind.TALK in kinds and MeetingKind.LECTURE not in kinds


def test_the_last_requirement_of_a_year_cannot_be_removed(gongwei_staff):
    requirements_for_year(2026)
    rows = list(MeetingRequirement.objects.filter(year=2026))
    for row in rows[:-1]:
        orglife.delete_requirement(row, by=gongwei_staff)

    with pytest.raises(orglife.OrgLifeError, match="至少保留一项"):
        orglife.delete_requirement(rows[-1], by=gongwei_staff)


def test_only_gongwei_sets_requirements(client_for, organ_staff_a, secretary_of_branch_a):
    requirements_for_year(2026)
    row = MeetingRequirement.objects.get(year=2026, kind=MeetingKind.GENERAL)
    for user in (organ_staff_a, secretary_of_branch_a):
        client = client_for(user)
        assert client.get(reverse("branches:requirement_list")).status_code == 403
        assert client.post(reverse("branches:requirement_delete", args=[row.pk])).status_code == 403
        with pytest.raises(orglife.OrgLifeError):
            orglife.save_requirement(row, by=user)
    assert MeetingRequirement.objects.filter(pk=row.pk).exists()


# --- exemption pages ---------------------------------------------------------------------


def test_organ_staff_grant_an_exemption_and_completion_follows(client_for, organ_staff_a, branch_a):
    client = client_for(organ_staff_a)

    page = client.get(reverse("branches:exemption_create", args=[branch_a.pk]))
    response = client.post(
        reverse("branches:exemption_create", args=[branch_a.pk]),
        {"kind": "", "starts_on": "2026-01-01", "ends_on": "2026-03-31", "reason": "新成立支部"},
    )

    assert page.status_code == 200
    assert response.status_code == 302
    exemption = RequirementExemption.objects.get(branch=branch_a)
    assert (exemption.granted_by, exemption.reason) == (organ_staff_a, "新成立支部")
    assert exemption.history.first().history_user == organ_staff_a
    assert cells(branch_a, MeetingKind.GENERAL)[1].status == Status.EXEMPT
    calendar = client.get(reverse("branches:branch_calendar", args=[branch_a.pk])).content.decode()
    assert "新成立支部" in calendar and "撤销" in calendar


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"kind": "", "starts_on": "2026-01-01", "ends_on": "2026-03-31", "reason": "   "}, "请填写豁免原因"),
        ({"kind": "", "starts_on": "2026-04-01", "ends_on": "2026-03-31", "reason": "新成立"}, "不能早于开始日期"),
    ],
)
def test_bad_exemptions_are_refused_and_nothing_is_written(client_for, organ_staff_a, branch_a, data, message):
    response = client_for(organ_staff_a).post(reverse("branches:exemption_create", args=[branch_a.pk]), data)

    assert response.status_code == 200
    assert message in response.content.decode()
    assert not RequirementExemption.objects.exists()


def test_only_the_organs_staff_or_gongwei_grant_exemptions(
    client_for, secretary_of_branch_a, organ_staff_b, gongwei_staff, branch_a
):
    url = reverse("branches:exemption_create", args=[branch_a.pk])
    data = {"kind": "", "starts_on": "2026-01-01", "ends_on": "2026-03-31", "reason": "新成立"}

    assert client_for(secretary_of_branch_a).post(url, data).status_code == 403
    assert client_for(organ_staff_b).post(url, data).status_code == 404
    assert not RequirementExemption.objects.exists()
    assert client_for(gongwei_staff).post(url, data).status_code == 302
    with pytest.raises(orglife.OrgLifeError):
        orglife.grant_exemption(
            branch_a, kind="", starts_on=D(2026, 1, 1), ends_on=D(2026, 1, 2), reason="x", by=secretary_of_branch_a
        )


def test_revoking_an_exemption(client_for, organ_staff_a, secretary_of_branch_a, branch_a):
    exemption = exempt(branch_a, D(2026, 1, 1), D(2026, 3, 31))
    url = reverse("branches:exemption_delete", args=[exemption.pk])

    assert client_for(secretary_of_branch_a).post(url).status_code == 403
    assert RequirementExemption.objects.filter(pk=exemption.pk).exists()
    assert client_for(organ_staff_a).post(url).status_code == 302
    assert not RequirementExemption.objects.filter(pk=exemption.pk).exists()
    assert cells(branch_a, MeetingKind.GENERAL)[1].status == Status.MISSING


def test_revoking_is_scoped(client_for, organ_staff_b, branch_a):
    exemption = exempt(branch_a, D(2026, 1, 1), D(2026, 3, 31))

    assert client_for(organ_staff_b).post(reverse("branches:exemption_delete", args=[exemption.pk])).status_code == 404
    assert RequirementExemption.objects.filter(pk=exemption.pk).exists()


def test_organ_pages_are_friendly_on_a_phone(client_for, gongwei_staff, branch_a):
    """Secondary columns are hidden below md; the table scrolls rather than overflowing."""
    body = client_for(gongwei_staff).get(reverse("branches:completion")).content.decode()
    assert "table-responsive" in body
    assert "d-none d-md-table-cell" in body


def test_a_calendar_cell_leads_to_exactly_that_periods_meetings(client_for, secretary_of_branch_a, branch_a, recorder):
    Meeting.objects.create(
        branch=branch_a, kind=MeetingKind.GENERAL, held_on=D(2026, 3, 31), topic="一季度党员大会", recorded_by=recorder
    )
    Meeting.objects.create(
        branch=branch_a, kind=MeetingKind.GENERAL, held_on=D(2026, 4, 1), topic="二季度党员大会", recorded_by=recorder
    )
    client = client_for(secretary_of_branch_a)
    calendar = client.get(reverse("branches:branch_calendar", args=[branch_a.pk])).context["calendar"]
    general = next(r for r in calendar.rows if r.kind.requirement.kind == MeetingKind.GENERAL)
    q1 = general.cells[0].span

    listing = client.get(
        reverse("branches:meeting_list"),
        {"branch": branch_a.pk, "kind": "general", "start": q1.start.isoformat(), "end": q1.end.isoformat()},
    )

    assert listing.status_code == 200
    body = listing.content.decode()
    assert "一季度党员大会" in body and "二季度党员大会" not in body


def test_the_organ_summary_pages_and_its_totals_count_every_organ(client_for, gongwei_staff, monkeypatch):
    from branches.views import orglife as orglife_views

    monkeypatch.setattr(orglife_views, "SUMMARY_PAGE_SIZE", 2)
    organs = [OrganFactory(name=f"汇总机关{i}", sort_order=i) for i in range(5)]
    for organ in organs:
        BranchFactory(organ=organ, founded_on=D(2015, 1, 1))
    client = client_for(gongwei_staff)

    first = client.get(reverse("branches:completion"))
    last = client.get(reverse("branches:completion"), {"opage": 3})

    assert [s.organ_id for s, _ in first.context["summaries"]] == [organs[0].pk, organs[1].pk]
    assert [s.organ_id for s, _ in last.context["summaries"]] == [organs[4].pk]
    assert first.context["totals"].n_branches == last.context["totals"].n_branches == 5
    assert "按机关汇总（5 个机关）" in first.content.decode()
    assert "第 3 / 3 页" in last.content.decode()
