"""考核方案: the 工委 sets up a year's rules (default or copied from last year), edits a draft, and
once a rating run has used a version, changes go to a new version. 机关党委 staff read the rules;
nobody else does."""

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from assessments import schemes
from assessments.choices import AdjustmentKind, IndicatorSource, Metric, SchemeStatus
from assessments.models import AssessmentScheme, Indicator
from assessments.schemes import LOCKED_MESSAGE, IndicatorData, ItemData, SchemeError
from tests.assessments.factories import default_scheme

YEAR = 2026


@pytest.fixture
def scheme(gongwei_staff):
    return default_scheme(YEAR, by=gongwei_staff)


@pytest.fixture
def locked(scheme):
    return schemes.lock_scheme(scheme)


def indicator_named(scheme, name) -> Indicator:
    return scheme.indicators.get(name=name)


def reasons(scheme) -> list[tuple[str, str]]:
    return [
        (h.history_change_reason, h.history_user.username if h.history_user else "")
        for h in scheme.history.order_by("history_id").select_related("history_user")
    ]


# --- Copying to a new year and making new versions -------------------------------------------


def test_copying_last_years_scheme_keeps_every_rule_and_the_indicator_lineage(scheme, gongwei_staff):
    schemes.update_scheme(
        scheme, {"star5_min": Decimal("96"), "bonus_cap": Decimal("3"), "bottom_share": Decimal("8")}, by=gongwei_staff
    )
    schemes.add_adjustment_item(
        scheme, ItemData(AdjustmentKind.BONUS, "获评先进基层党组织", Decimal("3")), by=gongwei_staff
    )

    copy = schemes.copy_scheme(scheme, to_year=YEAR + 1, by=gongwei_staff)

    assert (copy.year, copy.version, copy.status) == (YEAR + 1, 1, SchemeStatus.DRAFT)
    for name in schemes.SETTING_FIELDS:
        assert getattr(copy, name) == getattr(scheme, name), name
    assert list(copy.dimensions.values_list("name", "sort_order")) == list(
        scheme.dimensions.values_list("name", "sort_order")
    )
    fields = ("lineage", "dimension__name", "name", "max_score", "source", "metric", "criteria", "allow_self_score")
    assert list(copy.indicators.values_list(*fields)) == list(scheme.indicators.values_list(*fields))
    assert list(copy.adjustment_items.values_list("kind", "name", "points")) == list(
        scheme.adjustment_items.values_list("kind", "name", "points")
    )
    assert reasons(copy) == [(f"复制{YEAR}年度第1版方案", "gongwei")]
    # The copy is its own: editing it leaves last year's rules alone.
    schemes.update_scheme(copy, {"star5_min": Decimal("97")}, by=gongwei_staff)
    scheme.refresh_from_db()
    assert scheme.star5_min == Decimal("96")


def test_a_year_that_already_has_a_scheme_is_not_copied_over(scheme, gongwei_staff):
    schemes.copy_scheme(scheme, to_year=YEAR + 1, by=gongwei_staff)
    with pytest.raises(SchemeError, match=f"{YEAR + 1}年度已有考核方案"):
        schemes.copy_scheme(scheme, to_year=YEAR + 1, by=gongwei_staff)
    with pytest.raises(SchemeError, match="已有考核方案"):
        schemes.copy_scheme(scheme, to_year=YEAR, by=gongwei_staff)
    assert AssessmentScheme.objects.filter(year=YEAR + 1).count() == 1


def test_a_new_version_of_a_locked_scheme_is_an_editable_draft_with_the_same_lineages(locked, gongwei_staff):
    second = schemes.new_version(locked, by=gongwei_staff)
    third = schemes.new_version(locked, by=gongwei_staff)

    assert (second.year, second.version, second.status, second.locked_at) == (YEAR, 2, SchemeStatus.DRAFT, None)
    assert third.version == 3
    assert schemes.scheme_for_year(YEAR) == third
    assert set(second.indicators.values_list("lineage", flat=True)) == set(
        locked.indicators.values_list("lineage", flat=True)
    )
    theory = indicator_named(second, "理论武装")
    schemes.update_indicator(
        theory, IndicatorData(theory.dimension, "理论武装", Decimal("8"), IndicatorSource.MANUAL), by=gongwei_staff
    )
    theory.refresh_from_db()
    assert theory.max_score == Decimal("8")
    assert theory.lineage == indicator_named(locked, "理论武装").lineage
    assert indicator_named(locked, "理论武装").max_score == Decimal("6")


