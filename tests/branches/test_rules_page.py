"""The 工委 keeps the organisation rules per year; the warnings follow them."""

import pytest
from django.urls import reverse

from branches.models import OrganisationRules

pytestmark = pytest.mark.django_db

RULES = {
    "year": "2026", "min_full_members": "3", "committee_threshold": "5", "committee_min_size": "3",
    "committee_max_size": "5", "no_committee_max_size": "2", "max_members": "50", "term_years": "3",
    "max_attachment_mb": "20",
}  # fmt: skip


def test_gongwei_sets_rules_for_a_year(client_for, gongwei_staff):
    c = client_for(gongwei_staff)
    assert c.get(reverse("branches:rules_create")).status_code == 200
    response = c.post(reverse("branches:rules_create"), RULES)
    assert response.status_code == 302
    assert OrganisationRules.for_year(2027).committee_threshold == 5


def test_a_new_year_starts_from_the_latest_rules(client_for, gongwei_staff):
    OrganisationRules.objects.create(year=2026, max_members=45)
    page = client_for(gongwei_staff).get(reverse("branches:rules_create")).content.decode()
    assert 'value="2027"' in page and 'value="45"' in page


def test_inconsistent_rules_are_refused(client_for, gongwei_staff):
    response = client_for(gongwei_staff).post(
        reverse("branches:rules_create"), {**RULES, "committee_min_size": "6", "term_years": "9"}
    )
    page = response.content.decode()
    assert "最多委员数不能小于最少委员数" in page
    assert not OrganisationRules.objects.exists()


@pytest.mark.parametrize("persona", ["organ_staff_a", "secretary_of_branch_a", "member_user"])
def test_only_gongwei_may_change_rules(request, client_for, persona):
    c = client_for(request.getfixturevalue(persona))
    assert c.get(reverse("branches:rules_list")).status_code == 403
    assert c.post(reverse("branches:rules_create"), RULES).status_code == 403
    assert not OrganisationRules.objects.exists()
