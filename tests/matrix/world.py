"""The world of the permission matrix: one record of each kind, in branch_a (organ_a) unless said
otherwise, so that every URL keyword argument of the portal has a value to point at.

`build_world` returns the records by name; `URL_ARGS` in the matrix names which record (or
value) fills each URL's keyword arguments.
"""

import datetime
import secrets
from decimal import Decimal

from django.core.files.base import ContentFile
from django.utils import timezone

from accounts.models import Role, RoleAssignment, RoleChange
from assessments import reports
from assessments.choices import (
    AppraisalStatus,
    JobStatus,
    PointEntryStatus,
    ProblemSource,
    ProblemStatus,
    ReportStatus,
    RunStatus,
    SecretaryReportStatus,
)
from assessments.models import (
    Adjustment,
    Appraisal,
    DutyReport,
    PointEntry,
    PointRule,
    Problem,
    ScorecardExport,
    SecretaryReport,
    SecretaryReportAttachment,
)
from branches.models import (
    Meeting,
    MeetingAttachment,
    MeetingRequirement,
    OrganisationRules,
    RequirementExemption,
    TrainingRecord,
)
from notifications.models import Notification
from projects.choices import SupervisionKind
from projects.models import ExpertAssignment
from tests.assessments.factories import RatingResultFactory, RatingRunFactory, default_scheme, keep_filing
from tests.factories import CommitteeTermFactory, MemberFactory, PartyGroupFactory
from tests.projects.factories import (
    EvidenceFactory,
    MilestoneFactory,
    ProjectFactory,
    ProjectYearConfigFactory,
    SupervisionFactory,
    TaskFactory,
    TopicFactory,
    TopicListFactory,
)

# Assessments look back on last year; projects run in this year.
NOW = datetime.datetime(2026, 3, 2, 9, 0, tzinfo=datetime.UTC)
ASSESSMENT_YEAR = 2025
PROJECT_YEAR = 2026

PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 16


def _stored(model, *, by, **owner):
    token = secrets.token_hex(16)
    return model.objects.create(
        token=token,
        file=ContentFile(PNG, name=token),
        original_name="照片.png",
        content_type="image/png",
        size=len(PNG),
        sha256="0" * 64,
        uploaded_by=by,
        **owner,
    )


