"""The public results page: anyone may read it, it names branches and projects and nobody else."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from projects import acceptance
from projects.choices import Grade
from projects.services import ensure_config
from tests.factories import BranchFactory, MemberFactory, OrganFactory, UserFactory
from tests.projects.factories import (
    YEAR,
    AcceptanceReviewFactory,
    EvidenceFactory,
    ProjectFactory,
    TargetFactory,
    TaskFactory,
)

pytestmark = pytest.mark.django_db

URL = "/public/"


def accepted(branch, title: str, score: str, grade: str = Grade.GOOD, **kwargs):
    return ProjectFactory(branch=branch, accepted=True, title=title, score=Decimal(score), grade=grade, **kwargs)


@pytest.fixture
def results(branch_a, branch_b, organ_staff_a, gongwei_staff):
    """A year with public results, and everything personal that hangs off those projects."""
    responsible = MemberFactory(branch=branch_a, name="张负责")
    star = accepted(branch_a, "“一网通办”提速项目", "96.50", Grade.EXCELLENT, responsible=responsible, is_top_ten=True)
    plain = accepted(branch_b, "预算绩效提质项目", "78.00", Grade.PASS)
    TargetFactory(project=star, name="办件时限压缩", actual_value=Decimal("40"), result_note="王秘书统计")
    TaskFactory(project=star, assignees=[MemberFactory(branch=branch_a, name="赵任务")])
    EvidenceFactory(project=star, original_name="孙某某现场照片.png")
    AcceptanceReviewFactory(project=star, reviewer=UserFactory(full_name="钱评审"), comment="钱评审的意见")
    hidden = ProjectFactory(branch=branch_a, acceptance_requested=True, title="尚在评审的项目")
    unpublished = accepted(branch_b, "未公开的项目", "80", published_at=None)
    return {"star": star, "plain": plain, "hidden": hidden, "unpublished": unpublished}


def test_anyone_can_read_the_results_without_logging_in(client, results):
    response = client.get(reverse("public:results"))
    assert response.status_code == 200
    body = response.content.decode()
    assert reverse("public:results") == URL
    assert f"{YEAR}年度“一支部一项目”公开验收结果" in body
    for text in ("“一网通办”提速项目", "综合处党支部", "市发改委", "96.50", "优秀", "预算绩效提质项目", "合格"):
        assert text in body
    assert "尚在评审的项目" not in body
    assert "未公开的项目" not in body


def test_no_personal_data_is_shown(client, results, secretary_of_branch_a, member_user):
    body = client.get(URL, {"year": YEAR}).content.decode()
    star = results["star"]
    people = [
        "张负责", "赵任务", "钱评审", "孙某某", "王秘书", "李明",
        str(star.created_by), secretary_of_branch_a.full_name, "工委干部", "发改委机关党委干部",
    ]  # fmt: skip
    for text in people:
        assert text not in body, text
    assert "钱评审的意见" not in body
    assert "evidence" not in body
    assert reverse("projects:project_detail", args=[star.pk]) not in body


def test_top_ten_section_comes_first(client, results):
    body = client.get(URL).content.decode()
    assert "十佳党建项目" in body
    assert body.index("年度十佳党建项目") < body.index("预算绩效提质项目")
    section = body[body.index("年度十佳党建项目") : body.index('id="all-title"')]
    assert "“一网通办”提速项目" in section
    assert "预算绩效提质项目" not in section


def test_the_page_sets_no_cookie_and_may_be_cached(client, results):
    response = client.get(URL)
    assert not response.cookies
    assert "public" in response["Cache-Control"] and "max-age=300" in response["Cache-Control"]
    assert "Cookie" not in response.get("Vary", "")
    again = client.get(URL, headers={"if-none-match": response["ETag"]})
    assert again.status_code == 304


def test_a_logged_in_visitor_gets_the_same_page(client_for, client, results, gongwei_staff):
    anonymous = client.get(URL).content
    assert client_for(gongwei_staff).get(URL).content == anonymous


def test_years_filters_and_default_year(client, branch_a, branch_b, results):
    accepted(branch_a, "去年的项目", "91", year=YEAR - 1)

    assert "去年的项目" not in client.get(URL).content.decode()  # the latest year first
    last_year = client.get(URL, {"year": YEAR - 1}).content.decode()
    assert "去年的项目" in last_year and "预算绩效提质项目" not in last_year
    assert "预算绩效提质项目" in client.get(URL, {"year": "nonsense"}).content.decode()

    by_organ = client.get(URL, {"year": YEAR, "organ": branch_b.organ_id}).content.decode()
    assert "预算绩效提质项目" in by_organ
    assert by_organ.count("“一网通办”提速项目") == 1  # in the 十佳 section only, not in the filtered list

    by_grade = client.get(URL, {"grade": Grade.PASS}).content.decode()
    assert "预算绩效提质项目" in by_grade


def test_empty_year_says_so(client):
    body = client.get(URL).content.decode()
    assert "暂无公开的验收结果" in body


def test_results_are_ranked_by_score_and_paginated_keeping_the_filters(client, organ_a):
    branch = BranchFactory(organ=organ_a)
    base = timezone.now()
    for i in range(55):
        accepted(branch, f"排名项目{i:02d}", str(40 + i), accepted_at=base + datetime.timedelta(minutes=i))
    first = client.get(URL, {"year": YEAR}).content.decode()
    assert first.index("排名项目54") < first.index("排名项目53")
    assert "排名项目04" not in first
    assert f"?year={YEAR}&amp;page=2" in first
    second = client.get(URL, {"year": YEAR, "page": 2}).content.decode()
    assert "排名项目04" in second and "排名项目54" not in second


def test_query_count_does_not_grow_with_results(client, organ_a, organ_b):
    def queries() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(URL).status_code == 200
        return len(ctx.captured_queries)

    accepted(BranchFactory(organ=organ_a), "项目甲", "91", is_top_ten=True)
    small = queries()
    for organ in (organ_a, organ_b, OrganFactory()):
        for i in range(8):
            accepted(BranchFactory(organ=organ), f"项目{organ.pk}-{i}", str(60 + i), is_top_ten=i == 0)
    assert queries() == small


def test_a_project_accepted_through_the_workflow_appears(client, branch_a, gongwei_staff, organ_staff_a):
    config = ensure_config(YEAR)
    config.min_reviewers = 1
    config.save()
    project = ProjectFactory(branch=branch_a, acceptance_requested=True, title="刚刚验收的项目")
    acceptance.score_project(
        project, reviewer=organ_staff_a, marks={c.pk: Decimal(c.max_points - 5) for c in config.criteria.all()}
    )
    assert "刚刚验收的项目" not in client.get(URL).content.decode()
    acceptance.finalize_acceptance(project, by=gongwei_staff)
    body = client.get(URL).content.decode()
    assert "刚刚验收的项目" in body and "85.00" in body
