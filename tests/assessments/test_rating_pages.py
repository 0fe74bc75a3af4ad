"""星级评定 pages: the 工委 computes a year's stars and publishes them; staff read the distribution,
the results and the pairings of the branches they oversee; a branch sees its own frozen breakdown
and, on its page, its stars over the years and where it lost points."""

import datetime
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.template.loader import render_to_string
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from assessments.choices import RunStatus, Tier
from assessments.models import RatingRun
from assessments.results import branch_stars_context
from tests.assessments.factories import YEAR, RatingResultFactory, RatingRunFactory, default_scheme
from tests.factories import BranchFactory

pytestmark = pytest.mark.django_db

RUN_LIST = reverse("assessments:run_list")


@pytest.fixture(autouse=True)
def after_the_year():
    # Ratings are made once the assessed year is over.
    with time_machine.travel(datetime.datetime(YEAR + 1, 1, 20, 10, 0), tick=False):
        yield


def line(dimension: str, name: str, max_score: str, score: str | None, text: str = "", source: str = "manual"):
    return {"lineage": name, "dimension": dimension, "name": name, "source": source, "max": max_score,
            "score": score, "input": text}  # fmt: skip


BREAKDOWN = [
    line("政治建设", "理论武装", "6.00", "5.50", "第一议题落实"),
    line("政治建设", "意识形态工作", "4.00", "4.00"),
    line("组织生活", "三会一课完成率", "10.00", "6.00", "完成 6/10 期", "computed"),
    line("组织生活", "党员学时达标率", "5.00", None, "不适用（无党员）", "computed"),
    line("业务融合", "业务工作年度考核", "15.00", "12.00", "", "business"),
    line("一支部一项目", "项目验收得分", "14.00", "7.00", "项目尚未通过验收", "computed"),
    line("一岗双责", "一岗双责报告按时提交率", "10.00", "9.00", "按时提交 9/10 份", "computed"),
    line("党员队伍", "书记述职评议", "8.00", "6.80", "评议等次：较好", "computed"),
    {"lineage": "", "dimension": "加减分", "name": "加减分事项", "source": "adjustment", "max": None,
     "score": "-1.00", "input": "获得市级及以上表彰 +2；被上级通报批评 −3"},
]  # fmt: skip


@pytest.fixture
def draft_run(db):
    return RatingRunFactory(status=RunStatus.DRAFT, number=2)


@pytest.fixture
def published_run(db):
    return RatingRunFactory(
        status=RunStatus.PUBLISHED, number=1, published_at=datetime.datetime(YEAR + 1, 1, 5, tzinfo=datetime.UTC)
    )


def result(run, branch, **fields):
    return RatingResultFactory(run=run, branch=branch, **fields)


# --- the runs of a year ----------------------------------------------------------------------


def test_the_work_committee_sees_every_run_and_may_compute(client_for, gongwei_staff, draft_run, published_run):
    response = client_for(gongwei_staff).get(RUN_LIST, {"year": YEAR})

    assert response.status_code == 200
    assert [run.pk for run in response.context["runs"]] == [draft_run.pk, published_run.pk]
    assert response.context["can_compute"]
    page = response.content.decode()
    assert reverse("assessments:run_compute") in page
    # Computing again would replace the unpublished draft: the button asks first.
    assert "尚未发布（待发布），重新计算将替代它" in response.context["compute_confirm"]
    assert "data-confirm=" in page


def test_an_organ_committee_sees_only_published_runs_and_no_compute_button(
    client_for, organ_staff_a, draft_run, published_run
):
    response = client_for(organ_staff_a).get(RUN_LIST, {"year": YEAR})

    assert response.status_code == 200
    assert [run.pk for run in response.context["runs"]] == [published_run.pk]
    assert reverse("assessments:run_compute") not in response.content.decode()


@pytest.mark.parametrize("persona", ["secretary_of_branch_a", "member_user", "outsider"])
def test_the_run_list_is_for_staff_only(client_for, persona, request, published_run):
    response = client_for(request.getfixturevalue(persona)).get(RUN_LIST)

    assert response.status_code == 403


def test_the_list_opens_on_the_newest_year_with_a_run(client_for, gongwei_staff, published_run):
    response = client_for(gongwei_staff).get(RUN_LIST)

    assert response.context["year"] == YEAR


