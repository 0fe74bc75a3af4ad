"""Shares on the dashboard: a share of nothing reads "—", never "—%"; a share reads with its percent sign."""

import re

import pytest
from django.urls import reverse

from tests.projects.factories import ProjectFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def frozen_today(time_machine):
    time_machine.move_to("2026-11-22 10:00 +0800", tick=False)


def cells(page: str, caption: str) -> list[str]:
    """The text of the last column of each row of the table with this caption."""
    table = page.split(f'<caption class="visually-hidden">{caption}</caption>', 1)[1].split("</table>", 1)[0]
    return [re.sub(r"<[^>]+>", "", row.rsplit("<td", 1)[1].split(">", 1)[1]) for row in table.split("</tr>")[1:-1]]


def test_grades_of_a_year_with_no_accepted_project_read_a_dash(client_for, gongwei_staff, branch_a):
    ProjectFactory(branch=branch_a, filed=True)

    page = client_for(gongwei_staff).get(reverse("portal:dashboard")).content.decode()

    assert "—%" not in page
    assert cells(page, "验收等次") == ["—"] * 4
    assert "100.0%" in cells(page, "项目状态")
