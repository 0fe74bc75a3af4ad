"""三会一课 records: who is due, the vote rule at its boundary, attachments, scoping and the pages."""

import datetime
import os
from decimal import Decimal

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from branches import meetings
from branches.choices import MeetingKind, MemberStatus
from branches.meetings import MeetingError, delete_meeting, record_meeting, update_meeting
from branches.models import Attendance, Meeting, MeetingAttachment, OrganisationRules
from tests.factories import CommitteeMemberFactory, CommitteeTermFactory, MemberFactory, PartyGroupFactory

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2026, 11, 22)
PDF = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 40
HTML = b"<!doctype html><html><script>alert(document.cookie)</script></html>"


@pytest.fixture(autouse=True)
def today():
    with time_machine.travel("2026-11-22 10:00 +0800", tick=False):
        yield


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    return tmp_path


def stored_files(root) -> list[str]:
    return [os.path.join(d, f) for d, _, files in os.walk(root) for f in files]


def roster(branch, n: int, **kwargs) -> list:
    return [MemberFactory(branch=branch, **kwargs) for _ in range(n)]


def general(held_on=datetime.date(2026, 10, 15), **extra) -> dict:
    return {"kind": MeetingKind.GENERAL, "held_on": held_on, "topic": "第三季度党员大会", **extra}


def pdf(name="签到表.pdf", content=PDF):
    return SimpleUploadedFile(name, content, content_type="application/pdf")


# --- who is due -----------------------------------------------------------------------------


def test_a_branch_meeting_is_due_for_every_member_who_had_joined_by_then(branch_a, branch_b, secretary_of_branch_a):
    members = roster(branch_a, 4)
    late = MemberFactory(branch=branch_a, joined_on=datetime.date(2026, 11, 1), confirmed_on=None)
    late.status = MemberStatus.PROBATIONARY
    late.save()
    roster(branch_b, 3)

    meeting = record_meeting(branch_a, general(), by=secretary_of_branch_a)

    due = set(meeting.attendance.values_list("member_id", flat=True))
    assert due == {m.pk for m in members}
    assert meeting.attendance.filter(present=True).count() == 4


def test_a_group_meeting_is_due_for_the_group_only(branch_a, secretary_of_branch_a):
    group = PartyGroupFactory(branch=branch_a, name="第一党小组")
    in_group = roster(branch_a, 3, party_group=group)
    roster(branch_a, 5)

    meeting = record_meeting(
        branch_a,
        {"kind": MeetingKind.GROUP, "party_group": group, "held_on": TODAY, "topic": "学习讨论"},
        by=secretary_of_branch_a,
    )

    assert meeting.party_group == group
    assert set(meeting.attendance.values_list("member_id", flat=True)) == {m.pk for m in in_group}


def test_a_committee_meeting_is_due_for_the_committee_in_office(branch_a, secretary_of_branch_a):
    roster(branch_a, 6)
    term = CommitteeTermFactory(branch=branch_a, elected_on=datetime.date(2025, 6, 15))
    seats = [CommitteeMemberFactory(term=term) for _ in range(3)]

    meeting = record_meeting(
        branch_a,
        {"kind": MeetingKind.COMMITTEE, "held_on": datetime.date(2026, 11, 2), "topic": "研究发展党员"},
        by=secretary_of_branch_a,
    )

    assert set(meeting.attendance.values_list("member_id", flat=True)) == {s.member_id for s in seats}


def test_a_committee_meeting_is_refused_without_a_committee(branch_a, secretary_of_branch_a):
    roster(branch_a, 5)
    term = CommitteeTermFactory(branch=branch_a)
    CommitteeMemberFactory(term=term)  # a secretary alone is no 支部委员会

    with pytest.raises(MeetingError, match="未设支部委员会"):
        record_meeting(
            branch_a, {"kind": MeetingKind.COMMITTEE, "held_on": TODAY, "topic": "支委会"}, by=secretary_of_branch_a
        )
    assert not Meeting.objects.exists()


def test_a_group_meeting_needs_a_group_of_the_same_branch(branch_a, branch_b, secretary_of_branch_a):
    roster(branch_a, 3)
    foreign = PartyGroupFactory(branch=branch_b, name="预算处党小组")
    roster(branch_b, 3, party_group=foreign)

    with pytest.raises(MeetingError, match="不属于综合处党支部") as refused:
        record_meeting(
            branch_a,
            {"kind": MeetingKind.GROUP, "party_group": foreign, "held_on": TODAY, "topic": "学习"},
            by=secretary_of_branch_a,
        )
    assert refused.value.field == "party_group"
    with pytest.raises(MeetingError, match="须选择召开会议的党小组"):
        record_meeting(
            branch_a, {"kind": MeetingKind.GROUP, "held_on": TODAY, "topic": "学习"}, by=secretary_of_branch_a
        )
    assert not Meeting.objects.exists()


