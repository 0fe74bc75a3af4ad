"""The organisation through the API: organs, branches, members, committee terms and party groups,
with the pages' scoping per role, their validation, the roster export and fixed query counts."""

import datetime
import io

import openpyxl
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from branches.choices import CommitteePost
from branches.models import Branch, CommitteeTerm, Member, PartyGroup
from tests.factories import (
    BranchFactory,
    CommitteeMemberFactory,
    CommitteeTermFactory,
    MemberFactory,
    PartyGroupFactory,
)

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
# Without a session or a token: 401 (TokenAuthentication, listed first, sends the challenge).
ANON = 401


def client_as(user) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_login(user)
    return client


def id_number(birth: str, seq: str = "123") -> str:
    """A valid GB 11643 number for a birth date 'YYYYMMDD'."""
    weights, check = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2), "10X98765432"
    body = "110101" + birth + seq
    return body + check[sum(int(d) * w for d, w in zip(body, weights, strict=True)) % 11]


@pytest.fixture
def world(request, organ_a, organ_b, branch_a, branch_a2, branch_b):
    """Every persona exists in every row, so the organisation is the same whoever asks."""
    users = {role: request.getfixturevalue(name) for role, name in PERSONAS.items()}
    li_ming = Member.objects.get(user=users["member"])
    li_ming.id_number = id_number("19850312")
    li_ming.save()
    term = CommitteeTermFactory(branch=branch_a, elected_on=datetime.date(2025, 6, 15))
    CommitteeMemberFactory(term=term, member=li_ming, post=CommitteePost.SECRETARY)
    group = PartyGroupFactory(branch=branch_a, name="第一党小组")
    MemberFactory(branch=branch_b, name="王芳")
    return {"users": users, "li_ming": li_ming, "term": term, "group": group}


def member_payload(branch, **extra) -> dict:
    return {
        "name": "张伟",
        "gender": "M",
        "birth_date": "1990-05-04",
        "organ": branch.organ_id,
        "branch": branch.pk,
        "status": "full",
        "joined_on": "2015-07-01",
        "confirmed_on": "2016-07-01",
        **extra,
    }


# (name, method, url, data, expected status per role in ROLES order)
def org_rows(w, organ_a, branch_a):
    li, term, group = w["li_ming"].pk, w["term"].pk, w["group"].pk
    seats = [{"member": li, "post": "secretary"}]
    return [
        ("organ list", "get", "/api/organs/", None, (ANON, 403, 200, 200, 200, 200, 200)),
        ("organ detail", "get", f"/api/organs/{organ_a.pk}/", None, (ANON, 404, 404, 200, 404, 200, 200)),
        ("branch list", "get", "/api/branches/", None, (ANON, 403, 200, 200, 200, 200, 200)),
        ("branch detail", "get", f"/api/branches/{branch_a.pk}/", None, (ANON, 404, 404, 200, 404, 200, 200)),
        (
            "branch edit",
            "patch",
            f"/api/branches/{branch_a.pk}/",
            {"note": "已核对"},
            (ANON, 404, 404, 200, 404, 200, 200),
        ),
        (
            "branch found",
            "post",
            "/api/branches/",
            {"organ": organ_a.pk, "name": "新设党支部", "founded_on": "2024-03-01"},
            # 机关党委 of another organ may found branches, but not in organ_a: a field error.
            (ANON, 403, 403, 403, 400, 201, 201),
        ),
        (
            "branch dissolve",
            "post",
            f"/api/branches/{branch_a.pk}/dissolve/",
            {"dissolved_on": "2026-01-05", "reason": "机构改革"},
            # Allowed to act, but 李明 is still on the roster: the service refuses (400).
            (ANON, 404, 404, 403, 404, 400, 400),
        ),
        # Has members and a term: the branch's records forbid deleting it (409).
        ("branch delete", "delete", f"/api/branches/{branch_a.pk}/", None, (ANON, 404, 404, 403, 404, 409, 409)),
        ("member list", "get", "/api/members/", None, (ANON, 403, 200, 200, 200, 200, 200)),
        ("member detail", "get", f"/api/members/{li}/", None, (ANON, 200, 404, 200, 404, 200, 200)),
        ("member hours", "get", f"/api/members/{li}/hours/", None, (ANON, 200, 404, 200, 404, 200, 200)),
        ("member edit", "patch", f"/api/members/{li}/", {"post": "科员"}, (ANON, 403, 404, 200, 404, 200, 200)),
        # Another branch's secretary and organ: branch_a is not among the branches they may fill.
        ("member create", "post", "/api/members/", member_payload(branch_a), (ANON, 403, 400, 201, 400, 201, 201)),
        ("term list", "get", "/api/terms/", None, (ANON, 200, 200, 200, 200, 200, 200)),
        ("term detail", "get", f"/api/terms/{term}/", None, (ANON, 404, 404, 200, 404, 200, 200)),
        (
            "term create",
            "post",
            "/api/terms/",
            {"branch": branch_a.pk, "elected_on": "2022-06-15", "term_years": 3, "seats": seats},
            (ANON, 404, 404, 201, 404, 201, 201),
        ),
        ("term edit", "patch", f"/api/terms/{term}/", {"note": "补选"}, (ANON, 404, 404, 200, 404, 200, 200)),
        ("group list", "get", "/api/party-groups/", None, (ANON, 200, 200, 200, 200, 200, 200)),
        ("group detail", "get", f"/api/party-groups/{group}/", None, (ANON, 404, 404, 200, 404, 200, 200)),
        (
            "group create",
            "post",
            "/api/party-groups/",
            {"branch": branch_a.pk, "name": "第二党小组"},
            (ANON, 404, 404, 201, 404, 201, 201),
        ),
        (
            "group edit",
            "patch",
            f"/api/party-groups/{group}/",
            {"leader": li},
            (ANON, 404, 404, 200, 404, 200, 200),
        ),
        ("group delete", "delete", f"/api/party-groups/{group}/", None, (ANON, 404, 404, 204, 404, 204, 204)),
    ]


