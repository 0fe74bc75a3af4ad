"""Writes to the organisation: each verb checks its rule, runs in one transaction, records who.

Every verb that changes what a branch's kept figures count (members, terms, seats, the branch itself)
refreshes them before it returns (see `branches.figures`). A branch's dates, its 党小组, its committee
terms and seats and the organisation rules also decide which required meetings apply to it, so the
verbs that write them refresh the kept completion (`branches.kept`) in the same transaction too.
"""

import datetime
from collections.abc import Iterable

from django.db import transaction

from core.errors import DomainError

from . import figures, kept
from .choices import CommitteePost
from .models import Branch, CommitteeMember, CommitteeTerm, Member, OrganisationRules, PartyGroup


class OrganisationError(DomainError):
    """A change the organisation rules do not allow; the message is shown to the user."""


def _recorded(obj, by, reason: str = ""):
    obj._history_user = by
    if reason:
        obj._change_reason = reason
    return obj


@transaction.atomic
def save_branch(branch: Branch, *, by, reason: str = "") -> Branch:
    """Found a branch or save its edited details (name, kind, founding date, organ, note)."""
    # A move to another organ takes the branch out of its old organ's completion rollup too.
    moved_from = Branch.objects.filter(pk=branch.pk).values_list("organ_id", flat=True).first()
    _recorded(branch, by, reason).save()
    figures.refresh([branch.pk])
    kept.refresh([branch], organs=[moved_from])
    return branch


@transaction.atomic
def dissolve_branch(branch: Branch, *, on: datetime.date, reason: str, by) -> Branch:
    # NO KEY UPDATE, as the completion refresh takes: a meeting being recorded does not block it.
    branch = Branch.objects.select_for_update(no_key=True).get(pk=branch.pk)
    if branch.dissolved_on is not None:
        raise OrganisationError("该支部已撤销。")
    if on < branch.founded_on:
        raise OrganisationError("撤销日期不能早于成立日期。")
    remaining = branch.members.count()
    if remaining:
        raise OrganisationError(f"该支部仍有 {remaining} 名党员，请先将党员组织关系转至其他支部再撤销。")
    branch.dissolved_on = on
    branch.dissolution_reason = reason
    _recorded(branch, by, f"撤销支部：{reason}")
    branch.save(update_fields=["dissolved_on", "dissolution_reason"])
    figures.refresh([branch.pk])
    kept.refresh([branch])
    return branch


def branch_has_records(branch: Branch) -> bool:
    return branch.members.exists() or branch.terms.exists()


@transaction.atomic
def delete_empty_branch(branch: Branch, *, by) -> None:
    """Remove a branch entered by mistake. Anything with records is dissolved instead.

    Its kept figures go with it (the row is deleted in cascade); an empty branch counts nothing elsewhere.
    """
    if branch_has_records(branch):
        raise OrganisationError("该支部已有党员或届次记录，不能删除；如支部不再存在，请办理撤销。")
    branch._history_user = by
    # Its kept completion goes with it (on_delete=CASCADE); its organ's rollup is recounted without it.
    organ_id = branch.organ_id
    branch.delete()
    kept.refresh([], organs=[organ_id])


@transaction.atomic
def save_member(member: Member, *, by, reason: str = "") -> Member:
    """Register a member or save an edited one (status, 班子成员, a move to another branch …).

    A move refreshes the figures of the branch left as well as of the branch joined.
    """
    before = None
    if member.pk is not None:
        # Locked, so that of two moves of one member at once the later sees where the earlier put them.
        stored = Member.objects.filter(pk=member.pk).select_for_update(no_key=True)
        before = stored.values_list("branch_id", flat=True).first()
    _recorded(member, by, reason).save()
    figures.refresh([before, member.branch_id])
    return member


@transaction.atomic
def delete_members(members: Iterable[Member], *, by) -> None:
    """Delete members entered by mistake (the admin's delete); records that refer to them protect them."""
    members = list(members)
    for member in members:
        member._history_user = by
        member.delete()
    figures.refresh(m.branch_id for m in members)


@transaction.atomic
def save_committee_term(term: CommitteeTerm, seats: list[tuple], *, by) -> CommitteeTerm:
    """Create or update a term and replace its seats with `seats` [(member, post), ...]."""
    term._history_user = by
    term.save()
    existing = {seat.member_id: seat for seat in term.seats.all()}
    wanted = {member.pk: post for member, post in seats}
    for member_id, seat in existing.items():
        if member_id not in wanted:
            seat._history_user = by
            seat.delete()
    # Posts with a one-per-term constraint must be vacated before they are reassigned.
    for member_id, seat in existing.items():
        if member_id in wanted and seat.post != wanted[member_id]:
            seat.post = CommitteePost.MEMBER
            seat._history_user = by
            seat.save(update_fields=["post"])
    for member, post in seats:
        seat = existing.get(member.pk) or CommitteeMember(term=term, member=member)
        seat.post = post
        seat._history_user = by
        seat.save()
    figures.refresh([term.branch_id], roster=False)
    # Whether 支委会 meetings were due in a period depends on the seats of the term then in office.
    kept.refresh([term.branch_id])
    return term


@transaction.atomic
def delete_committee_term(term: CommitteeTerm, *, by) -> None:
    """Remove a term entered by mistake, with its seats (the admin's delete)."""
    branch_id = term.branch_id
    term._history_user = by
    term.delete()
    figures.refresh([branch_id], roster=False)
    kept.refresh([branch_id])


@transaction.atomic
def save_party_group(group: PartyGroup) -> PartyGroup:
    """Create or rename a 党小组 (党小组会 are due per group)."""
    group.save()
    kept.refresh([group.branch_id])
    return group


@transaction.atomic
def delete_party_group(group: PartyGroup) -> None:
    """Remove a 党小组; its members become ungrouped. A group that has met is kept (its meetings protect it)."""
    group.delete()
    kept.refresh([group.branch_id])


@transaction.atomic
def save_rules(rules: OrganisationRules) -> OrganisationRules:
    """Create or change the organisation rules in force from a year on.

    The committee's minimum size decides whether a branch has a committee, hence whether 支委会
    meetings are due: every year the rules reach is recomputed when it or the rules' year changes.
    """
    before = OrganisationRules.objects.filter(pk=rules.pk).values_list("year", "committee_min_size").first()
    rules.save()
    if before != (rules.year, rules.committee_min_size):
        kept.refresh_years_from(min(rules.year, before[0]) if before else rules.year)
    return rules


@transaction.atomic
def delete_rules(rules: OrganisationRules) -> None:
    rules.delete()
    kept.refresh_years_from(rules.year)