# --- A locked scheme -------------------------------------------------------------------------


def test_a_scheme_used_by_a_rating_run_refuses_every_change(locked, gongwei_staff):
    dimension = locked.dimensions.first()
    indicator = locked.indicators.first()
    item = locked.adjustment_items.first()
    changes = [
        lambda: schemes.update_scheme(locked, {"star5_min": Decimal("96")}, by=gongwei_staff),
        lambda: schemes.add_dimension(locked, name="作风建设", by=gongwei_staff),
        lambda: schemes.update_dimension(dimension, name="政治引领", sort_order=0, by=gongwei_staff),
        lambda: schemes.delete_dimension(dimension, by=gongwei_staff),
        lambda: schemes.add_indicator(
            locked, IndicatorData(dimension, "新指标", Decimal("2"), IndicatorSource.MANUAL), by=gongwei_staff
        ),
        lambda: schemes.update_indicator(
            indicator, IndicatorData(dimension, indicator.name, Decimal("1"), IndicatorSource.MANUAL), by=gongwei_staff
        ),
        lambda: schemes.delete_indicator(indicator, by=gongwei_staff),
        lambda: schemes.add_adjustment_item(
            locked, ItemData(AdjustmentKind.BONUS, "新事项", Decimal("1")), by=gongwei_staff
        ),
        lambda: schemes.update_adjustment_item(item, ItemData(item.kind, item.name, Decimal("9")), by=gongwei_staff),
        lambda: schemes.delete_adjustment_item(item, by=gongwei_staff),
    ]
    for change in changes:
        with pytest.raises(SchemeError, match=LOCKED_MESSAGE):
            change()
    locked.refresh_from_db()
    assert locked.star5_min == Decimal("95")
    assert locked.indicators.count() == 13
    assert locked.dimensions.count() == 7
    assert locked.adjustment_items.count() == 4


def test_the_editing_pages_of_a_locked_scheme_send_the_user_back_with_the_reason(locked, gongwei_staff, client_for):
    client = client_for(gongwei_staff)
    response = client.get(reverse("assessments:scheme_edit", args=[locked.pk]), follow=True)
    assert response.redirect_chain[-1][0] == reverse("assessments:scheme_detail", args=[locked.pk])
    assert LOCKED_MESSAGE in response.content.decode()

    response = client.post(reverse("assessments:indicator_delete", args=[locked.indicators.first().pk]), follow=True)
    assert LOCKED_MESSAGE in response.content.decode()
    assert locked.indicators.count() == 13
    page = client.get(reverse("assessments:scheme_detail", args=[locked.pk])).content.decode()
    assert "已锁定" in page
    assert "修改设置" not in page
    assert "创建新版本" in page


# --- Who may do what -------------------------------------------------------------------------


def test_only_the_gongwei_changes_schemes(scheme, organ_staff_a, secretary_of_branch_a):
    for user in (organ_staff_a, secretary_of_branch_a):
        with pytest.raises(PermissionDenied):
            schemes.update_scheme(scheme, {"star5_min": Decimal("96")}, by=user)
        with pytest.raises(PermissionDenied):
            schemes.copy_scheme(scheme, to_year=YEAR + 1, by=user)
        with pytest.raises(PermissionDenied):
            schemes.new_version(scheme, by=user)
        with pytest.raises(PermissionDenied):
            schemes.delete_indicator(scheme.indicators.first(), by=user)
    assert AssessmentScheme.objects.count() == 1


def test_organ_staff_read_the_scheme_but_get_no_editing_buttons_or_pages(scheme, organ_staff_a, client_for):
    client = client_for(organ_staff_a)
    page = client.get(reverse("assessments:scheme_detail", args=[scheme.pk]))
    assert page.status_code == 200
    text = page.content.decode()
    assert "理论武装" in text and "问题整改按期销号率" in text
    assert "修改设置" not in text and "创建新版本" not in text
    assert client.get(reverse("assessments:scheme_list")).status_code == 200
    assert client.get(reverse("assessments:scheme_edit", args=[scheme.pk])).status_code == 403
    assert client.post(reverse("assessments:scheme_new_version", args=[scheme.pk])).status_code == 403
    assert client.post(reverse("assessments:scheme_create_default"), {"year": YEAR + 1}).status_code == 403
    assert AssessmentScheme.objects.count() == 1


