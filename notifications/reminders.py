"""The one reminder engine: everything that falls due, told in time and escalated when it is late.

`send_reminders(today)` runs every source once a day (celery beat, or `manage.py send_reminders`):

- milestones and 督办 of 一支部一项目 (projects/reminders.py);
- 一岗双责 reports not yet filed: before the due date and on it to the leader, after the grace to the organ;
- committee terms about to end (换届): the configured days before, to the branch and its organ;
- problem-ledger deadlines: before and on the deadline to the branch, after the grace to the organ;
- required meetings missed in a period that just ended: to the branch, after the grace to the organ.

Every reminder names its item and stage in a key; the notification table holds one row per person and
key, and a key already sent is not sent again, so running the job twice (or two jobs at once) sends
nothing twice. Days come from the year's `ReminderRules` and `OrganisationRules`, never from this code.
"""

from __future__ import annotations

import datetime
import logging
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.db import transaction
from django.urls import reverse

from accounts.models import Role, RoleAssignment

from .models import Notification, ReminderRules
from .services import notify

logger = logging.getLogger(__name__)

BEFORE, DUE, ESCALATED = "before", "due", "escalated"
NOTICE, MISSING = "notice", "missing"
# A report period or a meeting period that ended long ago is old news: the staff overviews show it, the
# bell does not. Reports are reminded for half a year after their due date, meetings for a month.
REPORT_LOOKBACK_DAYS = 183
MEETING_LOOKBACK_DAYS = 31
# The keys already sent are looked up in slices so that each query stays small.
KEY_CHUNK = 500
ESCALATION_NAMES = 20


@dataclass(frozen=True)
class Reminder:
    """One message about one item at one stage, for the people of some branches, organs, or named accounts."""

    stage: str
    key: str
    title: str
    body: str
    url: str
    branches: tuple[int, ...] = ()
    organs: tuple[int, ...] = ()
    users: tuple = ()


@dataclass
class _Rules:
    """Reminder rules by year, read once per run."""

    cache: dict[int, ReminderRules] = field(default_factory=dict)

    def __call__(self, year: int) -> ReminderRules:
        if year not in self.cache:
            self.cache[year] = ReminderRules.for_year(year)
        return self.cache[year]


def _stage(days_left: int, rules: ReminderRules) -> str | None:
    """Where an item due in `days_left` days stands: before, due (on the day and through the grace), escalated.

    Escalation starts the day after the grace ends: with a 7-day grace, 8 days late.
    """
    if 0 < days_left <= rules.days_before:
        return BEFORE
    if -rules.escalate_after_days <= days_left <= 0:
        return DUE
    if days_left < -rules.escalate_after_days:
        return ESCALATED
    return None


def _when(days_left: int) -> str:
    if days_left > 0:
        return f"还有 {days_left} 天到期"
    if days_left == 0:
        return "今天到期"
    return f"已逾期 {-days_left} 天"


# --- Delivery --------------------------------------------------------------------------------------


def _already_sent(keys: Iterable[str]) -> set[str]:
    ordered = sorted(set(keys))
    sent: set[str] = set()
    for start in range(0, len(ordered), KEY_CHUNK):
        chunk = ordered[start : start + KEY_CHUNK]
        sent.update(Notification.objects.filter(key__in=chunk).values_list("key", flat=True).distinct())
    return sent


def _role_holders(reminders: list[Reminder]) -> tuple[dict[int, list], dict[int, list]]:
    """Active accounts of each branch committee and organ named by the reminders, in two queries."""
    branch_ids = {b for r in reminders for b in r.branches}
    organ_ids = {o for r in reminders for o in r.organs}
    by_branch: dict[int, list] = defaultdict(list)
    by_organ: dict[int, list] = defaultdict(list)
    roles = RoleAssignment.objects.filter(user__is_active=True).select_related("user").order_by("user_id")
    if branch_ids:
        for role in roles.filter(role=Role.BRANCH, branch_id__in=branch_ids):
            by_branch[role.branch_id].append(role.user)
    if organ_ids:
        for role in roles.filter(role=Role.ORGAN, organ_id__in=organ_ids):
            by_organ[role.organ_id].append(role.user)
    return by_branch, by_organ


