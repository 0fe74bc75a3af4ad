"""工委 and 机关党委 staff open accounts, grant and revoke roles, reset passwords; others cannot."""

import re

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import Role, RoleAssignment, User
from tests.factories import MemberFactory, UserFactory, grant

pytestmark = pytest.mark.django_db


def issued_password(response) -> str:
    return re.search(r'临时密码</dt><dd[^>]*><code class="fs-5">([^<]+)</code>', response.content.decode()).group(1)


class TestOpeningAccounts:
    def test_organ_staff_opens_an_account_for_a_member_who_can_then_log_in(self, client_for, organ_staff_a, branch_a):
        member = MemberFactory(branch=branch_a, name="周敏")
        response = client_for(organ_staff_a).post(
            reverse("branches:user_create"),
            {"username": "zhoumin", "full_name": "周敏", "email": "", "member": member.pk},
        )
        password = issued_password(response)
        member.refresh_from_db()
        assert member.user.username == "zhoumin"
        fresh = Client()
        assert fresh.login(username="zhoumin", password=password)
        assert fresh.get(reverse("branches:member_detail", args=[member.pk])).status_code == 200

    def test_organ_staff_must_link_a_member_of_their_organ(self, client_for, organ_staff_a, branch_b):
        other = MemberFactory(branch=branch_b)
        c = client_for(organ_staff_a)
        response = c.post(reverse("branches:user_create"), {"username": "x1", "full_name": "某人"})
        assert "须绑定本机关的党员" in response.content.decode()
        response = c.post(reverse("branches:user_create"), {"username": "x2", "full_name": "某人", "member": other.pk})
        assert response.status_code == 200
        assert not User.objects.filter(username__in=["x1", "x2"]).exists()

    def test_duplicate_username_is_refused(self, client_for, gongwei_staff):
        UserFactory(username="zhangwei")
        response = client_for(gongwei_staff).post(
            reverse("branches:user_create"), {"username": "ZhangWei", "full_name": "张伟"}
        )
        assert "该用户名已被使用" in response.content.decode()

    @pytest.mark.parametrize("persona", ["secretary_of_branch_a", "member_user", "outsider"])
    def test_others_cannot_manage_accounts(self, request, client_for, persona):
        c = client_for(request.getfixturevalue(persona))
        assert c.get(reverse("branches:user_list")).status_code == 403
        assert c.get(reverse("branches:user_create")).status_code == 403


class TestRoles:
    def test_organ_staff_appoints_a_secretary_of_their_own_branch_only(
        self, client_for, organ_staff_a, branch_a, branch_b
    ):
        member = MemberFactory(branch=branch_a, user=UserFactory(username="wangfang"))
        account = member.user
        c = client_for(organ_staff_a)
        url = reverse("branches:user_detail", args=[account.pk])
        c.post(url, {"role": Role.BRANCH, "branch": branch_b.pk})
        assert not RoleAssignment.objects.filter(user=account).exists()
        c.post(url, {"role": Role.GONGWEI})
        assert not RoleAssignment.objects.filter(user=account).exists()
        c.post(url, {"role": Role.BRANCH, "branch": branch_a.pk})
        assert RoleAssignment.objects.filter(user=account, role=Role.BRANCH, branch=branch_a).exists()

    def test_gongwei_grants_organ_role_and_the_scope_follows(self, client_for, gongwei_staff, organ_b, branch_b):
        MemberFactory(branch=branch_b, name="预算员")
        account = UserFactory(username="caizheng")
        client_for(gongwei_staff).post(
            reverse("branches:user_detail", args=[account.pk]), {"role": Role.ORGAN, "organ": organ_b.pk}
        )
        fresh = Client()
        fresh.force_login(account)
        assert "预算员" in fresh.get(reverse("branches:member_list")).content.decode()

    def test_revoking_a_role_removes_access(self, client_for, gongwei_staff, secretary_of_branch_a, branch_a):
        assignment = RoleAssignment.objects.get(user=secretary_of_branch_a)
        client_for(gongwei_staff).post(reverse("branches:role_revoke", args=[secretary_of_branch_a.pk, assignment.pk]))
        fresh = Client()
        fresh.force_login(secretary_of_branch_a)
        assert fresh.get(reverse("branches:branch_detail", args=[branch_a.pk])).status_code == 404

    def test_gongwei_cannot_lock_themselves_out(self, client_for, gongwei_staff):
        assignment = RoleAssignment.objects.get(user=gongwei_staff)
        c = client_for(gongwei_staff)
        c.post(reverse("branches:role_revoke", args=[gongwei_staff.pk, assignment.pk]))
        c.post(reverse("branches:toggle_active", args=[gongwei_staff.pk]))
        gongwei_staff.refresh_from_db()
        assert gongwei_staff.is_active
        assert RoleAssignment.objects.filter(pk=assignment.pk).exists()


class TestScopeOfManagement:
    def test_organ_staff_lists_only_accounts_of_their_organ(
        self, client_for, organ_staff_a, secretary_of_branch_a, secretary_of_branch_b
    ):
        page = client_for(organ_staff_a).get(reverse("branches:user_list")).content.decode()
        assert "shuji_a" in page
        assert "shuji_b" not in page
        c = client_for(organ_staff_a)
        assert c.get(reverse("branches:user_detail", args=[secretary_of_branch_b.pk])).status_code == 404

    def test_organ_staff_cannot_reset_a_gongwei_password(self, client_for, organ_staff_a, gongwei_staff, branch_a):
        grant(gongwei_staff, Role.BRANCH, branch=branch_a)  # now visible to organ_staff_a
        c = client_for(organ_staff_a)
        assert c.get(reverse("branches:user_detail", args=[gongwei_staff.pk])).status_code == 200
        assert c.post(reverse("branches:password_reset", args=[gongwei_staff.pk])).status_code == 403

    def test_password_reset_issues_a_working_temporary_password(self, client_for, organ_staff_a, secretary_of_branch_a):
        response = client_for(organ_staff_a).post(reverse("branches:password_reset", args=[secretary_of_branch_a.pk]))
        password = issued_password(response)
        assert Client().login(username="shuji_a", password=password)

    def test_deactivated_account_cannot_log_in(self, client_for, organ_staff_a, secretary_of_branch_a):
        client_for(organ_staff_a).post(reverse("branches:toggle_active", args=[secretary_of_branch_a.pk]))
        from tests.factories import PASSWORD

        assert not Client().login(username="shuji_a", password=PASSWORD)

    def test_account_list_query_count_is_fixed(self, client_for, gongwei_staff, branch_a):
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        c = client_for(gongwei_staff)
        with CaptureQueriesContext(connection) as small:
            c.get(reverse("branches:user_list"))
        for i in range(10):
            user = UserFactory(username=f"extra{i}")
            grant(user, Role.BRANCH, branch=branch_a)
            MemberFactory(branch=branch_a, user=user)
        with CaptureQueriesContext(connection) as large:
            c.get(reverse("branches:user_list"))
        assert len(small) == len(large)


def test_pages_of_a_search_keep_the_search(client_for, gongwei_staff):
    for i in range(35):
        UserFactory(username=f"zhang{i:02d}", full_name=f"张{i}")
    page = client_for(gongwei_staff).get(reverse("branches:user_list"), {"q": "zhang"}).content.decode()
    assert "?q=zhang&amp;page=2" in page
