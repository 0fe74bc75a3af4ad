"""The main navigation shows each role its own entries and marks the page the user is on."""

import re

import pytest
from django.template.loader import render_to_string
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.scope import scope_of
from tests.factories import BranchFactory, MemberFactory, Role, UserFactory, grant

pytestmark = pytest.mark.django_db

YEAR = 2026
ACTIVE_LINK = re.compile(r'class="nav-link[^"]*\bactive\b[^"]*"[^>]*>([^<]+)<')
TOP_LEVEL_LINK = '<li class="nav-item"><a class="nav-link{active}" href="{href}">{text}</a></li>'


@pytest.fixture
def persona_users(
    gongwei_staff, organ_staff_a, secretary_of_branch_a, member_user, outsider, branch_a, expert_reviewer
) -> dict:
    leader = UserFactory(full_name="班子成员")
    MemberFactory(branch=branch_a, user=leader, is_leader=True)
    committee_member = UserFactory(full_name="支委兼党员")
    MemberFactory(branch=branch_a, user=committee_member)
    grant(committee_member, Role.BRANCH, branch=branch_a)
    return {
        "gongwei": gongwei_staff, "organ": organ_staff_a, "secretary": secretary_of_branch_a, "member": member_user,
        "leader": leader, "committee_member": committee_member, "outsider": outsider, "expert": expert_reviewer,
    }  # fmt: skip


@pytest.fixture
def personas(persona_users) -> dict:
    return {name: scope_of(user) for name, user in persona_users.items()}


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


# --- every duty of every role the person holds, and nothing they cannot open -------------------------

LINK = re.compile(r'<a class="(?:nav-link|dropdown-item)[^"]*" href="([^"#]+)">([^<]+)</a>')
HEADING = '<h6 class="dropdown-header">本支部</h6>'


def menu_links(scope) -> list[tuple[str, str]]:
    """(label, address) of every link the bar shows, in order."""
    return [(label, href) for href, label in LINK.findall(nav_html("home", scope))]


def labels(scope) -> list[str]:
    return [label for label, _ in menu_links(scope)]


BRANCH_DUTIES = ["民主评议党员", "党员积分", "书记述职", "支部自评"]


def test_a_secretary_finds_every_duty_of_the_branch_in_the_menu(personas):
    html = nav_html("home", personas["secretary"])
    own = html[html.index(HEADING) :]
    assert [label for _, label in LINK.findall(own)] == BRANCH_DUTIES
    links = dict(menu_links(personas["secretary"]))
    assert links["书记述职"] == reverse("assessments:own_secretary_report")
    assert links["党员积分"] == reverse("assessments:own_points")
    assert links["民主评议党员"] == reverse("assessments:own_appraisal")
    # The staff's overviews are not theirs.
    assert "书记述职评议" not in labels(personas["secretary"]) and "星级评定" not in labels(personas["secretary"])


EXPECTED = {
    "gongwei": [
        "首页", "支部项目", "党委出题", "统计", "待我审核",
        "组织架构", "党支部", "党员名册", "组织设置预警", "会议记录（三会一课）", "组织生活完成情况", "党员学时",
        "组织生活要求", "一岗双责报告", "问题整改台账", "账号管理",
        "星级评定", "考核评分", "加减分", "考核方案", "民主评议党员", "书记述职评议", "党员积分", "党员积分规则",
    ],
    "organ": [
        "首页", "支部项目", "党委出题", "统计", "待我审核",
        "组织架构", "党支部", "党员名册", "组织设置预警", "会议记录（三会一课）", "组织生活完成情况", "党员学时",
        "一岗双责报告", "问题整改台账", "账号管理",
        "星级评定", "考核评分", "加减分", "考核方案", "民主评议党员", "书记述职评议", "党员积分", "党员积分规则",
    ],
    "secretary": [
        "首页", "支部项目", "党委出题",
        "组织架构", "党支部", "党员名册", "组织设置预警", "会议记录（三会一课）", "组织生活完成情况", "党员学时",
        "一岗双责报告", "问题整改台账", *BRANCH_DUTIES,
    ],
    "committee_member": [
        "首页", "支部项目", "党委出题", "我的任务",
        "组织架构", "党支部", "党员名册", "组织设置预警", "会议记录（三会一课）", "组织生活完成情况", "党员学时",
        "一岗双责报告", "问题整改台账", *BRANCH_DUTIES, "我的积分",
    ],
    "member": ["首页", "支部项目", "我的任务", "我的积分", "我的档案"],
    "leader": ["首页", "支部项目", "我的任务", "一岗双责", "我的积分", "我的档案"],
    "outsider": ["首页"],
    "expert": ["首页", "待评审项目"],
}  # fmt: skip


