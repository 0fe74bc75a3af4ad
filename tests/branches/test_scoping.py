"""Each role sees exactly what it may and is denied the rest."""

import pytest
from django.urls import reverse

from branches.models import Branch, Member
from tests.factories import MemberFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def roster(branch_a, branch_a2, branch_b):
    return {
        "a": MemberFactory(branch=branch_a, name="甲一", id_number="320302198503120013", birth_date="1985-03-12"),
        "a2": MemberFactory(branch=branch_a2, name="乙二"),
        "b": MemberFactory(branch=branch_b, name="丙三"),
    }


def names(qs):
    return set(qs.values_list("name", flat=True))


class TestQuerysetScoping:
    def test_gongwei_sees_everything(self, gongwei_staff, roster):
        assert names(Branch.objects.visible_to(gongwei_staff)) == {"综合处党支部", "规划处党支部", "预算处党支部"}
        assert names(Member.objects.visible_to(gongwei_staff)) == {"甲一", "乙二", "丙三"}

    def test_organ_staff_sees_own_organ_only(self, organ_staff_a, roster):
        assert names(Branch.objects.visible_to(organ_staff_a)) == {"综合处党支部", "规划处党支部"}
        assert names(Member.objects.visible_to(organ_staff_a)) == {"甲一", "乙二"}

    def test_secretary_sees_own_branch_only(self, secretary_of_branch_a, roster):
        assert names(Branch.objects.visible_to(secretary_of_branch_a)) == {"综合处党支部"}
        assert names(Member.objects.visible_to(secretary_of_branch_a)) == {"甲一"}

    def test_member_sees_own_record_only(self, member_user, roster):
        assert names(Branch.objects.visible_to(member_user)) == set()
        assert names(Member.objects.visible_to(member_user)) == {"李明"}

    def test_outsider_and_anonymous_see_nothing(self, outsider, roster):
        from django.contrib.auth.models import AnonymousUser

        for user in (outsider, AnonymousUser()):
            assert not Branch.objects.visible_to(user).exists()
            assert not Member.objects.visible_to(user).exists()

    def test_one_account_may_hold_several_roles(self, organ_staff_a, branch_b, roster):
        from accounts.models import Role
        from tests.factories import grant

        grant(organ_staff_a, Role.BRANCH, branch=branch_b)
        organ_staff_a.refresh_from_db()
        assert names(Branch.objects.visible_to(organ_staff_a)) == {"综合处党支部", "规划处党支部", "预算处党支部"}


def status_of(client, url):
    return client.get(url).status_code


class TestPages:
    def test_anonymous_is_sent_to_login(self, client, roster, branch_a):
        for url in (
            reverse("home"),
            reverse("branches:branch_list"),
            reverse("branches:branch_detail", args=[branch_a.pk]),
        ):
            response = client.get(url)
            assert response.status_code == 302
            assert response["Location"].startswith(reverse("accounts:login"))

    def test_secretary_of_branch_a_gets_404_for_branch_b(self, client_for, secretary_of_branch_a, roster, branch_b):
        c = client_for(secretary_of_branch_a)
        assert status_of(c, reverse("branches:branch_detail", args=[branch_b.pk])) == 404
        assert status_of(c, reverse("branches:member_detail", args=[roster["b"].pk])) == 404
        assert status_of(c, reverse("branches:member_edit", args=[roster["b"].pk])) == 404
        assert status_of(c, reverse("branches:term_create", args=[branch_b.pk])) == 404

    def test_secretary_may_edit_own_roster_but_not_found_or_dissolve(
        self, client_for, secretary_of_branch_a, roster, branch_a
    ):
        c = client_for(secretary_of_branch_a)
        assert status_of(c, reverse("branches:member_edit", args=[roster["a"].pk])) == 200
        assert status_of(c, reverse("branches:branch_create")) == 403
        assert status_of(c, reverse("branches:branch_dissolve", args=[branch_a.pk])) == 403

    def test_organ_staff_is_denied_the_other_organ(self, client_for, organ_staff_a, roster, branch_b, organ_b):
        c = client_for(organ_staff_a)
        assert status_of(c, reverse("branches:branch_detail", args=[branch_b.pk])) == 404
        assert status_of(c, reverse("branches:branch_create") + f"?organ={organ_b.pk}") == 404

    def test_member_sees_own_record_but_no_lists(self, client_for, member_user, roster, branch_a):
        c = client_for(member_user)
        me = Member.objects.get(user=member_user)
        assert status_of(c, reverse("branches:member_detail", args=[me.pk])) == 200
        assert status_of(c, reverse("branches:member_edit", args=[me.pk])) == 403
        assert status_of(c, reverse("branches:member_detail", args=[roster["a"].pk])) == 404
        for name in ("branch_list", "member_list", "tree", "warnings"):
            assert status_of(c, reverse(f"branches:{name}")) == 403
        assert status_of(c, reverse("branches:branch_detail", args=[branch_a.pk])) == 404

    def test_outsider_gets_a_friendly_home_and_no_data(self, client_for, outsider, roster):
        c = client_for(outsider)
        response = c.get(reverse("home"))
        assert "尚未分配角色" in response.content.decode()
        assert status_of(c, reverse("branches:branch_list")) == 403

    def test_lists_show_only_the_scope(self, client_for, organ_staff_a, roster):
        c = client_for(organ_staff_a)
        page = c.get(reverse("branches:member_list")).content.decode()
        assert "甲一" in page and "乙二" in page and "丙三" not in page
        page = c.get(reverse("branches:branch_list")).content.decode()
        assert "综合处党支部" in page and "预算处党支部" not in page
        page = c.get(reverse("branches:tree")).content.decode()
        assert "市发改委" in page and "市财政局" not in page

    def test_filter_choices_do_not_leak_other_organs(self, client_for, secretary_of_branch_a, roster):
        page = client_for(secretary_of_branch_a).get(reverse("branches:member_list")).content.decode()
        assert "预算处党支部" not in page
        assert "市财政局" not in page


class TestIdNumbers:
    def test_masked_for_organ_staff(self, client_for, organ_staff_a, roster):
        page = client_for(organ_staff_a).get(reverse("branches:member_detail", args=[roster["a"].pk])).content.decode()
        assert "320302198503120013" not in page
        assert "3203**********0013" in page

    def test_full_for_gongwei(self, client_for, gongwei_staff, roster):
        page = client_for(gongwei_staff).get(reverse("branches:member_detail", args=[roster["a"].pk])).content.decode()
        assert "320302198503120013" in page

    def test_edit_form_keeps_the_number_when_the_mask_is_submitted(self, client_for, organ_staff_a, roster):
        member = roster["a"]
        c = client_for(organ_staff_a)
        form_page = c.get(reverse("branches:member_edit", args=[member.pk])).content.decode()
        assert "320302198503120013" not in form_page
        data = {
            "name": member.name, "gender": "M", "ethnicity": "汉族", "birth_date": "1985-03-12",
            "id_number": "3203**********0013", "education": "", "organ": member.organ_id, "post": "科长",
            "phone": "", "branch": member.branch_id, "party_group": "", "status": "full",
            "joined_on": "2008-06-01", "confirmed_on": "2009-06-01",
        }  # fmt: skip
        response = c.post(reverse("branches:member_edit", args=[member.pk]), data)
        assert response.status_code == 302, response.content.decode()
        member.refresh_from_db()
        assert member.id_number == "320302198503120013"
        assert member.post == "科长"