def test_only_group_meetings_name_a_group(branch_a, secretary_of_branch_a):
    roster(branch_a, 3)
    group = PartyGroupFactory(branch=branch_a)

    with pytest.raises(MeetingError, match="只有党小组会"):
        record_meeting(branch_a, general(party_group=group), by=secretary_of_branch_a)


@pytest.mark.parametrize(
    ("held_on", "message"),
    [
        (TODAY + datetime.timedelta(days=1), "不能晚于今天"),
        (datetime.date(2015, 6, 30), "不能早于支部成立日期"),
    ],
)
def test_meeting_dates_must_be_possible(branch_a, secretary_of_branch_a, held_on, message):
    roster(branch_a, 3)

    with pytest.raises(MeetingError, match=message):
        record_meeting(branch_a, general(held_on=held_on), by=secretary_of_branch_a)
    assert not Meeting.objects.exists()


def test_the_day_itself_and_the_founding_day_are_accepted(branch_a, secretary_of_branch_a):
    roster(branch_a, 3)

    record_meeting(branch_a, general(held_on=TODAY), by=secretary_of_branch_a)
    record_meeting(branch_a, general(held_on=branch_a.founded_on), by=secretary_of_branch_a)

    assert Meeting.objects.count() == 2


def test_absences_are_recorded_with_their_reasons(branch_a, secretary_of_branch_a):
    a, b, c = roster(branch_a, 3)

    meeting = record_meeting(
        branch_a,
        general(),
        {a.pk: True, b.pk: (False, " 出差 "), c.pk: (True, "ignored")},
        by=secretary_of_branch_a,
    )

    rows = {row.member_id: (row.present, row.absence_reason) for row in meeting.attendance.all()}
    assert rows == {a.pk: (True, ""), b.pk: (False, "出差"), c.pk: (True, "")}
    record = meeting.history.get()
    assert record.history_user == secretary_of_branch_a
    assert record.history_change_reason == "登记会议"


def test_attendance_that_does_not_match_the_due_list_is_refused(branch_a, branch_b, secretary_of_branch_a):
    a, b = roster(branch_a, 2)
    (stranger,) = roster(branch_b, 1)

    with pytest.raises(MeetingError, match="应到而未列出") as refused:
        record_meeting(branch_a, general(), {a.pk: True, stranger.pk: True}, by=secretary_of_branch_a)

    assert b.name in str(refused.value) and stranger.name in str(refused.value)
    assert not Meeting.objects.exists() and not Attendance.objects.exists()


def test_only_branch_writers_record_meetings(branch_a, secretary_of_branch_b, member_user):
    from django.core.exceptions import PermissionDenied

    roster(branch_a, 3)
    for user in (secretary_of_branch_b, member_user):
        with pytest.raises(PermissionDenied):
            record_meeting(branch_a, general(), by=user)
    assert not Meeting.objects.exists()


# --- the vote rule ------------------------------------------------------------------------


def vote(branch, by, members, votes_for, present=None, against=0, abstain=0):
    present = members if present is None else present
    attendance = {m.pk: m in present for m in members}
    return record_meeting(
        branch,
        general(motion="接收张三为预备党员", votes_for=votes_for, votes_against=against, votes_abstain=abstain),
        attendance,
        by=by,
    )


def counted(meeting) -> Meeting:
    return meetings.with_counts(Meeting.objects.filter(pk=meeting.pk)).get()


@pytest.mark.parametrize(("votes_for", "passes"), [(5, False), (6, True)])
def test_with_ten_due_a_vote_needs_six_for_it(branch_a, secretary_of_branch_a, votes_for, passes):
    members = roster(branch_a, 10)

    meeting = vote(branch_a, secretary_of_branch_a, members, votes_for, against=10 - votes_for)

    assert counted(meeting).n_voting == 10
    assert meetings.vote_result(counted(meeting)) is passes


