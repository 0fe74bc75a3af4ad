"""Demo 三会一课 for `seed_demo`: two years (or `years`) of meetings for every branch, with attendance, votes at some
党员大会, training hours and exemptions for the newest branches.

Meetings follow the year's requirements (opened with `orglife.ensure_requirements`), so the demo keeps to whatever the
rules say; branches differ in diligence, so the completion table, the calendars and the reminders have
realistic gaps: most branches miss little, some miss often, a few let October slip. Everything is drawn from
the seed in a fixed order. Attendance is the bulk of the rows (over a million at Xuzhou scale), so it is
written with PostgreSQL's COPY (plain batched inserts elsewhere).
"""

import datetime
import hashlib
import io
import random
import secrets
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.files.base import ContentFile
from django.db import connection, transaction
from django.utils import timezone

from accounts.models import Role, RoleAssignment
from branches import orglife
from branches.choices import MeetingKind, Period, RequirementScope
from branches.models import (
    Attendance,
    Branch,
    CommitteeTerm,
    Meeting,
    MeetingAttachment,
    Member,
    OrganisationRules,
    RequirementExemption,
    TrainingRecord,
)
from demo.organisation import DemoPlan

BATCH_SIZE = 5000
DEFAULT_YEARS = 2  # last year and this one; the benchmark asks for more (`seed_demo --years 5`)
SEED_OFFSET = 5  # the organisation and the projects draw from their own streams

# Diligence of a branch: (share of branches, chance of missing any one required meeting).
DILIGENCE = [(0.65, 0.02), (0.25, 0.12), (0.10, 0.35)]
OCTOBER_LAPSE_SHARE = 0.12
VOTE_SHARE = 0.3
TALKS_PER_YEAR = (1, 3)
TRAINED_SHARE = 0.55
NEW_BRANCH_EXEMPTIONS = 3
EXEMPTION_MONTHS = 3
# Attendance: most members come nearly always, some are often away on business.
RELIABLE = (0.85, 0.99)
OFTEN_AWAY_SHARE = 0.12
OFTEN_AWAY = (0.55, 0.8)

TOPICS = {
    MeetingKind.GENERAL: [
        "传达学习上级会议精神，部署本季度支部工作",
        "讨论发展党员和预备党员转正事项",
        "通报支部半年工作情况，研究下一步工作",
        "学习贯彻党的二十届四中全会精神",
    ],
    MeetingKind.COMMITTEE: [
        "研究本月支部工作安排",
        "研究“三会一课”计划和主题党日方案",
        "研究党员发展和教育管理工作",
        "研究支部项目推进中的难点问题",
    ],
    MeetingKind.GROUP: ["学习党章党规", "交流学习心得体会", "讨论本小组工作推进情况", "开展批评和自我批评"],
    MeetingKind.LECTURE: [
        "书记讲党课：以高质量党建引领业务工作",
        "专题党课：深入学习贯彻习近平新时代中国特色社会主义思想",
        "专题党课：加强作风建设，提升服务效能",
        "党课：从党的百年奋斗历程中汲取前进力量",
    ],
    MeetingKind.THEME_DAY: [
        "重温入党誓词，开展党性教育",
        "走进社区开展志愿服务",
        "参观革命教育基地",
        "“学习强国”知识竞答",
        "结对共建企业走访调研",
        "廉政警示教育",
    ],
    MeetingKind.LIFE: ["召开年度专题组织生活会，开展批评和自我批评"],
    MeetingKind.APPRAISAL: ["开展年度民主评议党员"],
    MeetingKind.TALK: ["开展谈心谈话，了解党员思想工作情况"],
}
MOTIONS = [
    "讨论预备党员转为正式党员",
    "讨论接收发展对象为预备党员",
    "讨论通过支部年度工作计划",
    "补选支部委员会委员",
    "推选出席上级党代会代表候选人",
]
PLACES = ["机关党员活动室", "三楼会议室", "五楼小会议室", "支部党建阵地", "线上视频会议"]
ABSENCE_REASONS = ["出差", "公务外出", "病假", "休假", "参加培训", "驻村工作"]
TRAINING_TITLES = [
    ("市委党校机关党员轮训班", (8, 16)),
    ("“学习强国”专题学习", (4, 8)),
    ("党员干部网络学院专题培训", (6, 12)),
    ("党纪学习教育专题读书班", (4, 8)),
    ("机关工委专题辅导报告会", (2, 4)),
]
# Hours a meeting counts towards its attendees' 学时 (the recorder types it in; these are typical values).
MEETING_HOURS = {MeetingKind.LECTURE: Decimal("3.0"), MeetingKind.THEME_DAY: Decimal("2.0")}
THEME_DAY_STUDY_SHARE = 0.7


