"""Reminders of 一岗双责 reports and the problem ledger, for the engine in `notifications.reminders`."""

import datetime
from collections import defaultdict

from django.urls import reverse

from notifications.kinds import register_kind
from notifications.reminders import (
    BEFORE,
    DUE,
    ESCALATED,
    ESCALATION_NAMES,
    REPORT_LOOKBACK_DAYS,
    Reminder,
    RulesByYear,
    deliver,
    reminder_source,
    stage_of,
    when_words,
)

from . import reports
from .ledger import WORKING
from .models import Adjustment, DutyReport, PointEntry, Problem, SecretaryReport

# How the 工委's list of sent messages names the keys this app sends (`notifications.kinds`).
register_kind("report", "一岗双责报告")
register_kind("problem", "整改问题")
register_kind("appraisal", "民主评议党员", {"event": "退回修改"})
register_kind("rating_run", "星级评定", {"published": "已发布"})
for announced in (DutyReport, Problem, SecretaryReport, PointEntry, Adjustment):
    register_kind(announced)  # steps announced with `notifications.services.announce`

# --- 一岗双责 reports ----------------------------------------------------------------------------------


@reminder_source("reports")
def report_reminders(today: datetime.date, rules: RulesByYear | None = None) -> dict[str, int]:
    """Leaders who have not filed (no report, a draft, or a returned one) hear before and on the due date;
    the organ's 机关党委 hears once per organ and period when its leaders are still missing after the grace."""

    rules = rules or RulesByYear()
    reminders: list[Reminder] = []
    # A period not opened yet cannot be filed into; the yearly job opens each year before its reports are due.
    opened = [p for p in reports.periods_for_years([today.year - 1, today.year]) if p.pk is not None]
    for period in opened:
        period_rules = rules(period.due_on.year)
        days_left = (period.due_on - today).days
        stage = stage_of(days_left, period_rules)
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
            f"{whose}的{period}一岗双责报告应于 {period.due_on:%Y-%m-%d} 前提交，{when_words(days_left)}。"
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


# --- 问题整改台账 (problem ledger) -----------------------------------------------------------------------


@reminder_source("problems")
def problem_reminders(today: datetime.date, rules: RulesByYear | None = None) -> dict[str, int]:
    """Open items before and on their deadline (branch committee and the person responsible), and after the
    grace to the organ. The deadline is in the key: a new deadline after a reschedule is reminded afresh."""

    rules = rules or RulesByYear()
    horizon = today + datetime.timedelta(days=max(rules(today.year).days_before, rules(today.year + 1).days_before))
    problems = (
        Problem.objects.filter(status__in=WORKING, deadline__lte=horizon, branch__dissolved_on__isnull=True)
        .select_related("branch__organ", "responsible__user")
        .order_by("deadline", "pk")
    )
    reminders = []
    for problem in problems:
        days_left = (problem.deadline - today).days
        stage = stage_of(days_left, rules(problem.deadline.year))
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
            f"{where}整改时限为 {problem.deadline:%Y-%m-%d}，{when_words(days_left)}。"
            f"整改措施：{problem.measures}\n整改完成后请填写整改情况并报告，由机关党委核验。"
        ),
        url=url,
        branches=(problem.branch_id,),
        users=(responsible,) if responsible is not None else (),
    )