@pytest.mark.parametrize(("n_present", "votes_for", "passes"), [(6, 6, True), (10, 5, False), (9, 5, False)])
def test_the_majority_is_of_those_due_not_of_those_present(
    branch_a, secretary_of_branch_a, n_present, votes_for, passes
):
    members = roster(branch_a, 10)

    meeting = vote(branch_a, secretary_of_branch_a, members, votes_for, present=members[:n_present])

    result = counted(meeting)
    assert (result.n_due, result.n_present) == (10, n_present)
    assert meetings.vote_result(result) is passes


def test_probationary_members_attend_but_do_not_count_towards_the_majority(branch_a, secretary_of_branch_a):
    members = roster(branch_a, 10)
    probationary = roster(branch_a, 2, status=MemberStatus.PROBATIONARY, confirmed_on=None)

    meeting = vote(branch_a, secretary_of_branch_a, members + probationary, 6)

    result = counted(meeting)
    assert (result.n_due, result.n_voting) == (12, 10)
    assert meetings.vote_result(result) is True


def test_a_member_confirmed_after_the_meeting_had_no_vote_at_it(branch_a, secretary_of_branch_a):
    members = roster(branch_a, 4)
    later = MemberFactory(branch=branch_a, confirmed_on=datetime.date(2026, 11, 1))

    meeting = vote(branch_a, secretary_of_branch_a, [*members, later], 3)

    assert counted(meeting).n_voting == 4
    assert meetings.vote_result(counted(meeting)) is True


def test_votes_cannot_exceed_the_voting_members_present(branch_a, secretary_of_branch_a):
    members = roster(branch_a, 10)

    with pytest.raises(MeetingError, match="超过到会的有表决权党员人数 7 人"):
        vote(branch_a, secretary_of_branch_a, members, 6, present=members[:7], against=2)
    assert not Meeting.objects.exists()


def test_votes_equal_to_those_present_are_accepted(branch_a, secretary_of_branch_a):
    members = roster(branch_a, 10)

    meeting = vote(branch_a, secretary_of_branch_a, members, 6, present=members[:7], against=1)

    assert (meeting.votes_for, meeting.votes_against, meeting.votes_abstain) == (6, 1, 0)


def test_a_vote_is_only_taken_at_a_general_meeting(branch_a, secretary_of_branch_a):
    roster(branch_a, 3)

    with pytest.raises(MeetingError, match="只有支部党员大会可以进行表决"):
        record_meeting(
            branch_a,
            {"kind": MeetingKind.THEME_DAY, "held_on": TODAY, "topic": "主题党日", "motion": "表决", "votes_for": 3},
            by=secretary_of_branch_a,
        )


def test_votes_need_a_motion_and_a_motion_needs_votes(branch_a, secretary_of_branch_a):
    roster(branch_a, 3)

    with pytest.raises(MeetingError, match="请填写表决事项"):
        record_meeting(branch_a, general(votes_for=2), by=secretary_of_branch_a)
    with pytest.raises(MeetingError, match="请填写赞成票数"):
        record_meeting(branch_a, general(motion="选举"), by=secretary_of_branch_a)


# --- attachments -----------------------------------------------------------------------------


def test_an_attachment_is_stored_under_a_random_name(branch_a, secretary_of_branch_a, media):
    roster(branch_a, 3)

    meeting = record_meeting(branch_a, general(), files=[pdf("../../签到表.pdf")], by=secretary_of_branch_a)

    attachment = meeting.attachments.get()
    assert attachment.original_name == "签到表.pdf"
    assert attachment.content_type == "application/pdf"
    assert attachment.file.name == f"meetings/{branch_a.pk}/{attachment.token}"
    assert len(attachment.token) == 32
    assert stored_files(media) == [str(media / "meetings" / str(branch_a.pk) / attachment.token)]


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        (SimpleUploadedFile("签到表.pdf", HTML, content_type="application/pdf"), "内容不是可接受的"),
        (SimpleUploadedFile("脚本.html", HTML, content_type="text/html"), "类型不允许上传"),
        (SimpleUploadedFile("照片.pdf", PNG, content_type="application/pdf"), "扩展名与实际内容"),
        (SimpleUploadedFile("空.pdf", b"", content_type="application/pdf"), "空文件"),
    ],
)
def test_refused_uploads_leave_nothing_behind(branch_a, secretary_of_branch_a, media, upload, message):
    roster(branch_a, 3)

    with pytest.raises(MeetingError, match=message) as refused:
        record_meeting(branch_a, general(), files=[pdf(), upload], by=secretary_of_branch_a)

    assert refused.value.field == "files"
    assert not Meeting.objects.exists() and not MeetingAttachment.objects.exists()
    assert stored_files(media) == []