@dataclass
class _Branch:
    branch: Branch
    members: list[Member]
    groups: list
    terms: list[tuple[CommitteeTerm, list[Member]]]
    recorder: object
    miss: float
    lapse_october: bool
    theme_day: int


@dataclass
class OrgLifePlan:
    """Unsaved rows in insertion order; attendance as (meeting index, member id, present, reason)."""

    meetings: list[Meeting] = field(default_factory=list)
    attendance: list[tuple[int, int, bool, str]] = field(default_factory=list)
    trainings: list[TrainingRecord] = field(default_factory=list)
    exemptions: list[RequirementExemption] = field(default_factory=list)
    demo_meeting: int | None = None

    @property
    def n_votes(self) -> int:
        return sum(1 for m in self.meetings if m.motion)


def branch_accounts() -> tuple[dict[int, object], dict[int, object]]:
    """Accounts that record and review for each branch and organ (the projects demo made them), in one query."""
    by_branch: dict[int, object] = {}
    by_organ: dict[int, object] = {}
    roles = RoleAssignment.objects.filter(role__in=[Role.BRANCH, Role.ORGAN]).select_related("user").order_by("pk")
    for role in roles:
        if role.role == Role.BRANCH:
            by_branch.setdefault(role.branch_id, role.user)
        else:
            by_organ.setdefault(role.organ_id, role.user)
    return by_branch, by_organ


def _last_day_of_month(day: datetime.date) -> datetime.date:
    following = (day.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)
    return following - datetime.timedelta(days=1)


