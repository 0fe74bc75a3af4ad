"""Two people acting on the same record at the same moment, really in parallel on PostgreSQL.

Each actor is a thread with its own database connection; a barrier releases them together, and the
service under test is slowed down right after its first read so that both are inside their
transactions before either writes. Without the row lock / unique constraint these tests fail.
"""

import datetime
import threading
import time
from decimal import Decimal
from unittest import mock

import pytest
import time_machine
from django.core.exceptions import PermissionDenied
from django.db import connection, connections
from django.utils import timezone

from assessments import ratings, reports
from assessments.choices import RunStatus
from assessments.models import RatingResult, RatingRun
from assessments.ratings import RunConflict
from branches import figures, hours, kept, meetings, orglife, services
from branches.choices import Gender, MeetingKind
from branches.models import Branch, Member, OrganCompletion
from projects import services as project_services
from projects.choices import ProjectStatus
from projects.models import Project, ProjectEvent
from projects.services import IllegalTransition
from tests.assessments.factories import YEAR, RatingRunFactory, default_scheme
from tests.factories import MemberFactory, Role, UserFactory, grant
from tests.projects.factories import ProjectFactory

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="并发测试需要 PostgreSQL（CI 使用 PostgreSQL）。"),
]

PAUSE = 0.3  # long enough for the other thread to reach the same point
TIMEOUT = 30


def run_together(*calls):
    """Run each call in its own thread with its own connection; return (results, errors) in call order."""
    barrier = threading.Barrier(len(calls), timeout=TIMEOUT)
    results, errors = [None] * len(calls), [None] * len(calls)

    def worker(index, call):
        try:
            barrier.wait()
            results[index] = call()
        except Exception as exc:  # the test inspects what each actor got
            errors[index] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(TIMEOUT)
    assert not any(thread.is_alive() for thread in threads), "并发操作未在时限内结束（疑似死锁）"
    return results, errors


def slowed(function):
    """`function`, pausing after it runs so that a concurrent caller catches up."""

    def wrapper(*args, **kwargs):
        value = function(*args, **kwargs)
        time.sleep(PAUSE)
        return value

    return wrapper


# --- two reviewers, one submitted project ----------------------------------------------------


@pytest.fixture
def second_reviewer_a(organ_a):
    user = UserFactory(username="jiguan_a2", full_name="发改委机关党委干部乙")
    grant(user, Role.ORGAN, organ=organ_a)
    return user


def test_approve_and_return_at_once_one_wins(branch_a, organ_staff_a, second_reviewer_a):
    """Two reviewers of the same 机关党委: one approves while the other returns.

    (A 工委 user may return an approved project at filing, so approve-then-return by the 工委 is two
    legitimate steps, not a race; both actors here are organ reviewers.)
    """
    project = ProjectFactory(branch=branch_a, submitted=True)

    with mock.patch.object(project_services, "require_state", slowed(project_services.require_state)):
        results, errors = run_together(
            lambda: project_services.approve_project(Project.objects.get(pk=project.pk), by=organ_staff_a),
            lambda: project_services.return_project(
                Project.objects.get(pk=project.pk), by=second_reviewer_a, reason="指标不够具体"
            ),
        )

    winners = [r for r in results if r is not None]
    assert len(winners) == 1, f"恰好一人成功，实际结果 {results}，错误 {errors}"
    losers = [e for e in errors if e is not None]
    # Approve losing finds the project returned (IllegalTransition); return losing finds it approved,
    # which only the 工委 may return (PermissionDenied). Either way nothing is written twice.
    assert len(losers) == 1 and isinstance(losers[0], (IllegalTransition, PermissionDenied)), errors
    project.refresh_from_db()
    assert project.status == winners[0].status
    assert project.status in (ProjectStatus.APPROVED, ProjectStatus.RETURNED)
    assert ProjectEvent.objects.filter(project=project).count() == 1


def test_two_approvals_at_once_record_one_event(branch_a, organ_staff_a, gongwei_staff):
    project = ProjectFactory(branch=branch_a, submitted=True)

    with mock.patch.object(project_services, "require_state", slowed(project_services.require_state)):
        results, errors = run_together(
            lambda: project_services.approve_project(Project.objects.get(pk=project.pk), by=organ_staff_a),
            lambda: project_services.approve_project(Project.objects.get(pk=project.pk), by=gongwei_staff),
        )

    assert sum(r is not None for r in results) == 1, (results, errors)
    assert [type(e) for e in errors if e is not None] == [IllegalTransition]
    assert Project.objects.get(pk=project.pk).status == ProjectStatus.APPROVED
    assert list(ProjectEvent.objects.filter(project=project).values_list("to_status", flat=True)) == [
        ProjectStatus.APPROVED
    ]


# --- two rating runs for the same year ---------------------------------------------------------


@pytest.fixture
def after_the_year():
    with time_machine.travel(datetime.datetime(YEAR + 1, 1, 20, 10, 0), tick=True):
        yield


