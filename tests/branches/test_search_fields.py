"""Forms and filter bars that would offer hundreds of branches or members search instead; small ones list.

One rule for every such field (core.search): up to LIST_LIMIT choices render as a plain select, past that
as a search box and a select holding only the current choice. The submitted pk is checked against the
same scoped queryset either way.
"""

import re

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from core.search import LIST_LIMIT
from tests.bulk import many_branches, many_members
from tests.factories import MemberFactory

pytestmark = pytest.mark.django_db

SEARCH_BOX = re.compile(r'<input[^>]*data-hx-get="([^"]+)"')


def options(html: str) -> list[str]:
    return re.findall(r'<option value="(\d+)"', html)


def test_a_field_lists_up_to_the_limit_and_searches_past_it(client_for, gongwei_staff, organ_a):
    client = client_for(gongwei_staff)
    branches = many_branches(organ_a, LIST_LIMIT)
    page = client.get(reverse("branches:meeting_create")).content.decode()
    assert not SEARCH_BOX.search(page)
    assert len(options(page)) == LIST_LIMIT
    many_branches(organ_a, 1, prefix="再设")
    page = client.get(reverse("branches:meeting_create")).content.decode()
    assert SEARCH_BOX.findall(page) == [f"{reverse('branches:branch_search')}?purpose=writable"]
    assert options(page) == [] and branches[0].name not in page


def test_the_meeting_branch_search_leads_to_the_chosen_branch(client_for, gongwei_staff, organ_a):
    branch = many_branches(organ_a, LIST_LIMIT + 1)[7]
    client = client_for(gongwei_staff)
    page = client.get(reverse("branches:meeting_create")).content.decode()
    # The search box belongs to the page's empty dialog form: it is never sent with the real one
    assert 'form="pb-search-box"' in page and '<form id="pb-search-box" method="dialog" hidden></form>' in page
    response = client.get(reverse("branches:meeting_create"), {"branch": branch.pk})
    assert response.status_code == 200 and branch.name in response.content.decode()


def test_the_roster_filter_searches_for_the_branch_and_shows_the_chosen_one(
    client_for, gongwei_staff, organ_a, branch_a, branch_b
):
    many_branches(organ_a, LIST_LIMIT)
    MemberFactory(branch=branch_a, name="综合甲")
    MemberFactory(branch=branch_b, name="预算乙")
    client = client_for(gongwei_staff)
    page = client.get(reverse("branches:member_list")).content.decode()
    assert f"{reverse('branches:branch_search')}?purpose=visible" in page
    # The branch search follows the organ filter
    assert 'data-hx-include="select[name=organ]"' in page
    page = client.get(reverse("branches:member_list"), {"branch": branch_b.pk}).content.decode()
    assert "预算乙" in page and "综合甲" not in page
    assert f'<option value="{branch_b.pk}" selected>市财政局 · 预算处党支部</option>' in page


def test_a_branch_outside_the_scope_filters_nothing_in(client_for, organ_staff_a, organ_a, branch_a, branch_b):
    many_branches(organ_a, LIST_LIMIT)
    MemberFactory(branch=branch_b, name="预算乙")
    page = client_for(organ_staff_a).get(reverse("branches:member_list"), {"branch": branch_b.pk}).content.decode()
    assert "预算乙" not in page and "预算处党支部" not in page