class _Planner:
    def __init__(self, org: DemoPlan, *, seed: int, today: datetime.date, recorders, organ_users, years: int):
        self.rng = random.Random(seed * 7919 + SEED_OFFSET)
        self.org = org
        self.today = today
        # Oldest first: opening a year copies the latest earlier year's requirements.
        self.years = list(range(today.year - years + 1, today.year + 1))
        self.plan = OrgLifePlan()
        self.recorders = recorders
        self.organ_users = organ_users
        self.requirements = {y: orglife.ensure_requirements(y) for y in self.years}
        self.rules = {y: OrganisationRules.for_year(y) for y in self.years}
        self.reliability: dict[int, float] = {}
        self.demo_lapse: int | None = None

    def build(self) -> OrgLifePlan:
        for item in self._branches():
            self._plan_branch(item)
        self._plan_exemptions()
        return self.plan

    # Branches -------------------------------------------------------------------------------

    def _branches(self) -> list[_Branch]:
        members: dict[int, list[Member]] = defaultdict(list)
        for member in self.org.members:
            members[id(member.branch)].append(member)
        groups: dict[int, list] = defaultdict(list)
        for group in self.org.groups:
            groups[id(group.branch)].append(group)
        seats: dict[int, list[Member]] = defaultdict(list)
        for seat in self.org.seats:
            seats[id(seat.term)].append(seat.member)
        terms: dict[int, list] = defaultdict(list)
        for term in self.org.terms:
            terms[id(term.branch)].append((term, seats[id(term)]))
        result = []
        for branch in self.org.active_branches:
            roll = self.rng.random()
            miss = next(p for share, p in _cumulative(DILIGENCE) if roll < share)
            organ_user = self.organ_users.get(branch.organ_id)
            result.append(
                _Branch(
                    branch=branch,
                    members=members[id(branch)],
                    groups=groups[id(branch)],
                    terms=sorted(terms[id(branch)], key=lambda t: t[0].elected_on),
                    recorder=self.recorders.get(branch.pk) or organ_user,
                    miss=miss,
                    lapse_october=self.rng.random() < OCTOBER_LAPSE_SHARE,
                    theme_day=self.rng.choice([1, 5, 8, 10, 15, 20]),
                )
            )
        demo = next((b for b in result if b.branch is self.org.demo_branch), None)
        if demo is not None:
            # The demo secretary keeps a tidy branch, except that October's 主题党日 slipped: a reminder to show.
            demo.miss, demo.lapse_october = 0.0, False
            self.demo_lapse = demo.branch.pk
        for member in self.org.members:
            away = self.rng.random() < OFTEN_AWAY_SHARE
            self.reliability[member.pk] = self.rng.uniform(*(OFTEN_AWAY if away else RELIABLE))
        return result

    def _plan_branch(self, item: _Branch) -> None:
        if item.recorder is None:
            return
        for year in self.years:
            rules = self.rules[year]
            for req in self.requirements[year]:
                for span in orglife.spans(req.period, year):
                    if span.start > self.today:
                        break
                    self._plan_span(item, req, span, rules)
            for _ in range(self.rng.randint(*TALKS_PER_YEAR)):
                last = min(datetime.date(year, 12, 31), self.today - datetime.timedelta(days=1))
                day = self._day_in(item, datetime.date(year, 1, 1), last)
                if day is not None:
                    pair = [m for m in item.members if m.joined_on <= day][:2]
                    if pair:
                        self._meeting(item, MeetingKind.TALK, day, pair)
        self._plan_trainings(item)

    def _plan_span(self, item: _Branch, req, span, rules) -> None:
        if req.scope == RequirementScope.GROUP:
            for group in item.groups:
                due = [m for m in item.members if m.party_group is group]
                self._hold(
                    item, req, span, due_of=lambda day, due=due: [m for m in due if m.joined_on <= day], group=group
                )
            return
        if req.scope == RequirementScope.COMMITTEE:
            self._hold(item, req, span, due_of=lambda day: self._committee_on(item, day, rules))
            return
        self._hold(item, req, span, due_of=lambda day: [m for m in item.members if m.joined_on <= day])

    def _committee_on(self, item: _Branch, day: datetime.date, rules) -> list[Member]:
        current = [seats for term, seats in item.terms if term.elected_on <= day]
        seats = current[-1] if current else []
        return seats if len(seats) >= rules.committee_min_size else []

    def _missed(self, item: _Branch, req, span) -> bool:
        if span.period == Period.MONTH and span.end.year == self.today.year and span.end.month == 10:
            if item.lapse_october:
                return True
            if item.branch.pk == self.demo_lapse and req.kind == MeetingKind.THEME_DAY:
                return True
        return self.rng.random() < item.miss

    def _hold(self, item: _Branch, req, span, *, due_of, group=None) -> None:
        """Hold the span's required meetings, unless the branch misses them or the span is still young."""
        if self._missed(item, req, span):
            return
        last = min(span.end, self.today - datetime.timedelta(days=1))
        if span.end >= self.today:
            # The period under way: the further it has run, the likelier its meeting was held already.
            elapsed = (self.today - span.start).days / max(1, (span.end - span.start).days)
            if req.period == Period.YEAR:
                elapsed *= 0.15
            if self.rng.random() > elapsed:
                return
        first = span.start
        if req.period == Period.YEAR:
            # 组织生活会 and 民主评议 are held towards the year's end.
            first = max(first, datetime.date(span.end.year, 11, 1))
        for _ in range(req.min_count):
            day = self._day_in(item, first, last, theme=req.kind == MeetingKind.THEME_DAY)
            if day is None:
                return
            due = due_of(day)
            if due:
                self._meeting(item, req.kind, day, due, group=group)

    def _day_in(self, item: _Branch, first: datetime.date, last: datetime.date, theme: bool = False):
        first = max(first, item.branch.founded_on)
        if first > last:
            return None
        if theme:
            # A branch keeps its 主题党日 on a fixed day of the month when it can.
            fixed = first.replace(day=min(item.theme_day, _last_day_of_month(first).day))
            if first <= fixed <= last:
                return fixed
        return first + datetime.timedelta(days=self.rng.randint(0, (last - first).days))

    def _meeting(self, item: _Branch, kind: str, day: datetime.date, due: list[Member], group=None) -> Meeting:
        rng = self.rng
        topic = rng.choice(TOPICS[kind])
        hours = MEETING_HOURS.get(kind, Decimal("0"))
        if kind == MeetingKind.THEME_DAY and rng.random() > THEME_DAY_STUDY_SHARE:
            hours = Decimal("0")
        meeting = Meeting(
            branch=item.branch,
            kind=kind,
            party_group=group,
            held_on=day,
            topic=topic,
            place=rng.choice(PLACES),
            minutes=f"{topic}。与会党员结合工作实际作了发言，会议对下一步工作作出安排。",
            hours=hours,
            recorded_by=item.recorder,
        )
        index = len(self.plan.meetings)
        self.plan.meetings.append(meeting)
        present = 0
        for member in due:
            came = rng.random() < self.reliability[member.pk]
            present += came
            self.plan.attendance.append((index, member.pk, came, "" if came else rng.choice(ABSENCE_REASONS)))
        if kind == MeetingKind.GENERAL and rng.random() < VOTE_SHARE and present:
            against = min(present, rng.choice([0, 0, 0, 1]))
            abstain = min(present - against, rng.choice([0, 0, 1]))
            meeting.motion = rng.choice(MOTIONS)
            meeting.votes_for = present - against - abstain
            meeting.votes_against, meeting.votes_abstain = against, abstain
        if item.branch is self.org.demo_branch and kind == MeetingKind.GENERAL:
            self.plan.demo_meeting = index
        return meeting

    # Training and exemptions ----------------------------------------------------------------

    def _plan_trainings(self, item: _Branch) -> None:
        for year in self.years:
            last = min(datetime.date(year, 12, 31), self.today - datetime.timedelta(days=1))
            for member in item.members:
                if self.rng.random() >= TRAINED_SHARE:
                    continue
                first = max(datetime.date(year, 1, 1), member.joined_on)
                for _ in range(self.rng.randint(1, 2)):
                    if first > last:
                        break
                    title, (low, high) = self.rng.choice(TRAINING_TITLES)
                    self.plan.trainings.append(
                        TrainingRecord(
                            member=member,
                            held_on=first + datetime.timedelta(days=self.rng.randint(0, (last - first).days)),
                            title=title,
                            hours=Decimal(self.rng.randint(low, high)),
                            recorded_by=item.recorder,
                        )
                    )

    def _plan_exemptions(self) -> None:
        """The newest branches are excused for their first months, while their organisation settles."""
        newest = sorted(self.org.active_branches, key=lambda b: b.founded_on, reverse=True)[:NEW_BRANCH_EXEMPTIONS]
        for branch in newest:
            granted_by = self.organ_users.get(branch.organ_id)
            if granted_by is None:
                continue
            ends = branch.founded_on + datetime.timedelta(days=31 * EXEMPTION_MONTHS)
            self.plan.exemptions.append(
                RequirementExemption(
                    branch=branch,
                    kind="",
                    starts_on=branch.founded_on,
                    ends_on=_last_day_of_month(ends),
                    reason=f"新成立支部（{branch.founded_on:%Y年%m月}成立），成立后{EXEMPTION_MONTHS}个月内组织生活逐步规范",
                    granted_by=granted_by,
                )
            )


