"""党员积分: the 工委 keeps the year's rules; a committee member enters points for a member, another
approves them; totals start from the base, each rule within its cap, never below 0, ranked within the
branch. A member sees their own ledger."""

import datetime
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from assessments import points
from assessments.choices import PointEntryStatus
from assessments.models import PointEntry, PointRule
from assessments.points import PointsError, RuleData
from notifications.models import Notification
from tests.assessments.factories import default_scheme
from tests.factories import BranchFactory, MemberFactory, Role, UserFactory, grant

YEAR = 2026
TODAY = datetime.date(2026, 11, 20)
DAY = datetime.date(2026, 6, 1)
S = PointEntryStatus


@pytest.fixture(autouse=True)
def today():
    with time_machine.travel(datetime.datetime(2026, 11, 20, 10, 0), tick=False):
        yield TODAY


@pytest.fixture
def second_committee_member(branch_a):
    user = UserFactory(username="zhiwei_a", full_name="综合处组织委员")
    grant(user, Role.BRANCH, branch=branch_a)
    return user


def rule(name="参加组织生活", points_="1", cap=None, once=False, year=YEAR) -> PointRule:
    return PointRule.objects.create(
        year=year, name=name, points=Decimal(points_), yearly_cap=Decimal(cap) if cap else None, once_only=once
    )


def approved(member, rule_, adder, approver, n: int = 1) -> list[PointEntry]:
    entries = []
    for _ in range(n):
        entry = points.add_entry(member, rule_, occurred_on=DAY, note="按规定登记", by=adder)
        entries.append(points.approve_entry(entry, by=approver))
    return entries


def total_of(member) -> Decimal:
    return points.member_total(member, YEAR).total


# --- Rules -----------------------------------------------------------------------------------


def test_a_year_not_opened_reads_the_default_rules_and_opening_saves_them(db):
    with CaptureQueriesContext(connection) as queries:
        read = points.point_rules_for(YEAR)
    assert all(r.pk is None for r in read) and not PointRule.objects.exists()
    assert all(q["sql"].startswith("SELECT") for q in queries.captured_queries)

    rules = points.ensure_point_rules(YEAR)

    by_name = {r.name: r for r in rules}
    assert by_name["参加组织生活"].points == 1 and by_name["参加组织生活"].yearly_cap == 12
    assert by_name["受到党纪处分"].points == -20 and by_name["受到党纪处分"].once_only
    assert [(r.name, r.points, r.yearly_cap, r.once_only) for r in read] == [
        (r.name, r.points, r.yearly_cap, r.once_only) for r in rules
    ]
    assert points.ensure_point_rules(YEAR) == rules  # a second call adds nothing
    assert points.point_rules_for(YEAR) == rules


@pytest.mark.parametrize("earlier", [YEAR - 1, YEAR - 3])
def test_a_new_year_copies_the_latest_earlier_years_rules(db, earlier):
    rule("帮扶困难群众", "3", cap="9", year=earlier)

    read = points.point_rules_for(YEAR)
    rules = points.ensure_point_rules(YEAR)

    assert [(r.name, r.points, r.yearly_cap, r.year) for r in read] == [("帮扶困难群众", 3, 9, YEAR)]
    assert [(r.name, r.points, r.yearly_cap, r.year) for r in rules] == [("帮扶困难群众", 3, 9, YEAR)]
    assert rules[0].history.get().history_change_reason == f"沿用{earlier}年度积分规则"


def test_a_rule_added_to_a_year_not_opened_joins_the_rules_it_was_read_with(gongwei_staff):
    points.save_rule(YEAR, RuleData("讲党课", Decimal("3")), by=gongwei_staff)

    names = {r.name for r in PointRule.objects.filter(year=YEAR)}
    assert names == {name for name, *_ in points.DEFAULT_RULES} | {"讲党课"}


