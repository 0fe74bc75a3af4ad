"""Scoring: 工委 and 机关党委 staff score their branches on the manual and business indicators in a
grid, one cell at a time without reloading; a computed indicator can only be marked N/A with a
reason; the branch committee gives its self-score, which the staff see in the grid."""

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from assessments import scores
from assessments.models import IndicatorScore
from assessments.scores import ScoreError
from tests.assessments.factories import default_scheme
from tests.factories import BranchFactory

YEAR = 2026
HTMX = {"HX-Request": "true"}


@pytest.fixture
def scheme(gongwei_staff):
    return default_scheme(YEAR, by=gongwei_staff)


@pytest.fixture
def theory(scheme):
    """Manual, 6 points, open to self-scores."""
    return scheme.indicators.get(name="理论武装")


@pytest.fixture
def ideology(scheme):
    """Manual, 4 points, no self-score."""
    return scheme.indicators.get(name="意识形态工作")


@pytest.fixture
def business(scheme):
    """Business (一表双考), 15 points."""
    return scheme.indicators.get(name="业务工作年度考核")


@pytest.fixture
def meetings(scheme):
    """Computed from the meeting records."""
    return scheme.indicators.get(name="三会一课完成率")


def score_of(branch, indicator) -> IndicatorScore | None:
    return IndicatorScore.objects.filter(branch=branch, year=YEAR, lineage=indicator.lineage).first()


def save(branch, indicator, by, score=None, not_applicable=False, note=""):
    return scores.save_score(branch, indicator, year=YEAR, score=score, not_applicable=not_applicable, note=note, by=by)


def cell_url(branch, indicator) -> str:
    return reverse("assessments:score_cell", args=[branch.pk, indicator.pk])


def cell_data(branch, indicator, score="", not_applicable=False, note="") -> dict:
    prefix = f"c{branch.pk}-{indicator.pk}"
    data = {f"{prefix}-score": score, f"{prefix}-note": note}
    if not_applicable:
        data[f"{prefix}-not_applicable"] = "on"
    return data


# --- The scoring rules -----------------------------------------------------------------------


def test_staff_score_a_manual_indicator_and_the_history_says_who(branch_a, theory, organ_staff_a, gongwei_staff):
    save(branch_a, theory, organ_staff_a, score=Decimal("5.5"), note="理论学习中心组按计划开展")
    save(branch_a, theory, gongwei_staff, score=Decimal("4.75"), note="抽查发现学习记录不全")

    record = score_of(branch_a, theory)
    assert (record.score, record.not_applicable, record.scored_by) == (Decimal("4.75"), False, gongwei_staff)
    history = [
        (h.score, h.history_user.username, h.history_change_reason)
        for h in record.history.order_by("history_id").select_related("history_user")
    ]
    assert history == [
        (Decimal("5.50"), "jiguan_a", "理论武装 评分：5.5分"),
        (Decimal("4.75"), "gongwei", "理论武装 评分：4.75分"),
    ]


def test_saving_the_same_score_again_writes_no_history(branch_a, business, organ_staff_a):
    save(branch_a, business, organ_staff_a, score=Decimal("15"))
    save(branch_a, business, organ_staff_a, score=Decimal("15"))
    assert score_of(branch_a, business).history.count() == 1


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (Decimal("6.01"), "“理论武装”得分须在 0 至 6 分之间。"),
        (Decimal("-1"), "“理论武装”得分须在 0 至 6 分之间。"),
        (Decimal("5.555"), "“理论武装”得分最多保留两位小数。"),
    ],
)
def test_a_score_outside_zero_to_the_maximum_or_finer_than_cents_is_refused(
    branch_a, theory, organ_staff_a, value, message
):
    with pytest.raises(ScoreError) as refused:
        save(branch_a, theory, organ_staff_a, score=value)
    assert str(refused.value) == message
    assert score_of(branch_a, theory) is None