def _cumulative(pairs):
    total = 0.0
    for share, value in pairs:
        total += share
        yield total, value


def plan_orglife(
    org: DemoPlan,
    *,
    seed: int,
    today: datetime.date,
    recorders: dict,
    organ_users: dict,
    years: int = DEFAULT_YEARS,
) -> OrgLifePlan:
    return _Planner(org, seed=seed, today=today, recorders=recorders, organ_users=organ_users, years=years).build()


# --- Writing -------------------------------------------------------------------------------------


def _is_postgresql() -> bool:
    return connection.vendor == "postgresql"


def _copy(table: str, columns: list[str], rows) -> None:
    """COPY plain tuples into a table: the fastest way PostgreSQL takes a million rows."""
    names = ", ".join(connection.ops.quote_name(c) for c in columns)
    buffer = io.StringIO()
    for row in rows:
        buffer.write("\t".join(map(_copy_value, row)))
        buffer.write("\n")
    buffer.seek(0)
    with connection.cursor() as cursor:
        cursor.cursor.copy_expert(f"COPY {table} ({names}) FROM STDIN", buffer)


def _copy_attendance(rows) -> None:
    """The million attendance rows, formatted directly (their values need no escaping)."""
    buffer = io.StringIO()
    buffer.writelines(f"{m}\t{p}\t{'t' if c else 'f'}\t{r}\n" for m, p, c, r in rows)
    buffer.seek(0)
    with connection.cursor() as cursor:
        cursor.cursor.copy_expert(
            f"COPY {Attendance._meta.db_table} (meeting_id, member_id, present, absence_reason) FROM STDIN", buffer
        )


def _copy_value(value) -> str:
    if value is None:
        return "\\N"
    if value is True:
        return "t"
    if value is False:
        return "f"
    if isinstance(value, datetime.datetime):
        return value.isoformat()
    text = str(value)
    if "\\" in text or "\t" in text or "\n" in text or "\r" in text:
        text = text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
    return text


