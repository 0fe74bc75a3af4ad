"""One branch, one project: the 填报 form shows the branch's other projects of the year, and the year's rules
may cap how many a branch files (default: no cap), on the page and through the API alike."""

import pytest
from django.urls import reverse

from projects.choices import ProjectStatus
from projects.models import Project, ProjectYearConfig
from projects.services import ensure_config
from tests.factories import MemberFactory
from tests.projects.factories import ProjectFactory
from tests.projects.test_workflow import form_data

pytestmark = pytest.mark.django_db

YEAR = 2026


@pytest.fixture(autouse=True)
def frozen_today(time_machine):
    time_machine.move_to("2026-11-22 10:00 +0800", tick=False)


@pytest.fixture
def responsible(branch_a):
    return MemberFactory(branch=branch_a, name="王组织")


def cap_year(n: int | None, year: int = YEAR):
    config = ensure_config(year)
    config.max_projects_per_branch = n
    config.save()
    return config


def create_on_page(client, branch, responsible, **extra):
    return client.post(reverse("projects:project_create"), form_data(branch, responsible, **extra))


def create_through_api(client, branch, responsible):
    payload = {
        "branch": branch.pk,
        "year": YEAR,
        "title": "第三个项目",
        "direction": "development",
        "problem": "群众办事跑腿多。",
        "goals": "办结时限压缩三成。",
        "start_on": "2026-11-25",
        "end_on": "2026-12-31",
        "responsible": responsible.pk,
        "targets": [{"name": "办结时限压缩", "unit": "%", "target_value": "30"}],
        "milestones": [{"title": "调研摸底", "planned_on": "2026-12-10", "weight": 1}],
    }
    return client.post("/api/projects/", payload, content_type="application/json")


# --- the form shows the branch's other projects of the year ------------------------------------


def panel(page: str) -> str:
    return page.split('id="branch-year-projects"', 1)[1].split("</ul>", 1)[0]


def test_the_form_lists_the_branchs_other_projects_of_the_year(client_for, secretary_of_branch_a, branch_a, branch_b):
    ProjectFactory(branch=branch_a, title="审批提速项目", submitted=True)
    ProjectFactory(branch=branch_a, title="窗口服务项目")
    ProjectFactory(branch=branch_a, title="去年的项目", year=YEAR - 1)
    ProjectFactory(branch=branch_b, title="别的支部的项目")

    page = client_for(secretary_of_branch_a).get(reverse("projects:project_create")).content.decode()

    assert "综合处党支部 2026 年度已有 2 个项目" in page
    assert "审批提速项目" in page and "待机关党委审核" in page and "窗口服务项目" in page
    assert "去年的项目" not in page and "别的支部的项目" not in page
    assert "至多" not in page  # no cap by default


def test_the_edit_form_lists_the_others_not_the_project_itself(client_for, secretary_of_branch_a, branch_a):
    project = ProjectFactory(branch=branch_a, title="正在修改的项目")
    ProjectFactory(branch=branch_a, title="另一个项目")

    page = client_for(secretary_of_branch_a).get(reverse("projects:project_edit", args=[project.pk])).content.decode()

    assert "综合处党支部 2026 年度另有 1 个项目" in page
    assert "另一个项目" in panel(page) and "正在修改的项目" not in panel(page)


def test_the_list_follows_the_chosen_branch_and_year_within_the_users_scope(
    client_for, gongwei_staff, secretary_of_branch_b, branch_a, branch_b
):
    ProjectFactory(branch=branch_a, title="审批提速项目", year=YEAR + 1)
    htmx = {"HTTP_HX_REQUEST": "true"}
    url = reverse("projects:project_create")

    # The 工委 picks branch_a and next year: the panel alone comes back, with that branch's projects
    part = client_for(gongwei_staff).get(
        url, {"part": "branch-projects", "branch": branch_a.pk, "year": YEAR + 1}, **htmx
    )
    body = part.content.decode()
    assert part.status_code == 200 and "<html" not in body
    assert "综合处党支部 2027 年度已有 1 个项目" in body and "审批提速项目" in body

    # A secretary of another branch asking for branch_a learns nothing about it
    part = client_for(secretary_of_branch_b).get(
        url, {"part": "branch-projects", "branch": branch_a.pk, "year": YEAR + 1}, **htmx
    )
    assert part.status_code == 200 and "审批提速项目" not in part.content.decode()