def test_the_run_list_costs_the_same_queries_for_one_run_and_many(client_for, gongwei_staff, published_run):
    client = client_for(gongwei_staff)
    client.get(RUN_LIST, {"year": YEAR})
    with CaptureQueriesContext(connection) as one:
        client.get(RUN_LIST, {"year": YEAR})
    published_run.status = RunStatus.SUPERSEDED
    published_run.save()
    for number in range(3, 9):
        RatingRunFactory(status=RunStatus.SUPERSEDED, number=number)
    RatingRunFactory(status=RunStatus.PUBLISHED, number=9)
    with CaptureQueriesContext(connection) as many:
        response = client.get(RUN_LIST, {"year": YEAR})

    assert len(response.context["runs"]) == 8
    assert len(many) == len(one)


# --- computing and publishing ----------------------------------------------------------------


def test_the_work_committee_computes_a_year_in_the_background(
    client_for, gongwei_staff, branch_a, branch_b, django_capture_on_commit_callbacks
):
    default_scheme(YEAR)

    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(gongwei_staff).post(reverse("assessments:run_compute"), {"year": YEAR})

    run = RatingRun.objects.get(year=YEAR)
    assert response.status_code == 302
    assert response["Location"] == reverse("assessments:run_detail", args=[run.pk])
    # The eager task has run `compute_run`: a draft with one result per branch, waiting to be published.
    assert run.status == RunStatus.DRAFT
    assert set(run.results.values_list("branch_id", flat=True)) == {branch_a.pk, branch_b.pk}


def test_the_run_page_tells_where_the_run_stands_not_what_it_was_when_asked(
    client_for, gongwei_staff, branch_a, django_capture_on_commit_callbacks
):
    """The run may be computed before its page is shown: the page then says it is done, and promises no refresh."""
    default_scheme(YEAR)
    client = client_for(gongwei_staff)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("assessments:run_compute"), {"year": YEAR})
    finished = client.get(response["Location"]).content.decode()
    run = RatingRun.objects.get(year=YEAR)

    assert run.status == RunStatus.DRAFT
    assert "待发布" in finished
    assert "自动刷新" not in finished and "正在后台计算" not in finished and "hx-trigger" not in finished

    # While it still computes, the status on the page says so and polls.
    with django_capture_on_commit_callbacks(execute=False):
        response = client.post(reverse("assessments:run_compute"), {"year": YEAR})
    computing = client.get(response["Location"]).content.decode()
    assert "正在后台计算，完成后自动显示结果" in computing and 'hx-trigger="every 2s"' in computing