def build_world(people: dict, branch_a, branch_b) -> dict:
    secretary, organ, gongwei = people["secretary"], people["organ"], people["gongwei"]
    member = people["member"].member
    leader = MemberFactory(branch=branch_a, name="王处长", is_leader=True, post="处长")

    # branches
    term = CommitteeTermFactory(branch=branch_a)
    group = PartyGroupFactory(branch=branch_a)
    org_rules = OrganisationRules.objects.create(year=PROJECT_YEAR)
    meeting = Meeting.objects.create(
        branch=branch_a, kind="committee", held_on=datetime.date(2026, 2, 10), topic="支委会", recorded_by=secretary
    )
    meeting_file = _stored(MeetingAttachment, by=secretary, meeting=meeting)
    requirement = MeetingRequirement.objects.create(year=PROJECT_YEAR, kind="committee", period="month")
    exemption = RequirementExemption.objects.create(
        branch=branch_a,
        starts_on=datetime.date(2026, 1, 1),
        ends_on=datetime.date(2026, 1, 31),
        reason="新成立",
        granted_by=organ,
    )
    training = TrainingRecord.objects.create(
        member=member, held_on=datetime.date(2026, 2, 1), title="网上学习", hours=Decimal("2"), recorded_by=secretary
    )

    # projects
    ProjectYearConfigFactory(year=PROJECT_YEAR)
    topic_list = TopicListFactory(organ=branch_a.organ, year=PROJECT_YEAR, created_by=organ)
    topic = TopicFactory(topic_list=topic_list)
    project = ProjectFactory(branch=branch_a, year=PROJECT_YEAR, responsible=leader, created_by=secretary, filed=True)
    milestone = MilestoneFactory(project=project)
    evidence = EvidenceFactory(project=project, uploaded_by=secretary)
    task = TaskFactory(project=project, assignees=[member])
    duban = SupervisionFactory(project=project, kind=SupervisionKind.DUBAN, author=organ, duban=True)
    # The 评审专家 sits on the project's panel: it sees this project, and nothing else of the branch.
    expert_seat = ExpertAssignment.objects.create(project=project, expert=people["expert"], assigned_by=gongwei)

    # assessments
    period = reports.ensure_periods([ASSESSMENT_YEAR])[0]
    texts = dict.fromkeys(reports.TEXT_FIELDS, "内容")
    report = keep_filing(
        DutyReport.objects.create(
            member=leader, period=period, status=ReportStatus.SUBMITTED, submitted_at=timezone.now(), **texts
        )
    )
    problem = Problem.objects.create(
        branch=branch_a,
        source=ProblemSource.SUPERVISION,
        title="学习记录不完整",
        responsible=leader,
        measures="补齐记录",
        deadline=datetime.date(2026, 6, 30),
        status=ProblemStatus.DONE,
        closing_note="已补齐",
        closed_at=timezone.now(),
        created_by=organ,
    )
    scheme = default_scheme(ASSESSMENT_YEAR, by=gongwei)
    dimension = scheme.dimensions.first()
    indicator = scheme.indicators.first()
    item = scheme.adjustment_items.first()
    published = RatingRunFactory(year=ASSESSMENT_YEAR, number=1, scheme=scheme, status=RunStatus.PUBLISHED)
    result = RatingResultFactory(run=published, branch=branch_a)
    RatingResultFactory(run=published, branch=branch_b, rank=2)
    # A finished export, so that its download answers 200 to the one who asked for it.
    export = ScorecardExport.objects.create(
        run=published,
        organ=branch_a.organ,
        requested_by=organ,
        token="t" * 32,
        status=JobStatus.DONE,
        progress=100,
        finished_at=timezone.now(),
    )
    export.file.save("scorecards.xlsx", ContentFile(b"PK\x03\x04"), save=True)
    appraisal = Appraisal.objects.create(
        branch=branch_a,
        year=ASSESSMENT_YEAR,
        status=AppraisalStatus.FINALIZED,
        held_on=datetime.date(2026, 1, 10),
        finalized_at=timezone.now(),
    )
    point_rule = PointRule.objects.create(year=ASSESSMENT_YEAR, name="参加志愿服务", points=Decimal("2"))
    point_entry = PointEntry.objects.create(
        member=member,
        rule=point_rule,
        year=ASSESSMENT_YEAR,
        points=Decimal("2"),
        occurred_on=datetime.date(ASSESSMENT_YEAR, 5, 1),
        note="社区服务",
        added_by=secretary,
        status=PointEntryStatus.PENDING,
    )
    secretary_report = SecretaryReport.objects.create(
        branch=branch_a,
        year=ASSESSMENT_YEAR,
        secretary=leader,
        text="述职内容",
        status=SecretaryReportStatus.SUBMITTED,
        submitted_at=timezone.now(),
        created_by=secretary,
    )
    secretary_file = _stored(SecretaryReportAttachment, by=secretary, report=secretary_report)
    adjustment = Adjustment.objects.create(
        branch=branch_a,
        year=ASSESSMENT_YEAR,
        kind="bonus",
        name="表彰",
        points=Decimal("1"),
        note="n",
        created_by=organ,
    )

    # accounts and notifications: the member's account and the secretary's role
    secretary_role = RoleAssignment.objects.get(user=secretary)
    # The member's account was once a 评审专家: its role history has a grant and a revocation.
    for action in (RoleChange.Action.GRANT, RoleChange.Action.REVOKE):
        RoleChange.objects.create(
            user=people["member"], action=action, role=Role.EXPERT, scope="分配给本人的验收项目", by=gongwei
        )
    notification = Notification.objects.create(recipient=people["member"], title="请更新任务进度")

    return {
        "member_user": people["member"],
        "leader": leader,
        "secretary_role": secretary_role,
        "branch": branch_a,
        "organ": branch_a.organ,
        "term": term,
        "group": group,
        "member": member,
        "org_rules": org_rules,
        "meeting": meeting,
        "meeting_file": meeting_file,
        "requirement": requirement,
        "exemption": exemption,
        "training": training,
        "topic_list": topic_list,
        "topic": topic,
        "project": project,
        "milestone": milestone,
        "evidence": evidence,
        "task": task,
        "duban": duban,
        "expert_seat": expert_seat,
        "period": period,
        "report": report,
        "problem": problem,
        "scheme": scheme,
        "dimension": dimension,
        "indicator": indicator,
        "item": item,
        "run": published,
        "result": result,
        "export": export,
        "appraisal": appraisal,
        "point_rule": point_rule,
        "point_entry": point_entry,
        "secretary_report": secretary_report,
        "secretary_file": secretary_file,
        "adjustment": adjustment,
        "notification": notification,
    }
