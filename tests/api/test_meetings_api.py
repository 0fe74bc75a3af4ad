"""Meetings (三会一课) with attendance, votes and attachments, meeting requirements, exemptions and
学时 through the API: scoping per role, the rules of branches/meetings.py and branches/orglife.py,
and fixed query counts."""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from branches.choices import MeetingKind
from branches.meetings import record_meeting
from branches.models import Meeting, MeetingAttachment, MeetingRequirement, Member, RequirementExemption, TrainingRecord
from branches.orglife import grant_exemption, record_training
from tests.factories import MemberFactory, PartyGroupFactory

pytestmark = pytest.mark.django_db

ROLES = ("anonymous", "member", "other_secretary", "secretary", "other_organ", "organ", "gongwei")
PERSONAS = {
    "member": "member_user",
    "other_secretary": "secretary_of_branch_b",
    "secretary": "secretary_of_branch_a",
    "other_organ": "organ_staff_b",
    "organ": "organ_staff_a",
    "gongwei": "gongwei_staff",
}
ANON = 401  # no session, no token
PDF = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n"
HTML = b"<!doctype html><html><script>alert(1)</script></html>"


def client_as(user) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_login(user)
    return client


def pdf(name="签到表.pdf", content=PDF):
    return SimpleUploadedFile(name, content, content_type="application/pdf")


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    return tmp_path


@pytest.fixture
def today():
    return timezone.localdate()


@pytest.fixture
def world(request, branch_a, branch_a2, branch_b, today):
    users = {role: request.getfixturevalue(name) for role, name in PERSONAS.items()}
    li_ming = Member.objects.get(user=users["member"])
    MemberFactory(branch=branch_a, name="周涛")
    MemberFactory(branch=branch_b, name="王芳")
    held_on = today - datetime.timedelta(days=3)
    lecture = {"kind": MeetingKind.LECTURE, "held_on": held_on, "topic": "专题党课", "hours": 2}
    meeting = record_meeting(branch_a, lecture, files=[pdf()], by=users["secretary"])
    other = record_meeting(branch_b, {**lecture, "topic": "预算处党课"}, by=users["other_secretary"])
    exemption = grant_exemption(branch_a, kind="", starts_on=held_on, ends_on=today, reason="新成立", by=users["organ"])
    (training,) = record_training(
        [li_ming], held_on=held_on, title="党校培训", hours=4, by=users["secretary"], today=today
    )
    return {
        "users": users,
        "li_ming": li_ming,
        "meeting": meeting,
        "other_meeting": other,
        "attachment": meeting.attachments.get(),
        "exemption": exemption,
        "training": training,
        "held_on": held_on,
    }


