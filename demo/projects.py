"""Demo 一支部一项目 data for `seed_demo`: topic lists, projects in every stage, tasks, supervision and scores.

`plan_projects` draws everything from the seed into unsaved instances, reading nothing from the database, so
the same organisation, seed and day give the same projects; `write_projects` stores a plan with bulk inserts
with the workflow notices the demo accounts would have received, then runs the day's milestone reminders, so
the demo accounts' bells have something to show.

Every branch with a secretary and every organ gets an account (without a password: nobody can log in with
it) so that projects have a filer, reviews a reviewer and reminders a recipient, as in a real deployment.
"""

import datetime
import hashlib
import itertools
import random
import secrets
import struct
import zlib
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.core.files.base import ContentFile
from django.core.management.base import CommandError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role, RoleAssignment
from accounts.services import record_grants
from branches.choices import CommitteePost, MemberStatus
from branches.models import Branch, Member, Organ
from demo.organisation import DANGYUAN, GONGWEI, JIGUAN, SHUJI, DemoPlan
from notifications.models import Notification
from projects.acceptance import Scored, assign_grades, average_score
from projects.choices import Direction, ProjectStatus, SupervisionKind, TaskStatus
from projects.models import (
    AcceptanceMark,
    AcceptanceReview,
    Evidence,
    ExpertAssignment,
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
from projects.reminders import run_milestone_reminders
from projects.services import ensure_config

BATCH_SIZE = 2000
SEED_OFFSET = 3  # the organisation uses the seed itself; projects draw from their own stream

S = ProjectStatus
# Shares of the projects in each stage; the rest of a branch's year is spread from these.
STAGE_SHARES = [
    (S.DRAFT, 0.05),
    (S.SUBMITTED, 0.07),
    (S.RETURNED, 0.04),
    (S.APPROVED, 0.05),
    (S.FILED, 0.45),
    (S.ACCEPTANCE_REQUESTED, 0.12),
    (S.ACCEPTED, 0.22),
]
# The demo organ's other branches show its 机关党委 account every queue first, in this order.
DEMO_ORGAN_STAGES = [S.SUBMITTED, S.ACCEPTANCE_REQUESTED, S.APPROVED, S.ACCEPTED, S.SUBMITTED, S.FILED]
STAGE_ORDER = [S.DRAFT, S.SUBMITTED, S.APPROVED, S.FILED, S.ACCEPTANCE_REQUESTED, S.ACCEPTED]
NO_PROJECT_SHARE = 0.04
SECOND_PROJECT_SHARE = 0.15
SECRETARY_PROJECT_SHARE = 0.35
SELF_PROPOSED_SHARE = 0.15
RESUBMITTED_SHARE = 0.15
MILESTONE_LATE_SHARE = 0.12
NOTE_SHARE = 0.5
DUBAN_SHARE = 0.35
DUBAN_ANSWERED_SHARE = 0.6
TOP_TEN_DEMO = 6
# The demo secretary's project, in days from today: two done, one overdue past escalation, one due soon, one ahead
# (the project runs at least 30 days past today).
DEMO_MILESTONE_DAYS = [-120, -60, -12, 2, 18]
# Its tasks for the demo member: one done, one under way, one not started.
DEMO_TASKS = [(-20, TaskStatus.DONE), (5, TaskStatus.DOING), (12, TaskStatus.TODO)]
ORGAN_TOPIC_LISTS = 3
REVIEWERS = [("pingshen1", "评审专家甲"), ("pingshen2", "评审专家乙"), ("pingshen3", "评审专家丙")]
EVIDENCE_FILES = 2

# --- Text --------------------------------------------------------------------------------------

TOPICS = {
    Direction.PARTY_BUILDING: [
        ("模范机关创建", "以创建让党中央放心、让人民群众满意的模范机关为目标，推动支部标准化规范化建设。"),
        ("党员教育管理提质", "创新“三会一课”形式，提升党员学习教育实效。"),
        ("清廉机关建设", "聚焦岗位廉政风险，完善内控机制，营造风清气正的机关氛围。"),
        ("党建品牌培育", "总结提炼支部特色做法，打造可复制、可推广的支部党建品牌。"),
    ],
    Direction.DEVELOPMENT: [
        ("重大项目攻坚", "围绕全市重大项目建设，组建党员突击队破解堵点难点。"),
        ("产业链党建", "推动产业链上下游党组织联建，服务徐工等龙头企业及配套企业。"),
        ("淮海经济区中心城市建设", "围绕区域中心城市建设任务，党员领办重点工作。"),
        ("乡村振兴助力", "结对帮扶乡村，推动资源下沉、人才下乡。"),
    ],
    Direction.BUSINESS_ENV: [
        ("政务服务“一件事”改革", "推动高频事项集成办理，压缩办理时限、减少跑动次数。"),
        ("助企纾困直通车", "党员干部挂钩联系企业，现场解决企业急难愁盼。"),
        ("审批提速增效", "梳理审批流程，推行容缺受理、告知承诺。"),
        ("诉求快速响应", "建立企业诉求受理、转办、反馈闭环机制。"),
    ],
    Direction.UPGRADE: [
        ("数字化转型赋能", "以数字化手段改造业务流程，提升工作效率与质量。"),
        ("业务标准化建设", "制定完善岗位工作标准和操作规程，提升业务规范化水平。"),
        ("干部能力提升", "开展业务练兵、岗位比武，锻造高素质专业化干部队伍。"),
        ("基层服务延伸", "推动服务向基层一线延伸，打通服务群众“最后一公里”。"),
    ],
}

SLOGANS = [
    "红色引擎", "先锋领航", "党建红·服务暖", "一线攻坚", "初心护航", "支部强·业务兴", "党员先锋岗",
    "红旗飘在一线", "双融双促", "领头雁", "红色代办", "党群连心", "匠心先锋", "争先创优",
]  # fmt: skip

PROJECT_CORES = {
    Direction.PARTY_BUILDING: [
        "“三会一课”质效提升行动", "支部标准化规范化建设", "党员积分管理全覆盖", "清廉机关示范点创建",
        "青年理论学习小组建设", "“一支部一品牌”培育工程",
    ],
    Direction.DEVELOPMENT: [
        "重大项目审批服务专班", "产业链党建联盟共建", "重点项目攻坚突击队", "“链长制”服务保障行动",
        "乡村振兴结对共建", "招商引资项目全程帮办",
    ],
    Direction.BUSINESS_ENV: [
        "企业开办“一件事”集成改革", "助企服务专员进企业", "“不见面审批”提速工程", "企业诉求“马上办”机制",
        "惠企政策“免申即享”", "政务服务“帮办代办”",
    ],
    Direction.UPGRADE: [
        "业务流程数字化再造", "岗位练兵比武提升", "窗口服务标准化建设", "档案管理数字化转型",
        "执法规范化提升行动", "“智慧办公”应用推广",
    ],
}  # fmt: skip

PROBLEMS = {
    Direction.PARTY_BUILDING: "支部活动与业务工作结合不紧，党员参与积极性不高，组织生活形式较为单一。",
    Direction.DEVELOPMENT: "重点项目推进中审批环节多、协调难度大，部分项目进度滞后于年度计划。",
    Direction.BUSINESS_ENV: "企业和群众办事材料多、环节多、跑动多，政策知晓率和兑现效率有待提高。",
    Direction.UPGRADE: "业务流程依赖纸质流转，标准不统一，办理效率和质量有待提升。",
}

GOALS = {
    Direction.PARTY_BUILDING: "组织生活规范率达到 100%，党员参与率明显提高，形成一项支部特色工作法。",
    Direction.DEVELOPMENT: "年度重点项目按期推进，关键审批环节时限压缩三分之一以上。",
    Direction.BUSINESS_ENV: "办理时限压缩 50% 以上，企业满意度达到 95% 以上。",
    Direction.UPGRADE: "主要业务实现线上办理，形成一套可复制推广的标准规范。",
}

PERCENT = "%"
TARGETS = {
    Direction.PARTY_BUILDING: [
        ("组织生活规范开展率", "%", 90, 100), ("党员参与活动人次", "人次", 200, 600),
        ("形成特色工作法", "项", 1, 3), ("开展主题党日活动", "次", 10, 16),
    ],
    Direction.DEVELOPMENT: [
        ("服务重点项目数", "个", 5, 30), ("协调解决问题数", "件", 20, 80),
        ("审批时限压缩比例", "%", 30, 60), ("结对帮扶村（社区）数", "个", 2, 8),
    ],
    Direction.BUSINESS_ENV: [
        ("走访服务企业数", "家", 50, 300), ("办理时限压缩比例", "%", 40, 70),
        ("企业满意度", "%", 90, 98), ("解决企业诉求数", "件", 30, 150),
    ],
    Direction.UPGRADE: [
        ("线上办理事项占比", "%", 60, 95), ("修订工作标准", "项", 3, 12),
        ("开展业务培训", "场", 4, 12), ("差错率下降比例", "%", 20, 50),
    ],
}  # fmt: skip

MILESTONES = [
    "制定实施方案并动员部署", "开展调研摸清底数", "建立工作机制和台账", "集中攻坚推进",
    "中期评估和问题整改", "总结提炼经验做法", "成果验收准备",
]  # fmt: skip

TASKS = [
    "起草项目实施方案", "走访服务对象并建立台账", "梳理业务流程清单", "组织专题学习研讨", "编写典型案例",
    "收集整理佐证材料", "开展满意度回访", "制作宣传展板", "撰写阶段工作小结", "对接相关部门协调问题",
]  # fmt: skip

RETURN_REASONS = [
    "项目指标不够具体，请补充可量化的目标值。",
    "节点安排过于集中在年底，请合理分解到各季度。",
    "与业务工作结合不够紧密，请进一步聚焦本单位中心工作。",
    "负责支委分工不明确，请细化责任到人。",
]

PROGRESS_TEXTS = [
    "已按计划完成，相关材料已归档。", "组织支部党员集中攻坚，完成阶段目标。",
    "召开支委会专题研究，推动工作落实。", "对接服务对象，收集意见建议并整改。",
]  # fmt: skip
PARTIAL_TEXTS = ["正在推进中，已完成主要工作量。", "受协调事项影响进度滞后，正在加紧推进。"]
NOTES = [
    "节点进度滞后，请分析原因、制定措施，尽快赶上进度。",
    "佐证材料不够完整，请补充过程性材料。",
    "工作推进扎实，请注意总结提炼经验做法。",
]
DUBANS = [
    "项目节点已逾期，请于期限内书面说明原因及整改措施。",
    "请说明任务分解落实情况，明确责任人和完成时限。",
]
DUBAN_ANSWERS = [
    "已召开支委会分析原因，调整力量集中攻坚，预计两周内完成该节点。",
    "已细化任务分工并落实到人，相关进度已在系统中更新。",
]
REVIEW_COMMENTS = [
    "项目紧扣中心工作，成效明显，建议总结推广。",
    "目标完成较好，创新性有待加强。",
    "做法务实，佐证材料齐全。",
    "党建与业务融合度高，群众获得感强。",
]

# --- Small helpers -------------------------------------------------------------------------------


def _at(day: datetime.date, rng: random.Random) -> datetime.datetime:
    """A moment in office hours on `day`, in the portal's time zone."""
    moment = datetime.datetime.combine(day, datetime.time(rng.randint(8, 17), rng.randint(0, 59)))
    return timezone.make_aware(moment)


def _days(n: int) -> datetime.timedelta:
    return datetime.timedelta(days=n)


def tiny_png(width: int = 24, height: int = 16, rgb: tuple[int, int, int] = (181, 18, 27)) -> bytes:
    """A valid PNG of one colour, made without an imaging library."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    row = b"\x00" + bytes(rgb) * width
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(row * height))
        + chunk(b"IEND", b"")
    )


# --- The plan ------------------------------------------------------------------------------------


@dataclass
class _Branch:
    """A branch with its people, as the planner sees it."""

    branch: Branch
    organ_index: int
    members: list[Member]
    committee: list[Member]
    secretary: Member | None
    user: object | None = None


@dataclass
class _Message:
    """A workflow notice a demo account would have received, keyed as the workflow keys its own."""

    recipient: object
    title: str
    body: str
    moment: datetime.datetime
    read: bool
    project: Project
    event: ProjectEvent | None = None
    key_suffix: str = ""
    to_tasks: bool = False

    def notification(self) -> Notification:
        if self.event is not None:
            key = f"project:{self.project.pk}:event:{self.event.pk}"
        else:
            key = f"project:{self.project.pk}:{self.key_suffix}" if self.key_suffix else ""
        url = reverse("projects:my_tasks") if self.to_tasks else self.project.get_absolute_url()
        read_at = self.moment + datetime.timedelta(hours=2) if self.read else None
        return Notification(
            recipient=self.recipient, title=self.title, body=self.body, url=url, key=key, read_at=read_at
        )


@dataclass
class ProjectPlan:
    """Unsaved instances in insertion order, with the moments bulk inserts would otherwise overwrite."""

    today: datetime.date
    users: list = field(default_factory=list)
    roles: list[RoleAssignment] = field(default_factory=list)
    linked_members: list[Member] = field(default_factory=list)
    topic_lists: list[TopicList] = field(default_factory=list)
    topics: list[Topic] = field(default_factory=list)
    projects: list[Project] = field(default_factory=list)
    created_at: list[datetime.datetime] = field(default_factory=list)
    events: list[tuple[ProjectEvent, datetime.datetime]] = field(default_factory=list)
    targets: list[Target] = field(default_factory=list)
    milestones: list[Milestone] = field(default_factory=list)
    reports: list[tuple[MilestoneProgress, datetime.datetime]] = field(default_factory=list)
    tasks: list[Task] = field(default_factory=list)
    assignees: list[tuple[Task, Member]] = field(default_factory=list)
    supervisions: list[tuple[Supervision, datetime.datetime]] = field(default_factory=list)
    reviews: list[tuple[AcceptanceReview, datetime.datetime]] = field(default_factory=list)
    expert_seats: list[tuple[ExpertAssignment, datetime.datetime]] = field(default_factory=list)
    marks: list[AcceptanceMark] = field(default_factory=list)
    evidence_reports: list[MilestoneProgress] = field(default_factory=list)
    messages: list[_Message] = field(default_factory=list)
    demo_project: Project | None = None
    reminders: dict[str, int] = field(default_factory=dict)

    def count(self, status: str) -> int:
        return sum(1 for p in self.projects if p.status == status)


class _Planner:
    def __init__(self, org: DemoPlan, *, seed: int, today: datetime.date, config, criteria, demo_users: dict):
        self.rng = random.Random(seed * 7919 + SEED_OFFSET)
        self.org = org
        self.today = today
        self.year = today.year
        self.config = config
        self.criteria = list(criteria)
        self.demo = demo_users
        self.plan = ProjectPlan(today=today)
        self.opens_on = today - _days(290)
        self.closes_on = today - _days(235)
        self.organ_users: list = []
        self.reviewers: list = []
        self.lists_by_organ: dict[int, TopicList] = {}
        self.topics_by_list: dict[int, list[Topic]] = {}

    def build(self) -> ProjectPlan:
        branches = self._branches()
        self._plan_accounts(branches)
        self._plan_topic_lists()
        for item, stage, is_secretary in self._assignments(branches):
            self._plan_project(item, stage, is_secretary)
        self._grade()
        return self.plan

    # People -------------------------------------------------------------------------------

    def _branches(self) -> list[_Branch]:
        organ_index = {id(o): i for i, o in enumerate(self.org.organs)}
        members: dict[int, list[Member]] = {}
        for member in self.org.members:
            members.setdefault(id(member.branch), []).append(member)
        latest: dict[int, datetime.date] = {}
        for term in self.org.terms:
            key = id(term.branch)
            latest[key] = max(latest.get(key, term.elected_on), term.elected_on)
        seats: dict[int, list] = {}
        for seat in self.org.seats:
            if seat.term.elected_on == latest[id(seat.term.branch)]:
                seats.setdefault(id(seat.term.branch), []).append(seat)
        result = []
        for branch in self.org.active_branches:
            current = seats.get(id(branch), [])
            secretary = next((s.member for s in current if s.post == CommitteePost.SECRETARY), None)
            result.append(
                _Branch(
                    branch=branch,
                    organ_index=organ_index[id(branch.organ)],
                    members=members.get(id(branch), []),
                    committee=[s.member for s in current],
                    secretary=secretary,
                )
            )
        return result

    def _plan_accounts(self, branches: list[_Branch]) -> None:
        User = get_user_model()
        for i, organ in enumerate(self.org.organs):
            if i == 0:
                self.organ_users.append(self.demo[JIGUAN])
                continue
            user = User(username=f"jiguan{i:03d}", full_name=f"{organ.short_name or organ.name}党务干部")
            self._add_user(user, RoleAssignment(user=user, role=Role.ORGAN, organ=organ))
            self.organ_users.append(user)
        for username, full_name in REVIEWERS:
            user = User(username=username, full_name=full_name)
            self._add_user(user, RoleAssignment(user=user, role=Role.EXPERT))
            self.reviewers.append(user)
        for n, item in enumerate(branches, start=1):
            if item.branch is self.org.demo_branch:
                item.user = self.demo[SHUJI]
            elif item.secretary is not None:
                user = User(username=f"shuji{n:04d}", full_name=item.secretary.name)
                self._add_user(user, RoleAssignment(user=user, role=Role.BRANCH, branch=item.branch))
                item.secretary.user = user
                self.plan.linked_members.append(item.secretary)
                item.user = user

    def _add_user(self, user, role: RoleAssignment) -> None:
        # Unusable: these accounts exist to receive reminders and sign records, not to log in.
        user.password = make_password(None)
        self.plan.users.append(user)
        self.plan.roles.append(role)

    # Topics -------------------------------------------------------------------------------

    def _plan_topic_lists(self) -> None:
        citywide = self._topic_list(None, self.demo[GONGWEI], per_direction=2)
        self.lists_by_organ[-1] = citywide
        for i, organ in enumerate(self.org.organs[:ORGAN_TOPIC_LISTS]):
            topic_list = self._topic_list(organ, self.organ_users[i], per_direction=1)
            if i == 0:
                # Some of the demo organ's branches were sent back late: it reopened filing for them.
                topic_list.reopened_until = self.today + _days(14)
                topic_list.reopen_reason = "部分支部项目退回修改，开放补报"
            self.lists_by_organ[i] = topic_list

    def _topic_list(self, organ: Organ | None, author, per_direction: int) -> TopicList:
        topic_list = TopicList(
            year=self.year,
            organ=organ,
            opens_on=self.opens_on,
            closes_on=self.closes_on,
            published_at=_at(self.opens_on - _days(7), self.rng),
            created_by=author,
        )
        self.plan.topic_lists.append(topic_list)
        topics = []
        for direction, pool in TOPICS.items():
            for title, text in self.rng.sample(pool, per_direction):
                prefix = f"{organ.short_name or organ.name}：" if organ else ""
                topics.append(
                    Topic(topic_list=topic_list, title=f"{prefix}{title}", description=text, direction=direction)
                )
        self.plan.topics.extend(topics)
        self.topics_by_list[id(topic_list)] = topics
        return topic_list

    # Which branch files what --------------------------------------------------------------

    def _assignments(self, branches: list[_Branch]) -> list[tuple[_Branch, str, bool]]:
        """(branch, stage, 书记项目) for every project; a few branches file nothing and are warned about."""
        slots: list[tuple[_Branch, bool]] = []
        demo_slots: list[tuple[_Branch, str, bool]] = []
        forced = iter(DEMO_ORGAN_STAGES)
        fixed: list[tuple[_Branch, str, bool]] = []
        for item in branches:
            if item.user is None:
                continue
            if item.branch is self.org.demo_branch:
                demo_slots = [(item, S.FILED, True), (item, S.RETURNED, False)]
                continue
            if self.rng.random() < NO_PROJECT_SHARE:
                continue
            count = 2 if self.rng.random() < SECOND_PROJECT_SHARE else 1
            for i in range(count):
                is_secretary = i == 0 and self.rng.random() < SECRETARY_PROJECT_SHARE
                stage = next(forced, None) if item.organ_index == 0 and i == 0 else None
                if stage is None:
                    slots.append((item, is_secretary))
                else:
                    fixed.append((item, stage, is_secretary))
        deck = self._deck(len(slots))
        drawn = [(item, stage, is_secretary) for (item, is_secretary), stage in zip(slots, deck, strict=True)]
        return demo_slots + fixed + drawn

    def _deck(self, n: int) -> list[str]:
        """Stages in the planned shares, every stage present once there are enough projects."""
        counts = {stage: int(share * n) for stage, share in STAGE_SHARES}
        if n >= len(STAGE_SHARES):
            for stage in counts:
                counts[stage] = max(1, counts[stage])
        while sum(counts.values()) > n:
            counts[S.FILED] -= 1
        deck = list(itertools.chain.from_iterable([stage] * k for stage, k in counts.items()))
        deck += [S.FILED] * (n - len(deck))
        self.rng.shuffle(deck)
        return deck

    # One project --------------------------------------------------------------------------

    def _plan_project(self, item: _Branch, stage: str, is_secretary: bool) -> None:
        rng = self.rng
        topic_list = self.lists_by_organ.get(item.organ_index, self.lists_by_organ[-1])
        topic = None if rng.random() < SELF_PROPOSED_SHARE else rng.choice(self.topics_by_list[id(topic_list)])
        direction = topic.direction if topic else rng.choice(list(Direction))
        responsible = self._responsible(item, is_secretary)
        timeline = self._timeline(stage, late=item.organ_index == 0 and stage == S.SUBMITTED)
        project = Project(
            branch=item.branch,
            year=self.year,
            title=f"“{rng.choice(SLOGANS)}”{rng.choice(PROJECT_CORES[direction])}",
            topic=topic,
            direction=direction,
            problem=PROBLEMS[direction],
            goals=GOALS[direction],
            start_on=timeline["start_on"],
            end_on=timeline["end_on"],
            responsible=responsible,
            is_secretary_project=is_secretary,
            status=stage,
            created_by=item.user,
        )
        self.plan.projects.append(project)
        if item.branch is self.org.demo_branch and stage == S.FILED:
            self.plan.demo_project = project
        self.plan.created_at.append(self._plan_events(project, item, timeline))
        self._plan_targets(project, direction)
        milestones = self._plan_milestones(project, item)
        if stage in (S.APPROVED, S.FILED, S.ACCEPTANCE_REQUESTED, S.ACCEPTED):
            self._plan_tasks(project, item)
        if stage == S.FILED:
            self._plan_supervision(project, item, milestones)
        if stage in (S.ACCEPTANCE_REQUESTED, S.ACCEPTED):
            project.acceptance_summary = "项目各节点均已完成，主要指标全部达到或超过目标值，形成了可推广的经验做法。"
            self._plan_reviews(project, item, timeline)

    def _responsible(self, item: _Branch, is_secretary: bool) -> Member:
        if is_secretary and item.secretary is not None:
            return item.secretary
        others = [m for m in item.committee if m is not item.secretary]
        full = [m for m in item.members if m.status == MemberStatus.FULL]
        if others:
            return self.rng.choice(others)
        return item.secretary or self.rng.choice(full or item.members)

    def _timeline(self, stage: str, late: bool) -> dict:
        """The dates of each step the project has taken, in order, all before today."""
        rng, today = self.rng, self.today
        reached = STAGE_ORDER.index(S.SUBMITTED if stage == S.RETURNED else stage)
        created = self.closes_on - _days(rng.randint(15, 45))
        t: dict = {"created": created, "start_on": self.closes_on + _days(rng.randint(3, 25))}
        if reached >= STAGE_ORDER.index(S.SUBMITTED):
            t["submitted"] = today - _days(rng.randint(1, 6)) if late else created + _days(rng.randint(5, 12))
        if stage == S.RETURNED:
            t["returned"] = t["submitted"] + _days(rng.randint(2, 10))
        if reached >= STAGE_ORDER.index(S.APPROVED):
            t["approved"] = t["submitted"] + _days(rng.randint(3, 15))
        if reached >= STAGE_ORDER.index(S.FILED):
            t["filed"] = t["approved"] + _days(rng.randint(2, 10))
        if stage == S.ACCEPTANCE_REQUESTED:
            t["requested"] = today - _days(rng.randint(1, 12))
        if stage == S.ACCEPTED:
            t["requested"] = today - _days(rng.randint(25, 50))
            t["accepted"] = t["requested"] + _days(rng.randint(6, 18))
        if "requested" in t:
            t["end_on"] = t["requested"] - _days(rng.randint(0, 10))
        else:
            # Projects run to the year's end; a seed run in its last weeks lets them spill over.
            year_end = datetime.date(self.year, 12, 31)
            t["end_on"] = max(today + _days(30), min(today + _days(rng.randint(20, 45)), year_end))
        return t

    def _event(self, project, actor, action, from_status, to_status, day, reason=""):
        event = ProjectEvent(
            project=project, actor=actor, action=action, from_status=from_status, to_status=to_status, reason=reason
        )
        moment = _at(day, self.rng)
        self.plan.events.append((event, moment))
        return moment

    def _plan_events(self, project: Project, item: _Branch, t: dict) -> datetime.datetime:
        """The project's trail of steps; returns the moment it was created."""
        rng = self.rng
        organ_user = self.organ_users[item.organ_index]
        created = self._event(project, item.user, "创建项目", "", S.DRAFT, t["created"])
        if "submitted" not in t:
            return created
        submitted_on = t["submitted"]
        if "approved" in t and rng.random() < RESUBMITTED_SHARE:
            # Sent back once and filed again: the review trail shows the whole conversation.
            first = t["created"] + _days(1)
            self._event(project, item.user, "提交审核", S.DRAFT, S.SUBMITTED, first)
            reason = rng.choice(RETURN_REASONS)
            self._event(project, organ_user, "退回修改", S.SUBMITTED, S.RETURNED, first + _days(2), reason)
            self._event(project, item.user, "提交审核", S.RETURNED, S.SUBMITTED, submitted_on)
        else:
            self._event(project, item.user, "提交审核", S.DRAFT, S.SUBMITTED, submitted_on)
        project.submitted_at = _at(submitted_on, rng)
        self._tell_demo_accounts(project, item)
        if "returned" in t:
            reason = rng.choice(RETURN_REASONS)
            self._event(project, organ_user, "退回修改", S.SUBMITTED, S.RETURNED, t["returned"], reason)
            project.return_reason = reason
            self._tell_demo_accounts(project, item)
        if "approved" in t:
            project.approved_at = self._event(project, organ_user, "审核通过", S.SUBMITTED, S.APPROVED, t["approved"])
            self._tell_demo_accounts(project, item)
        if "filed" in t:
            project.filed_at = self._event(project, self.demo[GONGWEI], "工委备案", S.APPROVED, S.FILED, t["filed"])
            self._tell_demo_accounts(project, item)
        if "requested" in t:
            self._event(project, item.user, "申请验收", S.FILED, S.ACCEPTANCE_REQUESTED, t["requested"])
            self._tell_demo_accounts(project, item)
        if "accepted" in t:
            project.accepted_at = self._event(
                project, self.demo[GONGWEI], "确认验收", S.ACCEPTANCE_REQUESTED, S.ACCEPTED, t["accepted"]
            )
            project.published_at = project.accepted_at
        return created

    def _tell_demo_accounts(self, project: Project, item: _Branch) -> None:
        """What the latest step told the demo accounts; only the step that left the project where it is unread."""
        event, moment = self.plan.events[-1]
        current = event.to_status == project.status
        name, title = item.branch.name, project.title
        notices = []
        if event.to_status == S.SUBMITTED and item.organ_index == 0:
            notices.append(
                (self.demo[JIGUAN], f"【待审核】{name}提交了项目《{title}》", f"{name}提交了项目《{title}》，请审核。")
            )
        if event.to_status == S.RETURNED and item.user is self.demo[SHUJI]:
            notices.append((item.user, f"项目《{title}》被退回修改", f"退回原因：{event.reason}"))
        if event.to_status == S.APPROVED:
            body = f"{name}的项目《{title}》已通过机关党委审核，等待工委备案。"
            notices.append((self.demo[GONGWEI], f"项目《{title}》已通过机关党委审核", body))
        if event.to_status == S.FILED and item.user is self.demo[SHUJI]:
            notices.append(
                (item.user, f"项目《{title}》已由工委备案", "项目已备案，进入实施阶段。请按节点推进并及时填报进展。")
            )
        for recipient, subject, body in notices:
            message = _Message(recipient, subject, body, moment, read=not current, project=project, event=event)
            self.plan.messages.append(message)
        if event.to_status == S.ACCEPTANCE_REQUESTED:
            readers = [self.demo[GONGWEI]] + ([self.demo[JIGUAN]] if item.organ_index == 0 else [])
            for reader in readers:
                subject, body = f"{name}申请验收：{title}", "支部已提交验收总结和指标完成情况，请评审打分。"
                message = _Message(reader, subject, body, moment, read=not current, project=project)
                message.key_suffix = "acceptance_requested"
                self.plan.messages.append(message)

    def _plan_targets(self, project: Project, direction: str) -> None:
        rng = self.rng
        reported = project.status in (S.ACCEPTANCE_REQUESTED, S.ACCEPTED)
        for name, unit, low, high in rng.sample(TARGETS[direction], rng.randint(2, 3)):
            value = Decimal(rng.randint(low, high))
            target = Target(project=project, name=name, unit=unit, target_value=value)
            if reported:
                reached = value * Decimal(rng.choice(["1", "1", "1.1", "1.2", "1.3", "0.9"]))
                if unit == PERCENT:
                    target.actual_value = min(Decimal(100), reached).quantize(Decimal("0.01"))
                else:
                    # Every other unit counts things (家, 件, 人次 …): 213.4 companies cannot be visited.
                    target.actual_value = reached.quantize(Decimal("1"), rounding=ROUND_HALF_UP)
                target.result_note = "已完成目标" if target.actual_value >= value else "基本完成，部分受客观因素影响"
            self.plan.targets.append(target)

    def _plan_milestones(self, project: Project, item: _Branch) -> list[Milestone]:
        rng = self.rng
        demo = project is self.plan.demo_project
        count = len(DEMO_MILESTONE_DAYS) if demo else rng.randint(3, 5)
        middle = sorted(rng.sample(MILESTONES[1:-1], count - 2), key=MILESTONES.index)
        span = (project.end_on - project.start_on).days
        milestones = []
        for i, title in enumerate([MILESTONES[0], *middle, MILESTONES[-1]]):
            if demo:
                planned = self.today + _days(DEMO_MILESTONE_DAYS[i])
            else:
                planned = project.start_on + _days(round(span * (i + 1) / count))
            milestone = Milestone(project=project, title=title, planned_on=planned, weight=rng.choice([1, 2, 2, 3]))
            milestones.append(milestone)
        for milestone in milestones:
            self._progress(project, item, milestone)
        self.plan.milestones.extend(milestones)
        return milestones

    def _progress(self, project: Project, item: _Branch, milestone: Milestone) -> None:
        rng, today = self.rng, self.today
        done_all = project.status in (S.ACCEPTANCE_REQUESTED, S.ACCEPTED)
        if project.status not in (S.FILED, S.APPROVED) and not done_all:
            return
        demo = project is self.plan.demo_project
        if milestone.planned_on < today:
            if not done_all and self._falls_late(milestone, demo):
                milestone.percent = rng.choice([30, 50, 60, 80])
                self._report(milestone, item, rng.choice(PARTIAL_TEXTS), milestone.planned_on - _days(5))
                return
            finished = min(today - _days(1), milestone.planned_on + _days(rng.randint(-8, 2)))
            milestone.completed_on = max(project.start_on, finished)
            milestone.percent = 100
            report = self._report(milestone, item, rng.choice(PROGRESS_TEXTS), milestone.completed_on)
            if demo and len(self.plan.evidence_reports) < EVIDENCE_FILES:
                self.plan.evidence_reports.append(report)
        elif project.status == S.FILED and milestone.planned_on <= today + _days(45) and rng.random() < 0.6:
            milestone.percent = rng.choice([20, 30, 50, 70])
            self._report(milestone, item, rng.choice(PARTIAL_TEXTS), today - _days(rng.randint(1, 10)))

    def _falls_late(self, milestone: Milestone, demo: bool) -> bool:
        if demo:
            return milestone.planned_on >= self.today - _days(15)
        return self.rng.random() < MILESTONE_LATE_SHARE

    def _report(self, milestone: Milestone, item: _Branch, text: str, day: datetime.date) -> MilestoneProgress:
        day = min(max(day, milestone.project.start_on), self.today)
        report = MilestoneProgress(milestone=milestone, text=text, percent=milestone.percent, filed_by=item.user)
        self.plan.reports.append((report, _at(day, self.rng)))
        return report

    def _plan_tasks(self, project: Project, item: _Branch) -> None:
        rng, today = self.rng, self.today
        demo = project is self.plan.demo_project
        pool = item.members or [project.responsible]
        titles = rng.sample(TASKS, 3 if demo else rng.randint(2, 4))
        span = max(1, (project.end_on - project.start_on).days)
        for i, title in enumerate(titles):
            due = project.start_on + _days(round(span * (i + 1) / (len(titles) + 1)))
            task = Task(project=project, title=title, description="按项目实施方案要求完成。", due_on=due)
            people = rng.sample(pool, min(len(pool), rng.randint(1, 2)))
            if demo:
                days, status = DEMO_TASKS[i]
                task.due_on = today + _days(days)
                people = [self.org.demo_member, *[m for m in people if m is not self.org.demo_member][:1]]
                self._set_task_status(task, status)
                body = f"{item.branch.name}“{project.title}”项目给您分派了任务，完成期限 {task.due_on:%Y-%m-%d}。"
                moment = _at(task.due_on - _days(25), rng)
                read = status == TaskStatus.DONE
                message = _Message(self.demo[DANGYUAN], f"新任务：{title}", body, moment, read, project, to_tasks=True)
                self.plan.messages.append(message)
            else:
                self._task_state(task, project)
            self.plan.tasks.append(task)
            self.plan.assignees.extend((task, member) for member in people)

    def _task_state(self, task: Task, project: Project) -> None:
        today = self.today
        if project.status in (S.ACCEPTANCE_REQUESTED, S.ACCEPTED) or (task.due_on < today and self.rng.random() < 0.8):
            self._set_task_status(task, TaskStatus.DONE)
        elif task.due_on < today + _days(30):
            self._set_task_status(task, TaskStatus.DOING)

    def _set_task_status(self, task: Task, status: str) -> None:
        task.status = status
        if status == TaskStatus.DONE:
            task.completed_on = min(task.due_on, self.today - _days(1))
            task.progress_note = "已完成。"
        elif status == TaskStatus.DOING:
            task.progress_note = "正在推进，已完成约一半。"

    def _plan_supervision(self, project: Project, item: _Branch, milestones: list[Milestone]) -> None:
        rng, today = self.rng, self.today
        author = self.organ_users[item.organ_index]
        late = [m for m in milestones if m.completed_on is None and m.planned_on < today]
        demo = project is self.plan.demo_project
        if not late and not demo:
            if rng.random() < 0.1:
                self._supervision(project, None, author, rng.choice(NOTES[2:]), today - _days(rng.randint(5, 40)))
            return
        milestone = late[0] if late else None
        if demo or rng.random() < NOTE_SHARE:
            self._supervision(project, milestone, author, NOTES[0], today - _days(8))
        if demo or rng.random() < DUBAN_SHARE:
            issued = today - _days(6 if demo else rng.randint(2, 30))
            duban = self._supervision(project, milestone, author, rng.choice(DUBANS), issued)
            duban.kind = SupervisionKind.DUBAN
            duban.answer_due_on = issued + _days(self.config.duban_answer_days)
            if not demo and duban.answer_due_on < today and rng.random() < DUBAN_ANSWERED_SHARE:
                duban.answer = rng.choice(DUBAN_ANSWERS)
                duban.answered_by = item.user
                duban.answered_at = _at(min(today, duban.answer_due_on - _days(1)), rng)

    def _supervision(self, project, milestone, author, text: str, day: datetime.date) -> Supervision:
        supervision = Supervision(project=project, milestone=milestone, text=text, author=author)
        self.plan.supervisions.append((supervision, _at(day, self.rng)))
        return supervision

    # Acceptance ---------------------------------------------------------------------------

    def _plan_reviews(self, project: Project, item: _Branch, t: dict) -> None:
        rng = self.rng
        panel = [*self.reviewers, self.organ_users[item.organ_index]]
        if project.status == S.ACCEPTED:
            reviewers = rng.sample(panel, max(self.config.min_reviewers, 1))
        else:
            reviewers = rng.sample(panel, rng.randint(0, 2))
        quality = min(0.99, max(0.5, rng.gauss(0.84, 0.07)))
        totals = []
        last_day = t.get("accepted", self.today)
        for reviewer in reviewers:
            review = AcceptanceReview(project=project, reviewer=reviewer, comment=rng.choice(REVIEW_COMMENTS))
            total = Decimal(0)
            for criterion in self.criteria:
                share = min(1.0, max(0.3, quality + rng.uniform(-0.06, 0.06)))
                points = (Decimal(round(criterion.max_points * share * 2)) / 2).quantize(Decimal("0.01"))
                self.plan.marks.append(AcceptanceMark(review=review, criterion=criterion, points=points))
                total += points
            review.total = total
            totals.append(total)
            day = min(last_day - _days(1), t["requested"] + _days(rng.randint(1, 5)))
            self.plan.reviews.append((review, _at(max(day, t["requested"]), rng)))
        if project.status == S.ACCEPTED:
            project.score = average_score(totals)
        self._seat_experts(project, reviewers, t["requested"])

    def _seat_experts(self, project: Project, scorers: list, requested: datetime.date) -> None:
        """The 工委 seats the experts on the day of the request, before anyone scores: all three while scoring
        goes on (each has a project waiting), only those who scored once the project is accepted. No draw from
        the seed, so the rest of the demo stays as it was."""
        if project.status == S.ACCEPTANCE_REQUESTED:
            seated = self.reviewers
        else:
            seated = [r for r in scorers if r in self.reviewers]
        moment = timezone.make_aware(datetime.datetime.combine(requested, datetime.time(8, 0)))
        for expert in seated:
            seat = ExpertAssignment(project=project, expert=expert, assigned_by=self.demo[GONGWEI])
            self.plan.expert_seats.append((seat, moment))

    def _grade(self) -> None:
        accepted = [p for p in self.plan.projects if p.status == S.ACCEPTED]
        grades = assign_grades((Scored(i, p.score) for i, p in enumerate(accepted)), self.config)
        for i, project in enumerate(accepted):
            project.grade = grades[i]
        best = sorted(range(len(accepted)), key=lambda i: (-accepted[i].score, accepted[i].accepted_at, i))
        # A few, never all: the 工委 account still has projects to mark in the demo.
        top_ten = min(TOP_TEN_DEMO, self.config.top_ten_count, len(accepted) // 3)
        for i in best[:top_ten]:
            project = accepted[i]
            project.is_top_ten = True
            day = min(self.today, project.accepted_at.date() + _days(self.rng.randint(1, 5)))
            self._event(project, self.demo[GONGWEI], "评为十佳党建项目", S.ACCEPTED, S.ACCEPTED, day)


def plan_projects(
    org: DemoPlan, *, seed: int, today: datetime.date, config: ProjectYearConfig, criteria, demo_users: dict
) -> ProjectPlan:
    """The year's projects for a written organisation plan; `demo_users` maps the demo usernames to accounts."""
    return _Planner(org, seed=seed, today=today, config=config, criteria=criteria, demo_users=demo_users).build()


# --- Writing -------------------------------------------------------------------------------------


@contextmanager
def keeping_timestamps(model):
    """Let a bulk insert keep the planned creation moments instead of stamping every row with the present.

    Only for this single-threaded command: it switches auto_now(_add) off on the model's fields meanwhile.
    """
    fields = [
        f for f in model._meta.concrete_fields if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)
    ]
    saved = [(f, f.auto_now, f.auto_now_add) for f in fields]
    for f in fields:
        f.auto_now = f.auto_now_add = False
    try:
        yield
    finally:
        for f, auto_now, auto_now_add in saved:
            f.auto_now, f.auto_now_add = auto_now, auto_now_add


def insert_stamped(model, pairs, field_name: str) -> None:
    objects = []
    for obj, moment in pairs:
        setattr(obj, field_name, moment)
        objects.append(obj)
    with keeping_timestamps(model):
        model.objects.bulk_create(objects, batch_size=BATCH_SIZE)


@transaction.atomic
def write_projects(plan: ProjectPlan) -> dict[str, int]:
    """Insert a plan, store the demo evidence files and send the day's reminders; returns the reminder counts."""
    User = get_user_model()
    User.objects.bulk_create(plan.users, batch_size=BATCH_SIZE)
    RoleAssignment.objects.bulk_create(plan.roles, batch_size=BATCH_SIZE)
    record_grants(plan.roles)
    Member.objects.bulk_update(plan.linked_members, ["user"], batch_size=500)
    TopicList.objects.bulk_create(plan.topic_lists)
    Topic.objects.bulk_create(plan.topics)
    insert_stamped(Project, zip(plan.projects, plan.created_at, strict=True), "created_at")
    insert_stamped(ProjectEvent, plan.events, "at")
    Target.objects.bulk_create(plan.targets, batch_size=BATCH_SIZE)
    Milestone.objects.bulk_create(plan.milestones, batch_size=BATCH_SIZE)
    insert_stamped(MilestoneProgress, plan.reports, "filed_at")
    Task.objects.bulk_create(plan.tasks, batch_size=BATCH_SIZE)
    Task.assignees.through.objects.bulk_create(
        [Task.assignees.through(task_id=task.pk, member_id=member.pk) for task, member in plan.assignees],
        batch_size=BATCH_SIZE,
    )
    insert_stamped(Supervision, plan.supervisions, "created_at")
    insert_stamped(AcceptanceReview, plan.reviews, "scored_at")
    insert_stamped(ExpertAssignment, plan.expert_seats, "assigned_at")
    AcceptanceMark.objects.bulk_create(plan.marks, batch_size=BATCH_SIZE)
    _write_evidence(plan)
    insert_stamped(Notification, [(m.notification(), m.moment) for m in plan.messages], "created_at")
    plan.reminders = run_milestone_reminders(plan.today)
    return plan.reminders


def _write_evidence(plan: ProjectPlan) -> None:
    content = tiny_png()
    digest = hashlib.sha256(content).hexdigest()
    files = []
    for n, report in enumerate(plan.evidence_reports, start=1):
        evidence = Evidence(
            project=report.milestone.project,
            report=report,
            token=secrets.token_hex(16),
            original_name=f"现场照片{n}.png",
            content_type="image/png",
            size=len(content),
            sha256=digest,
            uploaded_by=report.filed_by,
        )
        evidence.file.save(evidence.original_name, ContentFile(content), save=False)
        files.append(evidence)
    Evidence.objects.bulk_create(files)


def seed_projects(org: DemoPlan, *, seed: int, today: datetime.date) -> ProjectPlan:
    """Plan and write the demo projects for an organisation `seed_demo` has just written."""
    config = ensure_config(today.year)
    criteria = RubricCriterion.objects.filter(config=config).order_by("order", "pk")
    User = get_user_model()
    demo_users = {u.username: u for u in User.objects.filter(username__in=[GONGWEI, JIGUAN, SHUJI, DANGYUAN])}
    plan = plan_projects(org, seed=seed, today=today, config=config, criteria=criteria, demo_users=demo_users)
    taken = sorted(
        User.objects.filter(username__in=[u.username for u in plan.users]).values_list("username", flat=True)
    )
    if taken:
        raise CommandError(f"账号 {'、'.join(taken[:5])} 已存在，请换用一个新建的空数据库。")
    write_projects(plan)
    return plan


def describe(plan: ProjectPlan) -> str:
    """One line for the seed command's report."""
    stages = "、".join(f"{label} {plan.count(status)}" for status, label in ProjectStatus.choices)
    top_ten = sum(1 for p in plan.projects if p.is_top_ten)
    late = sum(1 for m in plan.milestones if m.is_overdue(plan.today))
    dubans = sum(1 for s, _ in plan.supervisions if s.kind == SupervisionKind.DUBAN)
    return (
        f"已生成一支部一项目演示数据：选题 {len(plan.topics)} 个，项目 {len(plan.projects)} 个（{stages}；"
        f"十佳 {top_ten} 个），任务 {len(plan.tasks)} 项，节点 {len(plan.milestones)} 个（逾期 {late} 个），"
        f"督查督办 {len(plan.supervisions)} 条（督办 {dubans} 条），节点与督办提醒 {sum(plan.reminders.values())} 条。"
    )
