"""The rating rules as pure functions: points, N/A rescaling, caps, stars, quotas, tiers, ranks,
the bottom share and pairings. No database here; `ratings.py` feeds them and stores the result.
"""

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from core.quotas import beyond_quota

from .choices import Tier, TierMode

CENT = Decimal("0.01")
HUNDRED = Decimal("100")
ZERO = Decimal("0")


def cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def points_for(ratio: Decimal | None, max_score: Decimal) -> Decimal | None:
    """An indicator's points from the share of it achieved (clamped to 0–1); None stays N/A."""
    if ratio is None:
        return None
    ratio = min(max(Decimal(ratio), ZERO), Decimal(1))
    return cents(ratio * max_score)


@dataclass(frozen=True)
class Line:
    """One indicator as the total sees it: its maximum and its points, None when N/A."""

    max_score: Decimal
    points: Decimal | None


def base_score(lines: Iterable[Line]) -> Decimal:
    """Points earned on the applicable indicators, rescaled to 100.

    An N/A indicator is left out of both the points and the maximum, never counted as zero.
    When nothing applies the base is 0 (there is nothing to rate).
    """
    earned = ZERO
    possible = ZERO
    for line in lines:
        if line.points is None:
            continue
        earned += min(line.points, line.max_score)
        possible += line.max_score
    if possible == 0:
        return ZERO
    return cents(earned * HUNDRED / possible)


def rescale(points: Decimal | None, possible: Decimal) -> Decimal | None:
    """Points of one indicator or dimension on the same 100 scale as `base_score`."""
    if points is None or possible == 0:
        return None
    return cents(points * HUNDRED / possible)


def capped(total: Decimal, cap: Decimal) -> Decimal:
    return min(max(total, ZERO), cap)


def total_score(base: Decimal, bonus: Decimal, deduction: Decimal, bonus_cap: Decimal, deduction_cap: Decimal):
    """(bonus counted, deduction counted, total): caps apply to the year's sums; total ≥ 0."""
    bonus_used = capped(bonus, bonus_cap)
    deduction_used = capped(deduction, deduction_cap)
    return bonus_used, deduction_used, max(cents(base + bonus_used - deduction_used), ZERO)


def stars_for(total: Decimal, thresholds: Sequence[Decimal]) -> int:
    """Stars (0–5) for a total; `thresholds` are the minimums of 1★ … 5★, ascending."""
    stars = 0
    for n, minimum in enumerate(thresholds, start=1):
        if total >= minimum:
            stars = n
    return stars


def quota_count(n: int, percent: Decimal) -> int:
    """How many of n may hold a capped rank (e.g. 5★): the share rounded down."""
    return math.floor(Decimal(n) * Decimal(percent) / HUNDRED)


@dataclass(frozen=True)
class Rated:
    """A branch as the ordering rules see it. `key` breaks ties deterministically (lower first)."""

    key: int
    total: Decimal


def apply_star_quota(rated: Sequence[Rated], stars: dict[int, int], percent: Decimal) -> dict[int, int]:
    """Demote 5★ beyond the quota to 4★, lowest totals first.

    Branches tied at the cut are demoted together (`core.quotas`): the quota is a maximum, and which of two
    equal totals keeps its fifth star must not depend on record order.
    """
    five = {r.key: r.total for r in rated if stars[r.key] == 5}
    result = dict(stars)
    for key in beyond_quota(five, quota_count(len(rated), percent)):
        result[key] = 4
    return result


def ordered(rated: Sequence[Rated]) -> list[Rated]:
    """Best first; equal totals in key order."""
    return sorted(rated, key=lambda r: (-r.total, r.key))


def ranks(rated: Sequence[Rated]) -> dict[int, int]:
    """Competition ranking (1, 2, 2, 4): equal totals share a rank."""
    result: dict[int, int] = {}
    previous = None
    for position, r in enumerate(ordered(rated), start=1):
        if previous is None or r.total != previous[1]:
            previous = (position, r.total)
        result[r.key] = previous[0]
    return result


