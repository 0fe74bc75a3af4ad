"""The home page of a branch secretary (and of a leader): what the branch owes, its stars, the unread messages.

`portal.due.due_this_month` lists what falls due (milestones, 督办, meetings, ledger items,
the user's own report). This module adds, per branch on the user's committee: the 一岗双责 roster of the
period whose reports are due now, and the latest published stars with where points were lost; and, for
everyone, the latest unread notifications. A fixed number of queries, however many branches, leaders,
results or messages there are.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from functools import cached_property

from django.db.models import Q
from django.urls import NoReverseMatch, reverse

from accounts.scope import Scope
from assessments import reports
from assessments.choices import ReportStatus
from assessments.models import DutyReportPeriod, RatingResult
from assessments.reports import FILING_CHOICES, FILING_MISSING, FILING_RETURNED
from assessments.results import largest_losses
from branches.models import Branch, Member
from notifications.models import Notification

LATEST_UNREAD = 5
TO_FILE = (FILING_MISSING, FILING_RETURNED)
FILING_LABELS = dict(FILING_CHOICES)


@dataclass
class LeaderRow:
    """One 班子成员 on the period's roster, with where their report is filed or read."""

    member: Member
    label: str
    to_file: bool
    url: str
    is_me: bool


@dataclass
class BranchCard:
    """One branch of the user's committee: its report roster and its published stars."""

    branch: Branch
    leaders: list[LeaderRow] = field(default_factory=list)
    stars_history: list[RatingResult] = field(default_factory=list)

    @property
    def n_filed(self) -> int:
        return sum(1 for row in self.leaders if not row.to_file)

    @property
    def outstanding(self) -> list[LeaderRow]:
        return [row for row in self.leaders if row.to_file]

    @property
    def latest_result(self) -> RatingResult | None:
        return self.stars_history[-1] if self.stars_history else None

    @cached_property
    def stars_losses(self) -> list:
        return largest_losses(self.latest_result)


def dashboard_url() -> str | None:
    """The 工委/机关党委 dashboard."""
    try:
        return reverse("portal:dashboard")
    except NoReverseMatch:
        return None


def latest_unread(user) -> list[Notification]:
    return list(Notification.objects.for_user(user).unread().order_by("-created_at", "-pk")[:LATEST_UNREAD])


def duties_context(scope: Scope, today: datetime.date) -> dict:
    """Context for the branch cards and the user's own report on the home page."""
    period = reports.default_period(today)
    branches = list(Branch.objects.filter(pk__in=scope.branch_ids).active().order_by("organ_id", "name"))
    cards = {branch.pk: BranchCard(branch) for branch in branches}
    my_report = None
    for member in _roster(period, list(cards), scope.member_id):
        row = _row(period, member, scope, writes=member.branch_id in cards)
        if member.branch_id in cards:
            cards[member.branch_id].leaders.append(row)
        elif row.is_me and member.is_leader:
            # A leader outside the user's committees (a plain member's own report) gets a card of its own.
            my_report = row
    for result in _published_results(list(cards)):
        cards[result.branch_id].stars_history.append(result)
    return {"report_period": period, "branch_cards": list(cards.values()), "my_report": my_report}


def _roster(period: DutyReportPeriod, branch_ids: list[int], member_id: int | None) -> list[Member]:
    """The period's roster (leaders and anyone who filed) of the branches, and the user's own row. One query."""
    if not branch_ids and member_id is None:
        return []
    mine = Q(branch_id__in=branch_ids)
    if member_id is not None:
        mine |= Q(pk=member_id)
    return list(reports.roster_for(period, Member.objects.filter(mine)).order_by("branch_id", "name_pinyin", "pk"))


def _row(period: DutyReportPeriod, member: Member, scope: Scope, *, writes: bool) -> LeaderRow:
    is_me = member.pk == scope.member_id
    to_file = member.filing in TO_FILE
    label = "草稿未提交" if member.report_status == ReportStatus.DRAFT else FILING_LABELS[member.filing]
    # The committee files on a leader's behalf (reports.can_file); anyone else only reads a filed report.
    # A period not opened yet has no form to link to: the yearly job (or the 工委) opens it first.
    if period.pk is None:
        url = reverse("assessments:my_reports") if is_me else ""
    elif to_file and (is_me or writes):
        url = reverse("assessments:report_edit", args=[period.pk, member.pk])
    elif member.report_id is not None:
        url = reverse("assessments:report_detail", args=[member.report_id])
    else:
        url = reverse("assessments:my_reports") if is_me else ""
    return LeaderRow(member=member, label=label, to_file=to_file, url=url, is_me=is_me)


def _published_results(branch_ids: list[int]) -> list[RatingResult]:
    """Each branch's result of record of every year (never a published 试算), oldest first. One query, like
    ratings.branch_history."""
    if not branch_ids:
        return []
    return list(
        RatingResult.objects.filter(branch_id__in=branch_ids)
        .final()
        .select_related("run")
        .order_by("branch_id", "run__year")
    )
