"""Reminders of the organisation and its meetings, for the engine in `notifications.reminders`."""

import datetime
from collections import defaultdict

from django.urls import reverse

from notifications.kinds import register_kind
from notifications.reminders import (
    ESCALATED,
    ESCALATION_NAMES,
    MEETING_LOOKBACK_DAYS,
    MISSING,
    NOTICE,
    Reminder,
    RulesByYear,
    deliver,
    reminder_source,
)

from . import kept, orglife
from .models import Branch, MeetingCompletion, OrganisationRules

# How the 工委's list of sent messages names the keys this app sends (`notifications.kinds`).
register_kind("term", "换届提醒")
register_kind("meetings", "组织生活")

# --- 换届 (committee terms) ----------------------------------------------------------------------------


@reminder_source("terms")
def term_reminders(today: datetime.date) -> dict[str, int]:
    """The current term of each active branch, at the configured days before it ends (e.g. 90 and 30).

    Only the nearest notice is sent: a term first seen 25 days before its end gets the 30-day notice,
    not the 90-day one as well.
    """

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


# --- Required meetings ---------------------------------------------------------------------------------


@reminder_source("meetings")
def meeting_reminders(today: datetime.date, rules: RulesByYear | None = None) -> dict[str, int]:
    """After a period ends (a month, a quarter, the year), each branch that missed a required meeting in it
    hears once which ones; after the grace, the organ hears once which of its branches are still short.

    Completion (with exemptions and what does not apply) is `branches.orglife.completion`'s answer, read
    from the kept rows: only the missed periods that ended in the window are fetched.
    """

    rules = rules or RulesByYear()
    since = today - datetime.timedelta(days=MEETING_LOOKBACK_DAYS)
    branches = list(Branch.objects.active().select_related("organ").order_by("organ__sort_order", "organ_id", "pk"))
    # (branch, period end) → the missed (requirement, cell) pairs of the periods that ended that day.
    missed: dict[tuple[int, datetime.date], list] = defaultdict(list)
    by_id = {b.pk: b for b in branches}
    if branches:
        years = sorted({since.year, today.year})
        requirements = {year: orglife.requirements_for_year(year) for year in years}
        order = {(year, r.kind): i for year, reqs in requirements.items() for i, r in enumerate(reqs)}
        position = {b.pk: i for i, b in enumerate(branches)}
        rows = MeetingCompletion.objects.filter(
            branch__in=Branch.objects.active(), year__in=years, ends_on__gt=since, ends_on__lt=today
        ).missing(today)
        # In the order the branches, requirements and periods come (year by year), as the notices list them.
        found = sorted(
            (r for r in rows if r.branch_id in position and (r.year, r.kind) in order),
            key=lambda r: (r.year, position[r.branch_id], order[r.year, r.kind], r.index),
        )
        for row in found:
            requirement = requirements[row.year][order[row.year, row.kind]]
            missed[row.branch_id, row.ends_on].append((requirement, kept.cell_of(row, today)))
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