def test_the_maximum_itself_and_zero_are_accepted(branch_a, branch_a2, theory, organ_staff_a):
    save(branch_a, theory, organ_staff_a, score=Decimal("6"))
    save(branch_a2, theory, organ_staff_a, score=Decimal("0"))
    assert score_of(branch_a, theory).score == Decimal("6")
    assert score_of(branch_a2, theory).score == Decimal("0")


def test_not_applicable_needs_a_reason_and_replaces_the_score(branch_a, theory, organ_staff_a):
    save(branch_a, theory, organ_staff_a, score=Decimal("5"))
    with pytest.raises(ScoreError, match="标记为不适用须在说明中写明原因"):
        save(branch_a, theory, organ_staff_a, not_applicable=True)
    with pytest.raises(ScoreError, match="不能同时填写得分"):
        save(branch_a, theory, organ_staff_a, score=Decimal("5"), not_applicable=True, note="新成立")
    save(branch_a, theory, organ_staff_a, not_applicable=True, note="支部年中新成立")
    record = score_of(branch_a, theory)
    assert (record.score, record.not_applicable, record.note) == (None, True, "支部年中新成立")


def test_a_computed_indicator_takes_only_not_applicable_with_a_reason(branch_a, meetings, organ_staff_a):
    with pytest.raises(ScoreError, match="由系统根据已有记录计算，不能人工评分"):
        save(branch_a, meetings, organ_staff_a, score=Decimal("8"))
    with pytest.raises(ScoreError, match="须在说明中写明原因"):
        save(branch_a, meetings, organ_staff_a, not_applicable=True)

    save(branch_a, meetings, organ_staff_a, not_applicable=True, note="支部于11月成立，无全年组织生活要求")
    save(branch_a, meetings, organ_staff_a, not_applicable=False, note="")
    record = score_of(branch_a, meetings)
    assert (record.score, record.not_applicable) == (None, False)
    assert [h.history_change_reason for h in record.history.order_by("history_id")] == [
        "三会一课完成率 标记不适用：支部于11月成立，无全年组织生活要求",
        "三会一课完成率 取消不适用",
    ]


def test_an_indicator_of_another_year_is_refused(branch_a, theory, organ_staff_a):
    with pytest.raises(ScoreError, match="不是2025年度考核方案的指标"):
        scores.save_score(
            branch_a, theory, year=2025, score=Decimal("5"), not_applicable=False, note="", by=organ_staff_a
        )


def test_organ_staff_score_only_their_own_organs_branches(branch_a, branch_b, theory, organ_staff_a):
    save(branch_a, theory, organ_staff_a, score=Decimal("5"))
    with pytest.raises(PermissionDenied):
        save(branch_b, theory, organ_staff_a, score=Decimal("5"))
    assert score_of(branch_b, theory) is None


def test_a_branch_does_not_score_itself(branch_a, theory, secretary_of_branch_a):
    with pytest.raises(PermissionDenied):
        save(branch_a, theory, secretary_of_branch_a, score=Decimal("6"))


# --- Self-scores -----------------------------------------------------------------------------


def test_the_branch_committee_self_scores_its_own_branch_only(branch_a, branch_b, theory, secretary_of_branch_a):
    scores.save_self_score(
        branch_a, theory, year=YEAR, self_score=Decimal("5.5"), self_note="全年学习12次", by=secretary_of_branch_a
    )
    record = score_of(branch_a, theory)
    assert (record.self_score, record.self_note, record.score) == (Decimal("5.5"), "全年学习12次", None)
    assert record.history.get().history_user == secretary_of_branch_a

    with pytest.raises(PermissionDenied):
        scores.save_self_score(
            branch_b, theory, year=YEAR, self_score=Decimal("5"), self_note="", by=secretary_of_branch_a
        )


