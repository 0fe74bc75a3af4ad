"""API tokens: obtained with a username and password, rate-limited, revoked by their owner or by
the account's manager."""

import pytest
from django.core.cache import cache
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient
from rest_framework.throttling import ScopedRateThrottle

from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

# A missing or revoked token: 401 with a `WWW-Authenticate: Token` challenge.
REFUSED = 401


def token_client(key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


@pytest.fixture(autouse=True)
def own_cache(settings):
    """The throttle counts in the cache: a private one, so no other test's attempts count."""
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "tokens"}}
    cache.clear()
    yield
    cache.clear()


def test_a_token_is_obtained_with_username_and_password_and_then_works(secretary_of_branch_a, branch_a):
    answer = APIClient().post("/api/auth/token/", {"username": "shuji_a", "password": PASSWORD}, format="json")
    assert answer.status_code == 200
    key = answer.json()["token"]
    assert Token.objects.get(user=secretary_of_branch_a).key == key
    branches = token_client(key).get("/api/branches/")
    assert branches.status_code == 200 and [b["id"] for b in branches.json()["results"]] == [branch_a.pk]
    # Asking again returns the same token.
    again = APIClient().post("/api/auth/token/", {"username": "shuji_a", "password": PASSWORD}, format="json")
    assert again.json()["token"] == key


def test_a_wrong_password_is_400(secretary_of_branch_a):
    answer = APIClient().post("/api/auth/token/", {"username": "shuji_a", "password": "wrong"}, format="json")
    assert answer.status_code == 400
    assert "non_field_errors" in answer.json()
    assert not Token.objects.exists()
    missing = APIClient().post("/api/auth/token/", {"username": "shuji_a"}, format="json")
    assert missing.status_code == 400 and "password" in missing.json()


def test_the_token_endpoint_is_throttled(settings, monkeypatch, secretary_of_branch_a):
    rates = {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "token": "3/min"}
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}
    # The throttle copied the rates when DRF was imported; give it the overridden ones.
    monkeypatch.setattr(ScopedRateThrottle, "THROTTLE_RATES", rates)
    client = APIClient()
    codes = [
        client.post("/api/auth/token/", {"username": "shuji_a", "password": "wrong"}, format="json").status_code
        for _ in range(4)
    ]
    assert codes == [400, 400, 400, 429]
    # Even the right password waits now.
    right = client.post("/api/auth/token/", {"username": "shuji_a", "password": PASSWORD}, format="json")
    assert right.status_code == 429
    assert "Retry-After" in right


def test_revoking_ones_own_token(secretary_of_branch_a):
    key = Token.objects.create(user=secretary_of_branch_a).key
    client = token_client(key)
    assert client.get("/api/branches/").status_code == 200
    assert client.delete("/api/auth/token/revoke/").status_code == 204
    assert not Token.objects.filter(user=secretary_of_branch_a).exists()
    refused = client.get("/api/branches/")
    assert refused.status_code == REFUSED
    assert refused.json() == {"detail": "认证令牌无效。"}
    assert refused["WWW-Authenticate"] == "Token"


def test_a_manager_revokes_a_managed_accounts_token(organ_staff_a, secretary_of_branch_a):
    Token.objects.create(user=secretary_of_branch_a)
    manager = APIClient()
    manager.force_login(organ_staff_a)
    assert manager.delete(f"/api/auth/tokens/{secretary_of_branch_a.pk}/").status_code == 204
    assert not Token.objects.filter(user=secretary_of_branch_a).exists()


def test_the_gongwei_revokes_anyones_token(gongwei_staff, organ_staff_b):
    Token.objects.create(user=organ_staff_b)
    client = APIClient()
    client.force_login(gongwei_staff)
    assert client.delete(f"/api/auth/tokens/{organ_staff_b.pk}/").status_code == 204
    assert not Token.objects.exists()


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        ("secretary_of_branch_b", 403),  # no account management at all
        ("member_user", 403),
        ("organ_staff_b", 404),  # manages accounts, but not this one: outside the scope
    ],
)
def test_others_may_not_revoke_a_token(request, secretary_of_branch_a, who, expected):
    token = Token.objects.create(user=secretary_of_branch_a)
    client = APIClient()
    client.force_login(request.getfixturevalue(who))
    assert client.delete(f"/api/auth/tokens/{secretary_of_branch_a.pk}/").status_code == expected
    assert Token.objects.filter(pk=token.pk).exists()


def test_anonymous_may_not_revoke():
    assert APIClient().delete("/api/auth/token/revoke/").status_code == REFUSED