@dataclass(frozen=True)
class TierRules:
    mode: str
    advanced_min: Decimal
    good_min: Decimal
    ordinary_min: Decimal
    advanced_share: Decimal
    good_share: Decimal
    backward_share: Decimal


def tier_for(total: Decimal, rules: TierRules) -> str:
    if total >= rules.advanced_min:
        return Tier.ADVANCED
    if total >= rules.good_min:
        return Tier.GOOD
    if total >= rules.ordinary_min:
        return Tier.ORDINARY
    return Tier.BACKWARD


def tiers(rated: Sequence[Rated], rules: TierRules) -> dict[int, str]:
    """Each branch's tier: by thresholds, or by preset proportions of the ranking (rounded down)."""
    if rules.mode == TierMode.THRESHOLD:
        return {r.key: tier_for(r.total, rules) for r in rated}
    best_first = ordered(rated)
    n = len(best_first)
    n_advanced = quota_count(n, rules.advanced_share)
    n_good = quota_count(n, rules.good_share)
    n_backward = quota_count(n, rules.backward_share)
    result = {}
    for position, r in enumerate(best_first):
        if position < n_advanced:
            result[r.key] = Tier.ADVANCED
        elif position < n_advanced + n_good:
            result[r.key] = Tier.GOOD
        elif position >= n - n_backward:
            result[r.key] = Tier.BACKWARD
        else:
            result[r.key] = Tier.ORDINARY
    return result


def bottom_count(n: int, percent: Decimal) -> int:
    """How many branches the bottom share flags: rounded up, so that at least the share is named."""
    return math.ceil(Decimal(n) * Decimal(percent) / HUNDRED)


def bottom(rated: Sequence[Rated], percent: Decimal) -> set[int]:
    """Keys of the lowest-ranked share (ties at the cut: the higher key is flagged first)."""
    worst_first = sorted(rated, key=lambda r: (r.total, -r.key))
    return {r.key for r in worst_first[: bottom_count(len(rated), percent)]}


@dataclass(frozen=True)
class Candidate:
    key: int
    group: int  # the organ
    total: Decimal


def pairings(flagged: Sequence[Candidate], strong: Sequence[Candidate]) -> dict[int, int]:
    """A strong partner for each flagged branch, preferably in the same organ.

    The weakest branches choose first; each takes the partner that has helped fewest so far,
    then the highest total, so help is spread over the strong branches before any takes two.
    """
    load = {s.key: 0 for s in strong}
    by_group: dict[int, list[Candidate]] = {}
    for s in strong:
        by_group.setdefault(s.group, []).append(s)
    result = {}
    for weak in sorted(flagged, key=lambda c: (c.total, c.key)):
        pool = [s for s in by_group.get(weak.group, []) if s.key != weak.key] or [
            s for s in strong if s.key != weak.key
        ]
        if not pool:
            continue
        partner = min(pool, key=lambda s: (load[s.key], -s.total, s.key))
        load[partner.key] += 1
        result[weak.key] = partner.key
    return result


def excellent_quota(n_graded: int, numerator: int, denominator: int) -> int:
    """At most numerator/denominator of the graded members may be 优秀, rounded down (exact)."""
    return n_graded * numerator // denominator


def points_total(base: Decimal, entries: Iterable[tuple[int, Decimal]], caps: dict[int, Decimal | None]) -> Decimal:
    """A member's 积分: base plus approved entries, each rule's yearly sum within its cap, floor 0.

    `entries` are (rule id, signed points); `caps` maps a rule id to its cap on the absolute sum.
    """
    per_rule: dict[int, Decimal] = {}
    for rule_id, points in entries:
        per_rule[rule_id] = per_rule.get(rule_id, ZERO) + Decimal(points)
    total = Decimal(base)
    for rule_id, summed in per_rule.items():
        cap = caps.get(rule_id)
        if cap is not None and abs(summed) > cap:
            summed = cap if summed > 0 else -cap
        total += summed
    return max(total, ZERO)
