"""Daily reminders about milestones and 督办: what is due soon, what is overdue, what the organ must hear.

Each reminder names its item and stage in a key ("milestone:12:overdue"). A key already sent is not sent
again, and the notification table holds one row per person and key, so running the job twice (or two
jobs at once) sends nothing twice. Reminders go to the people who hold the role on the day they are sent.
"""

import datetime
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import transaction

from accounts.selectors import branch_committee_users, organ_staff_users
from notifications.kinds import register_kind
from notifications.models import Notification
from notifications.reminders import reminder_source
from notifications.services import notify

from .choices import ProjectStatus, SupervisionKind
from .models import RUNNING_STATUSES, Milestone, Project, ProjectYearConfig, Supervision
from .services import config_for_year

DUE_SOON, OVERDUE, ESCALATED, DUBAN_OVERDUE = "due_soon", "overdue", "escalated", "duban_overdue"
STAGES = (DUE_SOON, OVERDUE, ESCALATED, DUBAN_OVERDUE)
BRANCH, ORGAN = "branch", "organ"

# How the 工委's list of sent messages names the keys this app sends (`notifications.kinds`).
register_kind("milestone", "项目节点", {DUE_SOON: "即将到期", OVERDUE: "已逾期", ESCALATED: "逾期上报"})
register_kind("duban", "督办", {"overdue": "逾期未答复"})
register_kind("supervision", "督查督办", {"issued": "已下发", "answered": "已答复"})
register_kind("task", "项目任务", {"done": "已完成"})
register_kind("project", "支部项目", {"acceptance_requested": "申请验收", "accepted": "验收完成"})
register_kind(Project)  # the workflow's steps, announced by `notices`
# Keys are looked up in slices so the query stays small however many items are open.
KEY_CHUNK = 500


@dataclass(frozen=True)
class Reminder:
    """One message about one item at one stage, for the people of one branch or one organ."""

    stage: str
    key: str
    audience: str
    target_id: int
    title: str
    body: str
    url: str


@reminder_source("milestones")
def run_milestone_reminders(today: datetime.date) -> dict[str, int]:
    """Send the reminders due on `today`; returns how many notifications each stage created."""
    with transaction.atomic():
        reminders = [*_milestone_reminders(today), *_duban_reminders(today)]
        sent = _already_sent({r.key for r in reminders})
        counts = dict.fromkeys(STAGES, 0)
        for reminder in reminders:
            if reminder.key not in sent:
                counts[reminder.stage] += len(_send(reminder))
    return counts


def _send(reminder: Reminder) -> list[Notification]:
    people = branch_committee_users if reminder.audience == BRANCH else organ_staff_users
    return notify(
        people(reminder.target_id), title=reminder.title, body=reminder.body, url=reminder.url, key=reminder.key
    )


def _already_sent(keys: set[str]) -> set[str]:
    ordered = sorted(keys)
    sent: set[str] = set()
    for start in range(0, len(ordered), KEY_CHUNK):
        chunk = ordered[start : start + KEY_CHUNK]
        sent.update(Notification.objects.filter(key__in=chunk).values_list("key", flat=True).distinct())
    return sent


# --- Milestones ----------------------------------------------------------------------------------


def _configs(years: Iterable[int]) -> dict[int, ProjectYearConfig]:
    return {year: config_for_year(year) for year in sorted(set(years))}


def _milestone_reminders(today: datetime.date) -> list[Reminder]:
    years = Project.objects.filter(status__in=RUNNING_STATUSES).order_by().values_list("year", flat=True).distinct()
    configs = _configs(years)
    if not configs:
        return []
    horizon = today + datetime.timedelta(days=max(c.remind_days_before for c in configs.values()))
    milestones = (
        Milestone.objects.filter(
            project__status__in=RUNNING_STATUSES, completed_on__isnull=True, planned_on__lte=horizon
        )
        .select_related("project__branch__organ")
        .order_by("planned_on", "pk")
    )
    reminders = []
    for milestone in milestones:
        config = configs[milestone.project.year]
        days_left = (milestone.planned_on - today).days
        if 0 <= days_left <= config.remind_days_before:
            reminders.append(_due_soon(milestone, days_left))
        elif days_left < 0:
            reminders.append(_overdue(milestone, -days_left, config))
            if -days_left > config.escalate_after_days:
                reminders.append(_escalated(milestone, -days_left))
    return reminders