def test_only_the_gongwei_sets_rules_and_bad_rules_are_refused(gongwei_staff, organ_staff_a):
    with pytest.raises(PermissionDenied):
        points.save_rule(YEAR, RuleData("自定义", Decimal("1")), by=organ_staff_a)
    with pytest.raises(PointsError, match="分值不能为 0"):
        points.save_rule(YEAR, RuleData("自定义", Decimal("0")), by=gongwei_staff)
    with pytest.raises(PointsError, match="年度上限不能小于单次分值"):
        points.save_rule(YEAR, RuleData("自定义", Decimal("5"), yearly_cap=Decimal("2")), by=gongwei_staff)

    saved = points.save_rule(YEAR, RuleData("自定义", Decimal("-3"), yearly_cap=Decimal("9")), by=gongwei_staff)

    assert saved.history.get().history_user == gongwei_staff
    with pytest.raises(PointsError, match="已有积分事项“自定义”"):
        points.save_rule(YEAR, RuleData("自定义", Decimal("1")), by=gongwei_staff)


def test_a_rule_in_use_cannot_be_deleted(gongwei_staff, branch_a, secretary_of_branch_a):
    used = rule()
    points.add_entry(MemberFactory(branch=branch_a), used, occurred_on=DAY, note="主题党日", by=secretary_of_branch_a)

    with pytest.raises(PointsError, match="已有积分记录，不能删除"):
        points.delete_rule(used, by=gongwei_staff)


# --- Entering and approving ------------------------------------------------------------------


def test_a_committee_member_enters_points_and_another_approves_them(
    branch_a, secretary_of_branch_a, second_committee_member
):
    member = MemberFactory(branch=branch_a, name="王芳")
    volunteer = rule("参加志愿服务", "2", cap="10")

    entry = points.add_entry(member, volunteer, occurred_on=DAY, note="社区志愿服务", by=secretary_of_branch_a)

    assert (entry.status, entry.points, entry.year) == (S.PENDING, Decimal("2"), YEAR)
    assert total_of(member) == Decimal("60")  # pending entries do not count yet
    assert Notification.objects.filter(recipient=second_committee_member, title__contains="待审核").exists()

    points.approve_entry(entry, by=second_committee_member)

    entry.refresh_from_db()
    assert (entry.status, entry.approved_by) == (S.APPROVED, second_committee_member)
    assert total_of(member) == Decimal("62")


def test_the_adder_cannot_approve_their_own_entry(branch_a, secretary_of_branch_a):
    entry = points.add_entry(
        MemberFactory(branch=branch_a), rule(), occurred_on=DAY, note="x", by=secretary_of_branch_a
    )

    with pytest.raises(PermissionDenied, match="登记人不能审核自己登记的积分"):
        points.approve_entry(entry, by=secretary_of_branch_a)
    entry.refresh_from_db()
    assert entry.status == S.PENDING


def test_another_branch_cannot_enter_or_approve(branch_a, secretary_of_branch_a, secretary_of_branch_b, organ_staff_b):
    member = MemberFactory(branch=branch_a)
    with pytest.raises(PermissionDenied):
        points.add_entry(member, rule(), occurred_on=DAY, note="x", by=secretary_of_branch_b)
    entry = points.add_entry(member, PointRule.objects.get(), occurred_on=DAY, note="x", by=secretary_of_branch_a)
    for user in (secretary_of_branch_b, organ_staff_b):
        with pytest.raises(PermissionDenied):
            points.approve_entry(entry, by=user)


def test_a_rejection_needs_a_reason_and_tells_the_adder(branch_a, secretary_of_branch_a, organ_staff_a):
    entry = points.add_entry(
        MemberFactory(branch=branch_a), rule(), occurred_on=DAY, note="x", by=secretary_of_branch_a
    )

    with pytest.raises(PointsError, match="请填写不通过的原因"):
        points.reject_entry(entry, reason="", by=organ_staff_a)
    points.reject_entry(entry, reason="当日未召开组织生活", by=organ_staff_a)

    entry.refresh_from_db()
    assert (entry.status, entry.reject_reason) == (S.REJECTED, "当日未召开组织生活")
    assert Notification.objects.filter(recipient=secretary_of_branch_a, title__contains="未通过审核").exists()
    with pytest.raises(PointsError, match="未通过，不能再审核"):
        points.approve_entry(entry, by=organ_staff_a)


