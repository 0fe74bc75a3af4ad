"""The main navigation shows each role its own entries and marks the page the user is on."""

import re

import pytest
from django.template.loader import render_to_string
from django.test import Client
from django.urls import reverse

from accounts.scope import scope_of
from tests.factories import MemberFactory, Role, UserFactory, grant

pytestmark = pytest.mark.django_db

YEAR = 2026
ACTIVE_LINK = re.compile(r'class="nav-link[^"]*\bactive\b[^"]*"[^>]*>([^<]+)<')
TOP_LEVEL_LINK = '<li class="nav-item"><a class="nav-link{active}" href="{href}">{text}</a></li>'


@pytest.fixture
def personas(
    gongwei_staff, organ_staff_a, secretary_of_branch_a, member_user, outsider, branch_a, expert_reviewer
) -> dict:
    leader = UserFactory(full_name="班子成员")
    MemberFactory(branch=branch_a, user=leader, is_leader=True)
    committee_member = UserFactory(full_name="支委兼党员")
    MemberFactory(branch=branch_a, user=committee_member)
    grant(committee_member, Role.BRANCH, branch=branch_a)
    users = {
        "gongwei": gongwei_staff, "organ": organ_staff_a, "secretary": secretary_of_branch_a, "member": member_user,
        "leader": leader, "committee_member": committee_member, "outsider": outsider, "expert": expert_reviewer,
    }  # fmt: skip
    return {name: scope_of(user) for name, user in users.items()}


NAVS = [None, "home", "projects", "topics", "dashboard", "review", "my_tasks", "my_reports", "points", "me", "tree"]
NAVS += ["ratings", "expert_queue"]


def nav_html(nav, scope) -> str:
    return render_to_string("_main_nav.html", {"nav": nav, "scope": scope, "now_year": YEAR})


ACTIVE = [
    ("gongwei", "home", "首页"),
    ("gongwei", "projects", "支部项目"),
    ("gongwei", "topics", "党委出题"),
    ("gongwei", "dashboard", "统计"),
    ("gongwei", "review", "待我审核"),
    ("gongwei", "tree", "组织生活与党员"),
    ("gongwei", "ratings", "年度考核"),
    ("member", "my_tasks", "我的任务"),
    ("member", "points", "我的积分"),
    ("member", "me", "我的档案"),
    ("leader", "my_reports", "一岗双责"),
    ("expert", "expert_queue", "待评审项目"),
]


@pytest.mark.parametrize(("persona", "nav", "label"), ACTIVE, ids=[f"{p}-{n}" for p, n, _ in ACTIVE])
def test_the_active_link_follows_the_page(personas, persona, nav, label):
    scope = personas[persona]
    html = nav_html(nav, scope)
    assert [text.strip() for text in ACTIVE_LINK.findall(html)] == [label]
    assert ACTIVE_LINK.findall(nav_html("elsewhere", scope)) == []


def test_each_role_gets_its_own_nav_on_a_real_page_one_after_the_other(gongwei_staff, member_user):
    points = TOP_LEVEL_LINK.format(active="", href=reverse("assessments:points_mine"), text="我的积分")
    dashboard = TOP_LEVEL_LINK.format(active="", href=reverse("portal:dashboard"), text="统计")
    home = TOP_LEVEL_LINK.format(active=" active", href=reverse("home"), text="首页")
    projects = TOP_LEVEL_LINK.format(active=" active", href=reverse("projects:project_list"), text="支部项目")

    for _ in range(2):  # one role after the other, twice: no role's links reach another
        for user, shows, hides in ((member_user, points, dashboard), (gongwei_staff, dashboard, points)):
            client = Client()
            client.force_login(user)
            page = client.get(reverse("home")).content.decode()
            assert shows in page and hides not in page and home in page, user
            page = client.get(reverse("projects:project_list")).content.decode()
            assert shows in page and hides not in page and projects in page, user


NAV_LINK = re.compile(r'class="(?:nav-link|dropdown-item)[^"]*"[^>]*>([^<]+)<')


def test_an_expert_has_its_duty_and_nothing_else(personas):
    assert [text.strip() for text in NAV_LINK.findall(nav_html("home", personas["expert"]))] == ["首页", "待评审项目"]
    assert "待评审项目" not in nav_html("home", personas["gongwei"])
