"""The main menu: every duty of every role a person holds, written as data.

A role is a question asked of the account's scope (`ROLES`); each entry names the roles that see it (any
of them) and, where another entry serves those roles instead, the roles it is hidden from (`unless`).
A new role is one line in `ROLES` and its entries below: the template only draws what `menu_for` returns.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass

from django.urls import get_script_prefix, get_urlconf, reverse

from accounts.scope import Scope

ROLES: dict[str, Callable[[Scope], bool]] = {
    "signed_in": lambda s: True,
    "gongwei": lambda s: s.is_gongwei,
    "organ": lambda s: s.is_organ_staff,
    "committee": lambda s: s.is_branch_committee,  # 支部书记、支委
    "member": lambda s: s.member_id is not None,
    "leader": lambda s: s.is_leader,  # 班子成员, who owe 一岗双责 reports
    "expert": lambda s: s.is_expert,  # 评审专家, who see only the projects they are seated on
}
STAFF = ("gongwei", "organ")
OVERSEERS = (*STAFF, "committee")  # those who see branches and rosters


@dataclass(frozen=True)
class Link:
    label: str
    url_name: str
    roles: tuple[str, ...]
    nav: str = ""  # a top-level link is marked active on the pages that set this `nav`
    unless: tuple[str, ...] = ()
    args: Callable[[Scope, int], tuple] | None = None  # the page's arguments from the scope and this year


def this_year(scope: Scope, year: int) -> tuple:
    return (year,)


def own_record(scope: Scope, year: int) -> tuple:
    return (scope.member_id,)


@dataclass(frozen=True)
class Dropdown:
    label: str
    roles: tuple[str, ...]
    navs: tuple[str, ...]  # the pages that mark it active
    sections: tuple[tuple[str, tuple[Link, ...]], ...]  # (heading, links); a divider between sections


MENU: tuple[Link | Dropdown, ...] = (
    Link("首页", "home", ("signed_in",), nav="home"),
    Link("支部项目", "projects:project_list", (*OVERSEERS, "member"), nav="projects"),
    Link("党委出题", "projects:topic_list_index", OVERSEERS, nav="topics"),
    Link("统计", "portal:dashboard", STAFF, nav="dashboard"),
    Link("待我审核", "projects:review_queue", STAFF, nav="review"),
    Link("待评审项目", "projects:expert_queue", ("expert",), nav="expert_queue"),
    Link("我的任务", "projects:my_tasks", ("member",), nav="my_tasks"),
    Link("一岗双责", "assessments:my_reports", ("leader",), nav="my_reports"),
    Dropdown(
        "组织生活与党员",
        OVERSEERS,
        ("tree", "branches", "members", "warnings", "accounts", "orglife", "duty_reports", "ledger"),
        (
            (
                "",
                (
                    Link("组织架构", "branches:tree", OVERSEERS),
                    Link("党支部", "branches:branch_list", OVERSEERS),
                    Link("党员名册", "branches:member_list", OVERSEERS),
                    Link("组织设置预警", "branches:warnings", OVERSEERS),
                ),
            ),
            (
                "",
                (
                    Link("会议记录（三会一课）", "branches:meeting_list", OVERSEERS),
                    Link("组织生活完成情况", "branches:completion", OVERSEERS),
                    Link("党员学时", "branches:training_list", OVERSEERS),
                    Link("组织生活要求", "branches:requirement_list", ("gongwei",)),
                ),
            ),
            (
                "",
                (
                    Link("一岗双责报告", "assessments:report_overview", OVERSEERS),
                    Link("问题整改台账", "assessments:problem_list", OVERSEERS),
                    Link("账号管理", "branches:user_list", STAFF),
                ),
            ),
        ),
    ),
    Dropdown(
        "年度考核",
        OVERSEERS,
        ("ratings", "assessment", "member_assessments", "scorecards"),
        (
            (
                "",
                (
                    Link("星级评定", "assessments:run_list", STAFF),
                    Link("考核评分", "assessments:scoring_grid", STAFF),
                    Link("加减分", "assessments:adjustment_list", STAFF),
                    Link("考核方案", "assessments:scheme_list", STAFF),
                ),
            ),
            (
                "",
                (
                    Link("民主评议党员", "assessments:appraisal_list", STAFF),
                    Link("书记述职评议", "assessments:secretary_report_list", STAFF),
                    Link("党员积分", "assessments:points_list", STAFF),
                    Link("党员积分规则", "assessments:point_rules", STAFF, args=this_year),
                ),
            ),
            (
                "本支部",
                (
                    Link("民主评议党员", "assessments:own_appraisal", ("committee",)),
                    Link("党员积分", "assessments:own_points", ("committee",)),
                    Link("书记述职", "assessments:own_secretary_report", ("committee",)),
                    Link("支部自评", "assessments:self_score_home", ("committee",)),
                ),
            ),
            ("", (Link("我的积分", "assessments:points_mine", ("member",)),)),
        ),
    ),
    # A member without a post has no 年度考核 menu: their own pages stand on the bar.
    Link("我的积分", "assessments:points_mine", ("member",), nav="points", unless=OVERSEERS),
    Link("我的档案", "branches:member_detail", ("member",), nav="me", unless=OVERSEERS, args=own_record),
)


def _holds(scope: Scope, roles: tuple[str, ...]) -> bool:
    return any(ROLES[role](scope) for role in roles)


def _shown(link: Link, scope: Scope) -> bool:
    return _holds(scope, link.roles) and not _holds(scope, link.unless)


@functools.lru_cache(maxsize=256)
def _reverse(name: str, args: tuple, urlconf: str | None, prefix: str) -> str:
    return reverse(name, args=args, urlconf=urlconf)


def _url(link: Link, scope: Scope, year: int) -> str:
    args = link.args(scope, year) if link.args else ()
    return _reverse(link.url_name, args, get_urlconf(), get_script_prefix())


def menu_for(scope: Scope | None, nav: str, year: int) -> list[dict]:
    """What the bar shows `scope` on a page of `nav`: links and dropdowns (with their sections), in order."""
    if scope is None:
        return []
    items = []
    for entry in MENU:
        if isinstance(entry, Link):
            if _shown(entry, scope):
                items.append(
                    {"label": entry.label, "url": _url(entry, scope, year), "active": bool(nav) and nav == entry.nav}
                )
            continue
        if not _holds(scope, entry.roles):
            continue
        sections = []
        for heading, links in entry.sections:
            shown = [{"label": link.label, "url": _url(link, scope, year)} for link in links if _shown(link, scope)]
            if shown:
                sections.append({"heading": heading, "links": shown})
        if sections:
            items.append({"label": entry.label, "sections": sections, "active": nav in entry.navs})
    return items
