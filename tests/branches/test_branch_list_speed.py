"""The branch list writes its rows and filter selects by hand for speed; the page must read as before."""

import re

import pytest
from django import forms
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from branches.choices import BranchKind, CommitteePost, MemberStatus
from branches.models import Branch
from branches.rules import WARNING_KINDS
from core.filters import QuickSelect
from tests.factories import BranchFactory, CommitteeMemberFactory, CommitteeTermFactory, MemberFactory

pytestmark = pytest.mark.django_db

URL = reverse("branches:branch_list")


def squeeze(html: str) -> str:
    """Markup without the whitespace that carries no meaning."""
    return re.sub(r"<(\w+) >", r"<\1>", re.sub(r">\s+<", "><", re.sub(r"\s+", " ", html)))


def rows_of(page: str) -> list[str]:
    body = re.search(r"<tbody[^>]*>(.*)</tbody>", page, re.S)
    return re.findall(r"<tr[^>]*>.*?</tr>", squeeze(body.group(1))) if body else []


def cells(row: str) -> list[str]:
    return re.findall(r"<td[^>]*>.*?</td>", row)


def healthy_branch(organ, name):
    """Four full members, a secretary: no warning under any year's default rules."""
    branch = BranchFactory(organ=organ, name=name)
    members = MemberFactory.create_batch(4, branch=branch)
    term = CommitteeTermFactory(branch=branch)
    CommitteeMemberFactory(term=term, member=members[0], post=CommitteePost.SECRETARY)
    return branch


def test_each_row_shows_the_branch_its_figures_and_its_warnings(client_for, gongwei_staff, organ_a):
    healthy = healthy_branch(organ_a, "综合处党支部")
    lonely = BranchFactory(organ=organ_a, name="规划处党支部", kind=BranchKind.PROJECT)
    MemberFactory(branch=lonely, status=MemberStatus.PROBATIONARY, confirmed_on=None)
    MemberFactory(branch=lonely)
    expected = {
        b.pk: [k.label for k in WARNING_KINDS if getattr(b, f"w_{k.code}")]
        for b in Branch.objects.with_warnings().filter(pk__in=[healthy.pk, lonely.pk])
    }
    assert expected[healthy.pk] == [] and expected[lonely.pk]

    rows = rows_of(client_for(gongwei_staff).get(URL).content.decode())

    assert len(rows) == 2
    first, second = (cells(row) for row in rows)
    assert rows[0].startswith('<tr class="even">') and rows[1].startswith('<tr class="odd">')
    assert first == [
        f'<td class="text-wrap"><a href="{healthy.get_absolute_url()}">综合处党支部</a></td>',
        '<td class="d-md-table-cell d-none">市发改委</td>',
        '<td class="d-md-table-cell d-none">机关支部</td>',
        '<td class="text-end">4</td>',
        '<td class="d-md-table-cell d-none text-end">4</td>',
        f'<td class="d-md-table-cell d-none">{healthy.terms.get().ends_on:%Y-%m-%d}</td>',
        '<td><span class="text-success">正常</span></td>',
    ]
    assert second[:6] == [
        f'<td class="text-wrap"><a href="{lonely.get_absolute_url()}">规划处党支部</a></td>',
        '<td class="d-md-table-cell d-none">市发改委</td>',
        '<td class="d-md-table-cell d-none">项目党支部</td>',
        '<td class="text-end">2</td>',
        '<td class="d-md-table-cell d-none text-end">1</td>',
        '<td class="d-md-table-cell d-none">—</td>',
    ]
    badges = "".join(f'<span class="badge text-bg-warning me-1">{label}</span>' for label in expected[lonely.pk])
    assert second[6] == f"<td>{badges}</td>"


def test_dissolved_branches_carry_their_badge_inside_the_link(client_for, gongwei_staff, organ_a):
    gone = BranchFactory(organ=organ_a, name="原物价局党支部", founded_on="2015-01-01", dissolved_on="2024-12-31")

    rows = rows_of(client_for(gongwei_staff).get(URL, {"state": "dissolved"}).content.decode())

    assert cells(rows[0])[0] == (
        f'<td class="text-wrap"><a href="{gone.get_absolute_url()}">原物价局党支部 '
        '<span class="badge text-bg-secondary">已撤销</span></a></td>'
    )