def deliver(reminders: list[Reminder], stages: Iterable[str]) -> dict[str, int]:
    """Send the reminders not sent before; returns how many notifications each stage created."""
    counts = dict.fromkeys(stages, 0)
    sent = _already_sent(r.key for r in reminders)
    fresh = [r for r in reminders if r.key not in sent]
    by_branch, by_organ = _role_holders(fresh)
    for reminder in fresh:
        people = [*reminder.users]
        for branch_id in reminder.branches:
            people += by_branch.get(branch_id, [])
        for organ_id in reminder.organs:
            people += by_organ.get(organ_id, [])
        created = notify(
            [p for p in people if p.is_active],
            title=reminder.title,
            body=reminder.body,
            url=reminder.url,
            key=reminder.key,
        )
        counts[reminder.stage] = counts.get(reminder.stage, 0) + len(created)
    return counts


# --- The job ---------------------------------------------------------------------------------------


def send_reminders(today: datetime.date) -> dict[str, int]:
    """Run every source for `today`; returns "source.stage" → notifications created.

    Each source commits on its own: one that fails is logged and re-raised after the others have run,
    so a fault in one kind of reminder never silences the rest.
    """
    counts: dict[str, int] = {}
    failures: list[tuple[str, Exception]] = []
    for name, source in SOURCES:
        try:
            with transaction.atomic():
                result = source(today)
        except Exception as error:
            logger.exception("reminder source %s failed for %s", name, today)
            failures.append((name, error))
            continue
        counts.update({f"{name}.{stage}": n for stage, n in result.items()})
    if failures:
        name, error = failures[0]
        raise RuntimeError(f"提醒来源 {name} 运行失败：{error}") from error
    return counts


# --- Milestones and 督办 ------------------------------------------------------------------------------


def milestone_reminders(today: datetime.date) -> dict[str, int]:
    from projects.reminders import run_milestone_reminders

    return run_milestone_reminders(today)


# --- 一岗双责 reports ----------------------------------------------------------------------------------


def report_reminders(today: datetime.date, rules: _Rules | None = None) -> dict[str, int]:
    """Leaders who have not filed (no report, a draft, or a returned one) hear before and on the due date;
    the organ's 机关党委 hears once per organ and period when its leaders are still missing after the grace."""
    from assessments import reports

    rules = rules or _Rules()
    reminders: list[Reminder] = []
    for period in reports.ensure_periods([today.year - 1, today.year]):
        period_rules = rules(period.due_on.year)
        days_left = (period.due_on - today).days
        stage = _stage(days_left, period_rules)
        if stage is None or -days_left > REPORT_LOOKBACK_DAYS:
            continue
        members = list(
            reports.outstanding(period).select_related("user", "branch__organ").order_by("name_pinyin", "pk")
        )
        if stage == ESCALATED:
            reminders += _report_escalations(period, members, -days_left)
        else:
            reminders += [_report_reminder(period, member, stage, days_left) for member in members]
    return deliver(reminders, (BEFORE, DUE, ESCALATED))


def _report_reminder(period, member, stage: str, days_left: int) -> Reminder:
    # A leader without an account is reminded through the branch committee, who may file on their behalf.
    has_account = member.user_id is not None and member.user.is_active
    whose = "您" if has_account else member.name
    if stage == BEFORE:
        title = "一岗双责报告即将到期"
    else:
        title = "一岗双责报告今日到期" if days_left == 0 else "一岗双责报告已逾期"
    return Reminder(
        stage=stage,
        key=f"report:{period.pk}:{member.pk}:{stage}",
        title=f"{title}：{period}{'' if has_account else f'（{member.name}）'}",
        body=(
            f"{whose}的{period}一岗双责报告应于 {period.due_on:%Y-%m-%d} 前提交，{_when(days_left)}。"
            "报告分管业务工作和分管领域党建工作情况、存在问题和下一步措施。"
        ),
        url=reverse("assessments:report_edit", args=[period.pk, member.pk]),
        users=(member.user,) if has_account else (),
        branches=() if has_account else (member.branch_id,),
    )


def _report_escalations(period, members: list, days_late: int) -> list[Reminder]:
    by_organ: dict[int, list] = defaultdict(list)
    for member in members:
        by_organ[member.branch.organ_id].append(member)
    reminders = []
    for organ_id, late in by_organ.items():
        organ = late[0].branch.organ
        names = "、".join(m.name for m in late[:ESCALATION_NAMES]) + ("等" if len(late) > ESCALATION_NAMES else "")
        query = f"?period={period.pk}&organ={organ_id}"
        reminders.append(
            Reminder(
                stage=ESCALATED,
                key=f"report:{period.pk}:organ:{organ_id}:escalated",
                title=f"一岗双责报告逾期未交：{organ.display_short} {len(late)} 人",
                body=(
                    f"{period}一岗双责报告截止日期为 {period.due_on:%Y-%m-%d}，已逾期 {days_late} 天，"
                    f"{organ.display_short}仍有 {len(late)} 名班子成员未提交：{names}。请督促提交。"
                ),
                url=reverse("assessments:report_overview") + query,
                organs=(organ_id,),
            )
        )
    return reminders


