"""`seed_demo` fills organisational life, 一岗双责 reports and the ledger with realistic gaps, data the services
accept, and something of their own for every demo account."""

import datetime
import io

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db.models import Count, F, Q

from assessments import ledger
from assessments.choices import ProblemStatus, ReportStatus
from assessments.models import DutyReport, Problem
from assessments.reports import submit_report
from branches import orglife
from branches.choices import MeetingKind
from branches.models import Attendance, Branch, Meeting, Member, OrganisationRules, RequirementExemption
from demo.organisation import plan_demo, write_demo
from demo.orglife import plan_orglife
from notifications.models import Notification
from notifications.reminders import send_reminders
from portal.due import due_this_month

TODAY = datetime.date(2026, 11, 22)
SIZE = {"organs": 3, "branches": 10, "members_per_branch": 16, "seed": 5}


@pytest.fixture(autouse=True)
def today():
    with time_machine.travel(datetime.datetime(2026, 11, 22, 9, 0), tick=False):
        yield TODAY


@pytest.fixture
def seeded(db) -> str:
    out = io.StringIO()
    call_command("seed_demo", stdout=out, **SIZE)
    return out.getvalue()


def user(username: str):
    return get_user_model().objects.get(username=username)


# --- Organisational life ---------------------------------------------------------------------------


def test_every_active_branch_met_over_two_years_and_the_report_says_so(seeded):
    active = Branch.objects.active()
    met = Meeting.objects.values("branch").distinct().count()

    assert met == active.count()
    assert Meeting.objects.filter(held_on__year=2025).exists() and Meeting.objects.filter(held_on__year=2026).exists()
    assert not Meeting.objects.filter(held_on__gte=TODAY).exists()
    assert not Meeting.objects.filter(held_on__lt=F("branch__founded_on")).exists()
    assert "已生成组织生活演示数据：会议" in seeded and "已生成一岗双责与整改台账演示数据" in seeded


def test_attendance_is_the_members_due_and_votes_fit_the_room(seeded):
    assert not Attendance.objects.filter(member__joined_on__gt=F("meeting__held_on")).exists()
    assert not Attendance.objects.exclude(member__branch=F("meeting__branch")).exists()
    assert not Attendance.objects.filter(
        meeting__kind=MeetingKind.GROUP
    ).exclude(member__party_group=F("meeting__party_group")).exists()  # fmt: skip
    assert Attendance.objects.filter(present=False).exclude(absence_reason="").exists()
    votes = Meeting.objects.exclude(motion="").annotate(
        n_present=Count("attendance", filter=Q(attendance__present=True))
    )
    assert votes.exists()
    for meeting in votes:
        assert meeting.kind == MeetingKind.GENERAL
        assert meeting.votes_for + meeting.votes_against + meeting.votes_abstain <= meeting.n_present


def test_completion_has_realistic_gaps(seeded):
    results = orglife.completion(Branch.objects.active(), 2026, TODAY)
    missing = sum(r.n_missing for r in results.values())
    done = sum(r.n_done for r in results.values())

    assert done > missing > 0


def test_the_newest_branches_are_exempt_for_their_first_months(seeded):
    exemptions = list(RequirementExemption.objects.select_related("branch"))
    newest = set(Branch.objects.active().order_by("-founded_on").values_list("pk", flat=True)[: len(exemptions)])

    assert exemptions
    assert {e.branch_id for e in exemptions} == newest
    assert all(e.starts_on == e.branch.founded_on and e.reason for e in exemptions)


def test_the_demo_branch_let_octobers_theme_day_slip(seeded):
    shuji = user("shuji")

    assert Notification.objects.filter(recipient=shuji, key__startswith="meetings:", key__endswith=":missing").exists()
    branch = Member.objects.get(user=shuji).branch
    assert not Meeting.objects.filter(
        branch=branch, kind=MeetingKind.THEME_DAY, held_on__year=2026, held_on__month=10
    ).exists()


