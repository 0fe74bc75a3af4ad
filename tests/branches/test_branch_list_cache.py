"""The branch list is kept per scope, day and query (branches.views.branch_list): a repeat visit reads nothing
of the list, and any change to what a row shows (branch, organ, members, committee, rules) shows at once."""

import datetime
import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import Role
from branches.apps import BRANCH_LIST_TOPIC
from branches.choices import CommitteePost, MemberStatus
from branches.models import Branch, CommitteeMember, CommitteeTerm, Member, Organ, OrganisationRules
from branches.roster import import_roster
from partybuild import figures as figure_cache
from tests.branches.test_branch_list_speed import cells, healthy_branch, rows_of
from tests.branches.test_roster import as_file, row, workbook
from tests.factories import BranchFactory, CommitteeMemberFactory, CommitteeTermFactory, MemberFactory, grant

pytestmark = pytest.mark.django_db

URL = reverse("branches:branch_list")
NOW = datetime.datetime(2026, 11, 22, 9, 0, tzinfo=datetime.UTC)


@pytest.fixture(autouse=True)
def frozen_today(time_machine):
    time_machine.move_to(NOW, tick=False)


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def fixed_queries(client) -> int:
    """What any page costs (session, user, scope, bell), on a page that reads nothing else."""
    client.get(reverse("accounts:password_done"))
    with CaptureQueriesContext(connection) as ctx:
        client.get(reverse("accounts:password_done"))
    return len(ctx.captured_queries)


def visit(client, params=None) -> tuple[str, int]:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(URL, params or {})
    assert response.status_code == 200
    return response.content.decode(), len(ctx.captured_queries)


def kept(client, fixed: int, params=None) -> str:
    """Visit until the list is kept; the kept visit costs only the fixed queries."""
    visit(client, params)
    page, n = visit(client, params)
    assert n == fixed, "the second visit was computed again"
    return page


def row_of(page: str, name: str) -> list[str]:
    return next(cells(r) for r in rows_of(page) if f">{name}</a>" in r)


@pytest.fixture
def world(organ_a, gongwei_staff):
    branch = healthy_branch(organ_a, "综合处党支部")
    client = logged_in(gongwei_staff)
    return branch, client, fixed_queries(client)


def without_tokens(page: str) -> str:
    # The navigation's log-out form and the htmx header carry a CSRF token masked afresh for each response.
    return re.sub(r'(csrfmiddlewaretoken" value="|"X-CSRFToken": ")[^"]+', r"\1", page)


def test_a_repeat_visit_reads_nothing_of_the_list_and_shows_the_same(world):
    _, client, fixed = world
    first, n = visit(client)
    assert n > fixed and "综合处党支部" in first
    assert without_tokens(kept(client, fixed)) == without_tokens(first)


def _rename_branch(branch):
    branch.name = "综合法规处党支部"
    branch.save()
    return lambda page: "综合法规处党支部" in page


def _rename_organ(branch):
    organ = branch.organ
    organ.short_name = "市发改"
    organ.save()
    return lambda page: row_of(page, branch.name)[1] == '<td class="d-md-table-cell d-none">市发改</td>'


def _add_member(branch):
    MemberFactory(branch=branch)
    return lambda page: row_of(page, branch.name)[3] == '<td class="text-end">5</td>'


def _probationary_member(branch):
    member = branch.members.first()
    member.status, member.confirmed_on = MemberStatus.PROBATIONARY, None
    member.save()
    return lambda page: row_of(page, branch.name)[4] == '<td class="d-md-table-cell d-none text-end">3</td>'


def _term_expired(branch):
    term = CommitteeTerm.objects.get(branch=branch)
    term.elected_on = datetime.date(2023, 11, 1)  # three years: ended on 2026-11-01
    term.save()
    return lambda page: "2026-11-01" in row_of(page, branch.name)[5] and "正常" not in row_of(page, branch.name)[6]


def _secretary_left(branch):
    CommitteeMember.objects.filter(term__branch=branch, post=CommitteePost.SECRETARY).delete()
    return lambda page: "正常" not in row_of(page, branch.name)[6]


def _seat_added(branch):
    # The secretary's seat is replaced by a deputy: the branch is left without a secretary.
    seat = CommitteeMember.objects.get(term__branch=branch)
    seat.post = CommitteePost.DEPUTY
    seat.save()
    return lambda page: "正常" not in row_of(page, branch.name)[6]


def _stricter_rules(branch):
    rules = OrganisationRules.for_year(2026)
    rules.min_full_members = 5
    rules.save()
    return lambda page: "正常" not in row_of(page, branch.name)[6]