def test_computing_again_replaces_the_draft(
    client_for, gongwei_staff, branch_a, draft_run, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        client_for(gongwei_staff).post(reverse("assessments:run_compute"), {"year": YEAR})

    draft_run.refresh_from_db()
    assert draft_run.status == RunStatus.SUPERSEDED
    assert RatingRun.objects.filter(year=YEAR, status=RunStatus.DRAFT).exclude(pk=draft_run.pk).exists()


def test_a_year_without_a_scheme_cannot_be_computed(client_for, gongwei_staff, branch_a):
    client = client_for(gongwei_staff)
    response = client.post(reverse("assessments:run_compute"), {"year": YEAR - 3}, follow=True)

    assert not RatingRun.objects.exists()
    assert "尚未设置考核方案" in response.content.decode()


@pytest.mark.parametrize("persona", ["organ_staff_a", "secretary_of_branch_a"])
def test_only_the_work_committee_may_compute(client_for, persona, request, branch_a):
    default_scheme(YEAR)

    response = client_for(request.getfixturevalue(persona)).post(reverse("assessments:run_compute"), {"year": YEAR})

    assert response.status_code == 403
    assert not RatingRun.objects.exists()


def test_publishing_a_draft_supersedes_the_published_run(client_for, gongwei_staff, draft_run, published_run):
    response = client_for(gongwei_staff).post(reverse("assessments:run_publish", args=[draft_run.pk]))

    assert response.status_code == 302
    draft_run.refresh_from_db()
    published_run.refresh_from_db()
    assert draft_run.status == RunStatus.PUBLISHED
    assert draft_run.published_by == gongwei_staff
    assert published_run.status == RunStatus.SUPERSEDED


def test_the_publish_button_is_for_the_work_committee_on_a_draft(
    client_for, gongwei_staff, organ_staff_a, draft_run, published_run, branch_a
):
    publish_draft = reverse("assessments:run_publish", args=[draft_run.pk])
    page = client_for(gongwei_staff).get(reverse("assessments:run_detail", args=[draft_run.pk])).content.decode()
    assert publish_draft in page
    assert f"已发布的{published_run}将被替代" in page
    published_page = client_for(gongwei_staff).get(reverse("assessments:run_detail", args=[published_run.pk]))
    assert reverse("assessments:run_publish", args=[published_run.pk]) not in published_page.content.decode()

    organ_client = client_for(organ_staff_a)
    # The draft is not the organ's to see, and a published run is not theirs to republish.
    assert organ_client.post(publish_draft).status_code == 404
    assert organ_client.post(reverse("assessments:run_publish", args=[published_run.pk])).status_code == 403
    draft_run.refresh_from_db()
    assert draft_run.status == RunStatus.DRAFT


def test_a_published_run_cannot_be_published_again(client_for, gongwei_staff, published_run):
    response = client_for(gongwei_staff).post(reverse("assessments:run_publish", args=[published_run.pk]), follow=True)

    assert "只有待发布的评定可以发布" in response.content.decode()


# --- one run ---------------------------------------------------------------------------------


@pytest.fixture
def rated(published_run, branch_a, branch_a2, branch_b):
    """Six branches over two organs: stars 5, 4, 4, 3, 1, 0; the last two flagged for rectification."""
    a3 = BranchFactory(organ=branch_a.organ, name="法规处党支部")
    b2 = BranchFactory(organ=branch_b.organ, name="国库处党支部")
    b3 = BranchFactory(organ=branch_b.organ, name="综合处党支部（财政）")
    rows = [
        (branch_a, 5, "96.00", Tier.ADVANCED, False),
        (branch_b, 4, "90.00", Tier.ADVANCED, False),
        (branch_a2, 4, "86.00", Tier.GOOD, False),
        (b2, 3, "78.00", Tier.ORDINARY, False),
        (a3, 1, "61.00", Tier.ORDINARY, True),
        (b3, 0, "52.00", Tier.BACKWARD, True),
    ]
    results = {}
    for rank, (branch, stars, total, tier, bottom) in enumerate(rows, start=1):
        results[branch.name] = result(
            published_run, branch, stars=stars, stars_by_score=stars, total=Decimal(total), tier=tier,
            rank=rank, is_bottom=bottom, previous_stars=3,
        )  # fmt: skip
    results[a3.name].paired_with = results[branch_a.name]
    results[a3.name].save()
    results[b3.name].paired_with = results[branch_b.name]
    results[b3.name].save()
    return results


def test_the_distributions_add_up_to_the_results(client_for, gongwei_staff, published_run, rated):
    response = client_for(gongwei_staff).get(reverse("assessments:run_detail", args=[published_run.pk]))

    dist = response.context["dist"]
    assert dist["total"] == 6
    assert [(s.label, s.count) for s in dist["stars"]] == [
        ("★★★★★", 1), ("★★★★☆", 2), ("★★★☆☆", 1), ("★★☆☆☆", 0), ("★☆☆☆☆", 1), ("无星", 1),
    ]  # fmt: skip
    assert {s.label: s.count for s in dist["tiers"]} == {"先进": 2, "良好": 1, "一般": 2, "后进": 1}
    assert (dist["four_plus"].count, dist["four_plus"].percent) == (3, Decimal("50.0"))
    assert sum(s.count for s in dist["stars"]) == sum(s.count for s in dist["tiers"]) == 6
    assert [r.branch_name for r in response.context["bottom"]] == ["综合处党支部（财政）", "法规处党支部"]
    assert response.context["bottom"][0].paired_with.branch_name == "预算处党支部"


def test_an_organ_committee_reads_only_its_own_branches(client_for, organ_staff_a, published_run, rated):
    response = client_for(organ_staff_a).get(reverse("assessments:run_detail", args=[published_run.pk]))

    names = {r.branch_name for r in response.context["page"].object_list}
    assert names == {"综合处党支部", "规划处党支部", "法规处党支部"}
    assert response.context["dist"]["total"] == 3
    assert [r.branch_name for r in response.context["bottom"]] == ["法规处党支部"]
    assert "预算处党支部" not in {r.branch_name for r in response.context["page"].object_list}
    assert response.context["scope_label"] == "市发展和改革委员会"


def test_the_results_filter_by_organ_and_branch_name(client_for, gongwei_staff, organ_b, published_run, rated):
    client = client_for(gongwei_staff)
    url = reverse("assessments:run_detail", args=[published_run.pk])

    by_organ = client.get(url, {"organ": organ_b.pk}).context["page"].object_list
    by_name = client.get(url, {"q": "综合处"}).context["page"].object_list

    assert [r.branch_name for r in by_organ] == ["预算处党支部", "国库处党支部", "综合处党支部（财政）"]
    assert [r.branch_name for r in by_name] == ["综合处党支部", "综合处党支部（财政）"]


def test_the_results_are_paged_by_fifty(client_for, gongwei_staff, published_run, organ_a):
    for rank in range(1, 56):
        result(published_run, BranchFactory(organ=organ_a), rank=rank)

    response = client_for(gongwei_staff).get(reverse("assessments:run_detail", args=[published_run.pk]))

    assert len(response.context["page"].object_list) == 50
    assert response.context["page"].paginator.num_pages == 2
    assert response.context["dist"]["total"] == 55


def test_a_draft_run_is_the_work_committees_alone(client_for, organ_staff_a, draft_run, branch_a):
    result(draft_run, branch_a)

    response = client_for(organ_staff_a).get(reverse("assessments:run_detail", args=[draft_run.pk]))

    assert response.status_code == 404


def test_a_branch_reads_its_result_on_its_own_page_not_the_run(
    client_for, secretary_of_branch_a, published_run, branch_a
):
    result(published_run, branch_a)

    response = client_for(secretary_of_branch_a).get(reverse("assessments:run_detail", args=[published_run.pk]))

    assert response.status_code == 403


def test_the_scorecard_export_is_offered_on_a_finished_run(client_for, gongwei_staff, published_run, branch_a):
    result(published_run, branch_a)
    published_run.n_branches = 1
    published_run.save()

    response = client_for(gongwei_staff).get(reverse("assessments:run_detail", args=[published_run.pk]))

    assert response.context["can_export"]
    try:
        export_url = reverse("assessments:scorecard_request", args=[published_run.pk])
    except Exception:  # helper C's URL is not there yet: the page must still render without it
        return
    assert export_url in response.content.decode()


def test_the_run_page_costs_the_same_queries_for_one_result_and_thirty(
    client_for, gongwei_staff, published_run, organ_a
):
    client = client_for(gongwei_staff)
    url = reverse("assessments:run_detail", args=[published_run.pk])
    strong = result(published_run, BranchFactory(organ=organ_a), rank=1, stars=5)
    client.get(url)
    with CaptureQueriesContext(connection) as one:
        client.get(url)
    for rank in range(2, 31):
        result(published_run, BranchFactory(organ=organ_a), rank=rank, is_bottom=rank > 27, paired_with=strong)
    with CaptureQueriesContext(connection) as many:
        response = client.get(url)

    assert len(response.context["page"].object_list) == 30
    assert len(response.context["bottom"]) == 3
    assert len(many) == len(one)


# --- progress while the task computes ----------------------------------------------------------


def test_a_computing_run_polls_its_status_and_reloads_when_done(client_for, gongwei_staff):
    run = RatingRunFactory(status=RunStatus.RUNNING)
    client = client_for(gongwei_staff)
    status_url = reverse("assessments:run_status", args=[run.pk])

    page = client.get(reverse("assessments:run_detail", args=[run.pk])).content.decode()
    assert f'hx-get="{status_url}"' in page
    assert 'hx-trigger="every 2s"' in page

    polled = client.get(status_url, headers={"HX-Request": "true"})
    assert polled.status_code == 200
    assert "计算中" in polled.content.decode()
    assert 'hx-trigger="every 2s"' in polled.content.decode()

    run.status = RunStatus.DRAFT
    run.save()
    done = client.get(status_url, headers={"HX-Request": "true"})
    assert done["HX-Refresh"] == "true"


def test_a_failed_run_explains_itself(client_for, gongwei_staff):
    run = RatingRunFactory(status=RunStatus.FAILED, error="ValueError: 方案没有指标")

    page = client_for(gongwei_staff).get(reverse("assessments:run_detail", args=[run.pk])).content.decode()

    assert "计算失败：ValueError: 方案没有指标" in page
    assert "hx-trigger" not in page


# --- one branch's result ---------------------------------------------------------------------


@pytest.fixture
def branch_a_result(published_run, branch_a):
    return result(
        published_run, branch_a, breakdown=BREAKDOWN, base_score=Decimal("82.11"), bonus=Decimal("2.00"),
        deduction=Decimal("3.00"), total=Decimal("81.11"), stars=3, stars_by_score=3, tier=Tier.GOOD,
        dimensions={"政治建设": "10.21", "组织生活": "6.32"}, previous_stars=4,
    )  # fmt: skip


def test_the_breakdown_shows_by_dimension_where_points_were_lost(client_for, organ_staff_a, branch_a_result):
    response = client_for(organ_staff_a).get(reverse("assessments:result_detail", args=[branch_a_result.pk]))

    assert response.status_code == 200
    blocks = response.context["blocks"]
    assert [b.name for b in blocks] == ["政治建设", "组织生活", "业务融合", "一支部一项目", "一岗双责", "党员队伍"]
    politics, life = blocks[0], blocks[1]
    assert (politics.max, politics.score, politics.lost, politics.points) == (
        Decimal("10.00"), Decimal("9.50"), Decimal("0.50"), "10.21"
    )  # fmt: skip
    # N/A is left out of the dimension, never counted as a loss.
    assert (life.max, life.score) == (Decimal("10.00"), Decimal("6.00"))
    assert life.lines[1].not_applicable
    assert [(line.name, line.lost) for line in response.context["losses"]] == [
        ("项目验收得分", Decimal("7.00")), ("三会一课完成率", Decimal("4.00")), ("业务工作年度考核", Decimal("3.00")),
        ("书记述职评议", Decimal("1.20")), ("一岗双责报告按时提交率", Decimal("1.00")),
    ]  # fmt: skip
    page = response.content.decode()
    assert "不适用" in page
    assert "table-danger" in page
    assert "获得市级及以上表彰 +2；被上级通报批评 −3" in response.context["adjustment_notes"]
    assert "降1星" in page


def test_a_secretary_reads_only_their_branchs_published_result(
    client_for, secretary_of_branch_a, secretary_of_branch_b, branch_a_result, branch_a, draft_run
):
    url = reverse("assessments:result_detail", args=[branch_a_result.pk])
    draft_result = result(draft_run, branch_a)

    assert client_for(secretary_of_branch_a).get(url).status_code == 200
    assert client_for(secretary_of_branch_a).get(
        reverse("assessments:result_detail", args=[draft_result.pk])
    ).status_code == 404  # fmt: skip
    assert client_for(secretary_of_branch_b).get(url).status_code == 404


@pytest.mark.parametrize("persona", ["organ_staff_b", "member_user", "outsider"])
def test_a_result_outside_the_scope_does_not_exist(client_for, persona, request, branch_a_result):
    response = client_for(request.getfixturevalue(persona)).get(
        reverse("assessments:result_detail", args=[branch_a_result.pk])
    )

    assert response.status_code == 404


# --- the branch page's stars -------------------------------------------------------------------


def _published(year: int, number: int = 1) -> RatingRun:
    return RatingRunFactory(year=year, number=number, status=RunStatus.PUBLISHED)


def test_the_branch_card_shows_stars_over_the_years_and_the_latest_losses(
    secretary_of_branch_a, branch_a, branch_a_result, draft_run
):
    result(_published(YEAR - 1), branch_a, stars=4, total=Decimal("88.00"))
    result(_published(YEAR - 2), branch_a, stars=2, total=Decimal("70.00"))
    result(draft_run, branch_a, stars=5)  # not published: not part of the branch's record

    context = branch_stars_context(branch_a, secretary_of_branch_a)
    html = render_to_string("assessments/_branch_stars.html", context)

    assert [r.run.year for r in context["stars_history"]] == [YEAR - 2, YEAR - 1, YEAR]
    assert [r.stars for r in context["stars_history"]] == [2, 4, 3]
    assert context["latest_result"] == branch_a_result
    assert [line.name for line in context["stars_losses"]][:2] == ["项目验收得分", "三会一课完成率"]
    assert len(context["stars_losses"]) == 5
    assert "★★☆☆☆" in html and "★★★★☆" in html and "★★★☆☆" in html
    assert reverse("assessments:result_detail", args=[branch_a_result.pk]) in html
    assert "项目验收得分：失" in html


def test_a_branch_never_rated_says_so(secretary_of_branch_a, branch_a):
    context = branch_stars_context(branch_a, secretary_of_branch_a)

    assert context["latest_result"] is None
    assert "尚无已发布的星级评定结果" in render_to_string("assessments/_branch_stars.html", context)


def test_the_branch_card_costs_the_same_queries_for_one_year_and_many(gongwei_staff, branch_a):
    result(_published(YEAR), branch_a)
    branch_stars_context(branch_a, gongwei_staff)  # warm the scope
    with CaptureQueriesContext(connection) as one:
        render_to_string("assessments/_branch_stars.html", branch_stars_context(branch_a, gongwei_staff))
    for year in range(YEAR - 6, YEAR):
        result(_published(year), branch_a)
    with CaptureQueriesContext(connection) as many:
        context = branch_stars_context(branch_a, gongwei_staff)
        render_to_string("assessments/_branch_stars.html", context)

    assert len(context["stars_history"]) == 7
    assert len(many) == len(one)
