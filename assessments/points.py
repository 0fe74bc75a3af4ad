"""党员积分: the year's rules, the ledger of entries and the members' totals.

The 工委 keeps each year's rules (points, yearly cap, once-only). A branch committee member
enters an addition or deduction for a member of the branch; another committee member or the
staff above approve or reject it, never the person who entered it. A member's total is the
scheme's base plus the approved entries, each rule's sum within its cap, never below 0
(`scoring.points_total`), and the member's rank within the branch follows from the totals.
"""

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import Count, Q, Sum
from django.utils import timezone

from accounts import selectors
from accounts.scope import scope_of
from branches.models import Branch, Member
from core.errors import DomainError
from core.workflow import Act, locked, record
from notifications.services import announce

from . import schemes, scoring
from .choices import PointEntryStatus
from .models import AssessmentScheme, PointEntry, PointRule
from .permissions import SET_POINT_RULES

S = PointEntryStatus
NOTE_MAX = PointEntry._meta.get_field("note").max_length
DEFAULT_BASE = AssessmentScheme._meta.get_field("points_base").default

# The rules a year starts with when the year before has none to copy: what branches commonly
# count, with caps so that no single kind of activity decides a member's total.
DEFAULT_RULES: tuple[tuple[str, str, str | None, bool], ...] = (
    ("参加组织生活", "1", "12", False),
    ("参加志愿服务", "2", "10", False),
    ("完成年度学习培训任务", "5", None, True),
    ("获得表彰奖励", "5", "10", False),
    ("承担支部工作任务", "2", "10", False),
    ("无故缺席组织生活", "-2", "20", False),
    ("未按时足额交纳党费", "-2", "10", False),
    ("受到党纪处分", "-20", None, True),
)


class PointsError(DomainError):
    """The change is refused for a reason the user can fix; the message is shown to them."""


# --- Rules -----------------------------------------------------------------------------------


def _require_gongwei(by) -> None:
    SET_POINT_RULES.require(by)


def point_rules_for(year: int) -> list[PointRule]:
    """The year's rules as saved, or, for a year not opened yet, what opening it would save (unsaved, pk None).

    Never writes; `ensure_point_rules` is the writer.
    """
    rules = list(PointRule.objects.filter(year=year))
    return rules or carried_over(year)[0]


def carried_over(year: int, model=PointRule) -> tuple[list, str]:
    """The unsaved rules a new year starts with, and the reason the history records: a copy of the latest
    earlier year's, or the defaults when there is none. `model` is the historical model in a data migration."""
    previous = model.objects.filter(year__lt=year).order_by("-year").values_list("year", flat=True).first()
    if previous is not None:
        source = [
            (r.name, r.points, r.yearly_cap, r.once_only, r.sort_order)
            for r in model.objects.filter(year=previous).order_by("sort_order", "pk")
        ]
        reason = f"沿用{previous}年度积分规则"
    else:
        source = [
            (name, Decimal(points), Decimal(cap) if cap else None, once, order)
            for order, (name, points, cap, once) in enumerate(DEFAULT_RULES)
        ]
        reason = "生成默认积分规则"
    rules = [
        model(year=year, name=name, points=points, yearly_cap=cap, once_only=once, sort_order=order)
        for name, points, cap, once, order in source
    ]
    return rules, reason


@transaction.atomic
def ensure_point_rules(year: int, *, by=None) -> list[PointRule]:
    """Open the year: save the rules `point_rules_for` reads for it. Idempotent; when two callers race, the
    unique name decides and the loser reads the winner's rules. Called by what needs saved rules (a rule
    added or changed, the yearly job in `portal.years`, seed_demo)."""
    rules = list(PointRule.objects.filter(year=year))
    if rules:
        return rules
    rules, reason = carried_over(year)
    for rule in rules:
        try:
            with transaction.atomic():
                record(rule, by, reason)
        except IntegrityError:
            pass
    return list(PointRule.objects.filter(year=year))


@dataclass(frozen=True)
class RuleData:
    name: str
    points: Decimal
    yearly_cap: Decimal | None = None
    once_only: bool = False
    sort_order: int = 0