def test_the_size_limit_is_the_year_setting(branch_a, secretary_of_branch_a, media):
    roster(branch_a, 3)
    OrganisationRules.objects.create(year=2026, max_attachment_mb=1)
    big = pdf(content=PDF + b"0" * (1024 * 1024))

    with pytest.raises(MeetingError, match="超过单个文件 1 MB 的上限"):
        record_meeting(branch_a, general(), files=[big], by=secretary_of_branch_a)
    assert stored_files(media) == []
    # At the limit exactly, the file is taken.
    meeting = record_meeting(
        branch_a, general(), files=[pdf(content=PDF + b"0" * (1024 * 1024 - len(PDF)))], by=secretary_of_branch_a
    )
    assert meeting.attachments.count() == 1


def test_a_failure_while_storing_removes_the_files_already_written(branch_a, secretary_of_branch_a, media, monkeypatch):
    roster(branch_a, 3)
    real_save = MeetingAttachment.save
    calls = []

    def fail_second(self, *args, **kwargs):
        calls.append(self)
        if len(calls) == 2:
            raise RuntimeError("disk full")
        return real_save(self, *args, **kwargs)

    monkeypatch.setattr(MeetingAttachment, "save", fail_second)

    with pytest.raises(RuntimeError):
        record_meeting(branch_a, general(), files=[pdf("a.pdf"), pdf("b.pdf")], by=secretary_of_branch_a)
    assert not Meeting.objects.exists()
    assert stored_files(media) == []


def test_an_attachment_downloads_only_within_scope(
    client_for, branch_a, secretary_of_branch_a, secretary_of_branch_b, organ_staff_a, member_user
):
    roster(branch_a, 3)
    meeting = record_meeting(branch_a, general(), files=[pdf()], by=secretary_of_branch_a)
    url = reverse("branches:meeting_attachment", args=[meeting.attachments.get().token])

    response = client_for(organ_staff_a).get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF
    assert response["Content-Type"] == "application/pdf"
    assert "attachment;" in response["Content-Disposition"]
    assert response["X-Content-Type-Options"] == "nosniff"
    for user in (secretary_of_branch_b, member_user):
        assert client_for(user).get(url).status_code == 404


def test_behind_nginx_the_attachment_leaves_as_an_internal_redirect_after_the_check(
    client_for, settings, branch_a, secretary_of_branch_a, secretary_of_branch_b, organ_staff_a
):
    settings.PROTECTED_MEDIA_REDIRECT = "/protected-media/"
    roster(branch_a, 3)
    meeting = record_meeting(branch_a, general(), files=[pdf()], by=secretary_of_branch_a)
    attachment = meeting.attachments.get()
    url = reverse("branches:meeting_attachment", args=[attachment.token])

    response = client_for(organ_staff_a).get(url)
    assert response.status_code == 200 and response.content == b""
    assert response["X-Accel-Redirect"] == "/protected-media/" + attachment.file.name
    assert response["Content-Type"] == "application/pdf"
    assert "attachment;" in response["Content-Disposition"]
    assert "X-Accel-Redirect" not in client_for(secretary_of_branch_b).get(url)
    assert client_for(secretary_of_branch_b).get(url).status_code == 404


# --- editing and deleting -----------------------------------------------------------------


def test_editing_changes_who_came_and_records_it_in_the_history(branch_a, secretary_of_branch_a, organ_staff_a):
    a, b = roster(branch_a, 2)
    meeting = record_meeting(branch_a, general(topic="旧主题"), by=secretary_of_branch_a)

    update_meeting(
        meeting,
        general(topic="新主题", place="三楼会议室"),
        {a.pk: True, b.pk: (False, "病假")},
        by=organ_staff_a,
    )

    meeting.refresh_from_db()
    assert (meeting.topic, meeting.place) == ("新主题", "三楼会议室")
    assert meeting.attendance.get(member=b).absence_reason == "病假"
    latest = meeting.history.latest()
    assert latest.history_user == organ_staff_a
    assert f"{b.name}改为缺席" in latest.history_change_reason


def test_saving_an_unchanged_meeting_adds_no_history(branch_a, secretary_of_branch_a):
    roster(branch_a, 2)
    meeting = record_meeting(branch_a, general(hours=Decimal("1.0")), by=secretary_of_branch_a)

    update_meeting(meeting, general(hours="1"), by=secretary_of_branch_a)

    assert meeting.history.count() == 1


