"""At a phone's 375 px the forms and lists fit the screen: no page scrolls sideways."""

import pytest

from tests.e2e.browser import browser_module, login, screenshot
from tests.projects.factories import MilestoneFactory, ProjectFactory, TargetFactory, TaskFactory

pytestmark = [*browser_module, pytest.mark.django_db(transaction=True)]

PHONE = 375
# Names the elements that stick out, so a failure says where to look.
OVERFLOWING = """() => [...document.querySelectorAll("body *")]
    .filter((el) => el.getBoundingClientRect().right > document.documentElement.clientWidth + 0.5)
    .slice(0, 5)
    .map((el) => `${el.tagName.toLowerCase()}.${[...el.classList].join(".")}`)"""


def assert_fits(page, path: str) -> None:
    page.goto(path)
    assert page.evaluate("document.readyState") == "complete"
    width = page.evaluate("document.documentElement.scrollWidth")
    screenshot(page, f"phone{path}")
    assert width <= PHONE, (
        f"{path} 在 {PHONE}px 宽度下出现横向滚动（scrollWidth={width}）：{page.evaluate(OVERFLOWING)}"
    )


def test_secretary_pages_fit_a_phone(new_page, secretary_of_branch_a, member_user, branch_a):
    project = ProjectFactory(branch=branch_a, filed=True, title="一个相当长的党建项目名称用来检验窄屏幕下的换行效果")
    TargetFactory(project=project)
    milestone = MilestoneFactory(project=project)
    TaskFactory(project=project, assignees=[member_user.member])

    page = new_page(width=PHONE, height=800)
    login(page, secretary_of_branch_a)
    for path in (
        "/",
        "/projects/",
        "/projects/new/",
        project.get_absolute_url(),
        f"/projects/milestones/{milestone.pk}/progress/",
        f"/projects/{project.pk}/tasks/new/",
        "/org/members/",
        branch_a.get_absolute_url(),
    ):
        assert_fits(page, path)


def test_member_and_public_pages_fit_a_phone(new_page, member_user, branch_a):
    project = ProjectFactory(branch=branch_a, filed=True)
    TaskFactory(project=project, assignees=[member_user.member])
    ProjectFactory(branch=branch_a, accepted=True)

    page = new_page(width=PHONE, height=800)
    assert_fits(page, "/public/")
    login(page, member_user)
    assert_fits(page, "/projects/my-tasks/")


def test_login_page_fits_a_phone(new_page):
    assert_fits(new_page(width=PHONE, height=800), "/accounts/login/")