@pytest.mark.parametrize("persona", EXPECTED)
def test_each_role_sees_each_of_its_duties_once(personas, persona):
    assert labels(personas[persona]) == EXPECTED[persona]


def test_a_person_with_several_roles_sees_the_duties_of_each(organ_staff_a, branch_a, member_user):
    grant(organ_staff_a, Role.BRANCH, branch=branch_a)
    scope = scope_of(organ_staff_a)
    shown = labels(scope)
    for duty in ("书记述职评议", "党员积分规则", "统计", *BRANCH_DUTIES):
        assert duty in shown
    # 民主评议 and 党员积分 twice: the organ's overview and the own branch's page, under its heading.
    assert shown.count("民主评议党员") == 2 and shown.count("党员积分") == 2
    assert HEADING in nav_html("home", scope)


@pytest.mark.parametrize("persona", EXPECTED)
def test_every_menu_link_opens_for_the_person_it_is_shown_to(persona_users, persona):
    client = Client()
    client.force_login(persona_users[persona])
    page = client.get(reverse("home")).content.decode()
    bar = page[page.index('<ul class="navbar-nav me-auto">') : page.index('<ul class="navbar-nav">')]
    shown = [(label, href) for href, label in LINK.findall(bar)]
    assert [label for label, _ in shown] == EXPECTED[persona]
    for label, href in shown:
        assert client.get(href, follow=True).status_code == 200, (persona, label, href)


# --- where the secretary's entries lead ------------------------------------------------------------

OWN = [
    ("assessments:own_appraisal", "assessments:appraisal_detail"),
    ("assessments:own_points", "assessments:points_branch"),
    ("assessments:own_secretary_report", "assessments:secretary_report"),
]


@pytest.mark.parametrize(("entry", "page"), OWN)
def test_a_secretary_goes_straight_to_this_years_page_of_the_branch(
    client_for, secretary_of_branch_a, branch_a, entry, page
):
    response = client_for(secretary_of_branch_a).get(reverse(entry))
    assert response.status_code == 302
    assert response["Location"] == reverse(page, args=[branch_a.pk, timezone.localdate().year])


@pytest.mark.parametrize(("entry", "page"), OWN)
def test_a_member_of_two_committees_chooses_the_branch(
    client_for, secretary_of_branch_a, branch_a, branch_b, entry, page
):
    grant(secretary_of_branch_a, Role.BRANCH, branch=branch_b)
    dissolved = BranchFactory(
        organ=branch_a.organ, name="已撤销党支部", dissolved_on="2024-03-01", founded_on="2020-01-01"
    )
    grant(secretary_of_branch_a, Role.BRANCH, branch=dissolved)
    year = timezone.localdate().year
    response = client_for(secretary_of_branch_a).get(reverse(entry))
    assert response.status_code == 200
    text = response.content.decode()
    for branch in (branch_a, branch_b):
        assert f'href="{reverse(page, args=[branch.pk, year])}"' in text
    assert dissolved.name not in text


@pytest.mark.parametrize("persona", ["member_user", "organ_staff_a", "gongwei_staff", "outsider"])
def test_the_own_branch_entries_are_for_committee_members_only(client_for, request, persona):
    client = client_for(request.getfixturevalue(persona))
    for entry, _ in OWN:
        assert client.get(reverse(entry)).status_code == 403