def test_names_are_shown_as_text(client_for, gongwei_staff, organ_a):
    BranchFactory(organ=organ_a, name="<img src=x onerror=alert(1)>支部")

    page = client_for(gongwei_staff).get(URL).content.decode()

    assert "<img src=x" not in page
    assert "&lt;img src=x onerror=alert(1)&gt;支部" in page


def test_headers_sort_and_hide_wide_columns_on_a_phone(client_for, gongwei_staff, organ_a):
    small = healthy_branch(organ_a, "甲支部")
    big = BranchFactory(organ=organ_a, name="乙支部")
    MemberFactory.create_batch(6, branch=big)

    page = squeeze(client_for(gongwei_staff).get(URL, {"sort": "-n_members"}).content.decode())

    assert '<th class="desc orderable text-end" scope="col"><a href="?sort=n_members">党员</a></th>' in page
    assert '<th class="d-md-table-cell d-none orderable" scope="col"><a href="?sort=kind">类型</a></th>' in page
    assert '<th scope="col"> 预警 </th>' in page
    assert [cells(row)[0] for row in rows_of(page)] == [
        f'<td class="text-wrap"><a href="{big.get_absolute_url()}">乙支部</a></td>',
        f'<td class="text-wrap"><a href="{small.get_absolute_url()}">甲支部</a></td>',
    ]


def test_pages_of_thirty_with_a_pager(client_for, gongwei_staff, organ_a):
    for i in range(31):
        BranchFactory(organ=organ_a, name=f"第{i:02d}支部")
    client = client_for(gongwei_staff)

    first = client.get(URL).content.decode()
    second = client.get(URL, {"page": 2}).content.decode()

    assert len(rows_of(first)) == 30 and "共 31 个" in first
    assert '<a href="?page=2" class="page-link">' in first
    assert rows_of(second) and len(rows_of(second)) == 1 and "第30支部" in second


def test_nothing_found_says_so_without_a_table(client_for, gongwei_staff, organ_a):
    BranchFactory(organ=organ_a)

    page = client_for(gongwei_staff).get(URL, {"q": "没有这个"}).content.decode()

    assert "没有符合条件的支部。" in page and "<table" not in page


def test_filter_selects_keep_their_choice(client_for, organ_staff_a, organ_a, branch_b):
    page = client_for(organ_staff_a).get(URL, {"organ": organ_a.pk, "warning": "any"}).content.decode()

    assert f'<option value="{organ_a.pk}" selected>市发展和改革委员会</option>' in page
    assert "市财政局" not in page
    assert '<option value="any" selected>有任一预警</option>' in page
    assert '<select name="state" class="form-select form-select-sm" id="id_state">' in page


@pytest.mark.parametrize(
    ("value", "attrs"),
    [
        ("b", {"id": "id_x", "required": True, "disabled": False, "class": "form-select"}),
        (None, {"id": "id_x", "aria-invalid": "true", "data-x": None}),
        (["2"], {}),
    ],
)
def test_quick_select_writes_what_djangos_select_writes(value, attrs):
    choices = [("", "全部"), ("a", "<b>甲 & 乙</b>"), ("b", "乙"), ("组", [(1, "一"), (2, "二")])]

    def lines(html):
        return [line for line in html.splitlines() if line.strip()]

    assert lines(QuickSelect(choices=choices).render("x", value, attrs)) == lines(
        forms.Select(choices=choices).render("x", value, attrs)
    )


@pytest.mark.parametrize("params", [{"state": "all", "sort": "-n_members"}, {"sort": "term_ends_on", "q": "支部"}])
def test_queries_do_not_grow_with_rows(client_for, gongwei_staff, organ_a, params):
    client = client_for(gongwei_staff)
    healthy_branch(organ_a, "首个支部")
    client.get(URL, params)  # the year's rules are created on first use

    def count():
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(URL, params).status_code == 200
        return len(ctx.captured_queries)

    small = count()
    for i in range(12):
        healthy_branch(organ_a, f"第{i}支部")
    BranchFactory(organ=organ_a, name="撤销支部", founded_on="2015-01-01", dissolved_on="2024-12-31")
    assert count() == small
