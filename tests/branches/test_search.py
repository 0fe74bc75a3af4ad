"""Finding a branch or a member by typing: the endpoints behind the forms' search fields.

Each search answers from the queryset its purpose names, scoped to the user who asks; the forms check
the submitted pk against the same queryset, so the search is never the security.
"""

import datetime
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from core.search import LIST_LIMIT, RESULT_LIMIT
from tests.bulk import many_branches, many_members
from tests.factories import BranchFactory, MemberFactory, OrganFactory, UserFactory

pytestmark = pytest.mark.django_db

OPTION = re.compile(r'<option value="(\d*)"[^>]*>([^<]*)</option>')


def search(client, kind: str, q: str = "", **params):
    response = client.get(reverse(f"branches:{kind}_search"), {"q": q, **params})
    assert response.status_code == 200
    return OPTION.findall(response.content.decode())


def found(options) -> list[str]:
    """The labels of the choices, without the heading option."""
    return [label for value, label in options if value]


def heading(options) -> str:
    value, label = options[0]
    assert value == ""
    return label


# --- Who finds what ----------------------------------------------------------------------------


def test_organ_staff_never_find_another_organs_branches_or_members(
    client_for, organ_staff_a, branch_a, branch_a2, branch_b
):
    MemberFactory(branch=branch_a, name="张伟")
    MemberFactory(branch=branch_b, name="张伟强")
    client = client_for(organ_staff_a)
    # Given the words "党支部", which every branch's name holds
    assert sorted(found(search(client, "branch", "党支部", purpose="visible"))) == sorted(
        ["市发改委 · 规划处党支部", "市发改委 · 综合处党支部"]
    )
    # Even the other organ's name finds nothing of it
    options = search(client, "branch", "财政", purpose="visible")
    assert found(options) == [] and heading(options) == "没有找到匹配的支部"
    assert found(search(client, "member", "张伟", purpose="unlinked")) == ["张伟（市发改委 · 综合处党支部）"]
    assert heading(search(client, "member", "预算", purpose="unlinked")) == "没有找到匹配的党员"


def test_a_secretary_finds_only_their_branch_and_its_members(
    client_for, secretary_of_branch_a, branch_a, branch_a2, branch_b
):
    MemberFactory(branch=branch_a, name="王芳")
    MemberFactory(branch=branch_a2, name="王芳菲")
    client = client_for(secretary_of_branch_a)
    assert found(search(client, "branch", "", purpose="writable")) == ["市发改委 · 综合处党支部"]
    assert found(search(client, "branch", "规划", purpose="visible")) == []
    assert found(search(client, "member", "王", purpose="committee")) == ["综合处党支部 · 王芳（党员）"]


def test_narrowing_by_branch_stays_inside_the_scope(client_for, secretary_of_branch_a, branch_a, branch_b):
    MemberFactory(branch=branch_b, name="李强")
    # Asking for another organ's branch narrows the secretary's own members to nobody
    options = search(client_for(secretary_of_branch_a), "member", "李", purpose="committee", branch=branch_b.pk)
    assert found(options) == []


def test_the_committee_search_lists_the_chosen_branchs_committee(client_for, gongwei_staff, branch_a, branch_b):
    MemberFactory(branch=branch_a, name="钱一")
    MemberFactory(branch=branch_b, name="钱二")
    client = client_for(gongwei_staff)
    assert found(search(client, "member", "", purpose="committee", branch=branch_b.pk)) == [
        "预算处党支部 · 钱二（党员）"
    ]
    assert len(found(search(client, "member", "钱", purpose="committee"))) == 2


def test_anonymous_users_are_sent_to_log_in(client):
    for kind in ("branch", "member"):
        response = client.get(reverse(f"branches:{kind}_search"), {"q": "a", "purpose": "visible"})
        assert response.status_code == 302
        assert reverse("accounts:login") in response["Location"]


@pytest.mark.parametrize("persona", ["member_user", "outsider"])
def test_accounts_without_staff_or_committee_role_are_refused(client_for, request, persona, branch_a):
    client = client_for(request.getfixturevalue(persona))
    assert client.get(reverse("branches:member_search"), {"purpose": "unlinked"}).status_code == 403
    assert client.get(reverse("branches:branch_search"), {"purpose": "visible"}).status_code == 403


def test_only_named_purposes_are_searched(client_for, gongwei_staff):
    client = client_for(gongwei_staff)
    assert client.get(reverse("branches:branch_search"), {"purpose": "everything"}).status_code == 404
    assert client.get(reverse("branches:member_search"), {"purpose": "user__isnull=False"}).status_code == 404
    assert client.get(reverse("branches:member_search")).status_code == 404


def test_a_search_is_a_get_and_writes_nothing(client_for, gongwei_staff):
    client = client_for(gongwei_staff)
    assert client.post(reverse("branches:branch_search"), {"purpose": "visible"}).status_code == 405
    with CaptureQueriesContext(connection) as ctx:
        client.get(reverse("branches:branch_search"), {"purpose": "visible", "q": "党支部"})
    writes = [q["sql"] for q in ctx.captured_queries if not q["sql"].lstrip().upper().startswith("SELECT")]
    assert writes == []


# --- Matching ----------------------------------------------------------------------------------


