"""Opening a year: every app's rules of the year saved ahead of time, so that pages only ever read them.

Rules are data per year: 组织生活要求 (`branches.orglife`), 一岗双责报告期 (`assessments.reports`), 项目年度规则
and its rubric (`projects.services`), 党员积分规则 (`assessments.points`). A page of a year that is not opened
reads what the year would start with, in memory, and writes nothing. Opening saves exactly that: a copy of the
latest earlier year (report periods: the default dates), with the kept tables that follow (meeting completion,
report filings). Each app's writer is idempotent and safe against a concurrent opener.

Who opens: the yearly job (`tasks.open_coming_years`, from 1 December the next year), `manage.py open_year`, a
工委 on a rules page, seed_demo, the migration that opened the years of existing installs, and the few writes
that need a saved row of a year (a rule edited, acceptance requested, a rating run).
"""

import datetime
from collections.abc import Callable
from dataclasses import dataclass

from django.db import transaction

from assessments import points, reports
from assessments.models import DutyReportPeriod, PointRule
from branches import orglife
from branches.models import MeetingRequirement
from projects import services as projects
from projects.models import ProjectYearConfig

# Opening reaches back no further than the pages offer, and forward no further than next year.
FIRST_YEAR = orglife.FIRST_YEAR


@dataclass(frozen=True)
class Rules:
    """One app's rules of a year: what they are called, whether a year has them saved, and the writer."""

    label: str
    is_open: Callable[[int], bool]
    open: Callable[..., object]  # (year, by)


RULES = (
    Rules(
        "组织生活要求",
        lambda year: MeetingRequirement.objects.filter(year=year).exists(),
        lambda year, by: orglife.ensure_requirements(year, by=by),
    ),
    Rules(
        "一岗双责报告期",
        lambda year: DutyReportPeriod.objects.filter(year=year).count() == len(reports.DEFAULT_HALVES),
        lambda year, by: reports.ensure_periods([year], by=by),
    ),
    Rules(
        "项目验收规则",
        lambda year: ProjectYearConfig.objects.filter(year=year).exists(),
        lambda year, by: projects.ensure_config(year, by=by),
    ),
    Rules(
        "党员积分规则",
        lambda year: PointRule.objects.filter(year=year).exists(),
        lambda year, by: points.ensure_point_rules(year, by=by),
    ),
)


def coming_years(today: datetime.date) -> list[int]:
    """The years that should be open on `today`: this one, and from 1 December the next, so that its rules
    are there (and can be edited) before its first day."""
    return [today.year, today.year + 1] if today.month == 12 else [today.year]


def year_in_range(year: int, today: datetime.date) -> bool:
    return FIRST_YEAR <= year <= today.year + 1


def unopened(year: int) -> list[str]:
    """The labels of the rules `year` does not have saved yet (empty: the year is open everywhere)."""
    return [rules.label for rules in RULES if not rules.is_open(year)]


@transaction.atomic
def open_year(year: int, *, by=None) -> list[str]:
    """Save every app's rules of `year` that are not saved yet; the labels of those opened now.

    Idempotent: on an open year it reads and writes nothing else. In one transaction, so that a year is
    opened in every app or in none.
    """
    opened = []
    for rules in RULES:
        if not rules.is_open(year):
            rules.open(year, by)
            opened.append(rules.label)
    return opened


def open_coming_years(today: datetime.date) -> dict[int, list[str]]:
    """What the yearly job does: open `coming_years(today)`; per year, the labels opened now."""
    return {year: open_year(year) for year in coming_years(today)}
