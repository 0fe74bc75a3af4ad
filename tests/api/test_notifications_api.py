"""Notifications through the API: each person sees and reads only their own messages."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from notifications.models import Notification
from notifications.services import notify

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


def client_as(user) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_login(user)
    return client


@pytest.fixture
def world(request):
    users = {role: request.getfixturevalue(name) for role, name in PERSONAS.items()}
    (mine,) = notify([users["member"]], title="请参加主题党日", url="/meetings/")
    notify([users["member"]], title="学时未达标", key="training:1")
    for user in users.values():
        notify([user], title="系统维护通知")
    return {"users": users, "mine": mine}


# Only the member owns `mine`: everybody else gets 404 for it, as for any id they cannot see.
ROWS = [
    ("list", "get", "/api/notifications/", (ANON, 200, 200, 200, 200, 200, 200)),
    ("detail", "get", "/api/notifications/{mine}/", (ANON, 200, 404, 404, 404, 404, 404)),
    ("read", "post", "/api/notifications/{mine}/read/", (ANON, 200, 404, 404, 404, 404, 404)),
    ("read all", "post", "/api/notifications/read-all/", (ANON, 200, 200, 200, 200, 200, 200)),
]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("row", ROWS, ids=[r[0] for r in ROWS])
def test_each_role_reaches_only_their_own_messages(world, role, row):
    _, method, url, expected = row
    response = getattr(client_as(world["users"].get(role)), method)(url.format(mine=world["mine"].pk))
    assert response.status_code == expected[ROLES.index(role)], (role, response.content[:200])


def test_the_list_is_own_messages_unread_first_and_filters_by_state(world):
    member = world["users"]["member"]
    client = client_as(member)
    client.post(f"/api/notifications/{world['mine'].pk}/read/")
    titles = [n["title"] for n in client.get("/api/notifications/").json()["results"]]
    assert titles == ["系统维护通知", "学时未达标", "请参加主题党日"]
    unread = client.get("/api/notifications/", {"state": "unread"}).json()["results"]
    assert {n["title"] for n in unread} == {"系统维护通知", "学时未达标"}
    assert client.get("/api/notifications/", {"state": "bogus"}).status_code == 400
    others = client_as(world["users"]["gongwei"]).get("/api/notifications/").json()["results"]
    assert [n["title"] for n in others] == ["系统维护通知"]


def test_reading_keeps_the_first_reading_time(world):
    client = client_as(world["users"]["member"])
    first = client.post(f"/api/notifications/{world['mine'].pk}/read/").json()
    assert first["is_read"] is True and first["read_at"]
    again = client.post(f"/api/notifications/{world['mine'].pk}/read/").json()
    assert again["read_at"] == first["read_at"]


def test_read_all_marks_only_ones_own(world):
    member = world["users"]["member"]
    answer = client_as(member).post("/api/notifications/read-all/")
    assert answer.json() == {"count": 3}
    assert client_as(member).post("/api/notifications/read-all/").json() == {"count": 0}
    assert Notification.objects.unread().exclude(recipient=member).count() == 5  # the five other personas


def test_token_auth_reads_ones_own_messages(world):
    token = Token.objects.create(user=world["users"]["member"])
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    assert client.get("/api/notifications/").json()["count"] == 3
    assert client.post(f"/api/notifications/{world['mine'].pk}/read/").status_code == 200


def test_list_queries_do_not_grow_with_rows(world):
    member = world["users"]["member"]
    client = client_as(member)

    def count():
        with CaptureQueriesContext(connection) as ctx:
            assert client.get("/api/notifications/").status_code == 200
        return len(ctx.captured_queries)

    few = count()
    for i in range(20):
        notify([member], title=f"提醒{i}")
    assert count() == few
