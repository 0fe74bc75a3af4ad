"""List pages issue the same number of queries for 1 row and for many."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from branches.choices import CommitteePost
from tests.factories import (
    BranchFactory,
    CommitteeMemberFactory,
    CommitteeTermFactory,
    MemberFactory,
    PartyGroupFactory,
)

pytestmark = pytest.mark.django_db

PAGES = [
    ("home", {}),
    ("branches:tree", {}),
    ("branches:branch_list", {}),
    ("branches:branch_list", {"warning": "any"}),
    ("branches:member_list", {}),
    ("branches:member_list", {"q": "党员"}),
    ("branches:warnings", {}),
]


def populate(organ, n_branches: int, n_members: int):
    for _ in range(n_branches):
        branch = BranchFactory(organ=organ)
        group = PartyGroupFactory(branch=branch)
        members = MemberFactory.create_batch(n_members, branch=branch, party_group=group, is_leader=True)
        term = CommitteeTermFactory(branch=branch)
        CommitteeMemberFactory(term=term, member=members[0], post=CommitteePost.SECRETARY)


def count_queries(client, name, params):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(reverse(name), params)
    assert response.status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize(("name", "params"), PAGES)
def test_list_queries_do_not_grow_with_rows(client_for, gongwei_staff, organ_a, name, params):
    client = client_for(gongwei_staff)
    populate(organ_a, 1, 1)
    count_queries(client, name, params)  # year rules created on first use are not part of the page's cost
    small = count_queries(client, name, params)
    populate(organ_a, 12, 4)
    large = count_queries(client, name, params)
    assert small == large


def test_branch_page_queries_do_not_grow_with_members(client_for, gongwei_staff, organ_a):
    client = client_for(gongwei_staff)
    branch = BranchFactory(organ=organ_a)
    group = PartyGroupFactory(branch=branch)
    members = MemberFactory.create_batch(2, branch=branch, party_group=group)
    term = CommitteeTermFactory(branch=branch)
    CommitteeMemberFactory(term=term, member=members[0], post=CommitteePost.SECRETARY)
    url = reverse("branches:branch_detail", args=[branch.pk])
    client.get(url)  # the year's meeting requirements are created on first use
    with CaptureQueriesContext(connection) as small:
        client.get(url)
    more = MemberFactory.create_batch(20, branch=branch, party_group=group)
    for m in more[:4]:
        CommitteeMemberFactory(term=term, member=m, post=CommitteePost.MEMBER)
    PartyGroupFactory(branch=branch)
    with CaptureQueriesContext(connection) as large:
        client.get(url)
    assert len(small.captured_queries) == len(large.captured_queries)