# --- 换届 (committee terms) ----------------------------------------------------------------------------


def term_reminders(today: datetime.date) -> dict[str, int]:
    """The current term of each active branch, at the configured days before it ends (e.g. 90 and 30).

    Only the nearest notice is sent: a term first seen 25 days before its end gets the 30-day notice,
    not the 90-day one as well.
    """
    from branches.models import Branch, OrganisationRules

    notices = OrganisationRules.for_year(today.year).term_notice_list
    if not notices:
        return {NOTICE: 0}
    branches = (
        Branch.objects.active()
        .with_stats()
        .filter(term_ends_on__gte=today, term_ends_on__lte=today + datetime.timedelta(days=max(notices)))
        .select_related("organ")
        .order_by("term_ends_on", "pk")
    )
    reminders = []
    for branch in branches:
        days_left = (branch.term_ends_on - today).days
        notice = min(d for d in notices if days_left <= d)
        when = "今天" if days_left == 0 else f"还有 {days_left} 天"
        reminders.append(
            Reminder(
                stage=NOTICE,
                key=f"term:{branch.current_term_id}:{notice}",
                title=f"换届提醒：{branch.name}支委会任期将于 {branch.term_ends_on:%Y-%m-%d} 届满",
                body=(
                    f"{branch.organ.display_short} {branch.name}本届支部委员会任期将于 "
                    f"{branch.term_ends_on:%Y-%m-%d} 届满（{when}）。请提前做好换届选举准备，"
                    "按程序报上级党组织审批；确需延期换届的，应报批。"
                ),
                url=branch.get_absolute_url(),
                branches=(branch.pk,),
                organs=(branch.organ_id,),
            )
        )
    return deliver(reminders, (NOTICE,))


# --- 问题整改台账 (problem ledger) -----------------------------------------------------------------------


def problem_reminders(today: datetime.date, rules: _Rules | None = None) -> dict[str, int]:
    """Open items before and on their deadline (branch committee and the person responsible), and after the
    grace to the organ. The deadline is in the key: a new deadline after a reschedule is reminded afresh."""
    from assessments.ledger import WORKING
    from assessments.models import Problem

    rules = rules or _Rules()
    horizon = today + datetime.timedelta(days=max(rules(today.year).days_before, rules(today.year + 1).days_before))
    problems = (
        Problem.objects.filter(status__in=WORKING, deadline__lte=horizon, branch__dissolved_on__isnull=True)
        .select_related("branch__organ", "responsible__user")
        .order_by("deadline", "pk")
    )
    reminders = []
    for problem in problems:
        days_left = (problem.deadline - today).days
        stage = _stage(days_left, rules(problem.deadline.year))
        if stage is not None:
            reminders.append(_problem_reminder(problem, stage, days_left))
    return deliver(reminders, (BEFORE, DUE, ESCALATED))


def _problem_reminder(problem, stage: str, days_left: int) -> Reminder:
    url = reverse("assessments:problem_detail", args=[problem.pk])
    key = f"problem:{problem.pk}:{problem.deadline:%Y%m%d}:{stage}"
    where = f"{problem.branch.name}的整改问题“{problem.title}”"
    if stage == ESCALATED:
        return Reminder(
            stage=stage,
            key=key,
            title=f"整改问题逾期未完成：{problem.branch.name}",
            body=(
                f"{problem.branch.organ.display_short} {where}整改时限为 {problem.deadline:%Y-%m-%d}，"
                f"已逾期 {-days_left} 天仍未整改完成（责任人：{problem.responsible.name}）。请督促整改。"
            ),
            url=url,
            organs=(problem.branch.organ_id,),
        )
    responsible = problem.responsible.user
    title = "整改问题即将到期" if stage == BEFORE else "整改问题今日到期" if days_left == 0 else "整改问题已逾期"
    return Reminder(
        stage=stage,
        key=key,
        title=f"{title}：{problem.title}",
        body=(
            f"{where}整改时限为 {problem.deadline:%Y-%m-%d}，{_when(days_left)}。"
            f"整改措施：{problem.measures}\n整改完成后请填写整改情况并报告，由机关党委核验。"
        ),
        url=url,
        branches=(problem.branch_id,),
        users=(responsible,) if responsible is not None else (),
    )


# --- Required meetings ---------------------------------------------------------------------------------