def test_editing_keeps_the_due_list_recorded(branch_a, secretary_of_branch_a):
    a, b = roster(branch_a, 2)
    meeting = record_meeting(branch_a, general(), by=secretary_of_branch_a)
    newcomer = MemberFactory(branch=branch_a)

    with pytest.raises(MeetingError, match="不在应到名单"):
        update_meeting(meeting, general(), {a.pk: True, b.pk: True, newcomer.pk: True}, by=secretary_of_branch_a)
    update_meeting(meeting, general(topic="更正"), by=secretary_of_branch_a)

    assert set(meeting.attendance.values_list("member_id", flat=True)) == {a.pk, b.pk}


def test_editing_can_remove_and_add_attachments(
    branch_a, secretary_of_branch_a, media, django_capture_on_commit_callbacks
):
    roster(branch_a, 3)
    meeting = record_meeting(branch_a, general(), files=[pdf("旧.pdf")], by=secretary_of_branch_a)
    old = meeting.attachments.get()

    with django_capture_on_commit_callbacks(execute=True):
        update_meeting(meeting, general(), files=[pdf("新.pdf")], remove=[old], by=secretary_of_branch_a)

    assert list(meeting.attachments.values_list("original_name", flat=True)) == ["新.pdf"]
    assert len(stored_files(media)) == 1
    assert "删除附件：旧.pdf" in meeting.history.latest().history_change_reason


def test_a_vote_correction_is_checked_like_a_new_vote(branch_a, secretary_of_branch_a):
    members = roster(branch_a, 4)
    meeting = vote(branch_a, secretary_of_branch_a, members, 3)

    with pytest.raises(MeetingError, match="超过到会的有表决权党员人数 4 人"):
        update_meeting(meeting, general(motion="接收", votes_for=5), by=secretary_of_branch_a)
    meeting.refresh_from_db()
    assert meeting.votes_for == 3


@pytest.mark.parametrize(("days", "allowed"), [(30, True), (31, False)])
def test_deleting_is_refused_once_the_record_is_older_than_the_window(
    branch_a, secretary_of_branch_a, media, days, allowed, django_capture_on_commit_callbacks
):
    roster(branch_a, 3)
    meeting = record_meeting(branch_a, general(), files=[pdf()], by=secretary_of_branch_a)

    later = TODAY + datetime.timedelta(days=days)
    with django_capture_on_commit_callbacks(execute=True):
        if allowed:
            delete_meeting(meeting, by=secretary_of_branch_a, today=later)
        else:
            with pytest.raises(MeetingError, match="超过 30 天，不能删除"):
                delete_meeting(meeting, by=secretary_of_branch_a, today=later)

    assert Meeting.objects.exists() is not allowed
    assert bool(stored_files(media)) is not allowed
    if allowed:
        record = Meeting.history.filter(id=meeting.pk).latest()
        assert (record.history_type, record.history_user) == ("-", secretary_of_branch_a)


# --- scoping ----------------------------------------------------------------------------------


@pytest.fixture
def three_meetings(branch_a, branch_a2, branch_b, gongwei_staff):
    made = {}
    for branch in (branch_a, branch_a2, branch_b):
        roster(branch, 3)
        made[branch.pk] = record_meeting(branch, general(topic=f"{branch.name}大会"), by=gongwei_staff)
    return made


def listed(client, **params) -> set[str]:
    response = client.get(reverse("branches:meeting_list"), params)
    assert response.status_code == 200
    return {m.topic for m in response.context["page"].object_list}


def test_a_secretary_sees_only_their_branch_meetings(client_for, secretary_of_branch_a, three_meetings, branch_b):
    client = client_for(secretary_of_branch_a)

    assert listed(client) == {"综合处党支部大会"}
    assert listed(client, branch=branch_b.pk) == set()
    assert client.get(reverse("branches:meeting_detail", args=[three_meetings[branch_b.pk].pk])).status_code == 404


def test_organ_staff_see_their_organ_and_gongwei_everything(client_for, organ_staff_a, gongwei_staff, three_meetings):
    assert listed(client_for(organ_staff_a)) == {"综合处党支部大会", "规划处党支部大会"}
    assert len(listed(client_for(gongwei_staff))) == 3


def test_members_and_strangers_do_not_see_meeting_lists(client, client_for, member_user, outsider, three_meetings):
    for user in (member_user, outsider):
        assert client_for(user).get(reverse("branches:meeting_list")).status_code == 403
    client.logout()
    assert client.get(reverse("branches:meeting_list")).status_code == 302


