"""Log-in, log-out and password change in Chinese."""

import datetime

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


def test_login_page_is_in_chinese(client):
    page = client.get(reverse("accounts:login")).content.decode()
    assert "登录机关党建管理平台" in page
    assert 'lang="zh-CN"' in page


def test_wrong_password_gets_a_chinese_message(client):
    UserFactory(username="shuji")
    response = client.post(reverse("accounts:login"), {"username": "shuji", "password": "wrong"})
    assert "用户名或密码不正确" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_login_then_home_then_logout(client):
    user = UserFactory(username="shuji", full_name="王书记")
    response = client.post(reverse("accounts:login"), {"username": "shuji", "password": PASSWORD})
    assert response.status_code == 302 and response["Location"] == reverse("home")
    assert "王书记" in client.get(reverse("home")).content.decode()
    client.post(reverse("accounts:logout"))
    assert client.get(reverse("home")).status_code == 302
    assert user.pk


def test_password_change_validates_in_chinese(client):
    user = UserFactory(username="shuji")
    client.force_login(user)
    response = client.post(
        reverse("accounts:password_change"),
        {"old_password": PASSWORD, "new_password1": "12345678", "new_password2": "12345678"},
    )
    page = response.content.decode()
    assert "这个密码太常见了" in page or "密码全部为数字" in page
    response = client.post(
        reverse("accounts:password_change"),
        {"old_password": PASSWORD, "new_password1": "Hong-Qi-2026-Piao", "new_password2": "Hong-Qi-2026-Piao"},
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password("Hong-Qi-2026-Piao")


def test_admin_is_for_superusers_only(client):
    from accounts.models import Role
    from tests.factories import grant

    user = UserFactory(username="gongwei")
    grant(user, Role.GONGWEI)
    client.force_login(user)
    assert client.get("/admin/").status_code == 302


def test_repeated_failures_lock_the_account_name_for_a_while(client, settings):
    settings.LOGIN_FAILURE_LIMIT, settings.LOGIN_LOCKOUT_MINUTES = 3, 15
    UserFactory(username="shuji")
    for _ in range(3):
        client.post(reverse("accounts:login"), {"username": "shuji", "password": "wrong"})
    # Now even the right password is refused, before it is checked.
    response = client.post(reverse("accounts:login"), {"username": "shuji", "password": PASSWORD})
    assert "登录失败次数过多，请 15 分钟后再试" in response.content.decode()
    assert "_auth_user_id" not in client.session

    later = timezone.now() + datetime.timedelta(minutes=16)
    with time_machine.travel(later):
        response = client.post(reverse("accounts:login"), {"username": "shuji", "password": PASSWORD})
    assert response.status_code == 302


def test_one_address_guessing_many_accounts_is_locked_out_too(client, settings):
    settings.LOGIN_FAILURE_LIMIT = 3
    UserFactory(username="other")
    for name in ("a", "b", "c"):
        client.post(reverse("accounts:login"), {"username": name, "password": "wrong"})
    response = client.post(reverse("accounts:login"), {"username": "other", "password": PASSWORD})
    assert "登录失败次数过多" in response.content.decode()


def test_a_success_clears_the_failures_of_that_account(client, settings):
    settings.LOGIN_FAILURE_LIMIT = 3
    UserFactory(username="shuji")
    login = reverse("accounts:login")
    for _ in range(2):
        client.post(login, {"username": "shuji", "password": "wrong"})
    client.post(login, {"username": "shuji", "password": PASSWORD})
    client.post(reverse("accounts:logout"))
    # From another desk: without the reset these would be the account's 3rd and 4th failures.
    for _ in range(2):
        client.post(login, {"username": "shuji", "password": "wrong"}, REMOTE_ADDR="10.0.0.2")
    response = client.post(login, {"username": "shuji", "password": PASSWORD}, REMOTE_ADDR="10.0.0.2")
    assert response.status_code == 302
