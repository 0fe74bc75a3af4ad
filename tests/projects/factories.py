"""factory_boy factories for 一支部一项目. Dates sit in the 2026 project year of the tests' world.

`ProjectFactory` makes a draft; pass `status=` with the matching timestamps through the traits
(`submitted`, `approved`, `filed`, `acceptance_requested`, `accepted`) when a test needs a
project further along without walking the workflow.
"""

import datetime
import secrets
from decimal import Decimal

import factory
from django.core.files.base import ContentFile
from django.utils import timezone

from projects.choices import Direction, ProjectStatus, SupervisionKind, TaskStatus
from projects.models import (
    AcceptanceMark,
    AcceptanceReview,
    Evidence,
    Milestone,
    MilestoneProgress,
    Project,
    ProjectEvent,
    ProjectYearConfig,
    RubricCriterion,
    Supervision,
    Target,
    Task,
    Topic,
    TopicList,
)
from tests.factories import BranchFactory, MemberFactory, UserFactory

YEAR = 2026


class ProjectYearConfigFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ProjectYearConfig
        django_get_or_create = ("year",)

    year = YEAR


class RubricCriterionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RubricCriterion

    config = factory.SubFactory(ProjectYearConfigFactory)
    name = factory.Sequence(lambda n: f"评分项{n}")
    max_points = 50
    order = factory.Sequence(int)


class TopicListFactory(factory.django.DjangoModelFactory):
    """A published topic list of an organ, open for filing from March to the end of April."""

    class Meta:
        model = TopicList

    year = YEAR
    organ = factory.SubFactory("tests.factories.OrganFactory")
    opens_on = datetime.date(YEAR, 3, 1)
    closes_on = datetime.date(YEAR, 4, 30)
    published_at = factory.LazyFunction(timezone.now)
    created_by = factory.SubFactory(UserFactory)

    class Params:
        draft = factory.Trait(published_at=None)
        citywide = factory.Trait(organ=None)


class TopicFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Topic

    topic_list = factory.SubFactory(TopicListFactory)
    title = factory.Sequence(lambda n: f"党建引领业务提升课题{n}")
    description = "围绕中心工作破解难题。"
    direction = Direction.DEVELOPMENT


class ProjectFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Project

    branch = factory.SubFactory(BranchFactory)
    year = YEAR
    title = factory.Sequence(lambda n: f"党建项目{n}")
    direction = Direction.DEVELOPMENT
    problem = "审批环节多、办理时间长。"
    goals = "压缩办理时限，提升群众满意度。"
    start_on = datetime.date(YEAR, 3, 1)
    end_on = datetime.date(YEAR, 12, 31)
    responsible = factory.SubFactory(MemberFactory, branch=factory.SelfAttribute("..branch"))
    created_by = factory.SubFactory(UserFactory)
    status = ProjectStatus.DRAFT

    class Params:
        submitted = factory.Trait(status=ProjectStatus.SUBMITTED, submitted_at=factory.LazyFunction(timezone.now))
        approved = factory.Trait(
            status=ProjectStatus.APPROVED,
            submitted_at=factory.LazyFunction(timezone.now),
            approved_at=factory.LazyFunction(timezone.now),
        )
        filed = factory.Trait(
            status=ProjectStatus.FILED,
            submitted_at=factory.LazyFunction(timezone.now),
            approved_at=factory.LazyFunction(timezone.now),
            filed_at=factory.LazyFunction(timezone.now),
        )
        acceptance_requested = factory.Trait(
            status=ProjectStatus.ACCEPTANCE_REQUESTED,
            submitted_at=factory.LazyFunction(timezone.now),
            approved_at=factory.LazyFunction(timezone.now),
            filed_at=factory.LazyFunction(timezone.now),
            acceptance_summary="项目目标全部完成。",
        )
        accepted = factory.Trait(
            status=ProjectStatus.ACCEPTED,
            submitted_at=factory.LazyFunction(timezone.now),
            approved_at=factory.LazyFunction(timezone.now),
            filed_at=factory.LazyFunction(timezone.now),
            accepted_at=factory.LazyFunction(timezone.now),
            published_at=factory.LazyFunction(timezone.now),
            acceptance_summary="项目目标全部完成。",
            score=Decimal("85.00"),
            grade="good",
        )


class ProjectEventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ProjectEvent

    project = factory.SubFactory(ProjectFactory)
    actor = factory.SubFactory(UserFactory)
    action = "提交审核"
    from_status = ProjectStatus.DRAFT
    to_status = ProjectStatus.SUBMITTED


class TargetFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Target

    project = factory.SubFactory(ProjectFactory)
    name = factory.Sequence(lambda n: f"办理时限压缩{n}")
    unit = "%"
    target_value = Decimal("30")


class MilestoneFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Milestone

    project = factory.SubFactory(ProjectFactory)
    title = factory.Sequence(lambda n: f"节点{n}")
    planned_on = datetime.date(YEAR, 6, 30)
    weight = 1


class MilestoneProgressFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = MilestoneProgress

    milestone = factory.SubFactory(MilestoneFactory)
    text = "按计划推进。"
    percent = 50
    filed_by = factory.SubFactory(UserFactory)


class EvidenceFactory(factory.django.DjangoModelFactory):
    """A stored PNG-looking file; the content is not checked here (that is the upload's job)."""

    class Meta:
        model = Evidence

    project = factory.SubFactory(ProjectFactory)
    token = factory.LazyFunction(lambda: secrets.token_hex(20))
    file = factory.LazyFunction(lambda: ContentFile(b"\x89PNG\r\n\x1a\n" + b"\0" * 16, name="evidence.png"))
    original_name = "现场照片.png"
    content_type = "image/png"
    size = 24
    sha256 = "0" * 64
    uploaded_by = factory.SubFactory(UserFactory)


class TaskFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Task
        skip_postgeneration_save = True

    project = factory.SubFactory(ProjectFactory)
    title = factory.Sequence(lambda n: f"任务{n}")
    due_on = datetime.date(YEAR, 9, 30)
    status = TaskStatus.TODO

    @factory.post_generation
    def assignees(self, create, extracted, **kwargs):
        if create and extracted:
            self.assignees.set(extracted)


class SupervisionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Supervision

    project = factory.SubFactory(ProjectFactory)
    kind = SupervisionKind.NOTE
    text = "请加快推进进度。"
    author = factory.SubFactory(UserFactory)

    class Params:
        duban = factory.Trait(kind=SupervisionKind.DUBAN, answer_due_on=datetime.date(YEAR, 11, 30))


class AcceptanceReviewFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AcceptanceReview

    project = factory.SubFactory(ProjectFactory, acceptance_requested=True)
    reviewer = factory.SubFactory(UserFactory)
    total = Decimal("85.00")


class AcceptanceMarkFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AcceptanceMark

    review = factory.SubFactory(AcceptanceReviewFactory)
    criterion = factory.SubFactory(RubricCriterionFactory)
    points = Decimal("40")


__all__ = [
    "YEAR",
    "AcceptanceMarkFactory",
    "AcceptanceReviewFactory",
    "EvidenceFactory",
    "MilestoneFactory",
    "MilestoneProgressFactory",
    "ProjectEventFactory",
    "ProjectFactory",
    "ProjectYearConfigFactory",
    "RubricCriterionFactory",
    "SupervisionFactory",
    "TargetFactory",
    "TaskFactory",
    "TopicFactory",
    "TopicListFactory",
]