def test_self_scores_are_only_for_indicators_that_invite_them_and_not_given_by_staff(
    branch_a, theory, ideology, secretary_of_branch_a, organ_staff_a
):
    with pytest.raises(ScoreError, match="“意识形态工作”不设支部自评"):
        scores.save_self_score(
            branch_a, ideology, year=YEAR, self_score=Decimal("4"), self_note="", by=secretary_of_branch_a
        )
    with pytest.raises(ScoreError, match="自评分须在 0 至 6 分之间"):
        scores.save_self_score(
            branch_a, theory, year=YEAR, self_score=Decimal("7"), self_note="", by=secretary_of_branch_a
        )
    with pytest.raises(PermissionDenied):
        scores.save_self_score(branch_a, theory, year=YEAR, self_score=Decimal("6"), self_note="", by=organ_staff_a)
    assert score_of(branch_a, theory) is None


def test_a_self_score_and_the_staff_score_live_side_by_side(branch_a, theory, secretary_of_branch_a, organ_staff_a):
    scores.save_self_score(branch_a, theory, year=YEAR, self_score=Decimal("6"), self_note="", by=secretary_of_branch_a)
    save(branch_a, theory, organ_staff_a, score=Decimal("5"))
    record = score_of(branch_a, theory)
    assert (record.self_score, record.score) == (Decimal("6"), Decimal("5"))


def test_the_self_score_page_saves_all_indicators_or_none(branch_a, scheme, theory, secretary_of_branch_a, client_for):
    client = client_for(secretary_of_branch_a)
    url = f"{reverse('assessments:self_score', args=[branch_a.pk])}?year={YEAR}"
    page = client.get(url).content.decode()
    self_scored = list(scheme.indicators.filter(allow_self_score=True).order_by("pk"))
    assert [i.name in page for i in self_scored] == [True] * len(self_scored)
    assert "意识形态工作" not in page

    good = {}
    for i in self_scored:
        good.update({f"i{i.pk}-self_score": "4", f"i{i.pk}-self_note": "按计划完成"})
    refused = client.post(url, {**good, f"i{theory.pk}-self_score": "9"})
    assert refused.status_code == 200
    assert "本次未保存任何内容" in refused.content.decode()
    assert not IndicatorScore.objects.filter(branch=branch_a).exists()

    response = client.post(url, good, follow=True)
    assert f"支部自评已保存（{len(self_scored)} 项有修改）" in response.content.decode()
    assert IndicatorScore.objects.filter(branch=branch_a, self_score=Decimal("4")).count() == len(self_scored)


def test_staff_read_the_self_scores_but_cannot_post_them(branch_a, theory, organ_staff_a, client_for):
    client = client_for(organ_staff_a)
    url = reverse("assessments:self_score", args=[branch_a.pk])
    page = client.get(url)
    assert page.status_code == 200
    assert "只有本支部的支部委员可以填写" in page.content.decode()
    assert client.post(url, {f"i{theory.pk}-self_score": "6"}).status_code == 403


def test_another_branchs_self_score_page_is_not_found(branch_b, secretary_of_branch_a, client_for):
    assert (
        client_for(secretary_of_branch_a).get(reverse("assessments:self_score", args=[branch_b.pk])).status_code == 404
    )


def test_the_self_score_menu_entry_takes_a_secretary_to_their_branch(branch_a, secretary_of_branch_a, client_for):
    response = client_for(secretary_of_branch_a).get(reverse("assessments:self_score_home"))
    assert response.url == reverse("assessments:self_score", args=[branch_a.pk])


# --- The grid --------------------------------------------------------------------------------


def grid_url(organ, **params) -> str:
    query = "&".join(f"{k}={v}" for k, v in {"year": YEAR, "organ": organ.pk, **params}.items())
    return f"{reverse('assessments:scoring_grid')}?{query}"