ROW_NAMES = [
    "organ list", "organ detail", "branch list", "branch detail", "branch edit", "branch found", "branch dissolve",
    "branch delete", "member list", "member detail", "member hours", "member edit", "member create", "term list",
    "term detail", "term create", "term edit", "group list", "group detail", "group create", "group edit",
    "group delete",
]  # fmt: skip


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("row", ROW_NAMES)
def test_each_role_reaches_what_the_pages_allow(world, organ_a, branch_a, role, row):
    _, method, url, data, expected = next(r for r in org_rows(world, organ_a, branch_a) if r[0] == row)
    user = world["users"].get(role)
    response = getattr(client_as(user), method)(url, data, format="json")
    assert response.status_code == expected[ROLES.index(role)], (role, row, response.content[:300])


# --- lists are scoped, filtered, ordered -------------------------------------------------------


def test_lists_show_only_the_users_scope(world, branch_a, branch_a2, branch_b):
    organ = client_as(world["users"]["organ"])
    names = {b["name"] for b in organ.get("/api/branches/").json()["results"]}
    assert names == {branch_a.name, branch_a2.name}
    secretary = client_as(world["users"]["secretary"])
    assert [b["id"] for b in secretary.get("/api/branches/").json()["results"]] == [branch_a.pk]
    members = secretary.get("/api/members/").json()["results"]
    assert {m["name"] for m in members} == {"李明"}


def test_branch_list_filters_by_the_pages_filters_and_orders(world, organ_a, organ_b, branch_a, branch_a2):
    gongwei = client_as(world["users"]["gongwei"])
    by_organ = gongwei.get("/api/branches/", {"organ": organ_a.pk, "ordering": "-name"}).json()
    assert [b["name"] for b in by_organ["results"]] == sorted([branch_a.name, branch_a2.name], reverse=True)
    # branch_a has a secretary; branch_a2 has no term at all.
    warned = gongwei.get("/api/branches/", {"warning": "no_secretary", "organ": organ_a.pk}).json()["results"]
    assert [b["name"] for b in warned] == [branch_a2.name]
    assert {"code": "no_secretary", "label": "未配备书记"} in warned[0]["warnings"]
    # A filter naming an organ outside the scope is refused, not widened.
    secretary = client_as(world["users"]["secretary"])
    assert secretary.get("/api/branches/", {"organ": organ_b.pk}).status_code == 400


def test_branch_detail_explains_its_warnings(world, branch_a2):
    data = client_as(world["users"]["organ"]).get(f"/api/branches/{branch_a2.pk}/").json()
    assert "当前届次未配备支部书记。" in data["warning_texts"]
    assert data["n_members"] == 0 and data["current_term"] is None


# --- writes use the pages' validation ------------------------------------------------------------


def test_member_fields_are_checked_one_by_one(world, branch_a):
    secretary = client_as(world["users"]["secretary"])
    shape = secretary.post("/api/members/", member_payload(branch_a, gender="X", birth_date="soon"), format="json")
    assert shape.status_code == 400
    assert set(shape.json()) == {"gender", "birth_date"}

    rules = secretary.post(
        "/api/members/",
        member_payload(branch_a, joined_on="2005-01-01", confirmed_on="2006-01-01", phone="12345"),
        format="json",
    )
    assert rules.status_code == 400
    assert rules.json()["joined_on"] == ["入党时应年满十八周岁。"]
    assert "phone" in rules.json()
    assert not Member.objects.filter(name="张伟").exists()

    taken = secretary.post("/api/members/", member_payload(branch_a, id_number=world["li_ming"].id_number))
    assert taken.json()["id_number"] == ["该身份证号已登记在其他党员名下。"]