def test_a_once_only_rule_refuses_a_second_entry_unless_the_first_was_rejected(
    branch_a, secretary_of_branch_a, organ_staff_a
):
    member = MemberFactory(branch=branch_a, name="赵强")
    award = rule("完成年度学习培训任务", "5", once=True)
    first = points.add_entry(member, award, occurred_on=DAY, note="完成", by=secretary_of_branch_a)

    with pytest.raises(PointsError, match="每年只能登记一次，赵强本年度已有该项记录"):
        points.add_entry(member, award, occurred_on=DAY, note="再次", by=secretary_of_branch_a)

    points.reject_entry(first, reason="材料不全", by=organ_staff_a)
    points.add_entry(member, award, occurred_on=DAY, note="补齐材料", by=secretary_of_branch_a)
    assert PointEntry.objects.filter(member=member).count() == 2


def test_the_date_must_fall_in_the_rules_year_and_not_in_the_future(branch_a, secretary_of_branch_a):
    member, r = MemberFactory(branch=branch_a), rule()
    with pytest.raises(PointsError, match="发生日期须在2026年内"):
        points.add_entry(member, r, occurred_on=datetime.date(2025, 12, 31), note="x", by=secretary_of_branch_a)
    with pytest.raises(PointsError, match="不能晚于今天"):
        points.add_entry(member, r, occurred_on=TODAY + datetime.timedelta(days=1), note="x", by=secretary_of_branch_a)
    with pytest.raises(PointsError, match="请填写事由"):
        points.add_entry(member, r, occurred_on=DAY, note="  ", by=secretary_of_branch_a)


# --- Totals: base, caps, floor, rank ---------------------------------------------------------


def test_totals_start_from_the_schemes_base_and_each_rule_stays_within_its_cap(
    branch_a, secretary_of_branch_a, organ_staff_a
):
    scheme = default_scheme(YEAR)
    scheme.points_base = Decimal("50")
    scheme.save()
    member = MemberFactory(branch=branch_a)
    approved(member, rule("参加组织生活", "1", cap="3"), secretary_of_branch_a, organ_staff_a, n=5)
    approved(member, rule("获得表彰奖励", "5"), secretary_of_branch_a, organ_staff_a, n=1)

    line = points.member_total(member, YEAR)

    assert (line.added, line.deducted, line.total) == (Decimal("8"), Decimal("0"), Decimal("58"))


def test_a_total_never_goes_below_zero(branch_a, secretary_of_branch_a, organ_staff_a):
    member = MemberFactory(branch=branch_a)
    approved(member, rule("受到党纪处分", "-20", once=True), secretary_of_branch_a, organ_staff_a)
    approved(member, rule("无故缺席组织生活", "-2", cap="50"), secretary_of_branch_a, organ_staff_a, n=25)

    assert total_of(member) == Decimal("0")


def test_members_are_ranked_within_the_branch_with_shared_ranks_for_ties(
    branch_a, branch_b, secretary_of_branch_a, organ_staff_a, gongwei_staff, organ_staff_b
):
    plus = rule("参加志愿服务", "2")
    top, tied_1, tied_2, last = (MemberFactory(branch=branch_a, name=n) for n in ("安明", "白雪", "陈晨", "邓林"))
    approved(top, plus, secretary_of_branch_a, organ_staff_a, n=3)
    approved(tied_1, plus, secretary_of_branch_a, organ_staff_a, n=1)
    approved(tied_2, plus, secretary_of_branch_a, organ_staff_a, n=1)
    approved(MemberFactory(branch=branch_b), plus, gongwei_staff, organ_staff_b, n=5)  # another branch: no effect

    rows = points.branch_totals(branch_a, YEAR)

    assert [(r.member, r.total, r.rank) for r in rows] == [
        (top, Decimal("66"), 1),
        (tied_1, Decimal("62"), 2),
        (tied_2, Decimal("62"), 2),
        (last, Decimal("60"), 4),
    ]


