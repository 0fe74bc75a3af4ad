"""The rating rules as pure functions: boundaries by example, the rest as properties (hypothesis)."""

import math
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from assessments import scoring
from assessments.choices import Tier, TierMode

D = Decimal
STARS = (D("60"), D("65"), D("75"), D("85"), D("95"))
totals = st.decimals(min_value=0, max_value=110, places=2, allow_nan=False, allow_infinity=False)
shares = st.decimals(min_value=0, max_value=100, places=2, allow_nan=False, allow_infinity=False)


def rated(values):
    return [scoring.Rated(key=n, total=v) for n, v in enumerate(values, start=1)]


# --- stars and tiers at their boundaries -------------------------------------------------------


def test_stars_at_the_domain_boundaries():
    assert scoring.stars_for(D("95"), STARS) == 5
    assert scoring.stars_for(D("94.99"), STARS) == 4
    assert scoring.stars_for(D("85"), STARS) == 4
    assert scoring.stars_for(D("84.99"), STARS) == 3
    assert scoring.stars_for(D("75"), STARS) == 3
    assert scoring.stars_for(D("65"), STARS) == 2
    assert scoring.stars_for(D("64.99"), STARS) == 1
    assert scoring.stars_for(D("60"), STARS) == 1
    assert scoring.stars_for(D("59.99"), STARS) == 0
    assert scoring.stars_for(D("0"), STARS) == 0


@given(totals, totals)
def test_more_points_never_mean_fewer_stars(a, b):
    low, high = sorted((a, b))
    assert scoring.stars_for(low, STARS) <= scoring.stars_for(high, STARS)


TIERS = scoring.TierRules(TierMode.THRESHOLD, D("90"), D("80"), D("60"), D("20"), D("40"), D("5"))


def test_tiers_at_their_boundaries():
    assert scoring.tier_for(D("90"), TIERS) == Tier.ADVANCED
    assert scoring.tier_for(D("89.99"), TIERS) == Tier.GOOD
    assert scoring.tier_for(D("80"), TIERS) == Tier.GOOD
    assert scoring.tier_for(D("79.99"), TIERS) == Tier.ORDINARY
    assert scoring.tier_for(D("60"), TIERS) == Tier.ORDINARY
    assert scoring.tier_for(D("59.99"), TIERS) == Tier.BACKWARD


@given(st.lists(totals, min_size=1, max_size=60))
def test_tiers_by_proportion_fill_the_preset_shares_best_first(values):
    rules = scoring.TierRules(TierMode.PROPORTION, D("90"), D("80"), D("60"), D("20"), D("40"), D("10"))
    result = scoring.tiers(rated(values), rules)
    n = len(values)
    counts = {tier: sum(1 for t in result.values() if t == tier) for tier in Tier.values}
    assert counts[Tier.ADVANCED] == math.floor(n * 0.2)
    assert counts[Tier.GOOD] == math.floor(n * 0.4)
    assert counts[Tier.BACKWARD] == math.floor(n * 0.1)
    order = [Tier.ADVANCED, Tier.GOOD, Tier.ORDINARY, Tier.BACKWARD]
    for r in rated(values):
        for other in rated(values):
            if r.total > other.total:
                assert order.index(result[r.key]) <= order.index(result[other.key])


# --- the 5★ quota ------------------------------------------------------------------------------------


def test_quota_demotes_the_lowest_five_stars_to_four():
    rs = rated([D("99"), D("97"), D("96"), D("80")] + [D("70")] * 16)  # 20 branches, 10% → 2 may keep 5★
    stars = {r.key: scoring.stars_for(r.total, STARS) for r in rs}
    result = scoring.apply_star_quota(rs, stars, D("10"))
    assert [result[1], result[2], result[3]] == [5, 5, 4]
    assert result[4] == stars[4]


def test_quota_demotes_everyone_tied_at_the_cut():
    rs = rated([D("99"), D("96"), D("96")] + [D("70")] * 17)  # 2 places, the second is tied
    stars = {r.key: scoring.stars_for(r.total, STARS) for r in rs}
    result = scoring.apply_star_quota(rs, stars, D("10"))
    assert [result[1], result[2], result[3]] == [5, 4, 4]


@given(st.lists(totals, min_size=1, max_size=80), shares)
def test_quota_is_never_exceeded_and_only_lower_totals_lose_the_star(values, percent):
    rs = rated(values)
    stars = {r.key: scoring.stars_for(r.total, STARS) for r in rs}
    result = scoring.apply_star_quota(rs, stars, percent)
    limit = math.floor(len(values) * percent / 100)
    kept = [r for r in rs if result[r.key] == 5]
    demoted = [r for r in rs if stars[r.key] == 5 and result[r.key] == 4]
    assert len(kept) <= limit
    assert all(k.total > d.total for k in kept for d in demoted)
    assert all(result[r.key] == stars[r.key] for r in rs if stars[r.key] != 5)


# --- N/A rescaling, caps, totals ---------------------------------------------------------------------


def test_not_applicable_is_left_out_and_the_rest_rescaled():
    lines = [scoring.Line(D("50"), D("40")), scoring.Line(D("50"), None)]
    assert scoring.base_score(lines) == D("80.00")


def test_a_zero_is_not_the_same_as_not_applicable():
    assert scoring.base_score([scoring.Line(D("50"), D("40")), scoring.Line(D("50"), D("0"))]) == D("40.00")


lines_strategy = st.lists(
    st.tuples(st.integers(min_value=1, max_value=30), st.one_of(st.none(), st.floats(min_value=0, max_value=1))),
    min_size=1,
    max_size=12,
)


