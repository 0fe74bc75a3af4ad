import pytest
from django.urls import reverse

from tests.factories import CommitteeMemberFactory, CommitteeTermFactory, MemberFactory


@pytest.mark.django_db
def test_gongwei_pages_render(client_for, gongwei_staff, branch_a, branch_b):
    term = CommitteeTermFactory(branch=branch_a)
    CommitteeMemberFactory(term=term, post="secretary")
    m = MemberFactory(branch=branch_a, id_number="11010519491231002X", birth_date="1949-12-31")
    c = client_for(gongwei_staff)
    for url in [
        reverse("home"),
        reverse("branches:tree"),
        reverse("branches:branch_list"),
        reverse("branches:branch_detail", args=[branch_a.pk]),
        reverse("branches:member_list"),
        reverse("branches:member_detail", args=[m.pk]),
        reverse("branches:warnings"),
        reverse("branches:branch_create"),
        reverse("branches:term_create", args=[branch_a.pk]),
        reverse("branches:member_create"),
        reverse("branches:member_edit", args=[m.pk]),
    ]:
        r = c.get(url)
        assert r.status_code == 200, url