def rows(w, branch_a):
    m, att, li = w["meeting"].pk, w["attachment"].pk, w["li_ming"].pk
    held = w["held_on"].isoformat()
    return [
        ("meeting list", "get", "/api/meetings/", None, (ANON, 403, 200, 200, 200, 200, 200)),
        ("meeting detail", "get", f"/api/meetings/{m}/", None, (ANON, 404, 404, 200, 404, 200, 200)),
        (
            "meeting create",
            "post",
            "/api/meetings/",
            {"branch": branch_a.pk, "kind": "theme_day", "held_on": held, "topic": "主题党日"},
            (ANON, 403, 404, 201, 404, 201, 201),
        ),
        ("meeting edit", "patch", f"/api/meetings/{m}/", {"place": "三楼"}, (ANON, 404, 404, 200, 404, 200, 200)),
        ("meeting delete", "delete", f"/api/meetings/{m}/", None, (ANON, 404, 404, 204, 404, 204, 204)),
        ("attachment upload", "upload", f"/api/meetings/{m}/attachments/", None, (ANON, 404, 404, 201, 404, 201, 201)),
        ("attachment get", "get", f"/api/meetings/{m}/attachments/{att}/", None, (ANON, 404, 404, 200, 404, 200, 200)),
        (
            "attachment delete",
            "delete",
            f"/api/meetings/{m}/attachments/{att}/",
            None,
            (ANON, 404, 404, 204, 404, 204, 204),
        ),
        ("requirement list", "get", "/api/meeting-requirements/", None, (ANON, 403, 403, 403, 403, 403, 200)),
        (
            "requirement create",
            "post",
            "/api/meeting-requirements/",
            {"kind": "talk", "period": "year", "min_count": 1, "scope": "branch"},
            (ANON, 403, 403, 403, 403, 403, 201),
        ),
        ("exemption list", "get", "/api/exemptions/", None, (ANON, 200, 200, 200, 200, 200, 200)),
        (
            "exemption detail",
            "get",
            f"/api/exemptions/{w['exemption'].pk}/",
            None,
            (ANON, 404, 404, 200, 404, 200, 200),
        ),
        (
            "exemption grant",
            "post",
            "/api/exemptions/",
            {"branch": branch_a.pk, "starts_on": held, "ends_on": held, "reason": "换届"},
            (ANON, 404, 404, 403, 404, 201, 201),
        ),
        (
            "exemption revoke",
            "delete",
            f"/api/exemptions/{w['exemption'].pk}/",
            None,
            (ANON, 404, 404, 403, 404, 204, 204),
        ),
        ("training list", "get", "/api/trainings/", None, (ANON, 200, 200, 200, 200, 200, 200)),
        ("training detail", "get", f"/api/trainings/{w['training'].pk}/", None, (ANON, 200, 404, 200, 404, 200, 200)),
        (
            "training record",
            "post",
            "/api/trainings/",
            {"branch": branch_a.pk, "members": [li], "title": "网络学习", "held_on": held, "hours": "1.5"},
            (ANON, 404, 404, 201, 404, 201, 201),
        ),
        # The member sees their own record but may not delete it.
        (
            "training delete",
            "delete",
            f"/api/trainings/{w['training'].pk}/",
            None,
            (ANON, 403, 404, 204, 404, 204, 204),
        ),
    ]


ROW_NAMES = [
    "meeting list", "meeting detail", "meeting create", "meeting edit", "meeting delete", "attachment upload",
    "attachment get", "attachment delete", "requirement list", "requirement create", "exemption list",
    "exemption detail", "exemption grant", "exemption revoke", "training list", "training detail",
    "training record", "training delete",
]  # fmt: skip


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("row", ROW_NAMES)
def test_each_role_reaches_what_the_pages_allow(world, branch_a, role, row):
    _, method, url, data, expected = next(r for r in rows(world, branch_a) if r[0] == row)
    client = client_as(world["users"].get(role))
    if method == "upload":
        response = client.post(url, {"files": [pdf("照片.pdf")]}, format="multipart")
    else:
        response = getattr(client, method)(url, data, format="json")
    assert response.status_code == expected[ROLES.index(role)], (role, row, response.content[:300])


def test_lists_are_scoped(world, branch_a, branch_b):
    def ids(user, url):
        return {row["id"] for row in client_as(user).get(url).json()["results"]}

    users = world["users"]
    assert ids(users["secretary"], "/api/meetings/") == {world["meeting"].pk}
    assert ids(users["gongwei"], "/api/meetings/") == {world["meeting"].pk, world["other_meeting"].pk}
    assert ids(users["other_organ"], "/api/exemptions/") == set()
    assert ids(users["member"], "/api/trainings/") == {world["training"].pk}
    assert ids(users["other_secretary"], "/api/trainings/") == set()


# --- recording a meeting: the rules of branches/meetings.py ---------------------------------------


