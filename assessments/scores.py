"""Scores entered by people: staff scores per branch and indicator, the branch's self-scores, and
the year's 加分/扣分 records.

Scores may change at any time: a published rating run keeps its own frozen copy, so nothing here
needs to ask whether a run exists. Every change is in the history with who and why.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts import selectors
from accounts.scope import scope_of
from branches.models import Branch, Organ
from core.errors import DomainError
from notifications.services import announce

from .choices import AdjustmentKind
from .models import Adjustment, Indicator, IndicatorScore
from .permissions import SCORE_BRANCH, SELF_SCORE
from .schemes import num

CENT = Decimal("0.01")
NOTE_MAX = 200


class ScoreError(DomainError):
    """The input is refused; the message is shown to the user."""


# --- Who may do what -------------------------------------------------------------------------


def can_score(user, branch: Branch) -> bool:
    """Staff scores: the 工委 for every branch, a 机关党委 for its organ's branches."""
    scope = scope_of(user)
    return scope.is_gongwei or branch.organ_id in scope.organ_ids


def can_self_score(user, branch: Branch) -> bool:
    """A self-score is the branch committee's own view, so only they give it."""
    return branch.pk in scope_of(user).branch_ids and branch.is_active


def scoring_organs(user):
    """The organs whose branches the user scores and adjusts."""
    scope = scope_of(user)
    organs = Organ.objects.order_by("sort_order", "name")
    return organs if scope.is_gongwei else organs.filter(pk__in=scope.organ_ids)


def scores_some_organ(user) -> bool:
    return scoring_organs(user).exists()


def scoring_branches(user):
    """The active branches the user adjusts (加减分): those of `scoring_organs`."""
    scope = scope_of(user)
    branches = Branch.objects.active().select_related("organ")
    return branches if scope.is_gongwei else branches.filter(organ_id__in=scope.organ_ids)


def _points(value: Decimal, *, high: Decimal, what: str, low: Decimal = Decimal("0")) -> Decimal:
    if not value.is_finite():
        raise ScoreError(f"{what}须是数字。")
    if value != value.quantize(CENT):
        raise ScoreError(f"{what}最多保留两位小数。")
    if not low <= value <= high:
        raise ScoreError(f"{what}须在 {num(low)} 至 {num(high)} 分之间。")
    return value.quantize(CENT)


def _note(text: str | None, what: str) -> str:
    text = (text or "").strip()
    if len(text) > NOTE_MAX:
        raise ScoreError(f"{what}不能超过 {NOTE_MAX} 字。")
    return text


def _check_year(indicator: Indicator, year: int) -> None:
    if indicator.scheme.year != year:
        raise ScoreError(f"“{indicator.name}”不是{year}年度考核方案的指标。")


def _locked_record(branch: Branch, indicator: Indicator, year: int) -> IndicatorScore:
    """The branch's record for the indicator and year, locked; an unsaved one when there is none yet."""
    record = (
        IndicatorScore.objects.select_for_update().filter(branch=branch, year=year, lineage=indicator.lineage).first()
    )
    return record or IndicatorScore(branch=branch, year=year, lineage=indicator.lineage)


def _save(record: IndicatorScore, by, reason: str) -> IndicatorScore:
    record._history_user = by
    record._change_reason = reason
    try:
        # Two people saving the first score of the same cell at once: the second is told, not lost.
        with transaction.atomic():
            record.save()
    except IntegrityError:
        raise ScoreError("该项评分刚刚已被他人保存，请刷新页面后重试。") from None
    return record


# --- Staff scores ----------------------------------------------------------------------------


@transaction.atomic
def save_score(
    branch: Branch,
    indicator: Indicator,
    *,
    year: int,
    score: Decimal | None,
    not_applicable: bool,
    note: str,
    by,
) -> IndicatorScore:
    """Score a manual or business indicator (or clear it), or mark any indicator N/A with the reason.

    A computed indicator's score comes from the records; staff may only exempt a branch from it.
    """
    SCORE_BRANCH.require(by, branch)
    _check_year(indicator, year)
    if not branch.is_active:
        raise ScoreError(f"{branch.name}已撤销，不再评分。")
    note = _note(note, "评分说明")
    if not_applicable:
        if score is not None:
            raise ScoreError("标记为不适用时不能同时填写得分。")
        if not note:
            raise ScoreError("标记为不适用须在说明中写明原因。")
        reason = f"标记不适用：{note}"
    elif indicator.is_computed:
        if score is not None:
            raise ScoreError(f"“{indicator.name}”由系统根据已有记录计算，不能人工评分，只能标记是否适用。")
        reason = "取消不适用"
    elif score is not None:
        score = _points(score, high=indicator.max_score, what=f"“{indicator.name}”得分")
        reason = f"评分：{num(score)}分"
    else:
        reason = "清除评分"
    record = _locked_record(branch, indicator, year)
    if record.pk and (record.score, record.not_applicable, record.note) == (score, not_applicable, note):
        return record
    if not record.pk and score is None and not not_applicable:
        return record  # nothing was there and nothing is entered
    record.score, record.not_applicable, record.note = score, not_applicable, note
    record.scored_by, record.scored_at = by, timezone.now()
    return _save(record, by, f"{indicator.name} {reason}")