# --- Pages -----------------------------------------------------------------------------------


def test_the_branch_page_lists_totals_in_a_fixed_number_of_queries(
    client_for, branch_a, branch_a2, organ_staff_a, gongwei_staff
):
    plus = rule()

    def fill(branch, n):
        for _ in range(n):
            approved(MemberFactory(branch=branch), plus, gongwei_staff, organ_staff_a)
            points.add_entry(MemberFactory(branch=branch), plus, occurred_on=DAY, note="待审", by=gongwei_staff)

    fill(branch_a, 1)
    fill(branch_a2, 20)
    client = client_for(organ_staff_a)

    def queries(branch) -> int:
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(reverse("assessments:points_branch", args=[branch.pk, YEAR]))
        assert response.status_code == 200
        return len(ctx.captured_queries)

    assert queries(branch_a) == queries(branch_a2)


def test_the_approve_button_is_shown_to_the_other_committee_member_only(
    client_for, branch_a, secretary_of_branch_a, second_committee_member
):
    points.add_entry(MemberFactory(branch=branch_a), rule(), occurred_on=DAY, note="主题党日", by=secretary_of_branch_a)
    path = reverse("assessments:points_branch", args=[branch_a.pk, YEAR])

    assert "待他人审核" in client_for(secretary_of_branch_a).get(path).text
    assert "通过</button>" in client_for(second_committee_member).get(path).text


def test_entering_points_on_the_page(client_for, branch_a, secretary_of_branch_a):
    member = MemberFactory(branch=branch_a)
    client = client_for(secretary_of_branch_a)
    path = reverse("assessments:point_entry_add", args=[branch_a.pk, YEAR])
    unopened = client.get(path)
    assert unopened.status_code == 200 and "积分规则尚未生成" in unopened.text
    assert not PointRule.objects.exists()  # reading the form writes nothing
    points.ensure_point_rules(YEAR)  # the yearly job
    assert "积分规则尚未生成" not in client.get(path).text
    volunteer = PointRule.objects.get(year=YEAR, name="参加志愿服务")

    response = client.post(
        path, {"member": member.pk, "rule": volunteer.pk, "occurred_on": "2026-06-01", "note": "社区"}
    )

    assert response.status_code == 302
    assert PointEntry.objects.get().added_by == secretary_of_branch_a


def test_a_member_sees_their_own_ledger_but_not_anothers(client_for, member_user, branch_a, secretary_of_branch_a):
    me = member_user.member
    other = MemberFactory(branch=branch_a)
    points.add_entry(me, rule(), occurred_on=DAY, note="参加主题党日", by=secretary_of_branch_a)
    client = client_for(member_user)

    mine = client.get(reverse("assessments:points_mine"), {"year": YEAR}, follow=True)

    assert mine.status_code == 200
    assert "参加主题党日" in mine.text
    assert client.get(reverse("assessments:points_member", args=[other.pk, YEAR])).status_code == 404
    assert client.get(reverse("assessments:points_branch", args=[branch_a.pk, YEAR])).status_code == 404


def test_only_the_gongwei_edits_rules_on_the_page(client_for, gongwei_staff, organ_staff_a, secretary_of_branch_a):
    path = reverse("assessments:point_rule_create", args=[YEAR])
    assert client_for(secretary_of_branch_a).get(reverse("assessments:point_rules", args=[YEAR])).status_code == 403
    assert client_for(organ_staff_a).get(path).status_code == 403
    response = client_for(gongwei_staff).post(path, {"name": "参与主题教育", "points": "3", "sort_order": "0"})
    assert response.status_code == 302
    assert PointRule.objects.filter(year=YEAR, name="参与主题教育").exists()