@pytest.mark.parametrize("persona", ["secretary_of_branch_a", "member_user", "outsider"])
def test_branches_and_members_do_not_see_the_scheme_pages(persona, scheme, client_for, request):
    client = client_for(request.getfixturevalue(persona))
    assert client.get(reverse("assessments:scheme_list")).status_code == 403
    assert client.get(reverse("assessments:scheme_detail", args=[scheme.pk])).status_code == 403


def test_an_unknown_scheme_is_not_found(gongwei_staff, client_for):
    assert client_for(gongwei_staff).get(reverse("assessments:scheme_detail", args=[999999])).status_code == 404


# --- Settings and indicators are validated, in Chinese ----------------------------------------


def test_thresholds_out_of_order_are_refused_before_saving(scheme, gongwei_staff, client_for):
    with pytest.raises(SchemeError, match="星级分数线须从五星到一星依次降低"):
        schemes.update_scheme(scheme, {"star4_min": Decimal("96")}, by=gongwei_staff)
    with pytest.raises(SchemeError, match="等次分数线"):
        schemes.update_scheme(scheme, {"good_min": Decimal("55")}, by=gongwei_staff)
    with pytest.raises(SchemeError, match="排名靠后整顿比例（%）：确保该值小于或等于10"):
        schemes.update_scheme(scheme, {"bottom_share": Decimal("12")}, by=gongwei_staff)

    form = {name: getattr(scheme, name) for name in schemes.SETTING_FIELDS}
    form.update(star4_min="96")
    response = client_for(gongwei_staff).post(reverse("assessments:scheme_edit", args=[scheme.pk]), form)
    assert response.status_code == 200
    assert "星级分数线须从五星到一星依次降低" in response.content.decode()
    scheme.refresh_from_db()
    assert scheme.star4_min == Decimal("85")


def test_settings_saved_through_the_page_are_in_the_history(scheme, gongwei_staff, client_for):
    form = {name: getattr(scheme, name) for name in schemes.SETTING_FIELDS}
    form.update(five_star_quota="8", points_base="70")
    response = client_for(gongwei_staff).post(reverse("assessments:scheme_edit", args=[scheme.pk]), form)
    assert response.status_code == 302
    scheme.refresh_from_db()
    assert (scheme.five_star_quota, scheme.points_base) == (Decimal("8"), Decimal("70"))
    assert reasons(scheme)[-1] == ("修改方案设置", "gongwei")


def test_a_computed_indicator_needs_a_metric_and_only_it_has_one(scheme, gongwei_staff, client_for):
    dimension = scheme.dimensions.get(name="组织建设")
    with pytest.raises(SchemeError, match="须选择计算口径"):
        schemes.add_indicator(
            scheme, IndicatorData(dimension, "支委会召开率", Decimal("2"), IndicatorSource.COMPUTED), by=gongwei_staff
        )
    with pytest.raises(SchemeError, match="只有系统计算的指标才选择计算口径"):
        schemes.add_indicator(
            scheme,
            IndicatorData(dimension, "支部规范化", Decimal("2"), IndicatorSource.MANUAL, metric=Metric.APPRAISAL),
            by=gongwei_staff,
        )

    url = reverse("assessments:indicator_create", args=[scheme.pk])
    data = {"dimension": dimension.pk, "name": "支委会召开率", "max_score": "2", "source": "computed", "sort_order": 0}
    response = client_for(gongwei_staff).post(url, data)
    assert "系统计算的指标须选择计算口径。" in response.content.decode()
    assert not scheme.indicators.filter(name="支委会召开率").exists()

    response = client_for(gongwei_staff).post(url, {**data, "metric": Metric.MEETING_COMPLETION})
    assert response.status_code == 302
    added = scheme.indicators.get(name="支委会召开率")
    assert (added.metric, added.max_score) == (Metric.MEETING_COMPLETION, Decimal("2"))
    assert reasons(scheme)[-1] == ("新增指标“支委会召开率”（2分）", "gongwei")


