"""A 工委 who may file for hundreds of branches types a branch's name and picks it, in a real browser."""

import datetime

import pytest
from django.utils import timezone

from core.search import LIST_LIMIT
from projects.models import Project
from tests.bulk import many_branches, many_members
from tests.e2e.browser import browser_module, login, screenshot
from tests.e2e.test_phone_width import PHONE, assert_fits

pytestmark = [*browser_module, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def crowded_city(organ_a, branch_a):
    branches = many_branches(organ_a, LIST_LIMIT)
    many_members([*branches, branch_a])
    return branches


def test_gongwei_types_a_branch_picks_it_and_its_committee_follows(new_page, gongwei_staff, branch_a, crowded_city):
    today = timezone.localdate()
    page = new_page()
    login(page, gongwei_staff)
    page.goto("/projects/new/")
    # Given the branch field as a search box: typing lists the matches under it
    page.fill("#id_branch", "综合处")
    page.wait_for_selector("#id_branch_choice option:has-text('找到 1 个支部')", state="attached")
    screenshot(page, "search-select-typed")
    # Enter in the box submits nothing
    url = page.url
    page.press("#id_branch", "Enter")
    page.wait_for_timeout(300)
    assert page.url == url and not Project.objects.exists()
    # When they go down into the list and pick the branch with the keyboard
    page.press("#id_branch", "ArrowDown")
    page.keyboard.press("Enter")
    assert page.eval_on_selector("#id_branch_choice", "s => s.value") == str(branch_a.pk)
    # Then the 负责支委 list holds that branch's members, without typing
    member = branch_a.members.get()
    page.wait_for_selector(f"#id_responsible_choice option[value='{member.pk}']", state="attached")
    page.select_option("#id_responsible_choice", str(member.pk))
    # And the project is saved for the branch and member picked
    page.select_option("select[name=year]", str(today.year))
    page.fill("input[name=title]", "“一网通办”提速项目")
    page.select_option("select[name=direction]", index=1)
    page.fill("textarea[name=problem]", "群众办事跑腿多。")
    page.fill("textarea[name=goals]", "办结时限压缩三成。")
    page.fill("input[name=start_on]", today.isoformat())
    page.fill("input[name=end_on]", (today + datetime.timedelta(days=60)).isoformat())
    page.fill("input[name='targets-0-name']", "办结时限压缩")
    page.fill("input[name='targets-0-target_value']", "30")
    page.fill("input[name='milestones-0-title']", "调研摸底")
    page.fill("input[name='milestones-0-planned_on']", today.isoformat())
    page.click("button:has-text('保存草稿')")
    page.wait_for_url("**/projects/*/")
    project = Project.objects.get()
    assert (project.branch, project.responsible) == (branch_a, member)


def test_the_search_fits_a_phone(new_page, gongwei_staff, crowded_city):
    page = new_page(width=PHONE, height=800)
    login(page, gongwei_staff)
    assert_fits(page, "/projects/new/")
    page.fill("#id_branch", "调研")
    page.wait_for_selector("#id_branch_choice[size]")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE
    assert_fits(page, "/org/members/")
    page.fill("#id_branch", "调研")
    page.wait_for_selector("#id_branch_choice option:has-text('只列出前 20 个支部')", state="attached")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE
