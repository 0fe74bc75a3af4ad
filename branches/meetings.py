"""三会一课 records: a branch's meetings with attendance, a vote at a 党员大会 and attachments.

Every write checks the role and the rules first, writes in one transaction with the acting user
on the meeting's history, and removes stored files again when the transaction does not commit.

Who is due (应到) is derived from the roster when a meeting is recorded: the branch's members,
a 党小组's members for a 党小组会, the committee in office for a 支委会. The list is then kept
with the meeting, so later roster changes do not rewrite past attendance.

The vote rule follows 支部工作条例 第十一条: a decision passes when those voting for it are more
than half of the members due who have a vote (正式党员; 预备党员 attend without a vote).
"""

import datetime
from collections.abc import Iterable, Mapping
from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Count, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from accounts.scope import scope_of
from core.errors import DomainError
from core.uploads import MB, CheckedFile, UploadRejected, check_uploads, discard_files, upload_limit_mb

from . import hours, kept
from .choices import MeetingKind, MemberStatus
from .models import Attendance, Branch, CommitteeTerm, Meeting, MeetingAttachment, Member, OrganisationRules, PartyGroup

# How long after recording a meeting may still be deleted (a mistaken entry); later it is corrected
# by editing, so that what was counted towards completion does not silently disappear.
DELETE_WINDOW_DAYS = 30
MAX_REASON_LENGTH = Attendance._meta.get_field("absence_reason").max_length

VOTE_FIELDS = ("votes_for", "votes_against", "votes_abstain")
TEXT_FIELDS = ("topic", "place", "minutes", "motion")