def test_the_grid_shows_the_organs_active_branches_against_the_manual_and_business_indicators(
    organ_a, branch_a, branch_a2, branch_b, theory, business, meetings, organ_staff_a, secretary_of_branch_a, client_for
):
    BranchFactory(organ=organ_a, name="已撤销党支部", dissolved_on="2026-03-01", founded_on="2020-01-01")
    save(branch_a, business, organ_staff_a, score=Decimal("13.5"))
    scores.save_self_score(
        branch_a, theory, year=YEAR, self_score=Decimal("5"), self_note="学习扎实", by=secretary_of_branch_a
    )

    page = client_for(organ_staff_a).get(grid_url(organ_a)).content.decode()

    assert "综合处党支部" in page and "规划处党支部" in page
    assert "预算处党支部" not in page and "已撤销党支部" not in page
    assert "理论武装" in page and "业务工作年度考核" in page
    assert "三会一课完成率" not in page
    assert 'value="13.50"' in page
    assert "支部自评 5：学习扎实" in page
    assert f'hx-post="{cell_url(branch_a, theory)}"' in page


def test_the_grid_can_show_computed_indicators_for_marking_them_not_applicable(
    organ_a, branch_a, meetings, organ_staff_a, client_for
):
    page = client_for(organ_staff_a).get(grid_url(organ_a, computed=1)).content.decode()
    assert "三会一课完成率" in page
    assert f'name="c{branch_a.pk}-{meetings.pk}-not_applicable"' in page
    assert f'name="c{branch_a.pk}-{meetings.pk}-score"' not in page


def test_organ_staff_cannot_open_another_organs_grid(organ_b, branch_b, scheme, organ_staff_a, client_for):
    assert client_for(organ_staff_a).get(grid_url(organ_b)).status_code == 404


@pytest.mark.parametrize("persona", ["secretary_of_branch_a", "member_user", "outsider"])
def test_only_staff_see_the_grid(persona, organ_a, scheme, client_for, request):
    assert client_for(request.getfixturevalue(persona)).get(grid_url(organ_a)).status_code == 403


def test_the_grid_says_when_the_year_has_no_scheme(organ_a, branch_a, gongwei_staff, client_for):
    page = client_for(gongwei_staff).get(grid_url(organ_a, year=2031)).content.decode()
    assert "2031年度尚无考核方案" in page


def test_the_grid_takes_the_same_queries_for_one_branch_or_many(
    organ_a, branch_a, theory, business, organ_staff_a, client_for
):
    client = client_for(organ_staff_a)
    save(branch_a, theory, organ_staff_a, score=Decimal("5"))
    client.get(grid_url(organ_a))
    with CaptureQueriesContext(connection) as one:
        assert client.get(grid_url(organ_a)).status_code == 200
    for n in range(12):
        branch = BranchFactory(organ=organ_a, name=f"第{n}党支部")
        save(branch, theory, organ_staff_a, score=Decimal("4"))
        save(branch, business, organ_staff_a, not_applicable=True, note="无业务考核")
    with CaptureQueriesContext(connection) as many:
        page = client.get(grid_url(organ_a)).content.decode()
    assert "第11党支部" in page
    assert len(many.captured_queries) == len(one.captured_queries)


# --- One cell, saved with htmx ---------------------------------------------------------------