# --- the cap -------------------------------------------------------------------------------------


def test_without_a_cap_a_branch_files_as_many_projects_as_it_needs(
    client_for, secretary_of_branch_a, branch_a, responsible
):
    ProjectFactory.create_batch(2, branch=branch_a)
    response = create_on_page(client_for(secretary_of_branch_a), branch_a, responsible)
    assert response.status_code == 302
    assert Project.objects.filter(branch=branch_a, year=YEAR).count() == 3


def test_the_cap_allows_up_to_its_number_and_refuses_one_more_on_the_page_and_the_api(
    client_for, secretary_of_branch_a, branch_a, branch_a2, responsible
):
    cap_year(2)
    ProjectFactory(branch=branch_a, title="第一个项目", status=ProjectStatus.FILED)
    ProjectFactory(branch=branch_a, title="去年的项目", year=YEAR - 1)
    ProjectFactory(branch=branch_a2, title="别的支部的项目")
    client = client_for(secretary_of_branch_a)

    # The second project of the year is still within the cap, and the form says how many are allowed
    page = client.get(reverse("projects:project_create")).content.decode()
    assert "本年度每个支部至多 2 个项目" in page
    assert create_on_page(client, branch_a, responsible).status_code == 302

    # The third is refused, on the page and through the API, with the same Chinese message
    refusal = "综合处党支部 2026 年度已有 2 个项目，已达到该年度每个支部至多 2 个项目的上限。"
    page = create_on_page(client, branch_a, responsible, title="第三个项目")
    assert page.status_code == 200 and refusal in page.content.decode()
    assert "已达上限" in page.content.decode()
    api = create_through_api(client, branch_a, responsible)
    assert api.status_code == 400 and api.json()["detail"] == [refusal]
    assert Project.objects.filter(branch=branch_a, year=YEAR).count() == 2
    assert not Project.objects.filter(title="第三个项目").exists()


def test_moving_a_project_into_a_full_year_is_refused(client_for, secretary_of_branch_a, branch_a, responsible):
    cap_year(1, YEAR + 1)
    ProjectFactory(branch=branch_a, year=YEAR + 1, title="明年的项目")
    project = ProjectFactory(branch=branch_a, title="今年的项目", responsible=responsible)
    data = form_data(
        branch_a, responsible, year=str(YEAR + 1), start_on="2027-01-01", end_on="2027-12-31",
        milestones=(("调研摸底", "2027-03-10", "1"),),
    )  # fmt: skip

    response = client_for(secretary_of_branch_a).post(reverse("projects:project_edit", args=[project.pk]), data)

    assert response.status_code == 200
    assert "2027 年度已有 1 个项目，已达到该年度每个支部至多 1 个项目的上限" in response.content.decode()
    project.refresh_from_db()
    assert project.year == YEAR and project.title == "今年的项目"


def test_a_project_already_filed_may_still_be_edited_when_its_year_is_full(
    client_for, secretary_of_branch_a, branch_a, responsible
):
    cap_year(1)
    project = ProjectFactory(branch=branch_a, title="今年的项目", responsible=responsible)
    data = form_data(branch_a, responsible, title="今年的项目（修改）")

    response = client_for(secretary_of_branch_a).post(reverse("projects:project_edit", args=[project.pk]), data)

    assert response.status_code == 302
    project.refresh_from_db()
    assert project.title == "今年的项目（修改）"


def test_a_year_not_opened_reads_the_cap_it_would_start_with(client_for, secretary_of_branch_a, branch_a, responsible):
    # The latest opened year capped at one; next year is not opened, and would start with the same rules
    cap_year(1, YEAR - 1)
    ProjectFactory(branch=branch_a, year=YEAR)
    response = create_on_page(client_for(secretary_of_branch_a), branch_a, responsible)
    assert response.status_code == 200
    assert "至多 1 个项目的上限" in response.content.decode()
    assert Project.objects.filter(branch=branch_a, year=YEAR).count() == 1


def test_reading_the_form_opens_no_year(client_for, secretary_of_branch_a, branch_a):
    ProjectFactory(branch=branch_a, title="审批提速项目")
    page = client_for(secretary_of_branch_a).get(reverse("projects:project_create"))
    assert "审批提速项目" in page.content.decode()
    assert not ProjectYearConfig.objects.exists()