def test_a_member_is_registered_and_corrected(world, branch_a):
    secretary = client_as(world["users"]["secretary"])
    created = secretary.post("/api/members/", member_payload(branch_a, ethnicity="回族"), format="json")
    assert created.status_code == 201, created.content
    member = Member.objects.get(pk=created.json()["id"])
    assert (member.branch, member.ethnicity, member.history.first().history_user) == (
        branch_a,
        "回族",
        world["users"]["secretary"],
    )

    corrected = secretary.patch(f"/api/members/{member.pk}/", {"status": "probationary"}, format="json")
    assert corrected.status_code == 400
    assert corrected.json()["confirmed_on"] == ["预备党员没有转正日期；转正后请把状态改为正式党员。"]
    ok = secretary.patch(f"/api/members/{member.pk}/", {"post": "副处长", "phone": "13912345678"}, format="json")
    assert ok.status_code == 200 and ok.json()["post"] == "副处长"


def test_id_numbers_are_masked_except_for_the_gongwei(world):
    li = world["li_ming"]
    shown = client_as(world["users"]["organ"]).get(f"/api/members/{li.pk}/").json()["id_number"]
    assert shown == li.id_number[:4] + "*" * 10 + li.id_number[-4:]
    assert client_as(world["users"]["gongwei"]).get(f"/api/members/{li.pk}/").json()["id_number"] == li.id_number
    # Sending the masked value back keeps the stored number.
    organ = client_as(world["users"]["organ"])
    assert organ.patch(f"/api/members/{li.pk}/", {"id_number": shown}, format="json").status_code == 200
    li.refresh_from_db()
    assert li.id_number == id_number("19850312")


def test_a_secretary_corrects_the_name_but_cannot_move_the_branch(world, branch_a, organ_a, organ_b):
    secretary = client_as(world["users"]["secretary"])
    answer = secretary.patch(f"/api/branches/{branch_a.pk}/", {"name": "综合处第一党支部", "organ": organ_b.pk})
    assert answer.status_code == 200
    branch_a.refresh_from_db()
    assert (branch_a.name, branch_a.organ_id) == ("综合处第一党支部", organ_a.pk)


def test_founding_checks_the_date_and_the_name(world, organ_a, branch_a):
    organ = client_as(world["users"]["organ"])
    answer = organ.post("/api/branches/", {"organ": organ_a.pk, "name": branch_a.name, "founded_on": "2999-01-01"})
    assert answer.status_code == 400
    assert answer.json() == {"name": ["该机关已有同名的现有支部。"], "founded_on": ["成立日期不能晚于今天。"]}


def test_dissolving_twice_is_an_illegal_transition(world, branch_a2):
    organ = client_as(world["users"]["organ"])
    first = organ.post(f"/api/branches/{branch_a2.pk}/dissolve/", {"dissolved_on": "2026-01-05", "reason": "合并"})
    assert first.status_code == 200 and first.json()["dissolved_on"] == "2026-01-05"
    again = organ.post(f"/api/branches/{branch_a2.pk}/dissolve/", {"dissolved_on": "2026-01-06", "reason": "合并"})
    assert again.status_code == 409
    assert again.json() == {"detail": "该支部已撤销。"}
    # A dissolved branch stays visible with its history.
    assert organ.get(f"/api/branches/{branch_a2.pk}/").status_code == 200
    states = organ.get("/api/branches/", {"state": "dissolved"}).json()["results"]
    assert [b["id"] for b in states] == [branch_a2.pk]


def test_deleting_an_empty_branch_entered_by_mistake(world, organ_a):
    mistake = BranchFactory(organ=organ_a, name="误建党支部")
    assert client_as(world["users"]["organ"]).delete(f"/api/branches/{mistake.pk}/").status_code == 204
    assert not Branch.objects.filter(pk=mistake.pk).exists()