def _insert(model, objects: list) -> None:
    """Insert model instances and give them their keys; COPY with keys drawn from the sequence on PostgreSQL."""
    if not objects:
        return
    if not _is_postgresql():
        # Imported here: demo.projects imports this module's siblings while seed_demo loads.
        from demo.projects import keeping_timestamps

        with keeping_timestamps(model):
            model.objects.bulk_create(objects, batch_size=BATCH_SIZE)
        return
    table = model._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)", [table, len(objects)]
        )
        for obj, (pk,) in zip(objects, cursor.fetchall(), strict=True):
            obj.pk = pk
    fields = model._meta.concrete_fields
    _copy(
        table,
        [f.column for f in fields],
        # The demo's values are plain Python ones (dates, decimals, aware datetimes) that COPY reads as they print.
        ([getattr(obj, f.attname) for f in fields] for obj in objects),
    )


@transaction.atomic
def write_orglife(plan: OrgLifePlan, *, today: datetime.date) -> None:
    moments = _Moments(today)
    for meeting in plan.meetings:
        # Recorded the day after the meeting, as a secretary would.
        meeting.created_at = moments(meeting.held_on + datetime.timedelta(days=1))
    _insert(Meeting, plan.meetings)
    rows = ((plan.meetings[i].pk, member_id, present, reason) for i, member_id, present, reason in plan.attendance)
    if _is_postgresql():
        _copy_attendance(rows)
    else:
        Attendance.objects.bulk_create(
            (Attendance(meeting_id=m, member_id=p, present=c, absence_reason=r) for m, p, c, r in rows),
            batch_size=BATCH_SIZE,
        )
    for record in plan.trainings:
        record.created_at = moments(record.held_on)
    _insert(TrainingRecord, plan.trainings)
    RequirementExemption.objects.bulk_create(plan.exemptions)
    if plan.demo_meeting is not None:
        _attach_sign_in_sheet(plan.meetings[plan.demo_meeting])


class _Moments:
    """5:30 pm of a day (never after today), in the portal's time zone; one aware datetime per day."""

    def __init__(self, today: datetime.date):
        self.today = today
        self.cache: dict[datetime.date, datetime.datetime] = {}

    def __call__(self, day: datetime.date) -> datetime.datetime:
        day = min(day, self.today)
        if day not in self.cache:
            self.cache[day] = timezone.make_aware(datetime.datetime.combine(day, datetime.time(17, 30)))
        return self.cache[day]


def _attach_sign_in_sheet(meeting: Meeting) -> None:
    from demo.projects import tiny_png

    content = tiny_png(rgb=(240, 240, 240))
    attachment = MeetingAttachment(
        meeting=meeting,
        token=secrets.token_hex(16),
        original_name="签到表.png",
        content_type="image/png",
        size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
        uploaded_by=meeting.recorded_by,
    )
    attachment.file.save(attachment.original_name, ContentFile(content), save=False)
    attachment.save()


def seed_orglife(org: DemoPlan, *, seed: int, today: datetime.date, years: int = DEFAULT_YEARS) -> OrgLifePlan:
    """Plan and write the demo meetings of the last `years` years for an organisation `seed_demo` has just written."""
    recorders, organ_users = branch_accounts()
    plan = plan_orglife(org, seed=seed, today=today, recorders=recorders, organ_users=organ_users, years=years)
    write_orglife(plan, today=today)
    return plan


def describe(plan: OrgLifePlan) -> str:
    by_kind = defaultdict(int)
    for meeting in plan.meetings:
        by_kind[meeting.kind] += 1
    kinds = "、".join(f"{label} {by_kind[kind]}" for kind, label in MeetingKind.choices if by_kind[kind])
    present = sum(1 for row in plan.attendance if row[2])
    rate = round(100 * present / len(plan.attendance)) if plan.attendance else 0
    return (
        f"已生成组织生活演示数据：会议 {len(plan.meetings)} 次（{kinds}；表决 {plan.n_votes} 项），"
        f"出席记录 {len(plan.attendance)} 条（出席率 {rate}%），培训学时记录 {len(plan.trainings)} 条，"
        f"新成立支部豁免 {len(plan.exemptions)} 项。"
    )


__all__ = ["OrgLifePlan", "branch_accounts", "describe", "plan_orglife", "seed_orglife", "write_orglife"]