def meeting_reminders(today: datetime.date, rules: _Rules | None = None) -> dict[str, int]:
    """After a period ends (a month, a quarter, the year), each branch that missed a required meeting in it
    hears once which ones; after the grace, the organ hears once which of its branches are still short.

    Completion (with exemptions and what does not apply) is `branches.orglife.completion`'s answer.
    """
    from branches import orglife
    from branches.models import Branch

    rules = rules or _Rules()
    since = today - datetime.timedelta(days=MEETING_LOOKBACK_DAYS)
    branches = list(Branch.objects.active().select_related("organ").order_by("organ__sort_order", "organ_id", "pk"))
    # (branch, period end) → the missed (requirement, cell) pairs of the periods that ended that day.
    missed: dict[tuple[int, datetime.date], list] = defaultdict(list)
    by_id = {b.pk: b for b in branches}
    for year in sorted({since.year, today.year}):
        if not branches:
            break
        for branch_id, result in orglife.completion(branches, year, today).items():
            for requirement, cell in result.cells(orglife.Status.MISSING):
                if since < cell.span.end < today:
                    missed[branch_id, cell.span.end].append((requirement, cell))
    reminders = []
    late: dict[tuple[int, datetime.date], list] = defaultdict(list)
    for (branch_id, ended), items in missed.items():
        branch = by_id[branch_id]
        days_late = (today - ended).days
        reminders.append(_meeting_reminder(branch, ended, items))
        if days_late > rules(ended.year).escalate_after_days:
            late[branch.organ_id, ended].append((branch, items))
    for (_organ_id, ended), rows in late.items():
        reminders.append(_meeting_escalation(ended, rows, (today - ended).days))
    return deliver(reminders, (MISSING, ESCALATED))


def _meeting_items(items) -> str:
    parts = []
    for requirement, cell in items:
        if cell.per_group:
            parts.append(f"{requirement.get_kind_display()}（{cell.n_groups} 个党小组中 {cell.groups_met} 个达到要求）")
        else:
            parts.append(f"{requirement.get_kind_display()}（应开 {cell.required} 次，实开 {cell.held} 次）")
    return "、".join(parts)


def _period_words(items) -> str:
    """'10月', '第三季度', '全年' — the periods that ended on one day, widest last."""
    return "、".join(dict.fromkeys(cell.span.label for _, cell in sorted(items, key=lambda i: i[1].span.n_months)))


def _meeting_reminder(branch, ended: datetime.date, items) -> Reminder:
    periods = _period_words(items)
    return Reminder(
        stage=MISSING,
        key=f"meetings:{branch.pk}:{ended:%Y%m%d}:missing",
        title=f"组织生活未达要求：{branch.name} {ended.year}年{periods}",
        body=(
            f"{branch.name} {ended.year}年{periods}（截至 {ended:%Y-%m-%d}）以下组织生活未按要求开展："
            f"{_meeting_items(items)}。已开展但未登记的，请及时补录会议记录；确有原因的，可向机关党委申请豁免。"
        ),
        url=reverse("branches:branch_calendar", args=[branch.pk]) + f"?year={ended.year}",
        branches=(branch.pk,),
    )


def _meeting_escalation(ended: datetime.date, rows: list, days_late: int) -> Reminder:
    organ = rows[0][0].organ
    names = "；".join(f"{branch.name}：{_meeting_items(items)}" for branch, items in rows[:ESCALATION_NAMES])
    more = f"；另有 {len(rows) - ESCALATION_NAMES} 个支部" if len(rows) > ESCALATION_NAMES else ""
    periods = _period_words([i for _, items in rows for i in items])
    return Reminder(
        stage=ESCALATED,
        key=f"meetings:organ:{organ.pk}:{ended:%Y%m%d}:escalated",
        title=f"组织生活未达要求：{organ.display_short} {len(rows)} 个支部（{ended.year}年{periods}）",
        body=(
            f"{organ.display_short} {ended.year}年{periods}（截至 {ended:%Y-%m-%d}，已过 {days_late} 天）"
            f"有 {len(rows)} 个支部组织生活未达要求：{names}{more}。请督促支部补课或补录。"
        ),
        url=reverse("branches:completion") + f"?year={ended.year}&organ={organ.pk}&state=missing",
        organs=(organ.pk,),
    )


SOURCES: list[tuple[str, Callable[[datetime.date], dict[str, int]]]] = [
    ("milestones", milestone_reminders),
    ("reports", report_reminders),
    ("terms", term_reminders),
    ("problems", problem_reminders),
    ("meetings", meeting_reminders),
]
