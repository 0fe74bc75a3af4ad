"""The portal's main stories in a real browser, from log-in to the downloaded workbook.

Each test drives one role's story; the world around it is made with factories.
"""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from assessments.choices import JobStatus, RunStatus
from assessments.models import IndicatorScore, RatingRun, ScorecardExport
from projects.choices import ProjectStatus, TaskStatus
from projects.models import Evidence, Project
from tests.assessments.factories import default_scheme
from tests.e2e.browser import browser_module, click_and_wait, login, screenshot
from tests.factories import MemberFactory
from tests.projects.factories import MilestoneFactory, ProjectFactory, TargetFactory, TaskFactory, TopicListFactory

pytestmark = [*browser_module, pytest.mark.django_db(transaction=True)]

# A one-pixel PNG: real image bytes, as the upload's content check wants.
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000100e221bc330000000049454e44ae426082"
)


@pytest.fixture
def today():
    return timezone.localdate()


@pytest.fixture
def filing_open(organ_a, gongwei_staff, today):
    """organ_a's topic list for this year, open for filing today."""
    return TopicListFactory(
        organ=organ_a,
        year=today.year,
        opens_on=today - datetime.timedelta(days=10),
        closes_on=today + datetime.timedelta(days=10),
        created_by=gongwei_staff,
    )


@pytest.fixture
def committee_member(branch_a):
    return MemberFactory(branch=branch_a, name="王组织")


def test_secretary_files_a_project_that_is_returned_fixed_and_approved(
    new_page, secretary_of_branch_a, organ_staff_a, branch_a, committee_member, filing_open, today
):
    start, end = today, today + datetime.timedelta(days=60)

    # Given a secretary who logs in and fills in the 立项 form with two milestones
    page = new_page()
    login(page, secretary_of_branch_a)
    page.goto("/projects/new/")
    page.select_option("select[name=branch]", str(branch_a.pk))
    page.select_option("select[name=year]", str(today.year))
    page.fill("input[name=title]", "“一网通办”提速项目")
    page.select_option("select[name=direction]", index=1)
    page.fill("textarea[name=problem]", "群众办事跑腿多。")
    page.fill("textarea[name=goals]", "办结时限压缩三成。")
    page.fill("input[name=start_on]", start.isoformat())
    page.fill("input[name=end_on]", end.isoformat())
    page.select_option("select[name=responsible]", str(committee_member.pk))
    page.fill("input[name='targets-0-name']", "办结时限压缩")
    page.fill("input[name='targets-0-target_value']", "30")
    page.fill("input[name='milestones-0-title']", "调研摸底")
    page.fill("input[name='milestones-0-planned_on']", start.isoformat())
    page.fill("input[name='milestones-0-weight']", "1")
    page.fill("input[name='milestones-1-title']", "全面推行")
    page.fill("input[name='milestones-1-planned_on']", end.isoformat())
    page.fill("input[name='milestones-1-weight']", "3")
    screenshot(page, "project-form")
    page.click("button:has-text('保存草稿')")
    page.wait_for_url("**/projects/*/")
    project = Project.objects.get(branch=branch_a)
    assert project.milestones.count() == 2

    # When they submit it
    click_and_wait(page, "button:has-text('提交审核')")
    project.refresh_from_db()
    assert project.status == ProjectStatus.SUBMITTED

    # And the organ returns it with a reason
    reviewer = new_page()
    login(reviewer, organ_staff_a)
    reviewer.goto(project.get_absolute_url())
    reviewer.click("a:has-text('退回修改')")
    reviewer.fill("textarea[name=reason]", "指标不够具体，请量化。")
    click_and_wait(reviewer, "main form[method=post] button[type=submit]")
    project.refresh_from_db()
    assert project.status == ProjectStatus.RETURNED

    # Then the secretary sees why, fixes the target and resubmits
    page.goto(project.get_absolute_url())
    assert "指标不够具体，请量化。" in page.inner_text("main")
    screenshot(page, "project-returned")
    page.click("a.alert-link:has-text('修改')")
    page.fill("input[name='targets-0-target_value']", "35")
    click_and_wait(page, "button:has-text('保存草稿')")
    click_and_wait(page, "button:has-text('提交审核')")

    # And the organ approves it
    reviewer.goto(project.get_absolute_url())
    reviewer.fill("[name=note]", "同意立项")
    click_and_wait(reviewer, "button:has-text('审核通过')")
    project.refresh_from_db()
    assert project.status == ProjectStatus.APPROVED
    assert project.targets.get().target_value == Decimal("35")
    assert list(project.events.values_list("action", flat=True)) == [
        "创建项目",
        "提交审核",
        "退回修改",
        "提交审核",
        "审核通过",
    ]

    # Finally the secretary files progress on the first milestone with a photo as evidence
    milestone = project.milestones.order_by("planned_on").first()
    page.goto(project.get_absolute_url())
    page.click(f"a[href='/projects/milestones/{milestone.pk}/progress/']")
    page.fill("input[name=percent]", "100")
    page.fill("textarea[name=text]", "完成调研，形成报告。")
    page.set_input_files("input[name=files]", files=[{"name": "现场.png", "mimeType": "image/png", "buffer": PNG}])
    click_and_wait(page, "button:has-text('提交进展')")
    assert page.locator("a:has-text('现场.png')").count() == 1
    screenshot(page, "project-progress")
    milestone.refresh_from_db()
    assert milestone.percent == 100
    assert Evidence.objects.filter(original_name="现场.png").count() == 1