class MeetingError(DomainError):
    """A meeting record the rules refuse; the message is shown to the user, `field` says where."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


def _today(today: datetime.date | None) -> datetime.date:
    return today or timezone.localdate()


# --- reading ---------------------------------------------------------------------------------


def can_vote(member: Member, on: datetime.date) -> bool:
    """A 正式党员 on that day: 预备党员, and members confirmed only later, have no vote."""
    return member.status == MemberStatus.FULL and (member.confirmed_on is None or member.confirmed_on <= on)


# The same rule as `can_vote`, over a meeting's attendance rows in the database.
_VOTING = Q(member__status=MemberStatus.FULL) & (
    Q(member__confirmed_on__isnull=True) | Q(member__confirmed_on__lte=OuterRef("held_on"))
)


def _count(model, *conditions: Q) -> Coalesce:
    rows = model.objects.filter(*conditions, meeting=OuterRef("pk")).order_by().values("meeting")
    return Coalesce(Subquery(rows.annotate(c=Count("pk")).values("c")), Value(0))


def with_counts(meetings: QuerySet) -> QuerySet:
    """Attendance and attachment counts per meeting, computed in the database.

    Correlated subqueries rather than a join: a page of 20 meetings then reads only their own
    attendance rows, and the paginator's COUNT drops them, instead of grouping a million rows.
    """
    return meetings.annotate(
        n_due=_count(Attendance),
        n_present=_count(Attendance, Q(present=True)),
        n_voting=_count(Attendance, _VOTING),
        n_voting_present=_count(Attendance, _VOTING & Q(present=True)),
        n_attachments=_count(MeetingAttachment),
    )


def vote_result(meeting: Meeting) -> bool | None:
    """Whether the vote of a `with_counts` meeting passed; None when there was no vote."""
    if not meeting.has_vote:
        return None
    return meeting.vote_passes(meeting.n_voting)


def committee_term_on(branch: Branch, day: datetime.date) -> CommitteeTerm | None:
    """The committee in office on `day`: the latest term elected on or before it."""
    return branch.terms.filter(elected_on__lte=day).order_by("-elected_on", "-pk").first()


def due_members(
    branch: Branch, kind: str, party_group: PartyGroup | None = None, held_on: datetime.date | None = None
) -> list[Member]:
    """Who is due at a new meeting of this kind, from the roster (members who had joined by then)."""
    held_on = _today(held_on)
    if kind == MeetingKind.GROUP:
        if party_group is None or party_group.branch_id != branch.pk:
            return []
        members = Member.objects.filter(branch=branch, party_group=party_group)
    elif kind == MeetingKind.COMMITTEE:
        term = committee_term_on(branch, held_on)
        if term is None:
            return []
        members = Member.objects.filter(seats__term=term)
    else:
        members = Member.objects.filter(branch=branch)
    return list(members.filter(joined_on__lte=held_on).order_by("name_pinyin", "pk"))


def due_problem(branch: Branch, kind: str, party_group: PartyGroup | None, due: list[Member], held_on) -> str:
    """Why a meeting of this kind cannot be recorded with this due list, or ""."""
    if kind == MeetingKind.COMMITTEE:
        rules = OrganisationRules.for_year(held_on.year)
        term = committee_term_on(branch, held_on)
        if term is None or len(due) < rules.committee_min_size:
            return (
                f"{held_on:%Y年%m月%d日}本支部未设支部委员会（支委不足 {rules.committee_min_size} 人），"
                "不召开支委会；请先登记换届选举产生的支委会成员。"
            )
    if not due:
        if kind == MeetingKind.GROUP:
            return f"党小组“{party_group}”没有党员，无法登记党小组会。" if party_group else "请选择党小组。"
        return "本支部没有应到会的党员，无法登记会议。"
    return ""


def delete_refusal(meeting: Meeting, today: datetime.date | None = None) -> str:
    """Why the meeting may no longer be deleted, or "" while it may."""
    recorded = timezone.localdate(meeting.created_at)
    if (_today(today) - recorded).days > DELETE_WINDOW_DAYS:
        return f"该会议记录登记已超过 {DELETE_WINDOW_DAYS} 天，不能删除；如有错误，请编辑更正。"
    return ""


# --- validation --------------------------------------------------------------------------


def _clean_fields(branch: Branch, kind: str, party_group, data: Mapping, today: datetime.date) -> dict:
    """The meeting's own fields from `data`, checked; raises MeetingError on the first problem."""
    if kind not in MeetingKind.values:
        raise MeetingError("请选择会议类型。", "kind")
    if kind == MeetingKind.GROUP:
        if party_group is None:
            raise MeetingError("党小组会须选择召开会议的党小组。", "party_group")
        if party_group.branch_id != branch.pk:
            raise MeetingError(f"党小组“{party_group}”不属于{branch.name}，请选择本支部的党小组。", "party_group")
    elif party_group is not None:
        raise MeetingError("只有党小组会需要选择党小组。", "party_group")

    held_on = data.get("held_on")
    if not isinstance(held_on, datetime.date):
        raise MeetingError("请填写会议召开日期。", "held_on")
    if held_on > today:
        raise MeetingError("会议召开日期不能晚于今天：会议召开后再登记。", "held_on")
    if held_on < branch.founded_on:
        raise MeetingError(f"会议召开日期不能早于支部成立日期（{branch.founded_on:%Y-%m-%d}）。", "held_on")
    if branch.dissolved_on and held_on > branch.dissolved_on:
        raise MeetingError(f"支部已于 {branch.dissolved_on:%Y-%m-%d} 撤销，不能登记此后的会议。", "held_on")

    fields = {"held_on": held_on}
    for name in TEXT_FIELDS:
        value = (data.get(name) or "").strip()
        limit = Meeting._meta.get_field(name).max_length
        if limit and len(value) > limit:
            label = Meeting._meta.get_field(name).verbose_name
            raise MeetingError(f"{label}不能超过 {limit} 个字。", name)
        fields[name] = value
    if not fields["topic"]:
        raise MeetingError("请填写会议主题。", "topic")

    try:
        hours = Decimal(str(data.get("hours") or 0))
    except InvalidOperation as exc:
        raise MeetingError("学时应为数字。", "hours") from exc
    if hours < 0:
        raise MeetingError("学时不能为负数。", "hours")
    fields["hours"] = hours

    votes = {name: data.get(name) for name in VOTE_FIELDS}
    has_votes = any(v is not None for v in votes.values())
    if kind != MeetingKind.GENERAL:
        if fields["motion"] or has_votes:
            raise MeetingError("只有支部党员大会可以进行表决，其他会议不登记表决事项和票数。", "motion")
        fields.update(dict.fromkeys(VOTE_FIELDS))
        return fields
    if has_votes and not fields["motion"]:
        raise MeetingError("登记了票数，请填写表决事项。", "motion")
    if fields["motion"] and votes["votes_for"] is None:
        raise MeetingError("请填写赞成票数。", "votes_for")
    if fields["motion"]:
        for name, value in votes.items():
            value = int(value or 0)
            if value < 0:
                raise MeetingError("票数不能为负数。", name)
            votes[name] = value
    fields.update(votes)
    return fields