def test_the_same_seed_plans_the_same_meetings(db):
    org = plan_demo(**SIZE, today=TODAY, rules=OrganisationRules(year=2026))
    write_demo(org)
    recorder = get_user_model().objects.create_user("recorder", password="x-unused-9")
    recorders = {b.pk: recorder for b in org.branches}

    def signature(seed):
        plan = plan_orglife(org, seed=seed, today=TODAY, recorders=recorders, organ_users={})
        return [(m.branch.name, m.kind, m.held_on, m.motion) for m in plan.meetings], plan.attendance

    assert signature(5) == signature(5)
    assert signature(5) != signature(6)


# --- Reports and ledger ---------------------------------------------------------------------------


def test_reports_are_in_every_state_with_late_and_missing_ones(seeded):
    statuses = set(DutyReport.objects.values_list("status", flat=True))
    late = DutyReport.objects.filter(is_late=True)

    assert statuses == set(ReportStatus.values)
    assert late.exists() and all(r.submitted_at.date() > r.period.due_on for r in late.select_related("period"))
    assert not DutyReport.objects.filter(is_late=False, submitted_at__date__gt=F("period__due_on")).exists()
    assert not DutyReport.objects.filter(member__is_leader=False).exists()
    leaders = Member.objects.filter(is_leader=True, branch__dissolved_on__isnull=True).count()
    filed_h1 = DutyReport.objects.filter(period__year=2026, period__half=1).count()
    assert 0 < filed_h1 < leaders


def test_the_ledger_holds_every_status_and_some_overdue(seeded):
    assert set(Problem.objects.values_list("status", flat=True)) == set(ProblemStatus.values)
    assert Problem.objects.overdue(TODAY).exists()
    assert not Problem.objects.exclude(responsible__branch=F("branch")).exists()


# --- The demo accounts ------------------------------------------------------------------------------


def test_the_secretary_has_a_returned_report_and_a_full_month(seeded):
    shuji = user("shuji")
    me = Member.objects.get(user=shuji)
    returned = DutyReport.objects.get(member=me, period__year=2026, period__half=1)

    categories = {item.category for item in due_this_month(shuji, TODAY)}

    assert returned.status == ReportStatus.RETURNED and returned.return_reason
    assert {"一岗双责报告", "问题整改", "项目节点"} <= categories
    assert set(Problem.objects.filter(branch=me.branch).values_list("status", flat=True)) == set(ProblemStatus.values)
    submit_report(returned, by=shuji)
    assert DutyReport.objects.get(pk=returned.pk).status == ReportStatus.SUBMITTED


def test_the_member_answers_for_an_item_due_this_month(seeded):
    dangyuan = user("dangyuan")

    items = due_this_month(dangyuan, TODAY)

    assert [i.category for i in items] == ["问题整改"]
    assert items[0].due_on.month == TODAY.month


def test_the_organ_account_has_reports_to_review_items_to_verify_and_escalations(seeded):
    jiguan = user("jiguan")
    organ = jiguan.roles.get().organ
    waiting = DutyReport.objects.filter(member__branch__organ=organ, status=ReportStatus.SUBMITTED)
    to_verify = Problem.objects.filter(branch__organ=organ, status=ProblemStatus.DONE)

    assert waiting.exists()
    assert to_verify.exists()
    assert Notification.objects.filter(recipient=jiguan, key__endswith=":escalated").exists()
    ledger.verify(to_verify.first(), by=jiguan)


def test_the_days_reminders_were_sent_while_seeding(seeded):
    assert set(send_reminders(TODAY).values()) == {0}


# --- Ratings ---------------------------------------------------------------------------------------


def test_the_completed_years_are_published_and_this_year_is_an_unpublished_trial(seeded):
    from assessments.choices import RunStatus
    from assessments.models import RatingRun

    runs = {run.year: run for run in RatingRun.objects.all()}

    assert sorted(runs) == [2024, 2025, 2026]
    assert all(runs[year].status == RunStatus.PUBLISHED and not runs[year].is_trial for year in (2024, 2025))
    this_year = runs[2026]
    assert (this_year.status, this_year.is_trial, this_year.complete_on) == (
        RunStatus.DRAFT, True, datetime.date(2027, 1, 15)
    )  # fmt: skip
    assert {gap["kind"] for gap in this_year.gaps} == {"period", "score", "filing"}
    assert "2024年度（已发布）、2025年度（已发布）、2026年度试算（待发布）" in seeded