def test_gongwei_scores_rates_and_downloads_the_scorecard(new_page, routed_worker, gongwei_staff, organ_a, branch_a):
    year = timezone.localdate().year - 1
    scheme = default_scheme(year, by=gongwei_staff)
    business = scheme.indicators.get(name="业务工作年度考核")

    # Given the 工委 scores the branch's business indicator in the grid (saved by htmx)
    page = new_page()
    login(page, gongwei_staff)
    page.goto(f"/assessments/scoring/?year={year}&organ={organ_a.pk}")
    cell = page.locator(f"#cell-{branch_a.pk}-{business.pk}")
    cell.locator(f"input[name='c{branch_a.pk}-{business.pk}-score']").fill("9")
    cell.locator("button:has-text('保存')").click()
    page.locator(f"#cell-{branch_a.pk}-{business.pk} >> text=已保存").wait_for()
    screenshot(page, "scoring-grid")
    assert IndicatorScore.objects.get(branch=branch_a, year=year, lineage=business.lineage).score == Decimal("9")

    # When they start the rating, a real worker computes it and the page refreshes itself
    page.goto(f"/assessments/ratings/?year={year}")
    page.click("button:has-text('计算星级')")
    page.wait_for_url("**/assessments/ratings/*/")
    page.locator("button:has-text('导出考核结果 Excel')").wait_for(timeout=60_000)
    run = RatingRun.objects.get(year=year)
    assert run.status == RunStatus.DRAFT and run.n_branches == 1
    screenshot(page, "rating-run")

    # Then they request the scorecard; the worker builds it and the download opens with openpyxl
    click_and_wait(page, "button:has-text('导出考核结果 Excel')")
    link = page.locator("a:has-text('下载 Excel')")
    link.wait_for(timeout=60_000)
    assert ScorecardExport.objects.get(run=run).status == JobStatus.DONE
    with page.expect_download() as download:
        link.click()
    assert download.value.suggested_filename.endswith(".xlsx")
    with open(download.value.path(), "rb") as handle:
        workbook = load_workbook(handle)
    assert workbook.sheetnames[0] == "汇总"
    names = [row[1] for row in workbook["汇总"].iter_rows(min_row=2, values_only=True)]
    assert names == [branch_a.name]


def test_member_sees_and_updates_an_assigned_task(new_page, member_user, branch_a):
    project = ProjectFactory(branch=branch_a, filed=True)
    task = TaskFactory(project=project, title="走访企业收集诉求", assignees=[member_user.member])

    page = new_page()
    login(page, member_user)
    page.goto("/projects/my-tasks/")
    assert "走访企业收集诉求" in page.inner_text("main")
    page.select_option(f"#status-{task.pk}", TaskStatus.DOING)
    page.fill(f"#note-{task.pk}", "已走访三家企业。")
    click_and_wait(page, "button:has-text('保存进展')")
    screenshot(page, "my-tasks")
    task.refresh_from_db()
    assert task.status == TaskStatus.DOING and task.progress_note == "已走访三家企业。"


def test_the_public_page_shows_the_accepted_project(new_page, branch_a, organ_a):
    accepted = ProjectFactory(branch=branch_a, accepted=True, title="红色代办暖民心")
    TargetFactory(project=accepted)
    MilestoneFactory(project=accepted)
    ProjectFactory(branch=branch_a, filed=True, title="尚在实施的项目")

    page = new_page()
    page.goto("/public/")
    text = page.inner_text("main")
    assert "红色代办暖民心" in text
    assert "尚在实施的项目" not in text
    screenshot(page, "public")