def _marks(due: list[Member], attendance: Mapping | None) -> list[tuple[Member, bool, str]]:
    """(member, present, absence reason) for each member due, checked against the due list.

    `attendance` maps a member id to present (bool) or to (present, reason); None means all came.
    It must name exactly the members due: a list that changed since the form was shown is refused
    rather than guessed.
    """
    if attendance is None:
        return [(member, True, "") for member in due]
    marks = {}
    for member_id, value in attendance.items():
        present, reason = value if isinstance(value, tuple) else (value, "")
        marks[int(member_id)] = (bool(present), (reason or "").strip())
    due_ids = {member.pk for member in due}
    extra, missing = set(marks) - due_ids, due_ids - set(marks)
    if extra or missing:
        parts = []
        if missing:
            parts.append("应到而未列出：" + "、".join(m.name for m in due if m.pk in missing))
        if extra:
            names = Member.objects.filter(pk__in=extra).order_by("name_pinyin").values_list("name", flat=True)
            parts.append("不在应到名单：" + ("、".join(names) or "已不存在的党员"))
        raise MeetingError(f"出席情况与应到会人员名单不一致（{'；'.join(parts)}），请核对后重新提交。", "attendance")
    rows = []
    for member in due:
        present, reason = marks[member.pk]
        if present:
            reason = ""
        elif len(reason) > MAX_REASON_LENGTH:
            raise MeetingError(f"{member.name}的缺席原因不能超过 {MAX_REASON_LENGTH} 个字。", "attendance")
        rows.append((member, present, reason))
    return rows


def _check_votes(fields: dict, rows: list[tuple[Member, bool, str]]) -> None:
    if fields.get("votes_for") is None:
        return
    voters = sum(1 for member, present, _ in rows if present and can_vote(member, fields["held_on"]))
    total = sum(fields[name] for name in VOTE_FIELDS)
    if total > voters:
        raise MeetingError(
            f"赞成、反对、弃权票合计 {total} 票，超过到会的有表决权党员人数 {voters} 人"
            "（预备党员没有表决权），请核对票数和出席情况。",
            "votes_for",
        )


def _check_files(files: Iterable, year: int) -> list[CheckedFile]:
    files = list(files or ())
    if not files:
        return []
    try:
        return check_uploads(files, max_bytes=upload_limit_mb(OrganisationRules.for_year(year).max_attachment_mb) * MB)
    except UploadRejected as exc:
        raise MeetingError(str(exc), "files") from exc


def _require_writer(by, branch: Branch) -> None:
    if not scope_of(by).can_write_branch(branch):
        raise PermissionDenied("只有本支部书记、支委或上级党组织工作人员可以登记和修改会议记录。")


# --- writing ---------------------------------------------------------------------------------


def _store_files(meeting: Meeting, checked: list[CheckedFile], by, stored: list[str]) -> None:
    for item in checked:
        stored.append(MeetingAttachment(meeting=meeting).store(item, by=by))


def record_meeting(
    branch: Branch,
    data: Mapping,
    attendance: Mapping | None = None,
    files: Iterable = (),
    *,
    by,
    today: datetime.date | None = None,
) -> Meeting:
    """Record a meeting held by `branch`.

    `data` holds the meeting's fields (kind, party_group, held_on, topic, place, minutes, hours,
    motion, votes_for, votes_against, votes_abstain); `attendance` marks each member due (see
    `_marks`); `files` are uploads, each checked by content before anything is written.
    """
    _require_writer(by, branch)
    today = _today(today)
    kind, party_group = data.get("kind"), data.get("party_group")
    fields = _clean_fields(branch, kind, party_group, data, today)
    due = due_members(branch, kind, party_group, fields["held_on"])
    if problem := due_problem(branch, kind, party_group, due, fields["held_on"]):
        raise MeetingError(problem, "attendance")
    rows = _marks(due, attendance)
    _check_votes(fields, rows)
    checked = _check_files(files, fields["held_on"].year)

    stored: list[str] = []
    try:
        with transaction.atomic():
            meeting = Meeting(branch=branch, kind=kind, party_group=party_group, recorded_by=by, **fields)
            meeting._history_user = by
            meeting._change_reason = "登记会议"
            meeting.save()
            Attendance.objects.bulk_create(
                Attendance(meeting=meeting, member=member, present=present, absence_reason=reason)
                for member, present, reason in rows
            )
            _store_files(meeting, checked, by, stored)
            if meeting.hours > 0:
                # The attendees' 学时 before the branch's completion: members are locked before branches.
                hours.refresh([member.pk for member, present, _ in rows if present], [meeting.held_on.year])
            kept.refresh([branch], [meeting.held_on.year])
    except BaseException:
        # The rows rolled back; files written before the failure must go too.
        discard_files(stored)
        raise
    return meeting


