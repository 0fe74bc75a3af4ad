"""Fetch-and-authorize helpers: a view asks for an object and gets it, a 404 or a 403."""

from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404

from accounts.scope import scope_of

from . import meetings
from .models import Branch, CommitteeTerm, Meeting, MeetingAttachment, Member, Organ


def get_branch_for_user(user, pk: int, *, write: bool = False) -> Branch:
    branch = get_object_or_404(Branch.objects.visible_to(user).select_related("organ"), pk=pk)
    if write and not scope_of(user).can_write_branch(branch):
        raise PermissionDenied("您无权修改该支部的信息。")
    return branch


def get_member_for_user(user, pk: int, *, write: bool = False) -> Member:
    member = get_object_or_404(
        Member.objects.visible_to(user).select_related("branch__organ", "organ", "party_group"), pk=pk
    )
    if write and not scope_of(user).can_write_branch(member.branch):
        raise PermissionDenied("您无权修改该党员的信息。")
    return member


def get_term_for_user(user, pk: int, *, write: bool = False) -> CommitteeTerm:
    term = get_object_or_404(CommitteeTerm.objects.visible_to(user).select_related("branch__organ"), pk=pk)
    if write and not scope_of(user).can_write_branch(term.branch):
        raise PermissionDenied("您无权修改该支部的届次信息。")
    return term


def get_organ_for_manager(user, pk: int) -> Organ:
    organ = get_object_or_404(Organ.objects.visible_to(user), pk=pk)
    if not scope_of(user).can_manage_organ(organ.pk):
        raise PermissionDenied("您无权管理该机关的党组织。")
    return organ


def writable_branches(user):
    """Branches whose roster the user may change (active ones only)."""
    scope = scope_of(user)
    qs = Branch.objects.active().select_related("organ")
    if scope.is_gongwei:
        return qs
    from django.db.models import Q

    return qs.filter(Q(organ_id__in=scope.organ_ids) | Q(pk__in=scope.branch_ids))


def manageable_organs(user):
    scope = scope_of(user)
    if scope.is_gongwei:
        return Organ.objects.all()
    return Organ.objects.filter(pk__in=scope.organ_ids)


def get_meeting_for_user(user, pk: int, *, write: bool = False) -> Meeting:
    meeting = get_object_or_404(
        meetings.with_counts(Meeting.objects.visible_to(user)).select_related(
            "branch__organ", "party_group", "recorded_by"
        ),
        pk=pk,
    )
    if write and not scope_of(user).can_write_branch(meeting.branch):
        raise PermissionDenied("您无权修改该支部的会议记录。")
    return meeting


def get_attachment_for_user(user, token: str) -> MeetingAttachment:
    # The token alone is not a key: a guessed or leaked link outside the user's scope is a 404.
    return get_object_or_404(
        MeetingAttachment.objects.filter(meeting__in=Meeting.objects.visible_to(user)), token=token
    )
