"""Demo 一岗双责 reports and 问题整改台账 for `seed_demo`, then the day's reminders.

Every 班子成员 owes a report each half year: most were filed (some late), some were returned, some are still
missing; the ledger holds items in every status, some overdue. The demo accounts each get something of their
own: the secretary a returned report and the branch's ledger items, the member an item they answer for, the
机关党委 account reports to review and items to verify. Finally the reminder engine runs for the day, so that
every bell has something in it. Everything is drawn from the seed in a fixed order.
"""

import datetime
import random
from collections import defaultdict
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from assessments.choices import ProblemSource, ProblemStatus, ReportStatus
from assessments.models import DutyReport, DutyReportPeriod, Problem
from assessments.reports import ensure_periods, is_late, rebuild_filing
from branches import figures
from branches.models import Member
from demo.organisation import DemoPlan
from demo.orglife import branch_accounts
from notifications.models import ReminderRules
from notifications.reminders import send_reminders

BATCH_SIZE = 2000
SEED_OFFSET = 7
DEFAULT_YEARS = 2  # report periods of last year and this one

R = ReportStatus
P = ProblemStatus
# How the reports of a period stand, by how long ago it was due: (status, late, share).
SETTLED = [(R.ACCEPTED, False, 0.84), (R.ACCEPTED, True, 0.08), (R.SUBMITTED, False, 0.02), (None, False, 0.06)]
RECENT = [
    (R.ACCEPTED, False, 0.52),
    (R.SUBMITTED, False, 0.15),
    (R.RETURNED, False, 0.06),
    (R.SUBMITTED, True, 0.05),
    (R.ACCEPTED, True, 0.04),
    (R.DRAFT, False, 0.06),
    (None, False, 0.12),
]
UNDER_WAY = [(R.DRAFT, False, 0.12), (None, False, 0.88)]
RECENT_DAYS = 200

AREAS = ["综合协调", "政策法规", "项目建设", "财务审计", "行政审批", "执法监督", "规划发展", "人事教育"]
BUSINESS = [
    "牵头推进{area}重点任务，{n}项年度目标按序时进度完成，",
    "围绕全市中心工作，组织{area}条线开展专项攻坚，完成{n}项重点事项，",
    "分管的{area}工作稳中有进，{n}项指标好于去年同期，",
]
BUSINESS_TAIL = ["服务企业和群众满意度持续提升。", "多项做法被上级推广。", "工作效率明显提高。"]
PARTY = [
    "督促分管科室落实“三会一课”制度，参加所在支部组织生活{n}次，讲党课1次；",
    "带头履行一岗双责，与分管科室负责人开展谈心谈话{n}人次；",
    "把党建工作与业务工作同部署同检查，推动分管领域党建项目落地；",
]
PARTY_TAIL = ["分管领域未发生违规违纪问题。", "分管科室党员先锋作用发挥明显。"]
PROBLEMS = [
    "党建与业务融合的办法还不多，",
    "对分管科室党员日常教育管理抓得不够细，",
    "调查研究不够深入，",
    "廉政风险防控措施落实还有薄弱环节，",
]
PROBLEMS_TAIL = ["个别工作推进不够平衡。", "需进一步加强。"]
NEXT = [
    "下一步将聚焦重点任务，完善党建业务双向考评，",
    "下一步将加强分管领域党员教育管理，",
    "下一步将持续推进作风建设，",
]
NEXT_TAIL = ["确保年度目标全面完成。", "以党建引领业务提质增效。"]
RETURN_REASONS = [
    "党建工作部分过于笼统，请补充分管领域开展党建工作的具体做法和成效。",
    "存在问题查摆不够具体，请结合分管工作实际补充。",
    "下一步措施缺少时间节点，请补充。",
]

