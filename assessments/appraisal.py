"""民主评议党员: a branch's yearly appraisal of its members, from the roster to the final grades.

The committee opens the appraisal (one entry per member on the roster), records 自评, 互评 votes,
its proposal and the final grade, then finalizes it on the day it was held. Finalizing checks the
whole grid at once: every 正式党员 graded, 优秀 within the year's quota; each 不合格 opens a
problem-ledger item in the same transaction. A finalized appraisal is read-only; the 机关党委 or
the 工委 may reopen it with a reason, which stays in the history.
"""

import datetime
from collections.abc import Mapping
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from accounts import selectors
from accounts.scope import scope_of
from branches.choices import MemberStatus
from branches.models import Branch, Member
from core.errors import DomainError
from core.workflow import Act, locked, record
from notifications.services import notify

from . import ledger, schemes, scoring
from .choices import AppraisalGrade, AppraisalStatus, ProblemSource
from .models import Appraisal, AppraisalEntry, AssessmentScheme, Problem
from .permissions import RECORD_APPRAISAL, REOPEN_APPRAISAL

G = AppraisalGrade
VOTE_FIELDS = ("peer_excellent", "peer_qualified", "peer_basic", "peer_unqualified")
ENTRY_FIELDS = ("self_grade", *VOTE_FIELDS, "proposed_grade", "grade", "note")
NOTE_MAX = AppraisalEntry._meta.get_field("note").max_length
DEFAULT_MEASURES = "支部指定专人帮助教育，限期改正；期满后由支部党员大会评议是否达到合格标准。"


class AppraisalError(DomainError):
    """The step is refused; the message is shown to the user, with the entries it is about (if any)
    so that the page can link to their rows."""

    def __init__(self, message: str, entries=()):
        super().__init__(message)
        self.entries = list(entries)


# --- Who may do what -------------------------------------------------------------------------


def can_record(user, branch: Branch) -> bool:
    """The branch committee (and the staff above it) runs the appraisal."""
    return scope_of(user).can_write_branch(branch)


def can_reopen(user, branch: Branch) -> bool:
    scope = scope_of(user)
    return scope.is_gongwei or branch.organ_id in scope.organ_ids


# --- Reading ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Counts:
    participants: int
    probationary: int
    graded: int
    ungraded: int  # 正式党员 still without a final grade
    by_grade: dict
    quota: int | None  # None when the year has no scheme

    @property
    def over_quota(self) -> bool:
        return self.quota is not None and self.by_grade.get(G.EXCELLENT, 0) > self.quota


def quota_for(scheme: AssessmentScheme | None, n_graded: int) -> int | None:
    if scheme is None:
        return None
    return scoring.excellent_quota(n_graded, scheme.excellent_quota_numerator, scheme.excellent_quota_denominator)


def counts(entries, scheme: AssessmentScheme | None) -> Counts:
    """The figures shown above the grid and checked on finalizing, from entries already loaded."""
    entries = list(entries)
    by_grade = dict.fromkeys(G.values, 0)
    graded = 0
    ungraded = 0
    probationary = 0
    for entry in entries:
        if entry.is_probationary:
            probationary += 1
        elif entry.grade:
            graded += 1
            by_grade[entry.grade] += 1
        else:
            ungraded += 1
    return Counts(len(entries), probationary, graded, ungraded, by_grade, quota_for(scheme, graded))


def entries_of(appraisal: Appraisal):
    return appraisal.entries.select_related("member").order_by("member__name_pinyin", "pk")


# --- Opening and the roster ------------------------------------------------------------------


def _sync_roster(appraisal: Appraisal, by) -> None:
    """Entries follow the roster while the appraisal is open: joiners added, leavers removed.

    A member who became a 正式党员 since is graded like the others; the reverse cannot happen.
    """
    roster = {m.pk: m for m in Member.objects.filter(branch_id=appraisal.branch_id)}
    entries = {e.member_id: e for e in appraisal.entries.all()}
    for member_id, entry in entries.items():
        if member_id not in roster:
            entry._history_user = by
            entry._change_reason = "党员已转出本支部，移出评议名单"
            entry.delete()
        elif entry.is_probationary != (roster[member_id].status == MemberStatus.PROBATIONARY):
            entry.is_probationary = not entry.is_probationary
            if entry.is_probationary:
                entry.grade = ""
            record(entry, by, "按党员名册更新党员状态", ["is_probationary", "grade"])
    for member_id, member in roster.items():
        if member_id not in entries:
            entry = AppraisalEntry(
                appraisal=appraisal, member=member, is_probationary=member.status == MemberStatus.PROBATIONARY
            )
            record(entry, by, "按党员名册加入评议名单")