@given(lines_strategy, st.integers(min_value=1, max_value=30))
def test_adding_a_not_applicable_indicator_never_changes_the_base(raw, extra_max):
    lines = [scoring.Line(D(m), None if r is None else scoring.points_for(D(str(r)), D(m))) for m, r in raw]
    assert scoring.base_score([*lines, scoring.Line(D(extra_max), None)]) == scoring.base_score(lines)


@given(lines_strategy)
def test_the_base_stays_between_0_and_100_and_full_marks_give_100(raw):
    lines = [scoring.Line(D(m), None if r is None else scoring.points_for(D(str(r)), D(m))) for m, r in raw]
    base = scoring.base_score(lines)
    assert D(0) <= base <= D(100)
    full = [scoring.Line(D(m), D(m)) for m, _ in raw]
    assert scoring.base_score(full) == D("100.00")


def test_bonus_and_deduction_are_capped():
    assert scoring.total_score(D("90"), D("6"), D("0"), D("5"), D("10")) == (D("5"), D("0"), D("95.00"))
    assert scoring.total_score(D("90"), D("0"), D("12"), D("5"), D("10")) == (D("0"), D("10"), D("80.00"))
    assert scoring.total_score(D("5"), D("0"), D("8"), D("5"), D("10")) == (D("0"), D("8"), D("0"))


@given(totals, st.decimals(min_value=0, max_value=30, places=1), st.decimals(min_value=0, max_value=30, places=1))
def test_caps_hold_and_the_total_is_never_negative(base, bonus, deduction):
    bonus_used, deduction_used, total = scoring.total_score(base, bonus, deduction, D("5"), D("10"))
    assert D(0) <= bonus_used <= min(bonus, D("5"))
    assert D(0) <= deduction_used <= min(deduction, D("10"))
    assert total >= 0
    assert total == max(scoring.cents(base + bonus_used - deduction_used), D(0))


# --- ranks, the bottom share, pairings ------------------------------------------------------------


def test_equal_totals_share_a_rank():
    assert scoring.ranks(rated([D("90"), D("95"), D("90"), D("80")])) == {2: 1, 1: 2, 3: 2, 4: 4}


@given(st.lists(totals, min_size=1, max_size=80), st.decimals(min_value=5, max_value=10, places=2))
def test_the_bottom_share_is_rounded_up_and_takes_the_lowest(values, percent):
    rs = rated(values)
    flagged = scoring.bottom(rs, percent)
    assert len(flagged) == math.ceil(len(values) * percent / 100)
    for r in rs:
        if r.key not in flagged:
            assert all(r.total >= f.total for f in rs if f.key in flagged)


def test_pairing_prefers_the_same_organ_and_spreads_the_help():
    weak = [scoring.Candidate(1, 10, D("50")), scoring.Candidate(2, 10, D("55")), scoring.Candidate(3, 20, D("52"))]
    strong = [scoring.Candidate(4, 10, D("96")), scoring.Candidate(5, 10, D("90")), scoring.Candidate(6, 30, D("99"))]
    pairs = scoring.pairings(weak, strong)
    assert pairs[1] == 4  # the weakest chooses first: the best of its organ
    assert pairs[2] == 5  # 4 already helps one, so the next of the organ
    assert pairs[3] == 6  # nobody strong in organ 20: the least loaded, best branch anywhere


@given(
    st.lists(st.tuples(st.integers(1, 4), totals), min_size=1, max_size=20),
    st.lists(st.tuples(st.integers(1, 4), totals), min_size=1, max_size=20),
)
def test_every_flagged_branch_gets_a_strong_partner_in_its_organ_when_there_is_one(weak_raw, strong_raw):
    weak = [scoring.Candidate(n, g, t) for n, (g, t) in enumerate(weak_raw, start=1)]
    strong = [scoring.Candidate(1000 + n, g, t) for n, (g, t) in enumerate(strong_raw, start=1)]
    pairs = scoring.pairings(weak, strong)
    strong_by_key = {s.key: s for s in strong}
    assert set(pairs) == {w.key for w in weak}
    for w in weak:
        partner = strong_by_key[pairs[w.key]]
        if any(s.group == w.group for s in strong):
            assert partner.group == w.group


# --- member-level rules ------------------------------------------------------------------------------


def test_excellent_quota_is_one_third_rounded_down():
    assert scoring.excellent_quota(9, 1, 3) == 3
    assert scoring.excellent_quota(10, 1, 3) == 3
    assert scoring.excellent_quota(11, 1, 3) == 3
    assert scoring.excellent_quota(12, 1, 3) == 4
    assert scoring.excellent_quota(2, 1, 3) == 0


@given(st.integers(0, 500), st.integers(0, 10), st.integers(1, 10))
def test_excellent_quota_never_exceeds_the_fraction(n, num, den):
    num = min(num, den)
    quota = scoring.excellent_quota(n, num, den)
    assert quota * den <= n * num < (quota + 1) * den


def test_points_start_from_the_base_respect_caps_and_never_go_below_zero():
    caps = {1: D("10"), 2: None, 3: D("20")}
    assert scoring.points_total(D("60"), [(1, D("2"))] * 8, caps) == D("70")  # 16 capped at 10
    assert scoring.points_total(D("60"), [(2, D("5")), (3, D("-20"))], caps) == D("45")
    assert scoring.points_total(D("60"), [(3, D("-20"))] * 5, caps) == D("40")  # −100 capped at −20
    assert scoring.points_total(D("10"), [(2, D("-30"))], caps) == D("0")


@given(st.lists(st.tuples(st.integers(1, 3), st.integers(-20, 20).filter(bool)), max_size=40))
def test_points_total_is_never_negative(entries):
    caps = {1: D("10"), 2: None, 3: D("5")}
    assert scoring.points_total(D("60"), [(r, D(p)) for r, p in entries], caps) >= 0
