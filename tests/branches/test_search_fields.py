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
