"""Parts of a page that load when the user asks for them, in a real browser: the 组织架构 of many organs
and the 党小组 of the branch chosen in the member form."""

import pytest

from core.search import LIST_LIMIT
from tests.bulk import many_branches
from tests.e2e.browser import browser_module, login, screenshot
from tests.factories import BranchFactory, MemberFactory, OrganFactory, PartyGroupFactory

pytestmark = [*browser_module, pytest.mark.django_db(transaction=True)]


def test_gongwei_opens_an_organ_in_the_tree_and_its_branches_appear(new_page, gongwei_staff):
    organs = [OrganFactory(name=f"市第{i}局", short_name=f"第{i}局") for i in range(5)]
    branch = BranchFactory(organ=organs[2], name="办公室党支部")
    PartyGroupFactory(branch=branch, name="办公室第一党小组")
    MemberFactory.create_batch(3, branch=branch)
    page = new_page()
    login(page, gongwei_staff)
    page.goto("/org/tree/")
    assert not page.is_visible("text=办公室党支部")
    page.click(f"summary:has-text('{organs[2].committee_name}')")
    page.wait_for_selector("text=办公室党支部")
    assert page.is_visible("text=办公室第一党小组")
    screenshot(page, "tree-organ-opened")


def test_choosing_a_branch_in_the_member_form_offers_its_party_groups(new_page, gongwei_staff, organ_a, branch_a):
    many_branches(organ_a, LIST_LIMIT)
    group = PartyGroupFactory(branch=branch_a, name="综合第一党小组")
    page = new_page()
    login(page, gongwei_staff)
    page.goto("/org/members/new/")
    assert page.eval_on_selector("select[name=party_group]", "s => s.options[0].text") == "请先选择支部"
    page.fill("#id_branch", "综合处")
    page.wait_for_selector("#id_branch_choice option:has-text('找到 1 个支部')", state="attached")
    page.select_option("#id_branch_choice", str(branch_a.pk))
    page.wait_for_selector(f"select[name=party_group] option[value='{group.pk}']", state="attached")
    page.select_option("select[name=party_group]", str(group.pk))
    screenshot(page, "member-form-groups")