# (title, measures) of realistic ledger items, by source.
LEDGER_ITEMS = {
    ProblemSource.SUPERVISION: [
        ("“三会一课”会议记录不规范，部分缺少签到", "补齐会议记录，建立签到制度，每月由组织委员检查"),
        ("主题党日活动形式单一，党员参与度不高", "制定全年主题党日计划，结合业务开展实践活动"),
        ("党费收缴不及时，个别党员连续两月未交", "明确专人负责，按月收缴并在支部内公示"),
        ("支部项目节点推进滞后", "倒排工期，明确责任人，每两周调度一次"),
    ],
    ProblemSource.ASSESSMENT: [
        ("发展党员档案材料不完整", "对照发展党员工作流程逐项补齐材料，报机关党委审核"),
        ("支委分工不明确，职责落实不到位", "重新明确支委分工并公示，建立支委履职清单"),
        ("党员积分管理台账不完整", "完善积分台账，按季度公示积分情况"),
    ],
    ProblemSource.APPRAISAL: [
        ("个别党员参加组织生活不经常", "支部书记开展谈心谈话，帮助其制定改进措施"),
        ("组织生活会批评与自我批评辣味不足", "会前深入开展谈心谈话，会上点人点事，会后列出整改清单"),
    ],
    ProblemSource.SELF: [
        ("党建工作与业务工作结合不够紧密", "将支部项目与科室年度重点任务挂钩，定期交流推进情况"),
        ("谈心谈话开展不经常", "建立书记、委员与党员谈心谈话制度，每季度全覆盖"),
        ("理论学习存在以读代学现象", "推行领学、研讨、交流相结合，每次学习形成心得"),
    ],
}
SOURCES = list(LEDGER_ITEMS)
# Items per branch: (count, share of branches).
PER_BRANCH = [(0, 0.35), (1, 0.35), (2, 0.2), (3, 0.1)]
CLOSING_NOTES = [
    "已按措施完成整改，相关制度已建立并执行两个月，经支部委员会检查到位。",
    "问题已整改到位，补齐了相关材料，形成长效机制。",
    "已落实整改措施，党员反映良好，后续将持续跟踪。",
]


@dataclass
class AssessmentPlan:
    """Unsaved reports and ledger items with the moments a bulk insert would otherwise overwrite."""

    today: datetime.date
    reports: list[tuple[DutyReport, datetime.datetime]] = field(default_factory=list)
    problems: list[tuple[Problem, datetime.datetime]] = field(default_factory=list)
    reminders: dict[str, int] = field(default_factory=dict)

    def count_reports(self, status: str) -> int:
        return sum(1 for r, _ in self.reports if r.status == status)

    def count_problems(self, status: str) -> int:
        return sum(1 for p, _ in self.problems if p.status == status)


def _pick(rng: random.Random, table):
    roll, total = rng.random(), 0.0
    for *value, share in table:
        total += share
        if roll < total:
            return value
    return table[-1][:-1]


def _at(day: datetime.date, rng: random.Random) -> datetime.datetime:
    moment = datetime.datetime.combine(day, datetime.time(rng.randint(8, 17), rng.randint(0, 59)))
    return timezone.make_aware(moment)


def _days(n: int) -> datetime.timedelta:
    return datetime.timedelta(days=n)