def update_meeting(
    meeting: Meeting,
    data: Mapping,
    attendance: Mapping | None = None,
    files: Iterable = (),
    remove: Iterable[MeetingAttachment] = (),
    *,
    by,
    today: datetime.date | None = None,
) -> Meeting:
    """Correct a recorded meeting: its fields, who came, its attachments.

    The kind, the 党小组 and the list of members due stay as recorded; `attendance` may change
    only who of them came. Attendance and attachment changes are written into the history reason.
    """
    today = _today(today)
    stored: list[str] = []
    removed_names: list[str] = []
    try:
        with transaction.atomic():
            meeting = (
                Meeting.objects.select_for_update(of=("self",))
                .select_related("branch", "party_group")
                .get(pk=meeting.pk)
            )
            branch = meeting.branch
            _require_writer(by, branch)
            fields = _clean_fields(branch, meeting.kind, meeting.party_group, data, today)
            current = list(meeting.attendance.select_related("member").order_by("member__name_pinyin", "pk"))
            if attendance is None:
                attendance = {row.member_id: (row.present, row.absence_reason) for row in current}
            rows = _marks([row.member for row in current], attendance)
            _check_votes(fields, rows)
            remove = list(remove)
            strangers = [a for a in remove if a.meeting_id != meeting.pk]
            if strangers:
                raise MeetingError("要删除的附件不属于本次会议。", "remove")
            checked = _check_files(files, fields["held_on"].year)

            notes = []
            changed_rows = []
            came_or_left = []
            for row, (_, present, reason) in zip(current, rows, strict=True):
                if (row.present, row.absence_reason) != (present, reason):
                    if row.present != present:
                        notes.append(f"{row.member.name}改为{'出席' if present else '缺席'}")
                        came_or_left.append(row.member_id)
                    row.present, row.absence_reason = present, reason
                    changed_rows.append(row)
            Attendance.objects.bulk_update(changed_rows, ["present", "absence_reason"])
            for attachment in remove:
                removed_names.append(attachment.file.name)
                attachment.delete()
            _store_files(meeting, checked, by, stored)

            edited = [name for name, value in fields.items() if getattr(meeting, name) != value]
            if not (edited or changed_rows or checked or remove):
                # Saving an unchanged form leaves no empty entry in the history.
                return meeting
            moved_from, hours_before = meeting.held_on, meeting.hours
            for name in edited:
                setattr(meeting, name, fields[name])
            reason = "修改会议记录"
            if notes:
                reason += "；出席情况：" + "、".join(notes)
            if checked:
                reason += "；上传附件：" + "、".join(item.name for item in checked)
            if remove:
                reason += "；删除附件：" + "、".join(a.original_name for a in remove)
            meeting._history_user = by
            meeting._change_reason = reason
            meeting.save()
            if hours_before > 0 or meeting.hours > 0:
                # New hours or a new year change every attendee's 学时 (in the year it left and the one it
                # moved to); otherwise only theirs who came or left. Members before the branch, as in
                # `record_meeting`.
                moved = "hours" in edited or "held_on" in edited
                touched = [row.member_id for row in current] if moved else came_or_left
                hours.refresh(touched, {moved_from.year, meeting.held_on.year})
            if "held_on" in edited:
                # Completion of the year it left and of the year it moved to.
                kept.refresh([branch], {moved_from.year, meeting.held_on.year})
            # Removed files are deleted only once the removal is committed.
            transaction.on_commit(lambda: discard_files(removed_names))
    except BaseException:
        discard_files(stored)
        raise
    return meeting


@transaction.atomic
def delete_meeting(meeting: Meeting, *, by, today: datetime.date | None = None) -> None:
    """Delete a meeting recorded by mistake, within the window after it was recorded."""
    meeting = Meeting.objects.select_for_update(of=("self",)).select_related("branch").get(pk=meeting.pk)
    _require_writer(by, meeting.branch)
    if refusal := delete_refusal(meeting, today):
        raise MeetingError(refusal)
    names = list(meeting.attachments.values_list("file", flat=True))
    came = list(meeting.attendance.filter(present=True).values_list("member_id", flat=True)) if meeting.hours else []
    meeting._history_user = by
    meeting._change_reason = "删除会议记录"
    meeting.delete()
    # The attendance goes with the meeting, and with it the hours it gave; members before the branch.
    hours.refresh(came, [meeting.held_on.year])
    kept.refresh([meeting.branch_id], [meeting.held_on.year])
    transaction.on_commit(lambda: discard_files(names))