@transaction.atomic
def open_appraisal(branch: Branch, year: int, *, by) -> Appraisal:
    """Start the year's appraisal from the roster, or bring an open one up to date with it."""
    if not can_record(by, branch):
        raise PermissionDenied("只有本支部书记、支委或上级党组织可以组织民主评议党员。")
    appraisal = Appraisal.objects.filter(branch=branch, year=year).first()
    if appraisal is None:
        if not branch.is_active:
            raise AppraisalError(f"{branch.name}已撤销，不能开展新的民主评议。")
        appraisal = record(Appraisal(branch=branch, year=year), by, "开始民主评议")
    else:
        appraisal = locked(appraisal, "branch__organ")
        if appraisal.status != AppraisalStatus.DRAFT:
            raise AppraisalError("评议结果已确定，不能再更新名单；如需修改请由机关党委或工委退回。")
    _sync_roster(appraisal, by)
    return appraisal


# --- Recording -------------------------------------------------------------------------------


def _clean_row(entry: AppraisalEntry, values: Mapping, n_participants: int) -> dict:
    name = entry.member.name
    cleaned = {}
    for field in ("self_grade", "proposed_grade", "grade"):
        value = values.get(field) or ""
        if value and value not in G.values:
            raise AppraisalError(f"{name}的等次无效。", [entry])
        cleaned[field] = value
    if entry.is_probationary and cleaned["grade"]:
        raise AppraisalError(f"{name}是预备党员，参加评议但不评定等次。", [entry])
    votes = 0
    for field in VOTE_FIELDS:
        value = values.get(field) or 0
        if not isinstance(value, int) or value < 0:
            raise AppraisalError(f"{name}的互评票数须为不小于 0 的整数。", [entry])
        cleaned[field] = value
        votes += value
    if votes > n_participants:
        raise AppraisalError(f"{name}的互评票数合计 {votes} 票，超过参评党员人数 {n_participants} 人。", [entry])
    note = (values.get("note") or "").strip()
    if len(note) > NOTE_MAX:
        raise AppraisalError(f"{name}的备注不能超过 {NOTE_MAX} 个字。", [entry])
    cleaned["note"] = note
    return cleaned


@transaction.atomic
def save_entries(appraisal: Appraisal, rows: Mapping[int, Mapping], *, by) -> list[AppraisalEntry]:
    """Save the grid: `rows` maps an entry id to its fields. Every row is checked before any is
    written, so one bad row changes nothing. Returns the entries that changed."""
    appraisal = locked(appraisal, "branch__organ")
    RECORD_APPRAISAL.require(by, appraisal.branch)
    if appraisal.status != AppraisalStatus.DRAFT:
        raise AppraisalError("评议结果已确定，不能修改；如需修改请由机关党委或工委退回。")
    entries = {e.pk: e for e in entries_of(appraisal)}
    strangers = set(rows) - set(entries)
    if strangers:
        raise AppraisalError("提交的评议名单已过期，请刷新页面后重新填写。")
    cleaned = {pk: _clean_row(entries[pk], values, len(entries)) for pk, values in rows.items()}
    changed = []
    for pk, values in cleaned.items():
        entry = entries[pk]
        fields = [name for name in ENTRY_FIELDS if getattr(entry, name) != values[name]]
        if not fields:
            continue
        for name in fields:
            setattr(entry, name, values[name])
        changed.append(record(entry, by, "录入评议结果", fields))
    return changed


# --- Finalizing and reopening ----------------------------------------------------------------


def problem_title(appraisal: Appraisal, member: Member) -> str:
    return f"{appraisal.year}年度民主评议党员：{member.name}评定为不合格"


def _open_problems(appraisal: Appraisal, unqualified: list[AppraisalEntry], scheme, held_on, measures, by) -> int:
    """One ledger item per 不合格 member; an item opened before a reopen is not opened twice."""
    deadline = held_on + datetime.timedelta(days=scheme.unqualified_fix_days)
    opened = 0
    for entry in unqualified:
        title = problem_title(appraisal, entry.member)
        if Problem.objects.filter(
            branch=appraisal.branch, source=ProblemSource.APPRAISAL, responsible=entry.member, title=title
        ).exists():
            continue
        data = ledger.ProblemData(
            source=ProblemSource.APPRAISAL,
            title=title,
            responsible=entry.member,
            measures=measures,
            deadline=deadline,
            description=entry.note,
        )
        try:
            # The deadline runs from the day the appraisal was held, so it is checked against that day.
            ledger.open_problem(appraisal.branch, data, by=by, today=held_on)
        except DomainError as exc:
            raise AppraisalError(f"为{entry.member.name}登记整改问题未成功：{exc}") from exc
        opened += 1
    return opened


