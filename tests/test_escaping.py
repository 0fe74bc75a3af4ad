"""Intruders in the data: names and titles holding HTML or spreadsheet formulas are shown as text.

A member called `<script>alert(1)</script>` in a branch whose name carries an `<img onerror>` must
never become markup on a page, and a name starting with `=` must never become a formula in an export.
"""

import io

import pytest
from django.urls import reverse
from django.utils.html import escape
from openpyxl import load_workbook

from assessments.choices import RunStatus
from assessments.scorecards import write_scorecards
from tests.assessments.factories import RatingResultFactory, RatingRunFactory
from tests.factories import BranchFactory, MemberFactory, OrganFactory, Role, UserFactory, grant
from tests.projects.factories import ProjectFactory, TargetFactory

pytestmark = pytest.mark.django_db

MEMBER = "<script>alert(1)</script>"
BRANCH = '综合处<img src=x onerror="alert(2)">支部'
PROJECT = "<b>项目</b><svg onload=alert(3)>"
ORGAN = "<i>市发改委</i>"
ORGAN_SHORT = "<u>发改</u>"

FORMULAS = ['=HYPERLINK("http://evil.example","点我")', "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(A1:A2)"]
FORMULA_START = ("=", "+", "-", "@")


@pytest.fixture
def world():
    organ = OrganFactory(name=ORGAN, short_name=ORGAN_SHORT)
    branch = BranchFactory(organ=organ, name=BRANCH)
    member = MemberFactory(branch=branch, name=MEMBER)
    project = ProjectFactory(branch=branch, title=PROJECT, responsible=member, submitted=True)
    TargetFactory(project=project)
    secretary = UserFactory(username="sec_x", full_name="书记")
    grant(secretary, Role.BRANCH, branch=branch)
    gongwei = UserFactory(username="gw_x", full_name="工委")
    grant(gongwei, Role.GONGWEI)
    return {"organ": organ, "branch": branch, "member": member, "project": project, "secretary": secretary,
            "gongwei": gongwei}  # fmt: skip


def assert_shown_as_text(html: str, raw: str, where: str):
    assert raw not in html, f"{where}: 原样输出了 HTML {raw!r}"
    for tag in ("<script>alert", "<img src=x", "<svg onload", "<b>项目", "<i>市发改委", "<u>发改"):
        assert tag not in html, f"{where}: {tag!r} 未转义"


@pytest.mark.parametrize(
    "who, url_name, arg, expected",
    [
        ("secretary", "branches:member_list", None, MEMBER),
        ("secretary", "branches:member_detail", "member", MEMBER),
        ("secretary", "branches:branch_detail", "branch", BRANCH),
        ("secretary", "projects:project_detail", "project", PROJECT),
        ("gongwei", "projects:project_list", None, PROJECT),
        ("gongwei", "portal:dashboard", None, ORGAN_SHORT),
        ("secretary", "home", None, BRANCH),
    ],
)
def test_html_in_names_is_shown_as_text(client_for, world, who, url_name, arg, expected):
    url = reverse(url_name, args=[world[arg].pk] if arg else [])
    response = client_for(world[who]).get(url)
    assert response.status_code == 200
    html = response.content.decode()
    assert_shown_as_text(html, expected, url)
    # The text is there, escaped: proof that the page really showed the intruder's name.
    assert escape(expected) in html, f"{url}: 未显示转义后的名称"


# --- exports: no formulas ------------------------------------------------------------------------


def cells(content: bytes) -> list[str]:
    wb = load_workbook(io.BytesIO(content))
    return [c.value for ws in wb.worksheets for row in ws.iter_rows() for c in row if isinstance(c.value, str)]


def assert_no_live_formula(values: list[str], expected: list[str], where: str):
    live = [v for v in values if v.startswith(FORMULA_START)]
    assert not live, f"{where}: 公式未中和 {live}"
    for formula in expected:
        assert "'" + formula in values, f"{where}: 未找到中和后的 {formula!r}"


@pytest.fixture
def formula_world(world):
    branch = world["branch"]
    branch.name = FORMULAS[0]
    branch.save()
    members = [MemberFactory(branch=branch, name=name) for name in FORMULAS]
    ProjectFactory(branch=branch, title=FORMULAS[1], responsible=members[0])
    return world


def test_roster_export_neutralises_formulas(client_for, formula_world):
    response = client_for(formula_world["secretary"]).get(reverse("branches:roster_export"))
    assert response.status_code == 200
    values = cells(response.content)
    assert MEMBER in values  # HTML is plain text in a cell
    assert_no_live_formula(values, FORMULAS, "党员名册导出")


def test_project_export_neutralises_formulas(client_for, formula_world):
    response = client_for(formula_world["gongwei"]).get(reverse("projects:project_export"))
    assert response.status_code == 200
    assert_no_live_formula(cells(response.content), [FORMULAS[0], FORMULAS[1]], "项目导出")


def test_scorecard_export_neutralises_formulas(formula_world):
    run = RatingRunFactory(status=RunStatus.PUBLISHED)
    RatingResultFactory(
        run=run, branch=formula_world["branch"], branch_name=FORMULAS[0], secretary_name=FORMULAS[3],
        organ_name=FORMULAS[2],
    )  # fmt: skip
    handle = io.BytesIO()
    write_scorecards(run, handle)
    assert_no_live_formula(cells(handle.getvalue()), [FORMULAS[0], FORMULAS[3]], "评分表导出")
