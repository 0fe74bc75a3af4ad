"""Organisation-setting warnings at the boundaries of the rules (支部工作条例 2018)."""

import datetime

import pytest

from branches.choices import BranchKind, CommitteePost, MemberStatus
from branches.models import Branch, CommitteeTerm, OrganisationRules, add_years
from branches.rules import WARNING_KINDS, branches_warned, describe_warnings
from tests.factories import BranchFactory, CommitteeMemberFactory, CommitteeTermFactory, MemberFactory

TODAY = datetime.date(2026, 11, 22)


def make_branch(full: int, probationary: int = 0, committee: int | None = 1, kind=BranchKind.ORGAN, **term):
    """A branch with `full` 正式党员, `probationary` 预备党员 and a current term of `committee` seats."""
    branch = BranchFactory(kind=kind)
    members = MemberFactory.create_batch(full, branch=branch)
    MemberFactory.create_batch(
        probationary, branch=branch, status=MemberStatus.PROBATIONARY, confirmed_on=None,
        joined_on=datetime.date(2026, 3, 1),
    )  # fmt: skip
    if committee:
        t = CommitteeTermFactory(branch=branch, **term)
        posts = [CommitteePost.SECRETARY] + [CommitteePost.MEMBER] * (committee - 1)
        for member, post in zip(members, posts, strict=False):
            CommitteeMemberFactory(term=t, member=member, post=post)
    return branch


def flags(branch, rules=None):
    rules = rules or OrganisationRules.for_year(TODAY.year)
    b = Branch.objects.with_warnings(rules, TODAY).get(pk=branch.pk)
    found = {kind.code for kind, _ in describe_warnings(b, rules)}
    # The branch list's warning filter finds branches by a query of its own: it agrees at every boundary.
    one = Branch.objects.filter(pk=branch.pk)
    assert {kind.code for kind in WARNING_KINDS if branches_warned(one, rules, TODAY, kind.code)} == found
    assert bool(branches_warned(one, rules, TODAY)) == bool(found)
    return found


@pytest.mark.django_db
class TestFullMemberMinimum:
    def test_three_full_members_is_enough(self):
        assert "too_few" not in flags(make_branch(full=3))

    def test_two_full_members_is_too_few_and_probationary_do_not_count(self):
        assert "too_few" in flags(make_branch(full=2, probationary=5))

    def test_joint_branch_is_exempt(self):
        assert "too_few" not in flags(make_branch(full=2, kind=BranchKind.JOINT))


@pytest.mark.django_db
class TestCommittee:
    def test_six_full_members_with_secretary_only_is_fine(self):
        assert flags(make_branch(full=6, committee=1)) == set()

    def test_seven_full_members_need_a_committee(self):
        assert "needs_committee" in flags(make_branch(full=7, committee=1))

    def test_seven_full_members_with_probationary_do_not_reach_threshold(self):
        assert "needs_committee" not in flags(make_branch(full=6, probationary=3, committee=1))

    def test_committee_of_three_satisfies_the_rule(self):
        assert flags(make_branch(full=7, committee=3)) == set()

    def test_committee_of_seven_is_the_maximum(self):
        assert flags(make_branch(full=12, committee=7)) == set()

    def test_committee_of_eight_is_the_wrong_size(self):
        assert "committee_size" in flags(make_branch(full=12, committee=8))

    def test_small_branch_may_have_secretary_and_deputy(self):
        assert flags(make_branch(full=5, committee=2)) == set()

    def test_small_branch_with_a_committee_of_three_is_the_wrong_size(self):
        assert "committee_size" in flags(make_branch(full=6, committee=3))

    def test_branch_without_any_term_has_no_secretary(self):
        assert "no_secretary" in flags(make_branch(full=4, committee=None))

    def test_rules_are_data_per_year(self):
        OrganisationRules.objects.create(year=2026, committee_threshold=5)
        assert "needs_committee" in flags(make_branch(full=5, committee=1))
        # A rule for a later year does not apply yet.
        OrganisationRules.objects.create(year=2027, committee_threshold=3)
        assert "needs_committee" not in flags(make_branch(full=4, committee=1))


@pytest.mark.django_db
class TestTermExpiry:
    def test_term_ends_on_the_same_calendar_date(self):
        term = CommitteeTermFactory(elected_on=datetime.date(2023, 6, 15), term_years=3)
        assert term.ends_on == datetime.date(2026, 6, 15)

    def test_leap_day_election_ends_on_28_february(self):
        assert add_years(datetime.date(2024, 2, 29), 3) == datetime.date(2027, 2, 28)

    def test_term_ending_today_is_not_yet_expired(self):
        branch = make_branch(full=3, elected_on=add_years(TODAY, -3), term_years=3)
        assert "term_expired" not in flags(branch)

    def test_term_ended_yesterday_is_expired(self):
        branch = make_branch(full=3, elected_on=add_years(TODAY, -3) - datetime.timedelta(days=1), term_years=3)
        assert "term_expired" in flags(branch)

    def test_newer_term_replaces_the_expired_one(self):
        branch = make_branch(full=3, elected_on=datetime.date(2019, 5, 1))
        secretary = branch.members.first()
        new = CommitteeTerm.objects.create(branch=branch, elected_on=datetime.date(2025, 5, 1), term_years=3)
        CommitteeMemberFactory(term=new, member=secretary, post=CommitteePost.SECRETARY)
        assert flags(branch) == set()


@pytest.mark.django_db
class TestSizeAndDissolution:
    def test_fifty_members_allowed_fifty_one_too_many(self):
        assert "too_many" not in flags(make_branch(full=50, committee=5))
        assert "too_many" in flags(make_branch(full=51, committee=5))

    def test_dissolved_branch_has_no_warnings(self):
        branch = make_branch(full=1, committee=None)
        branch.dissolved_on = TODAY
        branch.save()
        assert flags(branch) == set()

    def test_warning_text_explains_numbers(self):
        branch = make_branch(full=2)
        rules = OrganisationRules.for_year(TODAY.year)
        b = Branch.objects.with_warnings(rules, TODAY).get(pk=branch.pk)
        texts = {k.code: t for k, t in describe_warnings(b, rules)}
        assert "正式党员 2 名" in texts["too_few"]
