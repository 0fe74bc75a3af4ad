"""The cached warning counts and 一岗双责 filing rates follow every change at once, bulk writes
included, and each scope reads only its own entries."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from assessments import reports
from assessments.choices import ReportStatus
from assessments.models import DutyReport
from branches.choices import CommitteePost
from branches.models import CommitteeMember, Member
from branches.roster import import_roster
from partybuild import figures as figure_cache
from partybuild.signals import bulk_written
from tests.branches.test_roster import as_file, row, workbook
from tests.dashboards.conftest import YEAR, populate
from tests.factories import BranchFactory, MemberFactory

pytestmark = pytest.mark.django_db

URL = reverse("dashboards:home")


def figures(client) -> dict:
    context = client.get(URL).context
    first_half = context["periods"][0]
    warnings = {f.label: f.count for f in context["warnings"]}
    return {
        "any_warning": context["any_warning"].count,
        "no_secretary": warnings["未配备书记"],
        "reports_total": first_half.total.count,
        "reports_filed": first_half.filed.count,
        "reports_missing": first_half.missing.count,
        "reports_late": first_half.late.count,
    }


@pytest.fixture
def cached(client_for, gongwei_staff, organ_a, recorder):
    branches = populate(organ_a, 4, recorder=recorder)
    client = client_for(gongwei_staff)
    before = figures(client)
    assert figures(client) == before  # the second request reads the cache
    return client, branches, before


def test_the_second_request_reads_the_cached_figures(cached):
    client, _, _ = cached
    with CaptureQueriesContext(connection) as captured:
        client.get(URL)
    sql = " ".join(q["sql"] for q in captured.captured_queries)
    assert "assessments_dutyreport" not in sql  # the filing rates come from the cache
    assert "branches_committeemember" not in sql  # and so do the warning counts


def test_a_secretary_leaving_the_committee_shows_at_once(cached):
    client, (branch, *_), before = cached
    CommitteeMember.objects.get(term__branch=branch, post=CommitteePost.SECRETARY).delete()
    after = figures(client)
    assert after["no_secretary"] == before["no_secretary"] + 1


def test_a_filed_report_shows_at_once(cached):
    client, branches, before = cached
    # populate files no first-half report for its fourth branch: its leader still owes one.
    leader = Member.objects.get(branch=branches[3], is_leader=True)
    DutyReport.objects.create(
        member=leader, period=reports.periods_for_year(YEAR)[0], business_work="业务", party_work="党建",
        problems="问题", next_steps="措施", status=ReportStatus.SUBMITTED,
        submitted_at=datetime.datetime(YEAR, 7, 2, tzinfo=datetime.UTC),
    )  # fmt: skip
    after = figures(client)
    assert after["reports_filed"] == before["reports_filed"] + 1
    assert after["reports_missing"] == before["reports_missing"] - 1


def test_a_new_leader_shows_at_once(cached):
    client, (branch, *_), before = cached
    MemberFactory(branch=branch, is_leader=True)
    assert figures(client)["reports_total"] == before["reports_total"] + 1


def test_a_moved_deadline_that_changes_who_was_late_shows_at_once(cached, gongwei_staff):
    client, _, before = cached
    assert before["reports_late"] > 0
    period = reports.periods_for_year(YEAR)[0]
    # Every report was submitted in July; a deadline at the end of July makes none of them late.
    reports.change_due_date(period, due_on=datetime.date(YEAR, 7, 31), by=gongwei_staff, reason="统一延期")
    assert figures(client)["reports_late"] == 0


def test_a_roster_import_shows_at_once(client_for, gongwei_staff, organ_a, recorder):
    populate(organ_a, 2, recorder=recorder)
    BranchFactory(organ=organ_a, name="综合处党支部")
    client = client_for(gongwei_staff)
    before = figures(client)
    # The import writes in bulk, without model signals: a new leader still counts at once.
    import_roster(as_file(workbook(row(姓名="张伟", 班子成员="是"))), user=gongwei_staff)
    assert figures(client)["reports_total"] == before["reports_total"] + 1


def test_bulk_writes_announce_themselves(organ_a, gongwei_staff):
    BranchFactory(organ=organ_a, name="综合处党支部")
    heard = []

    def listener(sender, **kwargs):
        heard.append(sender)

    bulk_written.connect(listener)
    try:
        import_roster(as_file(workbook(row(姓名="张伟"))), user=gongwei_staff)
    finally:
        bulk_written.disconnect(listener)
    assert heard == [Member]


def test_each_scope_reads_its_own_entries(client_for, gongwei_staff, organ_staff_a, organ_a, organ_b, recorder):
    populate(organ_a, 3, recorder=recorder)
    populate(organ_b, 5, recorder=recorder, start=3)
    city = figures(client_for(gongwei_staff))
    mine = figures(client_for(organ_staff_a))
    assert mine["reports_total"] == 3 < city["reports_total"] == 8
    # The 工委 narrowed to one organ reads what that organ's own staff read, not the city's entry.
    context = client_for(gongwei_staff).get(URL, {"organ": organ_a.pk}).context
    assert context["periods"][0].total.count == 3


def test_the_topics_are_replaced_separately(organ_a, recorder):
    populate(organ_a, 1, recorder=recorder)
    tokens = {topic: figure_cache.current_version(topic) for topic in figure_cache.topics()}
    bulk_written.send(sender=DutyReport, using="default")
    assert figure_cache.current_version("reports") != tokens["reports"]
    assert figure_cache.current_version("roster") == tokens["roster"]
    assert figure_cache.current_version("orglife") == tokens["orglife"]


def test_the_home_page_branch_figures_follow_a_new_branch(client_for, gongwei_staff, organ_a, recorder):
    populate(organ_a, 2, recorder=recorder)
    client = client_for(gongwei_staff)
    before = client.get(reverse("home")).context["stats"]
    assert client.get(reverse("home")).context["stats"] == before  # from the cache
    BranchFactory(organ=organ_a)  # no members, no committee: it warns
    after = client.get(reverse("home")).context["stats"]
    assert after == {"n_branches": before["n_branches"] + 1, "n_warned": before["n_warned"] + 1}