class _Planner:
    def __init__(self, org: DemoPlan, *, seed: int, today: datetime.date, periods, branch_users, organ_users):
        self.rng = random.Random(seed * 7919 + SEED_OFFSET)
        self.org = org
        self.today = today
        self.periods = periods
        self.branch_users = branch_users
        self.organ_users = organ_users
        self.plan = AssessmentPlan(today=today)

    def build(self) -> AssessmentPlan:
        leaders = [m for m in self.org.members if m.is_leader and m.branch.dissolved_on is None]
        for period in self.periods:
            for member in leaders:
                self._plan_report(member, period)
        self._plan_demo_reports()
        self._plan_ledger()
        return self.plan

    # 一岗双责 reports -------------------------------------------------------------------------

    def _table(self, period: DutyReportPeriod):
        if period.starts_on > self.today:
            return None
        if period.due_on >= self.today:
            return UNDER_WAY
        return RECENT if (self.today - period.due_on).days <= RECENT_DAYS else SETTLED

    def _reviewer(self, member: Member):
        return self.organ_users.get(member.branch.organ_id)

    def _plan_report(self, member: Member, period: DutyReportPeriod, status=None, late=None) -> None:
        table = self._table(period)
        if table is None:
            return
        if status is None:
            status, late = _pick(self.rng, table)
        if status is None:
            return
        reviewer = self._reviewer(member)
        if status in (R.ACCEPTED, R.RETURNED) and reviewer is None:
            status = R.SUBMITTED
        report = DutyReport(member=member, period=period, status=status, **self._texts())
        started = min(self.today, period.ends_on + _days(self.rng.randint(-10, 5)))
        if status != R.DRAFT:
            if late:
                day = period.due_on + _days(self.rng.randint(1, 40))
            else:
                day = period.due_on - _days(self.rng.randint(0, max(0, (period.due_on - period.ends_on).days)))
            day = min(day, self.today)
            report.submitted_at = _at(day, self.rng)
            report.is_late = is_late(report.submitted_at, period)
            started = min(started, day)
        if status in (R.ACCEPTED, R.RETURNED):
            reviewed = min(self.today, report.submitted_at.date() + _days(self.rng.randint(1, 20)))
            report.reviewed_by, report.reviewed_at = reviewer, _at(reviewed, self.rng)
            if status == R.RETURNED:
                report.return_reason = self.rng.choice(RETURN_REASONS)
        self.plan.reports.append((report, _at(started, self.rng)))

    def _texts(self) -> dict[str, str]:
        rng = self.rng
        area = rng.choice(AREAS)
        return {
            "business_work": rng.choice(BUSINESS).format(area=area, n=rng.randint(3, 9)) + rng.choice(BUSINESS_TAIL),
            "party_work": rng.choice(PARTY).format(n=rng.randint(4, 12)) + rng.choice(PARTY_TAIL),
            "problems": rng.choice(PROBLEMS) + rng.choice(PROBLEMS_TAIL),
            "next_steps": rng.choice(NEXT) + rng.choice(NEXT_TAIL),
        }

    def _plan_demo_reports(self) -> None:
        """The demo secretary's latest report was returned; the demo organ has reports waiting for review."""
        secretary = self.org.demo_secretary
        if secretary is None:
            return
        recent = [p for p in self.periods if p.due_on < self.today]
        if not recent:
            return
        latest = recent[-1]
        self.plan.reports = [(r, t) for r, t in self.plan.reports if not (r.member is secretary and r.period is latest)]
        if secretary.is_leader:
            self._plan_report(secretary, latest, R.RETURNED, False)
        demo_organ = self.org.demo_branch.organ
        waiting = [
            r
            for r, _ in self.plan.reports
            if r.period is latest and r.member.branch.organ is demo_organ and r.member is not secretary
        ]
        for report in waiting[:3]:
            if report.status == R.ACCEPTED:
                report.status, report.reviewed_by, report.reviewed_at = R.SUBMITTED, None, None

    # 问题整改台账 ----------------------------------------------------------------------------------

    def _plan_ledger(self) -> None:
        members: dict[int, list[Member]] = defaultdict(list)
        for member in self.org.members:
            members[id(member.branch)].append(member)
        for branch in self.org.active_branches:
            if branch is self.org.demo_branch:
                self._plan_demo_ledger(branch, members[id(branch)])
                continue
            count = _pick(self.rng, PER_BRANCH)[0]
            for _ in range(count):
                status = _pick(self.rng, [(P.OPEN, 0.2), (P.IN_PROGRESS, 0.3), (P.DONE, 0.15), (P.VERIFIED, 0.35)])[0]
                self._problem(branch, members[id(branch)], status)

    def _problem(self, branch, members, status, *, source=None, deadline_in=None, responsible=None) -> None:
        rng = self.rng
        organ_user = self.organ_users.get(branch.organ_id)
        branch_user = self.branch_users.get(branch.pk) or organ_user
        if organ_user is None or not members:
            return
        source = source or rng.choice(SOURCES)
        title, measures = rng.choice(LEDGER_ITEMS[source])
        created = self.today - _days(rng.randint(20, 300))
        if deadline_in is None:
            # Open items run from well overdue to due in two months; closed ones were mostly due in the past.
            deadline = created + _days(rng.randint(30, 120))
            if status in (P.OPEN, P.IN_PROGRESS) and rng.random() < 0.5:
                deadline = self.today + _days(rng.randint(1, 60))
        else:
            deadline = self.today + _days(deadline_in)
            created = min(created, deadline - _days(30))
        by = branch_user if source in (ProblemSource.SELF, ProblemSource.APPRAISAL) else organ_user
        problem = Problem(
            branch=branch,
            source=source,
            title=title,
            description="",
            responsible=responsible or rng.choice(members),
            measures=measures,
            deadline=deadline,
            status=status,
            created_by=by,
        )
        if status in (P.DONE, P.VERIFIED):
            closed = min(self.today, created + _days(rng.randint(10, max(11, (deadline - created).days + 15))))
            problem.closing_note = rng.choice(CLOSING_NOTES)
            problem.closed_at = _at(closed, rng)
            if status == P.VERIFIED:
                problem.verified_by = organ_user
                problem.verified_at = _at(min(self.today, closed + _days(rng.randint(1, 15))), rng)
        self.plan.problems.append((problem, _at(created, rng)))

    def _plan_demo_ledger(self, branch, members) -> None:
        """One of each status, an overdue one and one the demo member answers for, due this month."""
        self._problem(branch, members, P.OPEN, source=ProblemSource.SUPERVISION, deadline_in=-12)
        # Due just beyond the reminder window: it shows on the member's home page without a bell of its own yet.
        self._problem(
            branch,
            members,
            P.IN_PROGRESS,
            source=ProblemSource.SELF,
            deadline_in=ReminderRules.for_year(self.today.year).days_before + 1,
            responsible=self.org.demo_member,
        )
        self._problem(branch, members, P.DONE, source=ProblemSource.ASSESSMENT, deadline_in=-3)
        self._problem(branch, members, P.VERIFIED, source=ProblemSource.APPRAISAL)