def _clean_rule(data: RuleData, year: int, rule: PointRule | None) -> dict:
    name = (data.name or "").strip()
    if not name:
        raise PointsError("请填写积分事项。")
    if data.points is None or data.points == 0:
        raise PointsError("分值不能为 0；扣分事项填负数。")
    if data.yearly_cap is not None and data.yearly_cap <= 0:
        raise PointsError("年度上限须大于 0；不设上限请留空。")
    if data.yearly_cap is not None and data.yearly_cap < abs(data.points):
        raise PointsError("年度上限不能小于单次分值。")
    clash = PointRule.objects.filter(year=year, name=name)
    if rule is not None:
        clash = clash.exclude(pk=rule.pk)
    if clash.exists():
        raise PointsError(f"{year}年度已有积分事项“{name}”。")
    return {
        "name": name,
        "points": data.points,
        "yearly_cap": data.yearly_cap,
        "once_only": bool(data.once_only),
        "sort_order": data.sort_order or 0,
    }


@transaction.atomic
def save_rule(year: int, data: RuleData, *, by, rule: PointRule | None = None) -> PointRule:
    """Add a rule to the year, or change one. Entries keep the points they were given."""
    _require_gongwei(by)
    # A year's first change opens it: the new rule joins the rules the year had been read with.
    ensure_point_rules(year, by=by)
    values = _clean_rule(data, year, rule)
    if rule is None:
        return record(PointRule(year=year, **values), by, "新增积分规则")
    rule = PointRule.objects.select_for_update().get(pk=rule.pk)
    changed = [name for name, value in values.items() if getattr(rule, name) != value]
    if not changed:
        return rule
    for name in changed:
        setattr(rule, name, values[name])
    return record(rule, by, "修改积分规则", changed)


@transaction.atomic
def delete_rule(rule: PointRule, *, by) -> None:
    _require_gongwei(by)
    if rule.entries.exists():
        raise PointsError(f"“{rule.name}”已有积分记录，不能删除；不再使用时可修改其名称或分值。")
    rule._history_user = by
    rule._change_reason = "删除积分规则"
    rule.delete()


# --- Entries ---------------------------------------------------------------------------------


def can_enter(user, branch: Branch) -> bool:
    return scope_of(user).can_write_branch(branch)


def can_approve(user, entry: PointEntry) -> bool:
    """Another committee member of the branch, or the staff above it; never the one who entered it."""
    return entry.added_by_id != user.pk and scope_of(user).can_write_branch(entry.member.branch)


@transaction.atomic
def add_entry(
    member: Member,
    rule: PointRule,
    *,
    occurred_on: datetime.date | None,
    note: str,
    by,
    today: datetime.date | None = None,
) -> PointEntry:
    """Enter an addition or deduction; it counts once another person approves it."""
    today = today or timezone.localdate()
    # Locking the member serialises entries for them, so a once-only rule cannot be entered twice.
    member = Member.objects.select_for_update(of=("self",)).select_related("branch__organ").get(pk=member.pk)
    if not can_enter(by, member.branch):
        raise PermissionDenied("只有本支部书记、支委或上级党组织可以登记党员积分。")
    if not member.branch.is_active:
        raise PointsError(f"{member.branch.name}已撤销，不能登记积分。")
    if occurred_on is None:
        raise PointsError("请填写发生日期。")
    if occurred_on > today:
        raise PointsError("发生日期不能晚于今天。")
    if occurred_on.year != rule.year:
        raise PointsError(f"“{rule.name}”是{rule.year}年度的积分事项，发生日期须在{rule.year}年内。")
    note = (note or "").strip()
    if not note:
        raise PointsError("请填写事由。")
    if len(note) > NOTE_MAX:
        raise PointsError(f"事由不能超过 {NOTE_MAX} 个字。")
    if rule.once_only and PointEntry.objects.filter(member=member, rule=rule).exclude(status=S.REJECTED).exists():
        raise PointsError(f"“{rule.name}”每年只能登记一次，{member.name}本年度已有该项记录。")
    entry = PointEntry(
        member=member, rule=rule, year=rule.year, points=rule.points, occurred_on=occurred_on, note=note, added_by=by
    )
    record(entry, by, Act.REGISTER)
    announce(
        entry,
        actor=by,
        recipients=selectors.branch_committee_users(member.branch_id),
        title=f"【待审核】{member.name}的积分：{rule.name}",
        body=f"{by}登记了{member.name}的积分“{rule.name}”（{rule.points:+g} 分），事由：{note}。请审核。",
    )
    return entry


