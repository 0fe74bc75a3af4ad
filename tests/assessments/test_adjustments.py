"""加分/扣分: staff record an award or a case for a branch (from the scheme's catalogue or in their own
words) with its basis; the branch committee hears of it; a withdrawn one stays in the history."""

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from assessments import scores
from assessments.choices import AdjustmentKind
from assessments.models import Adjustment
from assessments.scores import ScoreError
from notifications.models import Notification
from tests.assessments.factories import default_scheme
from tests.factories import BranchFactory

YEAR = 2026


@pytest.fixture
def scheme(gongwei_staff):
    return default_scheme(YEAR, by=gongwei_staff)


def add(
    branch, by, kind=AdjustmentKind.BONUS, name="获得市级及以上表彰", points=Decimal("2"), note="市委文件〔2026〕12号"
):
    return scores.add_adjustment(branch, year=YEAR, kind=kind, name=name, points=points, note=note, by=by)


def list_url(**params) -> str:
    query = "&".join(f"{k}={v}" for k, v in {"year": YEAR, **params}.items())
    return f"{reverse('assessments:adjustment_list')}?{query}"


def test_staff_record_a_bonus_and_the_branch_committee_is_told(branch_a, organ_staff_a, secretary_of_branch_a):
    adjustment = add(branch_a, organ_staff_a)

    assert (adjustment.kind, adjustment.points, adjustment.created_by) == (
        AdjustmentKind.BONUS,
        Decimal("2"),
        organ_staff_a,
    )
    assert adjustment.signed_points == Decimal("2")
    record = adjustment.history.get()
    assert (record.history_user, record.history_change_reason) == (organ_staff_a, "登记加分")
    notice = Notification.objects.get(recipient=secretary_of_branch_a)
    assert notice.title == f"【加分】{YEAR}年度考核：获得市级及以上表彰（+2分）"
    assert "市委文件〔2026〕12号" in notice.body


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"note": "  "}, "请填写依据说明"),
        ({"name": ""}, "请填写加减分事项"),
        ({"points": Decimal("0")}, "分值须在 0.1 至 100 分之间"),
        ({"points": Decimal("1.234")}, "分值最多保留两位小数"),
        ({"kind": "other"}, "请选择加分或扣分"),
    ],
)
def test_an_incomplete_adjustment_is_refused_and_nothing_is_recorded(branch_a, organ_staff_a, changes, message):
    with pytest.raises(ScoreError, match=message):
        add(branch_a, organ_staff_a, **changes)
    assert not Adjustment.objects.exists()
    assert not Notification.objects.exists()


def test_organ_staff_adjust_only_their_own_organs_branches_and_branches_never(
    branch_a, branch_b, organ_staff_a, secretary_of_branch_a
):
    with pytest.raises(PermissionDenied):
        add(branch_b, organ_staff_a)
    with pytest.raises(PermissionDenied):
        add(branch_a, secretary_of_branch_a)
    assert not Adjustment.objects.exists()


def test_withdrawing_an_adjustment_keeps_it_in_the_history(
    branch_a, organ_staff_a, gongwei_staff, secretary_of_branch_a
):
    adjustment = add(branch_a, organ_staff_a, kind=AdjustmentKind.DEDUCTION, name="被上级通报批评", points=Decimal("3"))
    pk = adjustment.pk

    scores.delete_adjustment(adjustment, by=gongwei_staff)

    assert not Adjustment.objects.filter(pk=pk).exists()
    gone = Adjustment.history.filter(id=pk).order_by("history_id").last()
    assert (gone.history_type, gone.history_user, gone.history_change_reason) == ("-", gongwei_staff, "撤销扣分")
    assert (gone.name, gone.points) == ("被上级通报批评", Decimal("3.00"))
    titles = set(Notification.objects.filter(recipient=secretary_of_branch_a).values_list("title", flat=True))
    assert f"【撤销扣分】{YEAR}年度考核：被上级通报批评" in titles


def test_another_organs_staff_cannot_withdraw_an_adjustment(branch_a, organ_staff_a, organ_staff_b, client_for):
    adjustment = add(branch_a, organ_staff_a)
    with pytest.raises(PermissionDenied):
        scores.delete_adjustment(adjustment, by=organ_staff_b)
    assert (
        client_for(organ_staff_b).post(reverse("assessments:adjustment_delete", args=[adjustment.pk])).status_code
        == 404
    )
    assert Adjustment.objects.filter(pk=adjustment.pk).exists()