def _where(milestone: Milestone) -> str:
    project = milestone.project
    return f"{project.branch.name}的项目《{project.title}》节点“{milestone.title}”"


def _milestone_url(milestone: Milestone) -> str:
    return f"{milestone.project.get_absolute_url()}#milestone-{milestone.pk}"


def _due_soon(milestone: Milestone, days_left: int) -> Reminder:
    when = "今天到期" if days_left == 0 else f"还有 {days_left} 天到期"
    return Reminder(
        stage=DUE_SOON,
        key=f"milestone:{milestone.pk}:due_soon",
        audience=BRANCH,
        target_id=milestone.project.branch_id,
        title=f"节点即将到期：{milestone.title}",
        body=f"{_where(milestone)}计划于 {milestone.planned_on:%Y-%m-%d} 完成，{when}。请按时推进并填报进展。",
        url=_milestone_url(milestone),
    )


def _overdue(milestone: Milestone, days_late: int, config: ProjectYearConfig) -> Reminder:
    return Reminder(
        stage=OVERDUE,
        key=f"milestone:{milestone.pk}:overdue",
        audience=BRANCH,
        target_id=milestone.project.branch_id,
        title=f"节点已逾期：{milestone.title}",
        body=(
            f"{_where(milestone)}计划于 {milestone.planned_on:%Y-%m-%d} 完成，已逾期 {days_late} 天。"
            f"请尽快完成并填报进展；逾期超过 {config.escalate_after_days} 天仍未完成的，将提醒机关党委。"
        ),
        url=_milestone_url(milestone),
    )


def _escalated(milestone: Milestone, days_late: int) -> Reminder:
    organ = milestone.project.branch.organ
    return Reminder(
        stage=ESCALATED,
        key=f"milestone:{milestone.pk}:escalated",
        audience=ORGAN,
        target_id=organ.pk,
        title=f"支部项目节点逾期未完成：{milestone.project.branch.name}",
        body=(
            f"{organ.display_short} {_where(milestone)}计划于 {milestone.planned_on:%Y-%m-%d} 完成，"
            f"已逾期 {days_late} 天仍未完成，请督促支部推进，必要时下达督办。"
        ),
        url=_milestone_url(milestone),
    )


# --- 督办 ----------------------------------------------------------------------------------------


def _duban_reminders(today: datetime.date) -> list[Reminder]:
    dubans = (
        Supervision.objects.filter(kind=SupervisionKind.DUBAN, answered_at__isnull=True, answer_due_on__lt=today)
        .exclude(project__status=ProjectStatus.ACCEPTED)
        .select_related("project__branch")
        .order_by("answer_due_on", "pk")
    )
    return [_duban_overdue(duban, (today - duban.answer_due_on).days) for duban in dubans]


def _duban_overdue(duban: Supervision, days_late: int) -> Reminder:
    project = duban.project
    excerpt = duban.text if len(duban.text) <= 60 else duban.text[:60] + "…"
    return Reminder(
        stage=DUBAN_OVERDUE,
        key=f"duban:{duban.pk}:overdue",
        audience=BRANCH,
        target_id=project.branch_id,
        title=f"督办逾期未答复：{project.title}",
        body=(
            f"{project.branch.name}的项目《{project.title}》收到的督办应于 {duban.answer_due_on:%Y-%m-%d} 前答复，"
            f"已逾期 {days_late} 天仍未答复，请尽快答复。督办内容：{excerpt}"
        ),
        url=f"{project.get_absolute_url()}#supervision-{duban.pk}",
    )