@transaction.atomic
def finalize(
    appraisal: Appraisal,
    *,
    held_on: datetime.date | None,
    by,
    measures: str = "",
    today: datetime.date | None = None,
) -> Appraisal:
    """Fix the grades as decided on `held_on`; 不合格 members get a rectification item each."""
    today = today or timezone.localdate()
    appraisal = locked(appraisal, "branch__organ")
    if not can_record(by, appraisal.branch):
        raise PermissionDenied("只有本支部书记、支委或上级党组织可以确定民主评议结果。")
    if appraisal.status != AppraisalStatus.DRAFT:
        raise AppraisalError("评议结果已经确定。")
    if held_on is None:
        raise AppraisalError("请填写评议日期（召开支部党员大会进行民主评议的日期）。")
    if held_on > today:
        raise AppraisalError("评议日期不能晚于今天。")
    if held_on.year not in (appraisal.year, appraisal.year + 1):
        raise AppraisalError(f"{appraisal.year}年度的民主评议应在{appraisal.year}年或{appraisal.year + 1}年召开。")
    scheme = schemes.scheme_for_year(appraisal.year)
    if scheme is None:
        raise AppraisalError(f"{appraisal.year}年度考核方案尚未制定，无法确定优秀比例和整改期限，请联系工委。")
    entries = list(entries_of(appraisal))
    if not entries:
        raise AppraisalError("评议名单为空，请先按党员名册生成名单。")
    figures = counts(entries, scheme)
    if figures.ungraded:
        ungraded = [e for e in entries if not e.is_probationary and not e.grade]
        missing = "、".join(e.member.name for e in ungraded)
        raise AppraisalError(f"还有 {figures.ungraded} 名正式党员未评定等次：{missing}。", ungraded)
    if figures.over_quota:
        raise AppraisalError(
            f"评定为优秀的 {figures.by_grade[G.EXCELLENT]} 人，超过优秀名额 {figures.quota} 人"
            f"（参评正式党员 {figures.graded} 人的 {scheme.excellent_quota_numerator}/"
            f"{scheme.excellent_quota_denominator}，向下取整）。",
            [e for e in entries if e.grade == G.EXCELLENT],
        )
    unqualified = [e for e in entries if e.grade == G.UNQUALIFIED]
    measures = (measures or "").strip() or DEFAULT_MEASURES
    appraisal.held_on, appraisal.status = held_on, AppraisalStatus.FINALIZED
    appraisal.finalized_by, appraisal.finalized_at = by, timezone.now()
    reason = f"评议日期 {held_on:%Y-%m-%d}"
    if unqualified:
        reason += "；不合格：" + "、".join(e.member.name for e in unqualified)
    record(appraisal, by, Act.FINALIZE.because(reason), ["held_on", "status", "finalized_by", "finalized_at"])
    _open_problems(appraisal, unqualified, scheme, held_on, measures, by)
    return appraisal


@transaction.atomic
def reopen(appraisal: Appraisal, *, reason: str, by) -> Appraisal:
    """Send a finalized appraisal back to the branch for correction (the ledger items stay)."""
    appraisal = locked(appraisal, "branch__organ")
    REOPEN_APPRAISAL.require(by, appraisal.branch)
    if appraisal.status != AppraisalStatus.FINALIZED:
        raise AppraisalError("评议尚未确定，无需退回。")
    reason = (reason or "").strip()
    if not reason:
        raise AppraisalError("请填写退回修改的原因。")
    appraisal.status, appraisal.finalized_by, appraisal.finalized_at = AppraisalStatus.DRAFT, None, None
    record(appraisal, by, Act.RETURN.because(reason), ["status", "finalized_by", "finalized_at"])
    event = appraisal.history.order_by("-history_id").values_list("history_id", flat=True).first()
    notify(
        [u for u in selectors.branch_committee_users(appraisal.branch_id) if u.pk != by.pk],
        title=f"民主评议结果被退回修改：{appraisal}",
        body=f"{appraisal}被退回修改。\n原因：{reason}",
        url=reverse("assessments:appraisal_detail", args=[appraisal.branch_id, appraisal.year]),
        key=f"appraisal:{appraisal.pk}:event:{event}",
    )
    return appraisal