def test_staff_read_the_rules_and_the_reject_page_asks_for_a_reason(
    client_for, organ_staff_a, branch_a, secretary_of_branch_a
):
    rules_page = client_for(organ_staff_a).get(reverse("assessments:point_rules", args=[YEAR]))
    assert "参加组织生活" in rules_page.text and "新增积分事项" not in rules_page.text
    assert "年度规则尚未生成" in rules_page.text and not PointRule.objects.exists()
    points.ensure_point_rules(YEAR)

    member = MemberFactory(branch=branch_a)
    entry = points.add_entry(member, rule_of("参加组织生活"), occurred_on=DAY, note="x", by=secretary_of_branch_a)
    path = reverse("assessments:point_entry_reject", args=[entry.pk])
    assert "原因" in client_for(organ_staff_a).get(path).text
    assert client_for(organ_staff_a).post(path, {"reason": "重复登记"}).status_code == 302
    entry.refresh_from_db()
    assert entry.status == S.REJECTED


def rule_of(name: str) -> PointRule:
    return PointRule.objects.get(year=YEAR, name=name)


# --- The staff's overview of a year ------------------------------------------------------------


def test_the_overview_counts_each_branchs_entries_and_those_waiting(
    client_for, branch_a, branch_a2, branch_b, organ_staff_a, organ_staff_b, gongwei_staff
):
    plus = rule()
    approved(MemberFactory(branch=branch_a), plus, gongwei_staff, organ_staff_a, n=2)
    points.add_entry(MemberFactory(branch=branch_a2), plus, occurred_on=DAY, note="待审", by=gongwei_staff)
    approved(MemberFactory(branch=branch_b), plus, organ_staff_b, gongwei_staff)

    response = client_for(organ_staff_a).get(reverse("assessments:points_list"), {"year": YEAR})

    assert response.status_code == 200
    rows = {b.name: (b.n_entries, b.n_pending) for b in response.context["page"]}
    assert rows == {branch_a.name: (2, 0), branch_a2.name: (0, 1)}  # organ_b's branch is not theirs
    assert reverse("assessments:points_branch", args=[branch_a2.pk, YEAR]) in response.content.decode()


def test_the_overview_takes_the_same_queries_for_few_branches_or_many(
    client_for, organ_a, branch_a, organ_staff_a, gongwei_staff
):
    plus = rule()
    approved(MemberFactory(branch=branch_a), plus, gongwei_staff, organ_staff_a)
    client = client_for(organ_staff_a)

    def queries() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(reverse("assessments:points_list")).status_code == 200
        return len(ctx.captured_queries)

    few = queries()
    for n in range(12):
        branch = BranchFactory(organ=organ_a, name=f"第{n}党支部")
        approved(MemberFactory(branch=branch), plus, gongwei_staff, organ_staff_a)
    assert queries() == few


@pytest.mark.parametrize("persona", ["member_user", "outsider"])
def test_the_overview_is_not_for_members_or_outsiders(client_for, request, persona):
    assert client_for(request.getfixturevalue(persona)).get(reverse("assessments:points_list")).status_code == 403


def test_the_branch_page_links_the_rules_only_for_those_who_may_open_them(
    client_for, branch_a, secretary_of_branch_a, organ_staff_a
):
    url = reverse("assessments:points_branch", args=[branch_a.pk, YEAR])
    rules = reverse("assessments:point_rules", args=[YEAR])
    assert f'href="{rules}"' in client_for(organ_staff_a).get(url).text
    assert f'href="{rules}"' not in client_for(secretary_of_branch_a).get(url).text
    assert client_for(secretary_of_branch_a).get(rules).status_code == 403