def test_other_branches_cannot_change_a_meeting(client_for, secretary_of_branch_b, three_meetings, branch_a):
    meeting = three_meetings[branch_a.pk]
    client = client_for(secretary_of_branch_b)

    assert client.get(reverse("branches:meeting_edit", args=[meeting.pk])).status_code == 404
    assert client.post(reverse("branches:meeting_delete", args=[meeting.pk])).status_code == 404
    assert Meeting.objects.filter(pk=meeting.pk).exists()


def test_a_dissolved_branch_meeting_is_visible_but_read_only_to_its_secretary(
    client_for, secretary_of_branch_a, three_meetings, branch_a
):
    from branches.models import Branch

    Branch.objects.filter(pk=branch_a.pk).update(dissolved_on=TODAY)
    meeting = three_meetings[branch_a.pk]
    client = client_for(secretary_of_branch_a)

    page = client.get(reverse("branches:meeting_detail", args=[meeting.pk]))
    assert page.status_code == 200 and "编辑</a>" not in page.content.decode()
    assert client.get(reverse("branches:meeting_edit", args=[meeting.pk])).status_code == 403
    assert client.post(reverse("branches:meeting_delete", args=[meeting.pk])).status_code == 403


# --- pages ------------------------------------------------------------------------------------


def create_url(branch, kind, group=None) -> str:
    url = f"{reverse('branches:meeting_create')}?branch={branch.pk}&kind={kind}"
    return url + (f"&group={group.pk}" if group else "")


def test_recording_a_general_meeting_through_the_page(client_for, branch_a, secretary_of_branch_a):
    members = roster(branch_a, 10)
    absent = members[0]
    client = client_for(secretary_of_branch_a)
    url = create_url(branch_a, MeetingKind.GENERAL)

    form = client.get(url)
    page = form.content.decode()
    assert form.status_code == 200
    assert "登记支部党员大会" in page and "应到 10 人" in page and 'name="votes_for"' in page
    assert page.count('name="present"') == 10 and page.count("checked") >= 10

    response = client.post(
        url,
        {
            "held_on": "2026-11-20",
            "topic": "接收预备党员",
            "place": "党员活动室",
            "hours": "1.5",
            "minutes": "一、学习\n二、表决",
            "motion": "接收王五为预备党员",
            "votes_for": "7",
            "votes_against": "1",
            "votes_abstain": "1",
            "present": [m.pk for m in members[1:]],
            f"reason_{absent.pk}": "公出",
            "files": [pdf()],
        },
    )

    meeting = Meeting.objects.get()
    assert response.status_code == 302 and response.url == reverse("branches:meeting_detail", args=[meeting.pk])
    assert (meeting.held_on, meeting.hours, meeting.recorded_by) == (
        datetime.date(2026, 11, 20),
        Decimal("1.5"),
        secretary_of_branch_a,
    )
    assert meeting.attendance.get(member=absent).absence_reason == "公出"
    assert meeting.attendance.filter(present=True).count() == 9

    detail = client.get(response.url).content.decode()
    assert "接收王五为预备党员" in detail and "通过" in detail and "应到会有表决权党员 10 人" in detail
    assert "签到表.pdf" in detail and "公出" in detail and "登记会议" in detail


def test_a_failed_page_submission_keeps_the_input_and_writes_nothing(client_for, branch_a, secretary_of_branch_a):
    members = roster(branch_a, 4)
    client = client_for(secretary_of_branch_a)

    response = client.post(
        create_url(branch_a, MeetingKind.GENERAL),
        {
            "held_on": "2026-11-20",
            "topic": "大会",
            "hours": "0",
            "motion": "选举",
            "votes_for": "4",
            "present": [m.pk for m in members[:3]],
            f"reason_{members[3].pk}": "病假",
        },
    )

    page = response.content.decode()
    assert response.status_code == 200
    assert "超过到会的有表决权党员人数 3 人" in page
    assert 'value="病假"' in page and page.count("checked") == 3
    assert not Meeting.objects.exists()


def test_lectures_have_no_vote_fields(client_for, branch_a, secretary_of_branch_a):
    roster(branch_a, 3)

    page = client_for(secretary_of_branch_a).get(create_url(branch_a, MeetingKind.LECTURE)).content.decode()

    assert "登记党课" in page and 'name="votes_for"' not in page and 'name="hours"' in page