def test_a_cell_saves_in_place_and_returns_only_itself(branch_a, theory, organ_staff_a, client_for):
    response = client_for(organ_staff_a).post(
        cell_url(branch_a, theory), cell_data(branch_a, theory, score="5.25", note="学习扎实"), headers=HTMX
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith(f'<td id="cell-{branch_a.pk}-{theory.pk}"')
    assert "<html" not in html
    assert "已保存" in html and 'value="5.25"' in html
    record = score_of(branch_a, theory)
    assert (record.score, record.note, record.scored_by) == (Decimal("5.25"), "学习扎实", organ_staff_a)


@pytest.mark.parametrize(
    ("score", "message"),
    [("7", "“理论武装”得分须在 0 至 6 分之间。"), ("abc", "请填写数字。"), ("5.123", "最多保留两位小数。")],
)
def test_a_refused_cell_shows_the_reason_in_chinese_and_keeps_the_old_score(
    branch_a, theory, organ_staff_a, client_for, score, message
):
    save(branch_a, theory, organ_staff_a, score=Decimal("5"))
    response = client_for(organ_staff_a).post(
        cell_url(branch_a, theory), cell_data(branch_a, theory, score=score), headers=HTMX
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert message in html
    assert "已保存" not in html
    assert score_of(branch_a, theory).score == Decimal("5")


def test_ticking_not_applicable_in_a_cell_wins_over_a_number_left_in_it(branch_a, theory, organ_staff_a, client_for):
    client_for(organ_staff_a).post(
        cell_url(branch_a, theory),
        cell_data(branch_a, theory, score="5", not_applicable=True, note="新成立支部"),
        headers=HTMX,
    )
    record = score_of(branch_a, theory)
    assert (record.score, record.not_applicable) == (None, True)


def test_a_cell_posted_without_htmx_goes_back_to_the_grid(organ_a, branch_a, theory, organ_staff_a, client_for):
    response = client_for(organ_staff_a).post(cell_url(branch_a, theory), cell_data(branch_a, theory, score="6"))
    assert response.status_code == 302
    assert response.url == f"{reverse('assessments:scoring_grid')}?year={YEAR}&organ={organ_a.pk}"
    assert score_of(branch_a, theory).score == Decimal("6")


def test_cells_outside_the_users_scope_are_refused(
    branch_a, branch_b, theory, organ_staff_a, secretary_of_branch_a, client_for
):
    client = client_for(organ_staff_a)
    assert (
        client.post(cell_url(branch_b, theory), cell_data(branch_b, theory, score="5"), headers=HTMX).status_code == 404
    )
    client = client_for(secretary_of_branch_a)
    assert (
        client.post(cell_url(branch_a, theory), cell_data(branch_a, theory, score="5"), headers=HTMX).status_code == 403
    )
    assert not IndicatorScore.objects.exists()


def row_head(html: str, branch) -> str:
    start = html.index(f'id="row-{branch.pk}"')
    return html[start : html.index("</th>", start)]


def test_a_saved_cell_brings_its_rows_scored_count_along(
    organ_a, branch_a, branch_a2, scheme, theory, business, meetings, organ_staff_a, client_for
):
    client = client_for(organ_staff_a)
    grid = client.get(grid_url(organ_a)).content.decode()
    n = scheme.indicators.exclude(source="computed").count()
    assert f"已评 0/{n}" in row_head(grid, branch_a)

    scored = client.post(cell_url(branch_a, theory), cell_data(branch_a, theory, score="5"), headers=HTMX)
    html = scored.content.decode()
    assert html.lstrip().startswith(f'<td id="cell-{branch_a.pk}-{theory.pk}"')
    assert f'id="row-{branch_a.pk}" hx-swap-oob="true">' in html
    assert f"已评 1/{n}" in row_head(html, branch_a)

    not_applicable = cell_data(branch_a, business, not_applicable=True, note="无业务考核")
    marked = client.post(cell_url(branch_a, business), not_applicable, headers=HTMX)
    assert f"已评 2/{n}" in row_head(marked.content.decode(), branch_a)

    refused = client.post(cell_url(branch_a, theory), cell_data(branch_a, theory, score="99"), headers=HTMX)
    assert f"已评 2/{n}" in row_head(refused.content.decode(), branch_a)
    assert f"已评 2/{n}" in row_head(client.get(grid_url(organ_a)).content.decode(), branch_a)
    assert f"已评 0/{n}" in row_head(client.get(grid_url(organ_a)).content.decode(), branch_a2)


def test_with_computed_indicators_shown_the_count_covers_them_too(
    organ_a, branch_a, scheme, meetings, organ_staff_a, client_for
):
    client = client_for(organ_staff_a)
    grid = client.get(grid_url(organ_a, computed=1)).content.decode()
    n = scheme.indicators.count()
    assert f"已评 0/{n}" in row_head(grid, branch_a)
    assert '<input type="hidden" name="computed" value="1">' in grid
    data = {**cell_data(branch_a, meetings, not_applicable=True, note="年中新成立"), "computed": "1"}
    html = client.post(cell_url(branch_a, meetings), data, headers=HTMX).content.decode()
    assert f"已评 1/{n}" in row_head(html, branch_a)