@pytest.mark.parametrize("earlier_draft", [False, True], ids=["first-run", "over-a-draft"])
def test_two_rating_runs_requested_at_once_make_one_run(
    after_the_year, earlier_draft, branch_a, branch_b, gongwei_staff
):
    default_scheme(YEAR, by=gongwei_staff)
    if earlier_draft:
        RatingRunFactory(status=RunStatus.DRAFT, number=1)

    with mock.patch.object(ratings, "scheme_for_year", slowed(ratings.scheme_for_year)):
        results, errors = run_together(
            lambda: ratings.request_run(YEAR, by=gongwei_staff),
            lambda: ratings.request_run(YEAR, by=gongwei_staff),
        )

    assert sum(r is not None for r in results) == 1, (results, errors)
    assert [type(e) for e in errors if e is not None] == [RunConflict]
    run = RatingRun.objects.get(pk=next(r for r in results if r is not None).pk)
    # The winner's job ran (eagerly, after its commit) and produced one result per branch.
    assert run.status == RunStatus.DRAFT
    live = RatingRun.objects.filter(year=YEAR).exclude(status=RunStatus.SUPERSEDED)
    assert list(live) == [run]
    assert (
        RatingResult.objects.filter(run=run).count()
        == RatingResult.objects.filter(run=run).values("branch").distinct().count()
    )
    assert set(RatingResult.objects.filter(run=run).values_list("branch_id", flat=True)) >= {branch_a.pk, branch_b.pk}


# --- two registrars, one branch: the kept figures and filings count both -----------------------------


def test_two_leaders_registered_at_once_are_both_counted(branch_a, gongwei_staff):
    MemberFactory(branch=branch_a, is_leader=True)
    reports.ensure_periods([2025])

    def register(name):
        leader = Member(
            name=name, gender=Gender.MALE, birth_date=datetime.date(1980, 1, 1), organ=branch_a.organ, branch=branch_a,
            joined_on=datetime.date(2005, 7, 1), confirmed_on=datetime.date(2006, 7, 1), is_leader=True,
        )  # fmt: skip
        return services.save_member(leader, by=gongwei_staff)

    # Both members are written before either refresh takes the branch's lock.
    def pause_then_lock(branch_ids):
        time.sleep(PAUSE)
        return lock(branch_ids)

    lock = figures.lock_branches
    with mock.patch.object(figures, "lock_branches", pause_then_lock):
        _, errors = run_together(lambda: register("甲"), lambda: register("乙"))

    assert errors == [None, None]
    mine = Branch.objects.filter(pk=branch_a.pk)
    assert figures.kept(mine) == figures.fresh(mine)
    assert figures.kept(mine)[branch_a.pk]["n_members"] == 3
    assert reports.filing_differences() == []


# --- two meetings recorded at once in two branches of one organ: its completion rollup counts both ---------


def test_two_meetings_in_two_branches_of_one_organ_are_both_counted_in_its_rollup(branch_a, branch_a2, gongwei_staff):
    from tests.branches.test_kept_completion import counted_rollups, kept_rollups

    for branch in (branch_a, branch_a2):
        MemberFactory.create_batch(2, branch=branch)  # someone to meet
    orglife.ensure_requirements(YEAR)  # the year is opened: its completion is kept, and its rollups counted
    day = datetime.date(YEAR, 3, 5)

    def record(branch):
        data = {"kind": MeetingKind.THEME_DAY, "held_on": day, "topic": "主题党日"}
        return meetings.record_meeting(Branch.objects.get(pk=branch.pk), data, by=gongwei_staff)

    # Both branches' kept rows are written before either recounts the organ.
    def pause_then_lock(organs):
        time.sleep(PAUSE)
        return lock(organs)

    lock = kept._lock_organs
    with mock.patch.object(kept, "_lock_organs", pause_then_lock):
        _, errors = run_together(lambda: record(branch_a), lambda: record(branch_a2))

    assert errors == [None, None]
    assert kept_rollups(YEAR) == counted_rollups(YEAR)
    march = OrganCompletion.objects.get(organ=branch_a.organ, year=YEAR, kind=MeetingKind.THEME_DAY, index=3)
    assert march.n_done == 2


# --- a meeting, a training and a move of one member at once: the kept 学时 count both, nobody deadlocks -----


def test_a_meeting_and_a_training_of_one_member_at_once_are_both_counted(
    branch_a, branch_a2, secretary_of_branch_a, gongwei_staff
):
    member = MemberFactory(branch=branch_a)
    today = timezone.localdate()

    def meeting():
        data = {"kind": MeetingKind.LECTURE, "held_on": today, "topic": "党课", "hours": Decimal("2")}
        return meetings.record_meeting(branch_a, data, by=secretary_of_branch_a)

    def training():
        return orglife.record_training(
            [Member.objects.get(pk=member.pk)], held_on=today, title="网络学习", hours=Decimal("3"), by=gongwei_staff,
            today=today,
        )  # fmt: skip

    def move():
        # Locks the member, then the branches it leaves and joins: the order the 学时 writers keep too.
        moved = Member.objects.get(pk=member.pk)
        moved.branch = branch_a2
        return services.save_member(moved, by=gongwei_staff)

    # Both records are written before either refresh takes the member's lock.
    def pause_then_lock(member_ids):
        time.sleep(PAUSE)
        return lock(member_ids)

    lock = hours.lock_members
    with mock.patch.object(hours, "lock_members", pause_then_lock):
        _, errors = run_together(meeting, training, move)

    assert errors == [None, None, None]
    assert hours.of(member, today.year) == (Decimal("2"), Decimal("3"))
    assert hours.differences() == []
    assert figures.kept(Branch.objects.all()) == figures.fresh(Branch.objects.all())
