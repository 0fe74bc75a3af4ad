"""组织架构: the organs with their counts, an organ's branches loaded when it is opened."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from branches.pinyin import number_in_name
from tests.factories import BranchFactory, MemberFactory, OrganFactory, PartyGroupFactory, keep_figures

pytestmark = pytest.mark.django_db


def _organ_with(n_branches: int, n_members: int, **kwargs):
    organ = OrganFactory(**kwargs)
    for _ in range(n_branches):
        branch = BranchFactory(organ=organ)
        group = PartyGroupFactory(branch=branch, name=f"{branch.name}第一党小组")
        MemberFactory.create_batch(n_members, branch=branch, party_group=group)
        keep_figures([branch.pk])
    return organ


def test_many_organs_are_listed_with_counts_and_their_branches_load_on_opening(client_for, gongwei_staff):
    organs = [_organ_with(2, 3, name=f"市第{i}局") for i in range(5)]
    page = client_for(gongwei_staff).get(reverse("branches:tree")).content.decode()
    for organ in organs:
        assert organ.name in page
        assert reverse("branches:tree_organ", args=[organ.pk]) in page
    assert "2 个支部，6 名党员" in page
    # The branches are not in the page itself: they come with the organ when it is opened.
    branch = organs[0].branches.first()
    assert branch.name not in page
    part = client_for(gongwei_staff).get(reverse("branches:tree_organ", args=[organs[0].pk])).content.decode()
    assert branch.name in part and f"{branch.name}第一党小组" in part and "3 人" in part
    assert organs[1].branches.first().name not in part


def test_a_few_organs_are_shown_open_with_their_branches(client_for, organ_staff_a, organ_a):
    branch = BranchFactory(organ=organ_a, name="综合处党支部")
    MemberFactory.create_batch(4, branch=branch)
    keep_figures([branch.pk])
    page = client_for(organ_staff_a).get(reverse("branches:tree")).content.decode()
    assert "综合处党支部" in page and "1 个支部，4 名党员" in page and "<details open>" in page


def test_dissolved_branches_are_left_out(client_for, gongwei_staff, organ_a):
    BranchFactory(organ=organ_a, name="撤销的支部", dissolved_on="2024-01-01")
    BranchFactory(organ=organ_a, name="在册的支部")
    part = client_for(gongwei_staff).get(reverse("branches:tree_organ", args=[organ_a.pk])).content.decode()
    assert "在册的支部" in part and "撤销的支部" not in part


def test_another_organ_is_not_found(client_for, organ_staff_a, organ_b):
    assert client_for(organ_staff_a).get(reverse("branches:tree_organ", args=[organ_b.pk])).status_code == 404


def test_queries_do_not_grow_with_organs_or_branches(client_for, gongwei_staff):
    client = client_for(gongwei_staff)
    organ = _organ_with(1, 1)
    for i in range(3):
        _organ_with(1, 1, name=f"机关{i}")  # more than three organs: the tree lists them closed

    def count(url):
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        return len(ctx.captured_queries)

    tree, part = reverse("branches:tree"), reverse("branches:tree_organ", args=[organ.pk])
    count(tree)
    small = count(tree), count(part)
    for i in range(4):
        _organ_with(3, 2, name=f"新机关{i}")
    for _ in range(6):
        BranchFactory(organ=organ)
    assert (count(tree), count(part)) == small


# --- 党小组 in the order people count them -------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "number"),
    [
        ("第一党小组", 1), ("第二党小组", 2), ("第十党小组", 10), ("第十二党小组", 12), ("第二十一党小组", 21),
        ("第一百零五党小组", 105), ("第3党小组", 3), ("二处第四党小组", 4), ("第12党支部第一党小组", 1),
        ("综合党小组", None), ("", None),
    ],
)  # fmt: skip
def test_the_number_in_a_groups_name(name, number):
    assert number_in_name(name) == number


def test_party_groups_are_listed_by_the_number_in_their_name_then_as_created(client_for, gongwei_staff, organ_a):
    branch = BranchFactory(organ=organ_a, name="综合处党支部")
    created = ["第一党小组", "退休党员党小组", "第三党小组", "第二党小组", "第十党小组", "第四党小组", "离退休党小组"]
    for name in created:
        PartyGroupFactory(branch=branch, name=name)
    natural = ["第一党小组", "第二党小组", "第三党小组", "第四党小组", "第十党小组", "退休党员党小组", "离退休党小组"]

    assert [g.name for g in branch.groups.all()] == natural
    client = client_for(gongwei_staff)
    detail = client.get(branch.get_absolute_url()).content.decode()
    assert [name for name in natural if name in detail] == natural
    assert sorted(natural, key=detail.index) == natural
    tree = client.get(reverse("branches:tree_organ", args=[organ_a.pk])).content.decode()
    assert sorted(natural, key=tree.index) == natural
    options = client.get(reverse("branches:group_options"), {"branch": branch.pk}).content.decode()
    assert sorted(natural, key=options.index) == natural


def test_a_renamed_group_moves_to_its_new_place(branch_a):
    second = PartyGroupFactory(branch=branch_a, name="第二党小组")
    PartyGroupFactory(branch=branch_a, name="第三党小组")
    second.name = "第五党小组"
    second.save(update_fields=["name"])
    assert [g.name for g in branch_a.groups.all()] == ["第三党小组", "第五党小组"]
