"""The main navigation is memoised per (page, role flags, year) (accounts.templatetags.navigation): the memo
must equal a fresh render with the real scope for every persona, which holds only while the template reads
nothing but NAV_FLAGS; otherwise one role's links would be served to another."""

import re

import pytest
from django.template.base import Lexer, TokenType
from django.template.loader import get_template, render_to_string
from django.test import Client
from django.urls import reverse

from accounts.scope import scope_of
from accounts.templatetags import navigation
from accounts.templatetags.navigation import TEMPLATE, _render, nav_key
from tests.factories import MemberFactory, Role, UserFactory, grant

pytestmark = pytest.mark.django_db

YEAR = 2026
ACTIVE_LINK = re.compile(r'class="nav-link[^"]*\bactive\b[^"]*"[^>]*>([^<]+)<')
TOP_LEVEL_LINK = '<li class="nav-item"><a class="nav-link{active}" href="{href}">{text}</a></li>'


def template_source() -> str:
    return get_template(TEMPLATE).template.source


def names_read(source: str) -> set[str]:
    """Every dotted name the template's variables, `if`s and `url` arguments read."""
    names = set()
    for token in Lexer(source).tokenize():
        if token.token_type == TokenType.VAR:
            bits = [token.contents.split("|")[0]]
        elif token.token_type == TokenType.BLOCK and token.split_contents()[0] in ("if", "elif"):
            bits = token.split_contents()[1:]
        elif token.token_type == TokenType.BLOCK and token.split_contents()[0] == "url":
            bits = token.split_contents()[2:]
        else:
            continue
        for bit in bits:
            bit = bit.strip()
            if bit and bit[0] not in "'\"" and bit not in ("and", "or", "not", "in", "==", "!=") and not bit.isdigit():
                names.add(bit)
    return names


def test_the_template_reads_the_scope_only_through_nav_flags():
    source = template_source()
    read = set(re.findall(r"\bscope\.(\w+)", source))
    assert read, "the pattern no longer finds the scope in the template"
    flags = set(navigation.NAV_FLAGS)
    assert read <= flags, f"add {sorted(read - flags)} to NAV_FLAGS"
    # Nor anything outside the key: nav_key holds the page, the scope's flags and the year only.
    assert {name.split(".")[0] for name in names_read(source)} <= {"nav", "scope", "now_year"}


@pytest.fixture
def personas(gongwei_staff, organ_staff_a, secretary_of_branch_a, member_user, outsider, branch_a) -> dict:
    leader = UserFactory(full_name="班子成员")
    MemberFactory(branch=branch_a, user=leader, is_leader=True)
    committee_member = UserFactory(full_name="支委兼党员")
    MemberFactory(branch=branch_a, user=committee_member)
    grant(committee_member, Role.BRANCH, branch=branch_a)
    users = {
        "gongwei": gongwei_staff, "organ": organ_staff_a, "secretary": secretary_of_branch_a, "member": member_user,
        "leader": leader, "committee_member": committee_member, "outsider": outsider,
    }  # fmt: skip
    return {name: scope_of(user) for name, user in users.items()}


NAVS = [None, "home", "projects", "topics", "dashboard", "review", "my_tasks", "my_reports", "points", "me", "tree"]
NAVS += ["ratings"]


def test_the_memo_equals_a_fresh_render_with_the_real_scope(personas):
    _render.cache_clear()
    # Twice round, personas interleaved: the second round reads the memo filled by the first.
    for _ in range(2):
        for name, scope in personas.items():
            for nav in NAVS:
                context = {"nav": nav, "scope": scope, "now_year": YEAR}
                key = nav_key(context)
                assert _render(key) == _render.__wrapped__(key) == render_to_string(TEMPLATE, context), (name, nav)
    info = _render.cache_info()
    assert info.hits == info.misses > 0
    # Personas of different roles never share a key (the member and the leader differ by one flag).
    assert len({nav_key({"scope": scope})[1] for scope in personas.values()}) == len(personas)


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
]


@pytest.mark.parametrize(("persona", "nav", "label"), ACTIVE, ids=[f"{p}-{n}" for p, n, _ in ACTIVE])
def test_the_active_link_follows_the_page(personas, persona, nav, label):
    scope = personas[persona]
    html = _render(nav_key({"nav": nav, "scope": scope, "now_year": YEAR}))
    assert [text.strip() for text in ACTIVE_LINK.findall(html)] == [label]
    assert ACTIVE_LINK.findall(_render(nav_key({"nav": "elsewhere", "scope": scope, "now_year": YEAR}))) == []


def test_each_role_gets_its_own_nav_on_a_real_page_one_after_the_other(settings, gongwei_staff, member_user):
    settings.DEBUG = False  # the memo is skipped while DEBUG is on
    points = TOP_LEVEL_LINK.format(active="", href=reverse("assessments:points_mine"), text="我的积分")
    dashboard = TOP_LEVEL_LINK.format(active="", href=reverse("dashboards:home"), text="统计")
    home = TOP_LEVEL_LINK.format(active=" active", href=reverse("home"), text="首页")
    projects = TOP_LEVEL_LINK.format(active=" active", href=reverse("projects:project_list"), text="支部项目")

    for round_ in range(2):  # the second round is served from the memo
        hits = _render.cache_info().hits
        for user, shows, hides in ((member_user, points, dashboard), (gongwei_staff, dashboard, points)):
            client = Client()
            client.force_login(user)
            page = client.get(reverse("home")).content.decode()
            assert shows in page and hides not in page and home in page, user
            page = client.get(reverse("projects:project_list")).content.decode()
            assert shows in page and hides not in page and projects in page, user
        assert (_render.cache_info().hits - hits == 4) == (round_ == 1)