def test_the_page_warns_but_does_not_refuse_when_the_maxima_do_not_add_up_to_100(scheme, gongwei_staff, client_for):
    client = client_for(gongwei_staff)
    url = reverse("assessments:scheme_detail", args=[scheme.pk])
    assert "不等于 100 分" not in client.get(url).content.decode()

    dimension = scheme.dimensions.get(name="政治建设")
    schemes.add_indicator(
        scheme, IndicatorData(dimension, "意识形态阵地建设", Decimal("2.5"), IndicatorSource.MANUAL), by=gongwei_staff
    )
    assert "各指标分值合计为 102.50 分，不等于 100 分" in client.get(url).content.decode()


def test_a_dimension_with_indicators_is_not_deleted(scheme, gongwei_staff):
    dimension = scheme.dimensions.get(name="一岗双责")
    with pytest.raises(SchemeError, match="维度“一岗双责”下还有指标"):
        schemes.delete_dimension(dimension, by=gongwei_staff)
    schemes.delete_indicator(dimension.indicators.get(), by=gongwei_staff)
    schemes.delete_dimension(dimension, by=gongwei_staff)
    assert not scheme.dimensions.filter(name="一岗双责").exists()
    assert [r for r, _ in reasons(scheme)][-2:] == ["删除指标“一岗双责报告按时提交率”", "删除维度“一岗双责”"]


# --- The list page ---------------------------------------------------------------------------


def test_the_gongwei_copies_last_years_scheme_from_the_list_page(scheme, gongwei_staff, client_for):
    client = client_for(gongwei_staff)
    page = client.get(reverse("assessments:scheme_list")).content.decode()
    assert f"复制{YEAR}年度方案（第1版）" in page

    response = client.post(reverse("assessments:scheme_copy", args=[scheme.pk]), {"year": YEAR + 1})
    copy = AssessmentScheme.objects.get(year=YEAR + 1)
    assert response.url == reverse("assessments:scheme_detail", args=[copy.pk])
    assert copy.indicators.count() == 13

    response = client.post(reverse("assessments:scheme_copy", args=[scheme.pk]), {"year": YEAR + 1}, follow=True)
    assert f"{YEAR + 1}年度已有考核方案" in response.content.decode()


def test_the_scheme_list_takes_the_same_queries_for_one_year_or_many(
    gongwei_staff, client_for, django_assert_num_queries
):
    client = client_for(gongwei_staff)
    url = reverse("assessments:scheme_list")
    first = default_scheme(2020, by=gongwei_staff)
    client.get(url)  # warm the session and the scope
    with CaptureQueriesContext(connection) as one:
        assert client.get(url).status_code == 200
    for year in range(2021, 2026):
        schemes.copy_scheme(first, to_year=year, by=gongwei_staff)
    schemes.new_version(first, by=gongwei_staff)
    with django_assert_num_queries(len(one.captured_queries)):
        page = client.get(url).content.decode()
    assert "2025年度" in page and "第2版" in page


def test_the_gongwei_reaches_every_editing_page_of_a_draft(scheme, gongwei_staff, client_for):
    client = client_for(gongwei_staff)
    dimension, indicator = scheme.dimensions.first(), scheme.indicators.first()
    item = scheme.adjustment_items.first()
    pages = [
        reverse("assessments:scheme_edit", args=[scheme.pk]),
        reverse("assessments:dimension_create", args=[scheme.pk]),
        reverse("assessments:dimension_edit", args=[dimension.pk]),
        f"{reverse('assessments:indicator_create', args=[scheme.pk])}?dimension={dimension.pk}",
        reverse("assessments:indicator_edit", args=[indicator.pk]),
        reverse("assessments:adjustment_item_create", args=[scheme.pk]),
        reverse("assessments:adjustment_item_edit", args=[item.pk]),
    ]
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        assert "保存" in response.content.decode()


def test_the_new_version_button_makes_the_next_version_current(locked, gongwei_staff, client_for):
    client = client_for(gongwei_staff)
    response = client.post(reverse("assessments:scheme_new_version", args=[locked.pk]), follow=True)
    second = AssessmentScheme.objects.get(year=YEAR, version=2)
    assert response.redirect_chain[-1][0] == reverse("assessments:scheme_detail", args=[second.pk])
    html = response.content.decode()
    assert "本年度当前版本" in html and "修改设置" in html
    assert reasons(second) == [("由第1版复制为新版本", "gongwei")]
    page = client.get(reverse("assessments:scheme_detail", args=[locked.pk])).content.decode()
    assert "本年度当前版本" not in page