def test_a_secretary_sees_no_adjustment_pages_and_cannot_withdraw(
    branch_a, organ_staff_a, secretary_of_branch_a, client_for
):
    adjustment = add(branch_a, organ_staff_a)
    client = client_for(secretary_of_branch_a)
    assert client.get(list_url()).status_code == 403
    assert client.get(reverse("assessments:adjustment_create")).status_code == 403
    assert client.post(reverse("assessments:adjustment_delete", args=[adjustment.pk])).status_code == 403
    assert Adjustment.objects.filter(pk=adjustment.pk).exists()


# --- The pages -------------------------------------------------------------------------------


def test_recording_from_the_catalogue_takes_the_items_kind_name_and_points(scheme, branch_a, organ_staff_a, client_for):
    item = scheme.adjustment_items.get(name="发生违纪违法案件")
    response = client_for(organ_staff_a).post(
        f"{reverse('assessments:adjustment_create')}?year={YEAR}",
        {"branch": branch_a.pk, "item": item.pk, "kind": "bonus", "name": "别的", "points": "1", "note": "纪委通报"},
    )
    assert response.status_code == 302
    adjustment = Adjustment.objects.get()
    assert (adjustment.kind, adjustment.name, adjustment.points, adjustment.year) == (
        AdjustmentKind.DEDUCTION,
        "发生违纪违法案件",
        Decimal("5.00"),
        YEAR,
    )


def test_recording_in_ones_own_words_needs_kind_name_and_points(scheme, branch_a, organ_staff_a, client_for):
    url = f"{reverse('assessments:adjustment_create')}?year={YEAR}"
    response = client_for(organ_staff_a).post(url, {"branch": branch_a.pk, "note": "区级表彰"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "请选择加分或扣分。" in html and "请填写事项。" in html and "请填写分值。" in html
    assert not Adjustment.objects.exists()

    client_for(organ_staff_a).post(
        url, {"branch": branch_a.pk, "kind": "bonus", "name": "区级优秀党支部", "points": "1.5", "note": "区级表彰"}
    )
    assert Adjustment.objects.get().name == "区级优秀党支部"


def test_the_form_offers_organ_staff_only_their_own_branches(scheme, branch_a, branch_b, organ_staff_a, client_for):
    url = f"{reverse('assessments:adjustment_create')}?year={YEAR}"
    client = client_for(organ_staff_a)
    page = client.get(url).content.decode()
    assert "综合处党支部" in page and "预算处党支部" not in page
    response = client.post(url, {"branch": branch_b.pk, "kind": "bonus", "name": "表彰", "points": "1", "note": "x"})
    assert response.status_code == 200
    assert not Adjustment.objects.exists()


def test_the_list_shows_the_years_adjustments_in_scope_with_a_confirmed_withdraw_button(
    scheme, branch_a, branch_b, organ_staff_a, gongwei_staff, client_for
):
    add(branch_a, organ_staff_a)
    add(branch_b, gongwei_staff, kind=AdjustmentKind.DEDUCTION, name="被上级通报批评", points=Decimal("3"))
    scores.add_adjustment(
        branch_a, year=YEAR - 1, kind="bonus", name="去年的表彰", points=Decimal("1"), note="x", by=organ_staff_a
    )

    page = client_for(organ_staff_a).get(list_url()).content.decode()
    assert "获得市级及以上表彰" in page
    assert "被上级通报批评" not in page and "去年的表彰" not in page
    assert "data-confirm=" in page
    assert "加分合计 2 分，扣分合计 0 分" in page
    assert "每个支部全年加分最多计 5 分、扣分最多计 10 分" in page

    page = client_for(gongwei_staff).get(list_url()).content.decode()
    assert "获得市级及以上表彰" in page and "被上级通报批评" in page


def test_withdrawing_from_the_list_page(scheme, branch_a, organ_staff_a, client_for):
    adjustment = add(branch_a, organ_staff_a)
    response = client_for(organ_staff_a).post(
        reverse("assessments:adjustment_delete", args=[adjustment.pk]), follow=True
    )
    assert "已撤销综合处党支部的加分“获得市级及以上表彰”" in response.content.decode()
    assert not Adjustment.objects.exists()


def test_the_list_takes_the_same_queries_for_one_row_or_a_page_full(
    scheme, organ_a, branch_a, organ_staff_a, client_for
):
    client = client_for(organ_staff_a)
    add(branch_a, organ_staff_a)
    client.get(list_url())
    with CaptureQueriesContext(connection) as one:
        assert client.get(list_url()).status_code == 200
    for n in range(40):
        add(BranchFactory(organ=organ_a, name=f"第{n:02d}党支部"), organ_staff_a, points=Decimal("1"))
    with CaptureQueriesContext(connection) as many:
        page = client.get(list_url()).content.decode()
    assert "第 1 / 2 页" in page
    assert len(many.captured_queries) == len(one.captured_queries)