def _check_review(entry: PointEntry, by) -> None:
    if entry.added_by_id == by.pk:
        raise PermissionDenied("登记人不能审核自己登记的积分，请由其他支委或上级党组织审核。")
    if not can_approve(by, entry):
        raise PermissionDenied("只有本支部书记、支委或上级党组织可以审核党员积分。")
    if entry.status != S.PENDING:
        raise PointsError(f"该积分记录{entry.get_status_display()}，不能再审核。")


@transaction.atomic
def approve_entry(entry: PointEntry, *, by) -> PointEntry:
    entry = locked(entry, "member__branch", "rule")
    _check_review(entry, by)
    entry.status, entry.approved_by, entry.approved_at = S.APPROVED, by, timezone.now()
    return record(entry, by, Act.APPROVE, ["status", "approved_by", "approved_at"])


@transaction.atomic
def reject_entry(entry: PointEntry, *, reason: str, by) -> PointEntry:
    entry = locked(entry, "member__branch", "rule")
    _check_review(entry, by)
    reason = (reason or "").strip()
    if not reason:
        raise PointsError("请填写不通过的原因。")
    entry.status, entry.reject_reason = S.REJECTED, reason
    entry.approved_by, entry.approved_at = by, timezone.now()
    record(entry, by, Act.REJECT.because(reason), ["status", "reject_reason", "approved_by", "approved_at"])
    announce(
        entry,
        actor=by,
        recipients=[entry.added_by],
        title=f"积分未通过审核：{entry.member.name} {entry.rule.name}",
        body=f"您登记的{entry.member.name}的积分“{entry.rule.name}”未通过审核。\n原因：{reason}",
    )
    return entry


# --- Totals ----------------------------------------------------------------------------------


def base_for(year: int) -> Decimal:
    scheme = schemes.scheme_for_year(year)
    return scheme.points_base if scheme is not None else DEFAULT_BASE


@dataclass
class MemberPoints:
    member: Member
    added: Decimal  # approved, after caps
    deducted: Decimal  # approved, after caps (a positive number)
    total: Decimal
    pending: int
    rank: int = 0


def _capped_sums(per_rule: dict[int, Decimal], caps: dict[int, Decimal | None]) -> tuple[Decimal, Decimal]:
    added = deducted = scoring.ZERO
    for rule_id, summed in per_rule.items():
        cap = caps.get(rule_id)
        if cap is not None and abs(summed) > cap:
            summed = cap if summed > 0 else -cap
        if summed > 0:
            added += summed
        else:
            deducted -= summed
    return added, deducted


def branch_totals(branch: Branch, year: int) -> list[MemberPoints]:
    """Every member of the branch with their total and rank, best first, in four queries."""
    members = list(Member.objects.filter(branch=branch).order_by("name_pinyin", "pk"))
    base = base_for(year)
    caps = dict(PointRule.objects.filter(year=year).values_list("pk", "yearly_cap"))
    sums: dict[int, dict[int, Decimal]] = {}
    pending: dict[int, int] = {}
    rows = (
        PointEntry.objects.filter(member__branch=branch, year=year)
        .values("member_id", "rule_id")
        .annotate(summed=Sum("points", filter=Q(status=S.APPROVED)), n_pending=Count("pk", filter=Q(status=S.PENDING)))
        .order_by()
    )
    for row in rows:
        if row["summed"] is not None:
            sums.setdefault(row["member_id"], {})[row["rule_id"]] = row["summed"]
        pending[row["member_id"]] = pending.get(row["member_id"], 0) + row["n_pending"]
    result = []
    for member in members:
        per_rule = sums.get(member.pk, {})
        added, deducted = _capped_sums(per_rule, caps)
        total = scoring.points_total(base, per_rule.items(), caps)
        result.append(MemberPoints(member, added, deducted, total, pending.get(member.pk, 0)))
    ranking = scoring.ranks([scoring.Rated(key=r.member.pk, total=r.total) for r in result])
    for r in result:
        r.rank = ranking[r.member.pk]
    result.sort(key=lambda r: (r.rank, r.member.name_pinyin, r.member.pk))
    return result


def member_total(member: Member, year: int) -> MemberPoints:
    """One member's line of `branch_totals` (their rank is within their current branch)."""
    return next(r for r in branch_totals(member.branch, year) if r.member.pk == member.pk)
