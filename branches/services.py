"""Writes to the organisation: each verb checks its rule, runs in one transaction, records who."""

import datetime

from django.db import transaction

from core.errors import DomainError

from .choices import CommitteePost
from .models import Branch, CommitteeMember, CommitteeTerm


class OrganisationError(DomainError):
    """A change the organisation rules do not allow; the message is shown to the user."""


@transaction.atomic
def dissolve_branch(branch: Branch, *, on: datetime.date, reason: str, by) -> Branch:
    branch = Branch.objects.select_for_update().get(pk=branch.pk)
    if branch.dissolved_on is not None:
        raise OrganisationError("该支部已撤销。")
    if on < branch.founded_on:
        raise OrganisationError("撤销日期不能早于成立日期。")
    remaining = branch.members.count()
    if remaining:
        raise OrganisationError(f"该支部仍有 {remaining} 名党员，请先将党员组织关系转至其他支部再撤销。")
    branch.dissolved_on = on
    branch.dissolution_reason = reason
    branch._history_user = by
    branch._change_reason = f"撤销支部：{reason}"
    branch.save(update_fields=["dissolved_on", "dissolution_reason"])
    return branch


def branch_has_records(branch: Branch) -> bool:
    return branch.members.exists() or branch.terms.exists()


@transaction.atomic
def delete_empty_branch(branch: Branch, *, by) -> None:
    """Remove a branch entered by mistake. Anything with records is dissolved instead."""
    if branch_has_records(branch):
        raise OrganisationError("该支部已有党员或届次记录，不能删除；如支部不再存在，请办理撤销。")
    branch._history_user = by
    branch.delete()


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
    return term
