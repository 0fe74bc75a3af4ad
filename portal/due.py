"""What a secretary's branches (and the user as a leader or person responsible) owe this month: the home page's
"本月待办". A fixed number of queries, however many items there are."""

from __future__ import annotations

import calendar
import datetime
from dataclasses import dataclass

from django.db.models import Exists, OuterRef, Q
from django.urls import reverse

from accounts.scope import scope_of
from assessments.ledger import WORKING
from assessments.models import DutyReport, DutyReportPeriod, Problem
from assessments.reports import FILED_STATUSES
from branches import kept, orglife
from branches.models import Branch, MeetingCompletion, Member
from notifications.reminders import REPORT_LOOKBACK_DAYS
from projects.choices import ProjectStatus, SupervisionKind
from projects.models import RUNNING_STATUSES, Milestone, Supervision


@dataclass(frozen=True)
class DueItem:
    """One thing due this month (or already late), for the home page list."""

    category: str
    title: str
    where: str
    due_on: datetime.date
    url: str
    days_left: int

    @property
    def overdue(self) -> bool:
        return self.days_left < 0

    @property
    def days_late(self) -> int:
        return -self.days_left


def month_end(today: datetime.date) -> datetime.date:
    return today.replace(day=calendar.monthrange(today.year, today.month)[1])


def due_this_month(user, today: datetime.date) -> list[DueItem]:
    """What the user's branches (and the user as a leader or person responsible) owe by the end of this month,
    overdue items included, soonest first. A fixed number of queries, however many items there are."""
    scope = scope_of(user)
    branch_ids = sorted(scope.branch_ids)
    end = month_end(today)
    items: list[DueItem] = []
    if branch_ids:
        items += _due_milestones(branch_ids, today, end)
        items += _due_dubans(branch_ids, today)
        items += _due_meetings(branch_ids, today, end)
    if branch_ids or scope.member_id is not None:
        items += _due_problems(branch_ids, scope.member_id, today, end)
    if scope.member_id is not None:
        items += _due_reports(scope.member_id, today, end)
    return sorted(items, key=lambda i: (i.due_on, i.category, i.title))


def _due_milestones(branch_ids, today, end) -> list[DueItem]:

    milestones = (
        Milestone.objects.filter(
            project__branch_id__in=branch_ids,
            project__status__in=RUNNING_STATUSES,
            completed_on__isnull=True,
            planned_on__lte=end,
        )
        .select_related("project__branch")
        .only("title", "planned_on", "project__title", "project__branch__name")
        .order_by("planned_on", "pk")
    )
    return [
        DueItem(
            category="项目节点",
            title=f"《{m.project.title}》{m.title}",
            where=m.project.branch.name,
            due_on=m.planned_on,
            url=f"{m.project.get_absolute_url()}#milestone-{m.pk}",
            days_left=(m.planned_on - today).days,
        )
        for m in milestones
    ]


def _due_dubans(branch_ids, today) -> list[DueItem]:

    dubans = (
        Supervision.objects.filter(
            kind=SupervisionKind.DUBAN, answered_at__isnull=True, project__branch_id__in=branch_ids
        )
        .exclude(project__status=ProjectStatus.ACCEPTED)
        .select_related("project__branch")
        .only("answer_due_on", "project__title", "project__branch__name")
        .order_by("answer_due_on", "pk")
    )
    return [
        DueItem(
            category="督办答复",
            title=f"《{d.project.title}》督办",
            where=d.project.branch.name,
            due_on=d.answer_due_on,
            url=f"{d.project.get_absolute_url()}#supervision-{d.pk}",
            days_left=(d.answer_due_on - today).days,
        )
        for d in dubans
        if d.answer_due_on is not None
    ]


def _due_meetings(branch_ids, today, end) -> list[DueItem]:
    """Required meetings not yet held in the periods under way (this month, quarter, year)."""

    requirements = orglife.requirements_for_year(today.year)
    if not orglife.is_open(requirements):
        return []  # nothing is kept for a year not opened yet
    order = {r.kind: i for i, r in enumerate(requirements)}
    # The kept periods under way today that are neither done nor exempt (`Status.UPCOMING`).
    rows = (
        MeetingCompletion.objects.filter(
            branch__in=Branch.objects.filter(pk__in=branch_ids).active(),
            year=today.year,
            starts_on__lte=today,
            kind__in=list(order),
        )
        .filter(MeetingCompletion.objects.upcoming_q(today))
        .select_related("branch")
    )
    items = []
    for row in sorted(rows, key=lambda r: (r.branch_id, order[r.kind], r.index)):
        requirement, cell = requirements[order[row.kind]], kept.cell_of(row, today)
        if cell.per_group:
            detail = f"{cell.n_groups} 个党小组中已有 {cell.groups_met} 个达到要求"
        else:
            detail = f"应开 {cell.required} 次，已开 {cell.held} 次"
        items.append(
            DueItem(
                category="组织生活",
                title=f"{requirement.get_kind_display()}（{cell.span.label}，{detail}）",
                where=row.branch.name,
                due_on=cell.span.end,
                url=reverse("branches:branch_calendar", args=[row.branch_id]) + f"?year={today.year}",
                days_left=(cell.span.end - today).days,
            )
        )
    return items


def _due_problems(branch_ids, member_id, today, end) -> list[DueItem]:

    mine = Q(branch_id__in=branch_ids)
    if member_id is not None:
        mine |= Q(responsible_id=member_id)
    problems = (
        Problem.objects.filter(mine, status__in=WORKING, deadline__lte=end)
        .select_related("branch")
        .only("title", "deadline", "branch__name")
        .order_by("deadline", "pk")
    )
    return [
        DueItem(
            category="问题整改",
            title=p.title,
            where=p.branch.name,
            due_on=p.deadline,
            url=reverse("assessments:problem_detail", args=[p.pk]),
            days_left=(p.deadline - today).days,
        )
        for p in problems
    ]


def _due_reports(member_id, today, end) -> list[DueItem]:
    """The user's own 一岗双责 reports not yet filed whose due date falls by the end of the month."""

    # Saved periods only: a year not opened yet has nothing that can be filed (the yearly job opens it).
    leader = Member.objects.filter(pk=member_id, is_leader=True, branch__dissolved_on__isnull=True)
    filed = DutyReport.objects.filter(period=OuterRef("pk"), member_id=member_id, status__in=FILED_STATUSES)
    periods = (
        DutyReportPeriod.objects.filter(
            Exists(leader),
            due_on__lte=end,
            due_on__gte=today - datetime.timedelta(days=REPORT_LOOKBACK_DAYS),
            starts_on__lte=today,
        )
        .exclude(Exists(filed))
        .order_by("due_on")
    )
    return [
        DueItem(
            category="一岗双责报告",
            title=f"{p}一岗双责报告",
            where="本人",
            due_on=p.due_on,
            url=reverse("assessments:report_edit", args=[p.pk, member_id]),
            days_left=(p.due_on - today).days,
        )
        for p in periods
    ]
