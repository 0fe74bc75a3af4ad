"""A small city for the dashboards: branches with a committee, a leader, meetings, a project,
problems, a 一岗双责 report and a result in the published 2026 rating run.

Today in this world is 2026-11-22: the first half-year's reports are due, Q1–Q3 are over.
"""

import datetime
from decimal import Decimal

import pytest

from assessments import reports
from assessments.choices import ProblemSource, ProblemStatus, ReportStatus, RunStatus, Tier
from assessments.models import DutyReport, Problem
from branches import kept, orglife
from branches.choices import CommitteePost, MeetingKind
from branches.models import Meeting
from projects.choices import Direction, Grade
from tests.assessments.factories import RatingResultFactory, RatingRunFactory, keep_filing
from tests.factories import (
    BranchFactory,
    CommitteeMemberFactory,
    CommitteeTermFactory,
    MemberFactory,
    PartyGroupFactory,
    UserFactory,
    keep_figures,
)
from tests.projects.factories import MilestoneFactory, ProjectFactory

TODAY = datetime.date(2026, 11, 22)
YEAR = 2026


@pytest.fixture(autouse=True)
def frozen_today(time_machine):
    time_machine.move_to(datetime.datetime(2026, 11, 22, 10, 0, tzinfo=datetime.timezone(datetime.timedelta(hours=8))))


@pytest.fixture
def recorder(db):
    return UserFactory(username="recorder")


@pytest.fixture
def published_run(db):
    return RatingRunFactory(year=YEAR, status=RunStatus.PUBLISHED, number=1, created_by=UserFactory())


# Per branch, in turn: (stars, previous stars, tier, bottom), project status trait, direction, grade.
RESULTS = [
    (5, 4, Tier.ADVANCED, False),
    (4, 4, Tier.ADVANCED, False),
    (3, 4, Tier.GOOD, False),
    (2, None, Tier.ORDINARY, False),
    (0, 1, Tier.BACKWARD, True),
]
PROJECTS = [
    ({"filed": True}, Direction.DEVELOPMENT, ""),
    ({"accepted": True}, Direction.PARTY_BUILDING, Grade.EXCELLENT),
    ({"accepted": True}, Direction.BUSINESS_ENV, Grade.GOOD),
    ({}, Direction.UPGRADE, ""),
    ({"submitted": True}, Direction.DEVELOPMENT, ""),
]


def populate(organ, n_branches: int, *, run=None, recorder=None, start: int = 0) -> list:
    """`n_branches` branches of `organ`, each with a different mix of everything the dashboard counts."""
    recorder = recorder or UserFactory()
    # The year is open, as the yearly job leaves it.
    orglife.ensure_requirements(YEAR)
    h1 = reports.ensure_periods([YEAR])[0]
    made = []
    for i in range(start, start + n_branches):
        branch = BranchFactory(organ=organ)
        group = PartyGroupFactory(branch=branch)
        members = MemberFactory.create_batch(3, branch=branch, party_group=group)
        leader = members[0]
        leader.is_leader = True
        leader.save()
        keep_figures([branch.pk])
        # Every third branch lets its committee's term run out (a warning); the others are in office.
        term = CommitteeTermFactory(branch=branch, elected_on=datetime.date(2022 if i % 3 == 2 else 2025, 6, 15))
        for member, post in zip(
            members, [CommitteePost.SECRETARY, CommitteePost.ORGANISATION, CommitteePost.PUBLICITY], strict=True
        ):
            CommitteeMemberFactory(term=term, member=member, post=post)
        if i % 2 == 0:
            for month in (2, 5, 8):
                Meeting.objects.create(
                    branch=branch, kind=MeetingKind.GENERAL, held_on=datetime.date(YEAR, month, 10), topic="党员大会",
                    recorded_by=recorder,
                )  # fmt: skip
        Meeting.objects.create(
            branch=branch, kind=MeetingKind.THEME_DAY, held_on=datetime.date(YEAR, 3, 5), topic="主题党日",
            recorded_by=recorder,
        )  # fmt: skip
        traits, direction, grade = PROJECTS[i % len(PROJECTS)]
        project = ProjectFactory(branch=branch, responsible=leader, direction=direction, **traits)
        if grade:
            project.grade = grade
            project.save()
        if traits.get("filed"):
            MilestoneFactory(project=project, planned_on=datetime.date(YEAR, 6, 30))
        Problem.objects.create(
            branch=branch, source=ProblemSource.SUPERVISION, title="台账不全", responsible=leader, measures="补齐",
            deadline=datetime.date(YEAR, 9 if i % 2 else 12, 30), created_by=recorder,
        )  # fmt: skip
        if i % 3 == 0:
            Problem.objects.create(
                branch=branch, source=ProblemSource.SELF, title="已整改", responsible=leader, measures="整改",
                deadline=datetime.date(YEAR, 5, 1), status=ProblemStatus.VERIFIED, closing_note="已完成",
                verified_by=recorder, created_by=recorder,
            )  # fmt: skip
        if i % 4 != 3:
            status = [ReportStatus.SUBMITTED, ReportStatus.ACCEPTED, ReportStatus.RETURNED][i % 4]
            keep_filing(DutyReport.objects.create(
                member=leader, period=h1, business_work="业务", party_work="党建", problems="问题", next_steps="措施",
                status=status, submitted_at=datetime.datetime(YEAR, 7, 1 + i % 20, tzinfo=datetime.UTC),
                is_late=i % 2 == 1,
            ))  # fmt: skip
        if run is not None:
            stars, previous, tier, bottom = RESULTS[i % len(RESULTS)]
            RatingResultFactory(
                run=run, branch=branch, stars=stars, stars_by_score=stars, previous_stars=previous, tier=tier,
                is_bottom=bottom, rank=100 + i, total=Decimal(60 + stars * 7),
            )  # fmt: skip
        made.append(branch)
    # The meetings above are written past the service that keeps completion: keep it as the service would.
    kept.refresh(made, [YEAR])
    return made