def test_a_general_meeting_with_attendance_and_a_vote(world, branch_a):
    secretary = client_as(world["users"]["secretary"])
    li, zhou = world["li_ming"], Member.objects.get(name="周涛")
    payload = {
        "branch": branch_a.pk,
        "kind": "general",
        "held_on": world["held_on"].isoformat(),
        "topic": "接收预备党员",
        "motion": "接收张某为预备党员",
        "votes_for": 1,
        "votes_against": 0,
        "votes_abstain": 0,
        "attendance": [
            {"member": li.pk, "present": True},
            {"member": zhou.pk, "present": False, "absence_reason": "出差"},
        ],
    }
    created = secretary.post("/api/meetings/", payload, format="json")
    assert created.status_code == 201, created.content
    data = created.json()
    assert (data["n_due"], data["n_present"], data["vote_passes"]) == (2, 1, False)
    absent = next(row for row in data["attendance"] if row["member"] == zhou.pk)
    assert absent == {
        "member": zhou.pk,
        "member_name": "周涛",
        "present": False,
        "absence_reason": "出差",
        "can_vote": True,
    }

    # 周涛 came after all: now two of two voted for it.
    fixed = secretary.patch(
        f"/api/meetings/{data['id']}/",
        {"votes_for": 2, "attendance": [{"member": li.pk, "present": True}, {"member": zhou.pk, "present": True}]},
        format="json",
    )
    assert fixed.status_code == 200
    assert (fixed.json()["n_present"], fixed.json()["vote_passes"]) == (2, True)
    assert "周涛改为出席" in Meeting.history.filter(id=data["id"]).first().history_change_reason


def test_meeting_rules_answer_400_on_the_field(world, branch_a, branch_b):
    secretary = client_as(world["users"]["secretary"])
    base = {"branch": branch_a.pk, "held_on": world["held_on"].isoformat(), "topic": "会议"}
    li = world["li_ming"]

    too_many = secretary.post(
        "/api/meetings/", {**base, "kind": "general", "motion": "表决", "votes_for": 5}, format="json"
    )
    assert too_many.status_code == 400
    assert (
        list(too_many.json()) == ["votes_for"] and "超过到会的有表决权党员人数 2 人" in too_many.json()["votes_for"][0]
    )

    partial = secretary.post(
        "/api/meetings/", {**base, "kind": "lecture", "attendance": [{"member": li.pk, "present": True}]}, format="json"
    )
    assert partial.status_code == 400 and "应到而未列出：周涛" in partial.json()["attendance"][0]

    vote_at_lecture = secretary.post("/api/meetings/", {**base, "kind": "lecture", "motion": "表决"}, format="json")
    assert list(vote_at_lecture.json()) == ["motion"]

    no_committee = secretary.post("/api/meetings/", {**base, "kind": "committee"}, format="json")
    assert no_committee.status_code == 400 and "未设支部委员会" in no_committee.json()["attendance"][0]

    foreign_group = PartyGroupFactory(branch=branch_b)
    group = secretary.post("/api/meetings/", {**base, "kind": "group", "party_group": foreign_group.pk}, format="json")
    assert group.status_code == 400 and list(group.json()) == ["party_group"]

    future = secretary.post("/api/meetings/", {**base, "kind": "lecture", "held_on": "2999-01-01"}, format="json")
    assert future.json() == {"held_on": ["会议召开日期不能晚于今天：会议召开后再登记。"]}

    shape = secretary.post("/api/meetings/", {"branch": branch_a.pk, "kind": "nope", "hours": -1}, format="json")
    assert shape.status_code == 400 and {"kind", "hours", "held_on", "topic"} <= set(shape.json())
    assert Meeting.objects.filter(branch=branch_a).count() == 1


def test_a_meeting_outside_the_scope_is_404(world):
    other = world["other_meeting"]
    secretary = client_as(world["users"]["secretary"])
    assert secretary.get(f"/api/meetings/{other.pk}/").status_code == 404
    assert secretary.patch(f"/api/meetings/{other.pk}/", {"place": "x"}, format="json").status_code == 404


def test_a_mistaken_meeting_may_be_deleted_only_within_the_window(world, time_machine):
    time_machine.move_to(timezone.now() + datetime.timedelta(days=40))
    answer = client_as(world["users"]["secretary"]).delete(f"/api/meetings/{world['meeting'].pk}/")
    assert answer.status_code == 409
    assert answer.json() == {"detail": "该会议记录登记已超过 30 天，不能删除；如有错误，请编辑更正。"}
    assert Meeting.objects.filter(pk=world["meeting"].pk).exists()


# --- attachments -----------------------------------------------------------------------------------


