"""The one reminder engine: everything that falls due, told in time and escalated when it is late.

`send_reminders(today)` runs every registered source once a day (celery beat, or `manage.py send_reminders`).
Each app keeps its sources in its own `reminders` module and registers them with `@reminder_source(name)`;
the engine imports those modules when Django starts (`NotificationsConfig.ready`) and knows nothing of them:

- branches: committee terms about to end (换届), required meetings missed in a period that just ended;
- projects: milestones and 督办 of 一支部一项目;
- assessments: 一岗双责 reports not yet filed, problem-ledger deadlines.

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
class RulesByYear:
    """Reminder rules by year, read once per run."""

    cache: dict[int, ReminderRules] = field(default_factory=dict)

    def __call__(self, year: int) -> ReminderRules:
        if year not in self.cache:
            self.cache[year] = ReminderRules.for_year(year)
        return self.cache[year]


def stage_of(days_left: int, rules: ReminderRules) -> str | None:
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


def when_words(days_left: int) -> str:
    if days_left > 0:
        return f"还有 {days_left} 天到期"
    if days_left == 0:
        return "今天到期"
    return f"已逾期 {-days_left} 天"


# --- Sources ---------------------------------------------------------------------------------------

Source = Callable[[datetime.date], dict[str, int]]
# (name, source) in the order the apps are installed; filled by `reminder_source` as the apps' modules load.
SOURCES: list[tuple[str, Source]] = []


def reminder_source(name: str) -> Callable[[Source], Source]:
    """Register `source(today) -> {stage: notifications created}` under `name` (once, however often imported)."""

    def register(source: Source) -> Source:
        if name not in {n for n, _ in SOURCES}:
            SOURCES.append((name, source))
        return source

    return register


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