# --- Self-scores -----------------------------------------------------------------------------


def _apply_self_score(
    branch: Branch, indicator: Indicator, *, year: int, self_score: Decimal | None, self_note: str, by
) -> tuple[IndicatorScore, bool]:
    SELF_SCORE.require(by, branch)
    _check_year(indicator, year)
    if not indicator.allow_self_score:
        raise ScoreError(f"“{indicator.name}”不设支部自评。")
    self_note = _note(self_note, "自评说明")
    if self_score is not None:
        self_score = _points(self_score, high=indicator.max_score, what=f"“{indicator.name}”自评分")
    record = _locked_record(branch, indicator, year)
    if (record.self_score, record.self_note) == (self_score, self_note):
        return record, False
    record.self_score, record.self_note = self_score, self_note
    reason = f"支部自评：{num(self_score)}分" if self_score is not None else "清除支部自评"
    return _save(record, by, f"{indicator.name} {reason}"), True


@transaction.atomic
def save_self_score(
    branch: Branch,
    indicator: Indicator,
    *,
    year: int,
    self_score: Decimal | None,
    self_note: str,
    by,
) -> IndicatorScore:
    """The branch committee's own score on an indicator that invites one; staff see it when scoring."""
    record, _ = _apply_self_score(branch, indicator, year=year, self_score=self_score, self_note=self_note, by=by)
    return record


@dataclass(frozen=True)
class SelfScore:
    indicator: Indicator
    self_score: Decimal | None
    self_note: str


@transaction.atomic
def save_self_scores(branch: Branch, *, year: int, entries: Iterable[SelfScore], by) -> int:
    """The self-score page saves all indicators at once: every one or, on any refusal, none.

    Returns how many changed.
    """
    changed = 0
    for entry in entries:
        _, did = _apply_self_score(
            branch, entry.indicator, year=year, self_score=entry.self_score, self_note=entry.self_note, by=by
        )
        changed += did
    return changed


# --- 加分 / 扣分 -------------------------------------------------------------------------------


@transaction.atomic
def add_adjustment(branch: Branch, *, year: int, kind: str, name: str, points: Decimal, note: str, by) -> Adjustment:
    """Record a 加分 or 扣分 for a branch (a catalogue item or free text); the scheme's caps apply at rating."""
    if not can_score(by, branch):
        raise PermissionDenied("只有工委或本机关党委工作人员可以登记该支部的加减分。")
    if kind not in AdjustmentKind.values:
        raise ScoreError("请选择加分或扣分。")
    name = (name or "").strip()
    if not name:
        raise ScoreError("请填写加减分事项。")
    if len(name) > Adjustment._meta.get_field("name").max_length:
        raise ScoreError("加减分事项不能超过 60 字。")
    if points is None:
        raise ScoreError("请填写分值。")
    points = _points(points, low=Decimal("0.1"), high=Decimal("100"), what="分值")
    note = _note(note, "依据说明")
    if not note:
        raise ScoreError("请填写依据说明（如表彰文件、通报文号）。")
    if not 2000 <= year <= 2100:
        raise ScoreError("请填写正确的年度。")
    adjustment = Adjustment(branch=branch, year=year, kind=kind, name=name, points=points, note=note, created_by=by)
    adjustment._history_user = by
    adjustment._change_reason = f"登记{adjustment.get_kind_display()}"
    adjustment.save()
    sign = "+" if kind == AdjustmentKind.BONUS else "−"
    announce(
        adjustment,
        actor=by,
        recipients=selectors.branch_committee_users(adjustment.branch_id),
        title=f"【{adjustment.get_kind_display()}】{year}年度考核：{name}（{sign}{num(points)}分）",
        body=f"{branch.name}{year}年度考核登记了{adjustment.get_kind_display()}：{name}，{sign}{num(points)}分。\n依据：{note}",
        event="added",
    )
    return adjustment


@transaction.atomic
def delete_adjustment(adjustment: Adjustment, *, by) -> None:
    """Withdraw a 加分 or 扣分; the history keeps the record and who withdrew it."""
    adjustment = Adjustment.objects.select_for_update().select_related("branch").get(pk=adjustment.pk)
    if not can_score(by, adjustment.branch):
        raise PermissionDenied("只有工委或本机关党委工作人员可以撤销该支部的加减分。")
    adjustment._history_user = by
    adjustment._change_reason = f"撤销{adjustment.get_kind_display()}"
    announce(
        adjustment,
        actor=by,
        recipients=selectors.branch_committee_users(adjustment.branch_id),
        title=f"【撤销{adjustment.get_kind_display()}】{adjustment.year}年度考核：{adjustment.name}",
        body=f"{adjustment.branch.name}{adjustment.year}年度考核的{adjustment.get_kind_display()}"
        f"“{adjustment.name}”（{num(adjustment.points)}分）已撤销。",
        event="deleted",
    )
    adjustment.delete()