def test_organ_staff_search_for_the_member_to_link_and_cannot_link_a_stranger(
    client_for, organ_staff_a, branch_a, branch_b
):
    # Given an organ with more members without an account than a select lists
    many_members(branch_a, LIST_LIMIT)
    mine = MemberFactory(branch=branch_a, name="周敏")
    stranger = MemberFactory(branch=branch_b, name="钱多")
    client = client_for(organ_staff_a)
    page = client.get(reverse("branches:user_create")).content.decode()
    assert SEARCH_BOX.findall(page) == [f"{reverse('branches:member_search')}?purpose=unlinked"]
    assert 'placeholder="输入姓名、拼音或电话搜索"' in page and options(page) == []
    # When they post another organ's member by hand, it is refused and no account is made
    response = client.post(
        reverse("branches:user_create"), {"username": "qianduo", "full_name": "钱多", "member": stranger.pk}
    )
    assert response.context["form"].errors["member"] == ["所选党员不存在或不在您的办理范围内，请重新选择。"]
    assert not get_user_model().objects.filter(username="qianduo").exists()
    # And their own member is linked
    response = client.post(
        reverse("branches:user_create"), {"username": "zhoumin", "full_name": "周敏", "member": mine.pk}
    )
    mine.refresh_from_db()
    assert mine.user.username == "zhoumin"


def test_opening_an_account_from_a_members_page_shows_that_member(client_for, organ_staff_a, branch_a):
    many_members(branch_a, LIST_LIMIT)
    member = MemberFactory(branch=branch_a, name="周敏")
    page = client_for(organ_staff_a).get(reverse("branches:user_create"), {"member": member.pk}).content.decode()
    assert f'<option value="{member.pk}" selected>周敏（市发改委 · 综合处党支部）</option>' in page


def test_a_secretarys_forms_keep_plain_selects(client_for, secretary_of_branch_a, organ_a, branch_a):
    many_branches(organ_a, LIST_LIMIT + 1)
    page = client_for(secretary_of_branch_a).get(reverse("branches:member_list")).content.decode()
    assert not SEARCH_BOX.search(page)
    assert f'<option value="{branch_a.pk}">市发改委 · 综合处党支部</option>' in page


def test_the_member_form_searches_for_the_branch_and_offers_that_branch_s_groups(
    client_for, gongwei_staff, organ_a, branch_a, branch_b
):
    from tests.factories import PartyGroupFactory

    many_branches(organ_a, LIST_LIMIT)
    mine = PartyGroupFactory(branch=branch_a, name="第一党小组")
    PartyGroupFactory(branch=branch_b, name="别家党小组")
    client = client_for(gongwei_staff)
    page = client.get(reverse("branches:member_create")).content.decode()
    assert f"{reverse('branches:branch_search')}?purpose=writable" in page
    # No branch chosen: no group is offered, and choosing one fetches its groups
    assert "第一党小组" not in page and "请先选择支部" in page
    assert f'data-hx-get="{reverse("branches:group_options")}"' in page
    page = client.get(reverse("branches:member_create"), {"branch": branch_a.pk}).content.decode()
    assert "第一党小组" in page and "别家党小组" not in page
    answer = client.get(reverse("branches:group_options"), {"branch": branch_a.pk}).content.decode()
    assert options(answer) == [str(mine.pk)] and "（不编入党小组）" in answer


def test_group_options_never_show_a_branch_the_user_may_not_write(client_for, secretary_of_branch_a, branch_b):
    from tests.factories import PartyGroupFactory

    PartyGroupFactory(branch=branch_b, name="别家党小组")
    answer = client_for(secretary_of_branch_a).get(reverse("branches:group_options"), {"branch": branch_b.pk})
    assert answer.status_code == 200
    assert "别家党小组" not in answer.content.decode() and options(answer.content.decode()) == []


def test_a_member_cannot_be_put_in_another_branch_s_group(client_for, gongwei_staff, branch_a, branch_b):
    from tests.factories import PartyGroupFactory

    other = PartyGroupFactory(branch=branch_b)
    response = client_for(gongwei_staff).post(
        reverse("branches:member_create"),
        {
            "name": "新党员",
            "gender": "男",
            "branch": branch_a.pk,
            "party_group": other.pk,
            "status": "full",
            "joined_on": "2010-07-01",
            "organ": branch_a.organ_id,
        },
    )
    assert response.status_code == 200
    assert "所选党小组不属于该支部" in response.content.decode()
