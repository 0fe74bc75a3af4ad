"""Each role granted or revoked leaves a row: who, to whom, which role and scope, when. The rows are never
rewritten (a revoked role keeps its grant row), and the account page shows them to the 工委 and to the
account itself."""

import datetime
import importlib

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts import services
from accounts.models import Role, RoleAssignment, RoleChange
from tests.factories import MemberFactory, UserFactory, grant

pytestmark = pytest.mark.django_db

MOMENT = datetime.datetime(2026, 12, 6, 7, 9, tzinfo=datetime.UTC)


@pytest.fixture(autouse=True)
def at_a_known_moment(time_machine):
    time_machine.move_to(MOMENT, tick=False)


def history(user) -> list[tuple]:
    return list(
        RoleChange.objects.filter(user=user)
        .order_by("pk")
        .values_list("action", "role", "organ_id", "branch_id", "scope", "by__username", "at")
    )


class TestWrittenByTheServices:
    def test_a_grant_and_its_revocation_are_two_rows_and_the_grant_row_stays_as_it_was(
        self, client_for, gongwei_staff, organ_a
    ):
        account = UserFactory(username="zhaolei")
        client = client_for(gongwei_staff)

        client.post(reverse("branches:user_detail", args=[account.pk]), {"role": Role.ORGAN, "organ": organ_a.pk})
        grant_row = history(account)
        assert grant_row == [("grant", Role.ORGAN, organ_a.pk, None, organ_a.name, "gongwei", MOMENT)]

        assignment = RoleAssignment.objects.get(user=account)
        client.post(reverse("branches:role_revoke", args=[account.pk, assignment.pk]))

        assert not RoleAssignment.objects.filter(user=account).exists()
        assert history(account) == [
            *grant_row,
            ("revoke", Role.ORGAN, organ_a.pk, None, organ_a.name, "gongwei", MOMENT),
        ]

    def test_organ_staff_appointing_a_secretary_is_recorded_with_the_branch_in_words(
        self, client_for, organ_staff_a, branch_a
    ):
        member = MemberFactory(branch=branch_a, user=UserFactory(username="wangfang"))

        client_for(organ_staff_a).post(
            reverse("branches:user_detail", args=[member.user.pk]), {"role": Role.BRANCH, "branch": branch_a.pk}
        )

        scope = "市发改委 综合处党支部"
        assert history(member.user) == [("grant", Role.BRANCH, None, branch_a.pk, scope, "jiguan_a", MOMENT)]

    def test_the_expert_role_is_granted_by_the_gongwei_and_recorded(self, client_for, gongwei_staff):
        account = UserFactory(username="zhuanjia")

        client_for(gongwei_staff).post(reverse("branches:user_detail", args=[account.pk]), {"role": Role.EXPERT})

        assert RoleAssignment.objects.get(user=account).role == Role.EXPERT
        assert history(account) == [("grant", Role.EXPERT, None, None, "分配给本人的验收项目", "gongwei", MOMENT)]

    def test_a_refused_grant_or_revocation_writes_no_row(self, gongwei_staff):
        account = UserFactory()
        services.grant_role(account, Role.GONGWEI, by=gongwei_staff)
        before = history(account)

        with pytest.raises(services.AccountError, match="已有此角色"):
            services.grant_role(account, Role.GONGWEI, by=gongwei_staff)
        own = RoleAssignment.objects.get(user=gongwei_staff)
        with pytest.raises(services.AccountError, match="不能撤销自己"):
            services.revoke_role(own, by=gongwei_staff)

        assert history(account) == before
        assert not RoleChange.objects.filter(user=gongwei_staff).exists()

    def test_the_branch_deleted_later_still_reads_in_the_history(self, gongwei_staff, organ_a):
        from branches.services import delete_empty_branch
        from tests.factories import BranchFactory

        branch = BranchFactory(organ=organ_a, name="误建党支部")
        account = UserFactory()
        services.grant_role(account, Role.BRANCH, branch=branch, by=gongwei_staff)

        delete_empty_branch(branch, by=gongwei_staff)

        row = RoleChange.objects.get(user=account)
        assert row.branch_id is None and row.scope == f"{organ_a.display_short} 误建党支部"


class TestNeverRewritten:
    def test_a_row_cannot_be_changed_nor_deleted(self, gongwei_staff):
        account = UserFactory()
        services.grant_role(account, Role.EXPERT, by=gongwei_staff)
        row = RoleChange.objects.get(user=account)

        row.scope = "别的范围"
        with pytest.raises(ValueError, match="只能新增"):
            row.save()
        with pytest.raises(ValueError, match="不能删除"):
            row.delete()
        assert RoleChange.objects.get(pk=row.pk).scope == "分配给本人的验收项目"