def test_attachments_are_checked_uploaded_downloaded_and_removed(world, media):
    secretary = client_as(world["users"]["secretary"])
    url = f"/api/meetings/{world['meeting'].pk}/attachments/"
    bad = secretary.post(url, {"files": [pdf("签到表.pdf", HTML)]}, format="multipart")
    assert bad.status_code == 400 and "files" in bad.json()
    assert secretary.post(url, {}, format="multipart").status_code == 400

    added = secretary.post(url, {"files": [pdf("会议材料.pdf"), pdf("签到表2.pdf")]}, format="multipart")
    assert added.status_code == 201
    assert sorted(a["original_name"] for a in added.json()["attachments"]) == [
        "会议材料.pdf",
        "签到表.pdf",
        "签到表2.pdf",
    ]

    item = MeetingAttachment.objects.get(original_name="会议材料.pdf")
    download = client_as(world["users"]["organ"]).get(f"{url}{item.pk}/")
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == PDF
    assert download["Content-Type"] == "application/pdf"
    assert "filename*=UTF-8''%E4%BC%9A%E8%AE%AE%E6%9D%90%E6%96%99.pdf" in download["Content-Disposition"]

    # Another meeting's attachment through this meeting's URL is not found.
    other = f"/api/meetings/{world['other_meeting'].pk}/attachments/{item.pk}/"
    assert client_as(world["users"]["gongwei"]).get(other).status_code == 404

    assert secretary.delete(f"{url}{item.pk}/").status_code == 204
    assert not MeetingAttachment.objects.filter(pk=item.pk).exists()


# --- requirements, exemptions, 学时 ------------------------------------------------------------


def test_requirements_for_a_year_are_opened_listed_and_checked(world, today):
    gongwei = client_as(world["users"]["gongwei"])
    # Listing a year not opened lists nothing and saves nothing; the first requirement added opens it.
    assert gongwei.get("/api/meeting-requirements/", {"year": today.year}).json()["count"] == 0
    assert not MeetingRequirement.objects.filter(year=today.year).exists()
    assert gongwei.get("/api/meeting-requirements/", {"year": "abc"}).status_code == 400
    assert gongwei.get("/api/meeting-requirements/", {"year": 99999}).status_code == 400

    wrong_scope = gongwei.post(
        "/api/meeting-requirements/", {"kind": "talk", "period": "year", "min_count": 1, "scope": "group"}
    )
    assert wrong_scope.status_code == 400 and wrong_scope.json() == {"scope": ["“每个党小组”只适用于党小组会。"]}
    assert not MeetingRequirement.objects.filter(year=today.year).exists()  # refused: nothing opened
    added = gongwei.post("/api/meeting-requirements/", {"kind": "talk", "period": "year", "min_count": 1})
    assert added.status_code == 201
    listed = gongwei.get("/api/meeting-requirements/", {"year": today.year}).json()
    assert listed["count"] == 8
    taken = gongwei.post("/api/meeting-requirements/", {"kind": "lecture", "period": "year", "min_count": 1})
    assert taken.status_code == 400 and "kind" in taken.json()

    lecture = MeetingRequirement.objects.get(year=today.year, kind="lecture")
    changed = gongwei.patch(f"/api/meeting-requirements/{lecture.pk}/", {"min_count": 2, "kind": "talk"})
    assert changed.status_code == 200 and (changed.json()["min_count"], changed.json()["kind"]) == (2, "lecture")

    MeetingRequirement.objects.filter(year=today.year).exclude(pk=lecture.pk).delete()
    last = gongwei.delete(f"/api/meeting-requirements/{lecture.pk}/")
    assert last.status_code == 400 and last.json() == {"detail": ["每年至少保留一项组织生活要求。"]}


def test_an_exemption_needs_ordered_dates_and_a_reason(world, branch_a):
    organ = client_as(world["users"]["organ"])
    answer = organ.post(
        "/api/exemptions/",
        {"branch": branch_a.pk, "starts_on": "2026-03-01", "ends_on": "2026-02-01", "reason": ""},
        format="json",
    )
    assert answer.status_code == 400 and set(answer.json()) == {"reason"}
    answer = organ.post(
        "/api/exemptions/",
        {"branch": branch_a.pk, "starts_on": "2026-03-01", "ends_on": "2026-02-01", "reason": "换届"},
        format="json",
    )
    assert answer.json() == {"ends_on": ["结束日期不能早于开始日期。"]}
    assert RequirementExemption.objects.count() == 1