def plan_assessments(
    org: DemoPlan, *, seed: int, today: datetime.date, periods, branch_users: dict, organ_users: dict
) -> AssessmentPlan:
    return _Planner(
        org, seed=seed, today=today, periods=periods, branch_users=branch_users, organ_users=organ_users
    ).build()


# --- Writing -------------------------------------------------------------------------------------


@transaction.atomic
def write_assessments(plan: AssessmentPlan) -> None:
    from demo.projects import insert_stamped

    insert_stamped(DutyReport, plan.reports, "created_at")
    insert_stamped(Problem, plan.problems, "created_at")
    # The reports were inserted in bulk, past the services that keep the filings.
    rebuild_filing()
    plan.reminders = send_reminders(plan.today)


def seed_assessments(org: DemoPlan, *, seed: int, today: datetime.date, years: int = DEFAULT_YEARS) -> AssessmentPlan:
    """Plan and write the demo reports of the last `years` years and the ledger, then send the day's reminders."""
    # The demo secretary reports on 一岗双责 like most secretaries, who are usually also leaders.
    if org.demo_secretary is not None and not org.demo_secretary.is_leader:
        org.demo_secretary.is_leader = True
        Member.objects.filter(pk=org.demo_secretary.pk).update(is_leader=True)
        figures.refresh([org.demo_secretary.branch_id])
    periods = ensure_periods(range(today.year - years + 1, today.year + 1))
    branch_users, organ_users = branch_accounts()
    plan = plan_assessments(
        org, seed=seed, today=today, periods=periods, branch_users=branch_users, organ_users=organ_users
    )
    write_assessments(plan)
    return plan


def describe(plan: AssessmentPlan) -> str:
    reports = "、".join(f"{label} {plan.count_reports(status)}" for status, label in R.choices)
    late = sum(1 for r, _ in plan.reports if r.is_late)
    problems = "、".join(f"{label} {plan.count_problems(status)}" for status, label in P.choices)
    overdue = sum(1 for p, _ in plan.problems if p.status in (P.OPEN, P.IN_PROGRESS) and p.deadline < plan.today)
    return (
        f"已生成一岗双责与整改台账演示数据：报告 {len(plan.reports)} 份（{reports}；逾期提交 {late} 份），"
        f"整改问题 {len(plan.problems)} 条（{problems}；逾期 {overdue} 条），"
        f"到期提醒 {sum(plan.reminders.values())} 条。"
    )