class TestShownOnTheAccountPage:
    def test_the_gongwei_sees_any_accounts_history(self, client_for, gongwei_staff, organ_staff_a, organ_a):
        services.grant_role(organ_staff_a, Role.EXPERT, by=gongwei_staff)

        page = client_for(gongwei_staff).get(reverse("branches:user_detail", args=[organ_staff_a.pk]))

        text = page.content.decode()
        assert "角色变更记录" in text
        assert "评审专家" in text and "分配给本人的验收项目" in text and "工委干部" in text
        assert "2026-12-06 15:09" in text  # Beijing time

    def test_organ_staff_managing_an_account_does_not_see_its_history(
        self, client_for, organ_staff_a, gongwei_staff, branch_a
    ):
        member = MemberFactory(branch=branch_a, user=UserFactory())
        services.grant_role(member.user, Role.BRANCH, branch=branch_a, by=gongwei_staff)

        page = client_for(organ_staff_a).get(reverse("branches:user_detail", args=[member.user.pk]))

        assert page.status_code == 200
        assert "角色变更记录" not in page.content.decode()

    def test_a_user_sees_their_own_history_on_their_account_page(self, client_for, member_user, gongwei_staff):
        services.grant_role(member_user, Role.EXPERT, by=gongwei_staff)
        services.revoke_role(RoleAssignment.objects.get(user=member_user), by=gongwei_staff)
        other = UserFactory()
        services.grant_role(other, Role.GONGWEI, by=gongwei_staff)

        text = client_for(member_user).get(reverse("accounts:my_account")).content.decode()

        assert "角色变更记录" in text
        assert text.count("评审专家") == 2 and "授予" in text and "撤销" in text
        assert "工委工作人员" not in text  # another account's grant

    def test_the_account_menu_links_to_the_account_page(self, client_for, member_user):
        page = client_for(member_user).get(reverse("home")).content.decode()

        assert reverse("accounts:my_account") in page

    def test_the_pages_cost_the_same_queries_for_one_row_and_many(self, client_for, gongwei_staff, organ_a, branch_a):
        def queries(url) -> int:
            client.get(url)
            with CaptureQueriesContext(connection) as ctx:
                assert client.get(url).status_code == 200
            return len(ctx.captured_queries)

        one, many = UserFactory(), UserFactory()
        services.grant_role(one, Role.EXPERT, by=gongwei_staff)
        for _ in range(4):
            for role, target in ((Role.ORGAN, {"organ": organ_a}), (Role.BRANCH, {"branch": branch_a})):
                assignment = services.grant_role(many, role, by=gongwei_staff, **target)
                services.revoke_role(assignment, by=gongwei_staff)
        services.grant_role(many, Role.EXPERT, by=gongwei_staff)
        client = client_for(gongwei_staff)

        page = lambda user: reverse("branches:user_detail", args=[user.pk])  # noqa: E731
        assert queries(page(one)) == queries(page(many))
        client.force_login(one)
        mine = queries(reverse("accounts:my_account"))
        client.force_login(many)
        assert queries(reverse("accounts:my_account")) == mine


class TestAdmin:
    def test_roles_added_and_removed_in_the_admin_are_recorded(self, client, organ_a):
        admin = get_user_model().objects.create_superuser("root", password="x-admin-9", full_name="管理员")
        account = UserFactory(username="lisi")
        kept = grant(account, Role.GONGWEI)
        client.force_login(admin)
        url = reverse("admin:accounts_user_change", args=[account.pk])
        form = client.get(url).context["adminform"].form
        data = {name: value for name, value in form.initial.items() if value is not None}
        data.update(
            {
                "username": account.username,
                "password": account.password,
                "date_joined_0": "2026-12-06",
                "date_joined_1": "09:00:00",
                "roles-TOTAL_FORMS": "2",
                "roles-INITIAL_FORMS": "1",
                "roles-MIN_NUM_FORMS": "0",
                "roles-MAX_NUM_FORMS": "1000",
                "roles-0-id": str(kept.pk),
                "roles-0-user": str(account.pk),
                "roles-0-DELETE": "on",
                "roles-1-user": str(account.pk),
                "roles-1-role": Role.ORGAN,
                "roles-1-organ": str(organ_a.pk),
            }
        )
        for flag in ("is_active", "is_staff", "is_superuser"):
            data.pop(flag, None)
        data["is_active"] = "on"
        data.pop("groups", None)
        data.pop("user_permissions", None)
        data.pop("last_login", None)

        response = client.post(url, data)

        assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
        assert list(RoleAssignment.objects.filter(user=account).values_list("role", flat=True)) == [Role.ORGAN]
        assert history(account) == [
            ("revoke", Role.GONGWEI, None, None, "全部机关", "root", MOMENT),
            ("grant", Role.ORGAN, organ_a.pk, None, organ_a.name, "root", MOMENT),
        ]


class TestTheExpertRole:
    def test_an_expert_role_has_no_organ_nor_branch_and_is_held_once(self, organ_a):
        account = UserFactory()
        with pytest.raises(IntegrityError), transaction.atomic():
            RoleAssignment.objects.create(user=account, role=Role.EXPERT, organ=organ_a)
        grant(account, Role.EXPERT)
        with pytest.raises(IntegrityError), transaction.atomic():
            RoleAssignment.objects.create(user=account, role=Role.EXPERT)


def test_the_upgrade_starts_the_history_with_the_roles_already_held(gongwei_staff, organ_staff_a, branch_a):
    backfill = importlib.import_module("accounts.migrations.0005_backfill_role_grants").backfill
    secretary = UserFactory()
    grant(secretary, Role.BRANCH, branch=branch_a)
    RoleAssignment.objects.filter(user=secretary).update(granted_at=MOMENT - datetime.timedelta(days=400))

    backfill(apps, None)

    assert history(secretary) == [
        (
            "grant", Role.BRANCH, None, branch_a.pk, f"{branch_a.organ.display_short} {branch_a.name}", None,
            MOMENT - datetime.timedelta(days=400),
        )
    ]  # fmt: skip
    organ = organ_staff_a.roles.get().organ
    assert history(organ_staff_a)[0][:6] == ("grant", Role.ORGAN, organ.pk, None, "市发展和改革委员会", None)