def test_members_are_found_by_name_pinyin_or_phone(client_for, gongwei_staff, branch_a):
    zhang = MemberFactory(branch=branch_a, name="张三丰", phone="13912345678")
    MemberFactory(branch=branch_a, name="李四", phone="13800000000")
    client = client_for(gongwei_staff)
    label = "张三丰（市发改委 · 综合处党支部）"
    for typed in ("三丰", "zhangsan", "zhang san f", "ZhangSanFeng", "12345678"):
        assert found(search(client, "member", typed, purpose="unlinked")) == [label], typed
    assert zhang.name_pinyin == "zhang san feng"
    assert heading(search(client, "member", "wangwu", purpose="unlinked")) == "没有找到匹配的党员"


def test_members_with_an_account_are_not_offered_for_a_new_account(client_for, gongwei_staff, branch_a):
    MemberFactory(branch=branch_a, name="周敏", user=UserFactory())
    MemberFactory(branch=branch_a, name="周敏华")
    assert found(search(client_for(gongwei_staff), "member", "周敏", purpose="unlinked")) == [
        "周敏华（市发改委 · 综合处党支部）"
    ]


def test_branches_are_found_by_their_name_or_their_organs(client_for, gongwei_staff, branch_a, branch_a2, branch_b):
    client = client_for(gongwei_staff)
    assert found(search(client, "branch", "综合", purpose="visible")) == ["市发改委 · 综合处党支部"]
    assert found(search(client, "branch", "财政局", purpose="visible")) == ["市财政局 · 预算处党支部"]
    # Every word must match, in the branch's or the organ's name
    assert found(search(client, "branch", "发改委 规划", purpose="visible")) == ["市发改委 · 规划处党支部"]


def test_names_starting_with_the_text_come_first(client_for, gongwei_staff, organ_a, branch_a):
    BranchFactory(organ=OrganFactory(name="市综合执法局", short_name="综合执法局", sort_order=0), name="机关党支部")
    BranchFactory(organ=organ_a, name="后勤综合党支部")
    MemberFactory(branch=branch_a, name="王小明")
    MemberFactory(branch=branch_a, name="小明")
    client = client_for(gongwei_staff)
    assert found(search(client, "branch", "综合", purpose="visible")) == [
        "市发改委 · 综合处党支部",  # starts with the text
        "市发改委 · 后勤综合党支部",  # holds it
        "综合执法局 · 机关党支部",  # only its organ does
    ]
    assert found(search(client, "member", "小明", purpose="unlinked"))[0].startswith("小明（")


def test_dissolved_branches_come_after_active_ones_and_are_not_offered_for_writing(client_for, gongwei_staff, organ_a):
    BranchFactory(organ=organ_a, name="甲党支部", dissolved_on=datetime.date(2024, 1, 1))
    BranchFactory(organ=organ_a, name="乙党支部")
    client = client_for(gongwei_staff)
    assert found(search(client, "branch", "党支部", purpose="visible")) == [
        "市发改委 · 乙党支部",
        "市发改委 · 甲党支部",
    ]
    assert found(search(client, "branch", "党支部", purpose="writable")) == ["市发改委 · 乙党支部"]


def test_results_are_capped_and_say_so(client_for, gongwei_staff, organ_a, branch_a):
    many_branches(organ_a, RESULT_LIMIT + 5)
    many_members(branch_a, RESULT_LIMIT + 5)
    client = client_for(gongwei_staff)
    options = search(client, "branch", "调研", purpose="visible")
    assert len(found(options)) == RESULT_LIMIT
    assert heading(options) == f"只列出前 {RESULT_LIMIT} 个支部，请输入更多字词"
    options = search(client, "member", "赵", purpose="unlinked")
    assert len(found(options)) == RESULT_LIMIT
    assert heading(options) == f"只列出前 {RESULT_LIMIT} 名党员，请输入更多字词"
    options = search(client, "branch", "调研007", purpose="visible")
    assert heading(options) == "找到 1 个支部，请选择"


def test_typed_text_is_escaped_and_cut(client_for, gongwei_staff, organ_a):
    BranchFactory(organ=organ_a, name="<b>党支部</b>")
    response = client_for(gongwei_staff).get(
        reverse("branches:branch_search"), {"purpose": "visible", "q": "<b>" + "x" * 500}
    )
    assert response.status_code == 200 and "没有找到" in response.content.decode()
    assert (
        "&lt;b&gt;党支部&lt;/b&gt;"
        in client_for(gongwei_staff)
        .get(reverse("branches:branch_search"), {"purpose": "visible", "q": "<b>"})
        .content.decode()
    )


# --- Cost --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "purpose", "typed"),
    [
        ("branch", "visible", "调研"),
        ("branch", "writable", "调研"),
        ("member", "unlinked", "赵"),
        ("member", "committee", "赵"),
    ],
)
def test_a_search_costs_the_same_queries_for_one_match_and_for_many(
    client_for, organ_staff_a, organ_a, branch_a, kind, purpose, typed
):
    client = client_for(organ_staff_a)
    many_branches(organ_a, 1)
    many_members(branch_a, 1)
    with CaptureQueriesContext(connection) as one:
        assert len(found(search(client, kind, typed, purpose=purpose))) == 1
    many_branches(organ_a, RESULT_LIMIT * 2, prefix="调研二")
    many_members(branch_a, RESULT_LIMIT * 2)
    with CaptureQueriesContext(connection) as many:
        assert len(found(search(client, kind, typed, purpose=purpose))) == RESULT_LIMIT
    assert len(one.captured_queries) == len(many.captured_queries)


def test_the_list_limit_is_a_few_hundred():
    # The rule the fields share: a select lists at most this many choices, then searches.
    assert 100 <= LIST_LIMIT <= 300