def test_a_term_needs_a_secretary_and_full_members(world, branch_a):
    probationary = MemberFactory(branch=branch_a, status="probationary", confirmed_on=None)
    secretary = client_as(world["users"]["secretary"])
    payload = {"branch": branch_a.pk, "elected_on": "2022-06-15", "term_years": 3}
    no_secretary = secretary.post(
        "/api/terms/", {**payload, "seats": [{"member": world["li_ming"].pk, "post": "member"}]}, format="json"
    )
    assert no_secretary.status_code == 400 and no_secretary.json()["seats"] == ["每届须有一名书记。"]
    seats = [{"member": world["li_ming"].pk, "post": "secretary"}, {"member": probationary.pk, "post": "member"}]
    refused = secretary.post("/api/terms/", {**payload, "seats": seats}, format="json")
    assert refused.json()["seats"] == [{"member": ["预备党员没有选举权和被选举权，不能担任支委。"]}]
    bad_years = secretary.post("/api/terms/", {**payload, "term_years": 9, "seats": seats[:1]}, format="json")
    assert set(bad_years.json()) == {"term_years"}

    created = secretary.post("/api/terms/", {**payload, "seats": seats[:1]}, format="json")
    assert created.status_code == 201
    term = CommitteeTerm.objects.get(pk=created.json()["id"])
    assert term.ends_on == datetime.date(2025, 6, 15)
    assert created.json()["seats"] == [{"member": world["li_ming"].pk, "member_name": "李明", "post": "secretary"}]


def test_a_group_name_is_unique_in_its_branch_and_its_leader_is_of_the_branch(world, branch_a, branch_b):
    secretary = client_as(world["users"]["secretary"])
    clash = secretary.post("/api/party-groups/", {"branch": branch_a.pk, "name": "第一党小组"}, format="json")
    assert clash.status_code == 400 and clash.json()["name"] == ["本支部已有同名党小组。"]
    stranger = Member.objects.get(name="王芳")
    foreign = secretary.patch(f"/api/party-groups/{world['group'].pk}/", {"leader": stranger.pk}, format="json")
    assert foreign.status_code == 400 and "leader" in foreign.json()


# --- the roster export ---------------------------------------------------------------------------


def test_format_xlsx_is_the_roster_export_of_the_same_filter(world, branch_a, branch_a2):
    MemberFactory(branch=branch_a2, name="赵强")
    organ = client_as(world["users"]["organ"])
    response = organ.get("/api/members/", {"format": "xlsx", "branch": branch_a.pk})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats-officedocument.spreadsheetml")
    rows = list(openpyxl.load_workbook(io.BytesIO(response.content), read_only=True).active.iter_rows(values_only=True))
    body = [r for r in rows[1:] if any(r)]
    assert [r[0] for r in body] == ["李明"]
    li = world["li_ming"]
    assert li.id_number not in {str(v) for r in body for v in r}  # masked for the 机关党委
    # The plain member may not export, as on the page.
    refused = client_as(world["users"]["member"]).get("/api/members/", {"format": "xlsx"})
    assert refused.status_code == 403 and refused["Content-Type"] == "application/json"


# --- tokens ------------------------------------------------------------------------------------


def test_token_auth_reaches_the_same_scope(world, branch_a, branch_a2):
    token = Token.objects.create(user=world["users"]["organ"])
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    answer = client.get("/api/branches/")
    assert answer.status_code == 200
    assert {b["id"] for b in answer.json()["results"]} == {branch_a.pk, branch_a2.pk}
    assert client.patch(f"/api/branches/{branch_a.pk}/", {"note": "令牌修改"}, format="json").status_code == 200
    client.credentials(HTTP_AUTHORIZATION="Token not-a-token")
    assert client.get("/api/branches/").status_code == 401


# --- query counts ------------------------------------------------------------------------------


def _count(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def _grow(branch, organ_a):
    for i in range(6):
        new_branch = BranchFactory(organ=organ_a)
        term = CommitteeTermFactory(branch=new_branch)
        for _ in range(2):
            CommitteeMemberFactory(term=term)
        group = PartyGroupFactory(branch=new_branch)
        MemberFactory(branch=new_branch, party_group=group)
        MemberFactory(branch=branch, name=f"新党员{i}")


@pytest.mark.parametrize(
    "url", ["/api/organs/", "/api/branches/", "/api/members/", "/api/terms/", "/api/party-groups/"]
)
def test_list_queries_do_not_grow_with_rows(world, organ_a, branch_a, url):
    client = client_as(world["users"]["gongwei"])
    few = _count(client, url)
    _grow(branch_a, organ_a)
    assert client.get(url).json()["count"] > 1
    assert _count(client, url) == few


def test_the_group_deletion_leaves_members_ungrouped(world, branch_a):
    member = MemberFactory(branch=branch_a, party_group=world["group"])
    assert client_as(world["users"]["secretary"]).delete(f"/api/party-groups/{world['group'].pk}/").status_code == 204
    member.refresh_from_db()
    assert member.party_group is None and not PartyGroup.objects.filter(pk=world["group"].pk).exists()