def test_a_group_of_another_branch_is_refused_on_the_page(client_for, branch_a, branch_b, secretary_of_branch_a):
    roster(branch_a, 3)
    foreign = PartyGroupFactory(branch=branch_b)
    url = create_url(branch_a, MeetingKind.GROUP, foreign)

    response = client_for(secretary_of_branch_a).post(url, {"held_on": "2026-11-20", "topic": "学习", "hours": "0"})

    assert "所选党小组不属于本支部" in response.content.decode()
    assert not Meeting.objects.exists()


def test_the_kind_chooser_lists_the_branch_groups(client_for, branch_a, secretary_of_branch_a):
    PartyGroupFactory(branch=branch_a, name="机关一组")

    response = client_for(secretary_of_branch_a).get(f"{reverse('branches:meeting_create')}?branch={branch_a.pk}")

    page = response.content.decode()
    assert "主题党日" in page and "机关一组" in page and "支部党员大会" in page


def test_a_committee_page_explains_why_it_cannot_be_recorded(client_for, branch_a, secretary_of_branch_a):
    roster(branch_a, 3)

    page = client_for(secretary_of_branch_a).get(create_url(branch_a, MeetingKind.COMMITTEE)).content.decode()

    assert "未设支部委员会" in page


def test_a_secretary_of_one_branch_goes_straight_to_it(client_for, branch_a, secretary_of_branch_a):
    response = client_for(secretary_of_branch_a).get(reverse("branches:meeting_create"))

    assert response.status_code == 302 and response.url.endswith(f"?branch={branch_a.pk}")


def test_staff_of_several_branches_choose_one_first(client_for, branch_a, branch_a2, organ_staff_a):
    page = client_for(organ_staff_a).get(reverse("branches:meeting_create")).content.decode()

    assert "综合处党支部" in page and "规划处党支部" in page and "下一步" in page


def test_recording_for_another_branch_is_refused(client_for, branch_b, secretary_of_branch_a, member_user):
    roster(branch_b, 3)

    assert client_for(secretary_of_branch_a).get(create_url(branch_b, MeetingKind.GENERAL)).status_code == 404
    assert client_for(member_user).get(reverse("branches:meeting_create")).status_code == 403


def test_editing_through_the_page(client_for, branch_a, secretary_of_branch_a, media):
    a, b = roster(branch_a, 2)
    meeting = record_meeting(branch_a, general(), files=[pdf("旧.pdf")], by=secretary_of_branch_a)
    old = meeting.attachments.get()
    client = client_for(secretary_of_branch_a)
    url = reverse("branches:meeting_edit", args=[meeting.pk])

    page = client.get(url).content.decode()
    assert "旧.pdf" in page and "第三季度党员大会" in page

    response = client.post(
        url,
        {
            "held_on": "2026-10-16",
            "topic": "更正后的主题",
            "hours": "0",
            "present": [a.pk],
            f"reason_{b.pk}": "出差",
            "remove": [old.pk],
        },
    )

    assert response.status_code == 302
    meeting.refresh_from_db()
    assert (meeting.topic, meeting.held_on) == ("更正后的主题", datetime.date(2026, 10, 16))
    assert not meeting.attachments.exists()
    detail = client.get(response.url).content.decode()
    assert "改为缺席" in detail and "更正后的主题" in detail


def test_deleting_through_the_page(client_for, branch_a, secretary_of_branch_a):
    roster(branch_a, 3)
    meeting = record_meeting(branch_a, general(), by=secretary_of_branch_a)
    client = client_for(secretary_of_branch_a)
    url = reverse("branches:meeting_delete", args=[meeting.pk])

    confirm = client.get(url)
    assert confirm.status_code == 200 and "删除后会议、出席情况和附件一并删除" in confirm.content.decode()
    detail = client.get(reverse("branches:meeting_detail", args=[meeting.pk])).content.decode()
    assert "data-confirm" in detail

    response = client.post(url)
    assert response.status_code == 302 and response.url.endswith(f"?branch={branch_a.pk}")
    assert not Meeting.objects.exists()


def test_an_old_record_offers_no_delete_and_refuses_it(client_for, branch_a, secretary_of_branch_a):
    roster(branch_a, 3)
    meeting = record_meeting(branch_a, general(), by=secretary_of_branch_a)
    Meeting.objects.filter(pk=meeting.pk).update(created_at=meeting.created_at - datetime.timedelta(days=31))
    client = client_for(secretary_of_branch_a)

    detail = client.get(reverse("branches:meeting_detail", args=[meeting.pk])).content.decode()
    response = client.post(reverse("branches:meeting_delete", args=[meeting.pk]), follow=True)

    assert "data-confirm" not in detail and "不能删除" in detail
    assert "超过 30 天，不能删除" in response.content.decode()
    assert Meeting.objects.exists()