def _new_branch(branch):
    BranchFactory(organ=branch.organ, name="新成立党支部")
    return lambda page: "新成立党支部" in page


def _roster_import(branch, importer):
    # The import writes members in bulk, without model signals; it announces itself with bulk_written.
    import_roster(as_file(workbook(row(姓名="张伟"))), user=importer)
    return lambda page: row_of(page, branch.name)[3] == '<td class="text-end">5</td>'


CHANGES = [
    _rename_branch,
    _rename_organ,
    _add_member,
    _probationary_member,
    _term_expired,
    _secretary_left,
    _seat_added,
    _stricter_rules,
    _new_branch,
    _roster_import,
]


@pytest.mark.parametrize("change", CHANGES, ids=lambda f: f.__name__.strip("_"))
def test_a_change_to_what_a_row_shows_appears_on_the_next_visit(world, gongwei_staff, change):
    branch, client, fixed = world
    before = kept(client, fixed)
    fresh = Branch.objects.select_related("organ").get(pk=branch.pk)
    shows = change(fresh, gongwei_staff) if change is _roster_import else change(fresh)
    assert not shows(before)

    page, n = visit(client)

    assert n > fixed and shows(page)


def test_the_declared_dependencies_are_the_ones_the_changes_cover():
    watched = {model for model, topics in figure_cache.watched().items() if BRANCH_LIST_TOPIC in topics}
    assert watched == {Branch, Organ, Member, CommitteeTerm, CommitteeMember, OrganisationRules}


def test_each_query_is_kept_apart(organ_a, gongwei_staff):
    for i in range(35):
        BranchFactory(organ=organ_a, name=f"第{i:02d}支部")
    client = logged_in(gongwei_staff)
    fixed = fixed_queries(client)
    first = kept(client, fixed)
    second = kept(client, fixed, {"page": 2})
    by_name = kept(client, fixed, {"sort": "-name"})

    assert "第00支部" in first and "第00支部" not in second and "第34支部" in second
    assert rows_of(by_name)[0] != rows_of(first)[0]
    # The same query with its terms in another order is the same list, already kept.
    kept(client, fixed, {"sort": "-name", "page": 2})
    assert client.get(f"{URL}?page=2&sort=-name").status_code == 200
    with CaptureQueriesContext(connection) as ctx:
        client.get(f"{URL}?sort=-name&page=2")
    assert len(ctx.captured_queries) == fixed


def test_each_scope_gets_its_own_list(organ_a, organ_b, organ_staff_a, organ_staff_b, gongwei_staff):
    BranchFactory(organ=organ_a, name="甲机关支部")
    BranchFactory(organ=organ_b, name="乙机关支部")
    staff_a, staff_b, gongwei = logged_in(organ_staff_a), logged_in(organ_staff_b), logged_in(gongwei_staff)
    fixed = fixed_queries(staff_a)

    page_a = kept(staff_a, fixed)
    page_b = kept(staff_b, fixed)
    page_all = kept(gongwei, fixed)

    assert "甲机关支部" in page_a and "乙机关支部" not in page_a
    assert "乙机关支部" in page_b and "甲机关支部" not in page_b
    assert "甲机关支部" in page_all and "乙机关支部" in page_all


def test_a_new_role_shows_its_branches_at_once(organ_a, organ_b, organ_staff_a):
    BranchFactory(organ=organ_b, name="乙机关支部")
    client = logged_in(organ_staff_a)
    assert "乙机关支部" not in kept(client, fixed_queries(client))

    grant(organ_staff_a, Role.ORGAN, organ=organ_b)

    assert "乙机关支部" in visit(client)[0]


def test_the_next_day_a_term_that_ended_yesterday_is_flagged(time_machine, organ_a, gongwei_staff):
    # Five minutes to midnight in Beijing: the kept list (figures.PAGE_TIMEOUT) has not expired when the day turns.
    time_machine.move_to(datetime.datetime(2026, 11, 22, 15, 55, tzinfo=datetime.UTC), tick=False)
    branch = BranchFactory(organ=organ_a, name="综合处党支部")
    members = MemberFactory.create_batch(4, branch=branch)
    term = CommitteeTermFactory(branch=branch, elected_on=datetime.date(2023, 11, 22))  # ends today
    CommitteeMemberFactory(term=term, member=members[0], post=CommitteePost.SECRETARY)
    client = logged_in(gongwei_staff)
    fixed = fixed_queries(client)
    assert "正常" in row_of(kept(client, fixed), "综合处党支部")[6]

    time_machine.move_to(datetime.datetime(2026, 11, 22, 16, 1, tzinfo=datetime.UTC), tick=False)
    page, n = visit(client)

    assert n > fixed and "正常" not in row_of(page, "综合处党支部")[6]