def test_training_records_and_a_members_hours(world, branch_a, branch_b, today):
    secretary = client_as(world["users"]["secretary"])
    held = world["held_on"].isoformat()
    zero = secretary.post(
        "/api/trainings/",
        {"branch": branch_a.pk, "members": [world["li_ming"].pk], "title": "学习", "held_on": held, "hours": "0"},
        format="json",
    )
    assert zero.status_code == 400 and zero.json() == {"hours": ["学时须大于 0。"]}
    stranger = Member.objects.get(name="王芳")
    foreign = secretary.post(
        "/api/trainings/",
        {"branch": branch_a.pk, "members": [stranger.pk], "title": "学习", "held_on": held, "hours": "1"},
        format="json",
    )
    assert foreign.status_code == 400 and list(foreign.json()) == ["members"]

    everyone = secretary.post(
        "/api/trainings/",
        {"branch": branch_a.pk, "everyone": True, "title": "全员学习", "held_on": held, "hours": "1.5"},
        format="json",
    )
    assert everyone.status_code == 201 and len(everyone.json()) == 2
    assert TrainingRecord.objects.filter(title="全员学习").count() == 2

    hours = client_as(world["users"]["member"]).get(f"/api/members/{world['li_ming'].pk}/hours/").json()
    # 2 学时 from the lecture attended, 4 + 1.5 from trainings.
    assert (hours["meeting_hours"], hours["course_hours"], hours["hours"]) == ("2.0", "5.5", "7.5")
    assert hours["year"] == today.year and hours["below_target"] is True
    assert [m["topic"] for m in hours["meetings"]] == ["专题党课"]
    bad_year = secretary.get(f"/api/members/{world['li_ming'].pk}/hours/", {"year": "1800"})
    assert bad_year.status_code == 400 and "year" in bad_year.json()


def test_meeting_list_filters_by_kind_and_year(world, branch_a, today):
    gongwei = client_as(world["users"]["gongwei"])
    lectures = gongwei.get("/api/meetings/", {"kind": "lecture", "branch": branch_a.pk}).json()["results"]
    assert [m["id"] for m in lectures] == [world["meeting"].pk]
    assert gongwei.get("/api/meetings/", {"year": today.year - 3}).json()["count"] == 0
    assert gongwei.get("/api/meetings/", {"year": "99999999999"}).status_code == 400


def test_token_auth_works_on_meetings(world):
    token = Token.objects.create(user=world["users"]["secretary"])
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    assert [m["id"] for m in client.get("/api/meetings/").json()["results"]] == [world["meeting"].pk]
    answer = client.patch(f"/api/meetings/{world['meeting'].pk}/", {"minutes": "讲授党章"}, format="json")
    assert answer.status_code == 200 and answer.json()["minutes"] == "讲授党章"


# --- query counts --------------------------------------------------------------------------------


def _count(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize("url", ["/api/meetings/", "/api/exemptions/", "/api/trainings/"])
def test_list_queries_do_not_grow_with_rows(world, branch_a, today, url):
    client = client_as(world["users"]["gongwei"])
    few = _count(client, url)
    users, held_on = world["users"], world["held_on"]
    for i in range(5):
        record_meeting(
            branch_a,
            {"kind": MeetingKind.THEME_DAY, "held_on": held_on, "topic": f"主题党日{i}"},
            files=[pdf()],
            by=users["secretary"],
        )
        grant_exemption(branch_a, kind="", starts_on=held_on, ends_on=today, reason=f"豁免{i}", by=users["organ"])
        record_training(
            list(branch_a.members.all()), held_on=held_on, title=f"培训{i}", hours=1, by=users["secretary"], today=today
        )
    assert client.get(url).json()["count"] > 5
    assert _count(client, url) == few