def test_the_list_filters_by_kind_year_and_dates(client_for, branch_a, secretary_of_branch_a):
    roster(branch_a, 3)
    record_meeting(branch_a, general(held_on=datetime.date(2025, 3, 31), topic="2025一季度"), by=secretary_of_branch_a)
    record_meeting(branch_a, general(held_on=datetime.date(2026, 4, 1), topic="2026二季度"), by=secretary_of_branch_a)
    record_meeting(
        branch_a,
        {"kind": MeetingKind.LECTURE, "held_on": datetime.date(2026, 4, 2), "topic": "党课"},
        by=secretary_of_branch_a,
    )
    client = client_for(secretary_of_branch_a)

    assert listed(client, branch=branch_a.pk, year=2026) == {"2026二季度", "党课"}
    assert listed(client, kind=MeetingKind.GENERAL) == {"2025一季度", "2026二季度"}
    assert listed(client, start="2026-04-01", end="2026-06-30", kind=MeetingKind.GENERAL) == {"2026二季度"}
    assert listed(client, start="2026-06-30", end="2026-04-01") == set()
    page = client.get(reverse("branches:meeting_list"), {"branch": branch_a.pk}).content.decode()
    assert "登记会议" in page and "共 3 次会议" in page


def test_an_empty_list_says_so(client_for, branch_a, secretary_of_branch_a):
    page = client_for(secretary_of_branch_a).get(reverse("branches:meeting_list"), {"branch": branch_a.pk})

    assert "暂无会议记录" in page.content.decode()


def test_the_list_paginates(client_for, branch_a, secretary_of_branch_a):
    roster(branch_a, 2)
    for day in range(1, 23):
        record_meeting(branch_a, general(held_on=datetime.date(2026, 11, day)), by=secretary_of_branch_a)
    client = client_for(secretary_of_branch_a)

    second = client.get(reverse("branches:meeting_list"), {"branch": branch_a.pk, "page": 2})

    assert len(second.context["page"].object_list) == 2
    assert f"branch={branch_a.pk}&amp;page=1" in second.content.decode()


# --- query counts -----------------------------------------------------------------------------


def populate(branch, by, n_meetings):
    members = list(branch.members.all())
    for i in range(n_meetings):
        if i % 2:
            record_meeting(branch, general(), files=[pdf()], by=by)
        else:
            vote(branch, by, members, len(members) // 2 + 1)


def test_the_list_has_a_fixed_number_of_queries(client_for, branch_a, organ_staff_a):
    client = client_for(organ_staff_a)
    url = reverse("branches:meeting_list")
    roster(branch_a, 6)
    populate(branch_a, organ_staff_a, 1)
    client.get(url)
    with CaptureQueriesContext(connection) as small:
        client.get(url)
    populate(branch_a, organ_staff_a, 12)
    with CaptureQueriesContext(connection) as large:
        response = client.get(url)

    assert len(response.context["page"].object_list) == 13
    assert len(small.captured_queries) == len(large.captured_queries)


def test_the_detail_page_has_a_fixed_number_of_queries(client_for, branch_a, secretary_of_branch_a):
    client = client_for(secretary_of_branch_a)
    small_meeting = vote(branch_a, secretary_of_branch_a, roster(branch_a, 2), 2)
    big_branch_members = roster(branch_a, 10)
    members = list(small_meeting.attendance.values_list("member", flat=True))
    big = record_meeting(
        branch_a,
        general(motion="表决", votes_for=7),
        files=[pdf("a.pdf"), pdf("b.pdf"), pdf("c.pdf")],
        by=secretary_of_branch_a,
    )
    update_meeting(big, general(topic="改", motion="表决", votes_for=7), by=secretary_of_branch_a)
    assert big.attendance.count() == len(members) + len(big_branch_members)

    client.get(reverse("branches:meeting_detail", args=[small_meeting.pk]))
    with CaptureQueriesContext(connection) as small:
        client.get(reverse("branches:meeting_detail", args=[small_meeting.pk]))
    with CaptureQueriesContext(connection) as large:
        response = client.get(reverse("branches:meeting_detail", args=[big.pk]))

    assert response.status_code == 200
    assert len(small.captured_queries) == len(large.captured_queries)
