"""民主评议党员: the committee opens the year's appraisal from the roster, grades its members and
finalizes it; 预备党员 take part ungraded, 优秀 stays within a third, and each 不合格 member gets a
rectification item in the problem ledger. Staff above may send it back; nobody else may touch it."""

import datetime

import pytest
import time_machine
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from assessments import appraisal as appraisals
from assessments.appraisal import AppraisalError
from assessments.choices import AppraisalGrade, AppraisalStatus, ProblemSource, ProblemStatus
from assessments.models import Appraisal, AppraisalEntry, Problem
from branches.choices import MemberStatus
from notifications.models import Notification
from tests.assessments.factories import default_scheme
from tests.factories import BranchFactory, MemberFactory

G = AppraisalGrade
YEAR = 2026
TODAY = datetime.date(2027, 1, 20)
HELD_ON = datetime.date(2027, 1, 15)


@pytest.fixture(autouse=True)
def today():
    with time_machine.travel(datetime.datetime(2027, 1, 20, 10, 0), tick=False):
        yield TODAY


@pytest.fixture
def scheme(db):
    return default_scheme(YEAR)


def roster(branch, n_full: int, n_probationary: int = 0) -> list:
    members = [MemberFactory(branch=branch, name=f"正式{i:02d}") for i in range(n_full)]
    members += [
        MemberFactory(branch=branch, name=f"预备{i:02d}", status=MemberStatus.PROBATIONARY, confirmed_on=None)
        for i in range(n_probationary)
    ]
    return members


def grade_all(appraisal, by, *, excellent: int = 0, unqualified: int = 0, **extra) -> None:
    """Grade the 正式党员 in name order: first the 优秀, then the 不合格, the rest 合格."""
    rows = {}
    full = [e for e in appraisals.entries_of(appraisal) if not e.is_probationary]
    for n, entry in enumerate(full):
        grade = G.EXCELLENT if n < excellent else G.UNQUALIFIED if n < excellent + unqualified else G.QUALIFIED
        rows[entry.pk] = {"grade": grade, "proposed_grade": grade, **extra}
    appraisals.save_entries(appraisal, rows, by=by)


def entry_of(appraisal, member) -> AppraisalEntry:
    return appraisal.entries.get(member=member)


# --- Opening from the roster -----------------------------------------------------------------


def test_the_secretary_opens_the_appraisal_with_every_member_of_the_roster(branch_a, secretary_of_branch_a):
    members = roster(branch_a, 3, 1)
    MemberFactory(name="别的支部的人")  # another branch's member stays out

    appraisal = appraisals.open_appraisal(branch_a, YEAR, by=secretary_of_branch_a)

    entries = list(appraisal.entries.select_related("member"))
    assert {e.member for e in entries} == set(members)
    assert [e.member.name for e in entries if e.is_probationary] == ["预备00"]
    assert appraisal.status == AppraisalStatus.DRAFT
    assert appraisal.history.get().history_change_reason == "开始民主评议"


def test_reopening_the_list_follows_the_roster_while_the_appraisal_is_open(branch_a, branch_a2, secretary_of_branch_a):
    stays, leaves, probationary = roster(branch_a, 2, 1)
    appraisal = appraisals.open_appraisal(branch_a, YEAR, by=secretary_of_branch_a)
    leaves.branch = branch_a2
    leaves.save()
    probationary.status, probationary.confirmed_on = MemberStatus.FULL, datetime.date(2026, 12, 1)
    probationary.save()
    joiner = MemberFactory(branch=branch_a, name="新转入")

    appraisals.open_appraisal(branch_a, YEAR, by=secretary_of_branch_a)

    entries = {e.member: e for e in appraisal.entries.select_related("member")}
    assert set(entries) == {stays, probationary, joiner}
    assert entries[probationary].is_probationary is False


def test_other_branches_and_plain_members_cannot_open_an_appraisal(
    branch_a, secretary_of_branch_b, organ_staff_b, member_user
):
    for user in (secretary_of_branch_b, organ_staff_b, member_user):
        with pytest.raises(PermissionDenied):
            appraisals.open_appraisal(branch_a, YEAR, by=user)
    assert not Appraisal.objects.exists()


# --- Recording -------------------------------------------------------------------------------


def test_the_committee_records_self_and_peer_review_and_the_history_keeps_it(branch_a, secretary_of_branch_a):
    (member,) = roster(branch_a, 1)
    appraisal = appraisals.open_appraisal(branch_a, YEAR, by=secretary_of_branch_a)
    entry = entry_of(appraisal, member)

    appraisals.save_entries(
        appraisal,
        {
            entry.pk: {
                "self_grade": G.EXCELLENT,
                "peer_qualified": 1,
                "proposed_grade": G.QUALIFIED,
                "grade": G.QUALIFIED,
            }
        },
        by=secretary_of_branch_a,
    )

    entry.refresh_from_db()
    assert (entry.self_grade, entry.peer_qualified, entry.proposed_grade, entry.grade) == (
        G.EXCELLENT, 1, G.QUALIFIED, G.QUALIFIED,
    )  # fmt: skip
    latest = entry.history.latest()
    assert (latest.history_change_reason, latest.history_user) == ("录入评议结果", secretary_of_branch_a)


def test_a_probationary_member_takes_part_but_cannot_be_graded(branch_a, secretary_of_branch_a):
    (full, probationary) = roster(branch_a, 1, 1)
    appraisal = appraisals.open_appraisal(branch_a, YEAR, by=secretary_of_branch_a)
    rows = {
        entry_of(appraisal, full).pk: {"grade": G.EXCELLENT},
        entry_of(appraisal, probationary).pk: {"self_grade": G.QUALIFIED, "grade": G.QUALIFIED},
    }

    with pytest.raises(AppraisalError, match="预备党员，参加评议但不评定等次"):
        appraisals.save_entries(appraisal, rows, by=secretary_of_branch_a)

    # One bad row refuses the whole grid.
    assert entry_of(appraisal, full).grade == ""


def test_peer_votes_cannot_exceed_the_participants(branch_a, secretary_of_branch_a):
    members = roster(branch_a, 3)
    appraisal = appraisals.open_appraisal(branch_a, YEAR, by=secretary_of_branch_a)
    entry = entry_of(appraisal, members[0])

    with pytest.raises(AppraisalError, match="互评票数合计 4 票，超过参评党员人数 3 人"):
        appraisals.save_entries(
            appraisal, {entry.pk: {"peer_excellent": 2, "peer_qualified": 2}}, by=secretary_of_branch_a
        )


# --- Finalizing: grading complete, 优秀 within the quota --------------------------------------


@pytest.mark.parametrize(
    ("n_full", "excellent", "allowed"),
    [(9, 3, True), (9, 4, False), (10, 3, True), (10, 4, False), (2, 1, False), (3, 1, True)],
)
def test_excellent_is_at_most_a_third_of_the_graded_members(
    branch_a, secretary_of_branch_a, scheme, n_full, excellent, allowed
):
    roster(branch_a, n_full, 2)  # 预备党员 do not count towards the quota
    appraisal = appraisals.open_appraisal(branch_a, YEAR, by=secretary_of_branch_a)
    grade_all(appraisal, secretary_of_branch_a, excellent=excellent)

    if allowed:
        appraisals.finalize(appraisal, held_on=HELD_ON, by=secretary_of_branch_a)
        appraisal.refresh_from_db()
        assert appraisal.status == AppraisalStatus.FINALIZED
    else:
        with pytest.raises(AppraisalError, match=f"优秀的 {excellent} 人，超过优秀名额 {n_full // 3} 人"):
            appraisals.finalize(appraisal, held_on=HELD_ON, by=secretary_of_branch_a)
        appraisal.refresh_from_db()
        assert appraisal.status == AppraisalStatus.DRAFT


def test_every_full_member_must_be_graded_before_finalizing(branch_a, secretary_of_branch_a, scheme):
    graded, forgotten = roster(branch_a, 2)
    appraisal = appraisals.open_appraisal(branch_a, YEAR, by=secretary_of_branch_a)
    appraisals.save_entries(
        appraisal, {entry_of(appraisal, graded).pk: {"grade": G.QUALIFIED}}, by=secretary_of_branch_a
    )

    with pytest.raises(AppraisalError, match=f"还有 1 名正式党员未评定等次：{forgotten.name}"):
        appraisals.finalize(appraisal, held_on=HELD_ON, by=secretary_of_branch_a)


def test_finalizing_needs_the_date_it_was_held_and_a_scheme_for_the_year(branch_a, secretary_of_branch_a):
    roster(branch_a, 1)
    appraisal = appraisals.open_appraisal(branch_a, YEAR, by=secretary_of_branch_a)
    grade_all(appraisal, secretary_of_branch_a)

    with pytest.raises(AppraisalError, match="请填写评议日期"):
        appraisals.finalize(appraisal, held_on=None, by=secretary_of_branch_a)
    with pytest.raises(AppraisalError, match="评议日期不能晚于今天"):
        appraisals.finalize(appraisal, held_on=TODAY + datetime.timedelta(days=1), by=secretary_of_branch_a)
    with pytest.raises(AppraisalError, match="2026年度考核方案尚未制定"):
        appraisals.finalize(appraisal, held_on=HELD_ON, by=secretary_of_branch_a)


def test_unqualified_members_each_open_a_ledger_item_due_after_the_fix_period(branch_a, secretary_of_branch_a, scheme):
    roster(branch_a, 6, 1)
    appraisal = appraisals.open_appraisal(branch_a, YEAR, by=secretary_of_branch_a)
    grade_all(appraisal, secretary_of_branch_a, excellent=1, unqualified=2, note="长期不参加组织生活")

    appraisals.finalize(appraisal, held_on=HELD_ON, by=secretary_of_branch_a, measures="谈心谈话，限期改正")

    unqualified = {e.member for e in appraisal.entries.filter(grade=G.UNQUALIFIED).select_related("member")}
    problems = list(Problem.objects.filter(branch=branch_a))
    assert {p.responsible for p in problems} == unqualified
    for problem in problems:
        assert problem.source == ProblemSource.APPRAISAL
        assert problem.status == ProblemStatus.OPEN
        assert problem.deadline == HELD_ON + datetime.timedelta(days=scheme.unqualified_fix_days)
        assert problem.measures == "谈心谈话，限期改正"
        assert problem.description == "长期不参加组织生活"
    appraisal.refresh_from_db()
    assert (appraisal.held_on, appraisal.finalized_by) == (HELD_ON, secretary_of_branch_a)


def test_a_failed_ledger_item_rolls_the_whole_finalization_back(branch_a, secretary_of_branch_a, organ_staff_a, scheme):
    roster(branch_a, 3)
    appraisal = appraisals.open_appraisal(branch_a, YEAR, by=secretary_of_branch_a)
    grade_all(appraisal, secretary_of_branch_a, unqualified=1)
    branch_a.dissolved_on = datetime.date(2027, 1, 10)
    branch_a.save()

    with pytest.raises(AppraisalError, match="登记整改问题未成功：综合处党支部已撤销"):
        appraisals.finalize(appraisal, held_on=HELD_ON, by=organ_staff_a)

    appraisal.refresh_from_db()
    assert appraisal.status == AppraisalStatus.DRAFT
    assert not Problem.objects.exists()


# --- Read-only once finalized; reopening -----------------------------------------------------


@pytest.fixture
def finalized(branch_a, secretary_of_branch_a, scheme):
    roster(branch_a, 3)
    appraisal = appraisals.open_appraisal(branch_a, YEAR, by=secretary_of_branch_a)
    grade_all(appraisal, secretary_of_branch_a, unqualified=1)
    return appraisals.finalize(appraisal, held_on=HELD_ON, by=secretary_of_branch_a)


def test_a_finalized_appraisal_is_read_only(finalized, secretary_of_branch_a):
    entry = finalized.entries.first()
    with pytest.raises(AppraisalError, match="评议结果已确定，不能修改"):
        appraisals.save_entries(finalized, {entry.pk: {"grade": G.EXCELLENT}}, by=secretary_of_branch_a)
    with pytest.raises(AppraisalError, match="评议结果已确定"):
        appraisals.open_appraisal(finalized.branch, YEAR, by=secretary_of_branch_a)


def test_the_organ_reopens_with_a_reason_and_refinalizing_opens_no_duplicate_item(
    finalized, organ_staff_a, secretary_of_branch_a
):
    with pytest.raises(AppraisalError, match="请填写退回修改的原因"):
        appraisals.reopen(finalized, reason=" ", by=organ_staff_a)

    appraisals.reopen(finalized, reason="票数登记有误", by=organ_staff_a)

    finalized.refresh_from_db()
    assert finalized.status == AppraisalStatus.DRAFT
    latest = finalized.history.latest()
    assert (latest.history_change_reason, latest.history_user) == ("退回：票数登记有误", organ_staff_a)
    assert Notification.objects.filter(recipient=secretary_of_branch_a, title__contains="退回修改").exists()

    appraisals.finalize(finalized, held_on=HELD_ON, by=secretary_of_branch_a)
    assert Problem.objects.count() == 1


def test_the_branch_itself_and_other_organs_cannot_reopen(finalized, secretary_of_branch_a, organ_staff_b):
    for user in (secretary_of_branch_a, organ_staff_b):
        with pytest.raises(PermissionDenied):
            appraisals.reopen(finalized, reason="想改", by=user)


# --- The page --------------------------------------------------------------------------------


def url(branch, name="appraisal_detail") -> str:
    return reverse(f"assessments:{name}", args=[branch.pk, YEAR])


def test_the_secretary_saves_the_whole_grid_in_one_post(client_for, branch_a, secretary_of_branch_a, scheme):
    first, second, probationary = roster(branch_a, 2, 1)
    appraisal = appraisals.open_appraisal(branch_a, YEAR, by=secretary_of_branch_a)
    client = client_for(secretary_of_branch_a)
    e1, e2, ep = (entry_of(appraisal, m) for m in (first, second, probationary))

    page = client.get(url(branch_a))
    assert page.status_code == 200
    assert f'name="e{e1.pk}-grade"' in page.text
    assert f'name="e{ep.pk}-grade"' not in page.text  # 预备党员: no final grade

    response = client.post(
        url(branch_a),
        {f"e{e1.pk}-grade": G.EXCELLENT, f"e{e2.pk}-grade": G.QUALIFIED, f"e{ep.pk}-self_grade": G.QUALIFIED},
    )

    assert response.status_code == 302
    assert {e.member: e.grade for e in appraisal.entries.select_related("member")} == {
        first: G.EXCELLENT, second: G.QUALIFIED, probationary: "",
    }  # fmt: skip


def test_a_bad_vote_count_is_shown_in_chinese_and_nothing_is_saved(client_for, branch_a, secretary_of_branch_a):
    (member,) = roster(branch_a, 1)
    appraisal = appraisals.open_appraisal(branch_a, YEAR, by=secretary_of_branch_a)
    entry = entry_of(appraisal, member)

    response = client_for(secretary_of_branch_a).post(
        url(branch_a), {f"e{entry.pk}-grade": G.QUALIFIED, f"e{entry.pk}-peer_excellent": "-1"}
    )

    assert response.status_code == 200
    assert "请检查标红的项目" in response.text
    entry.refresh_from_db()
    assert entry.grade == ""


def test_finalizing_over_the_quota_is_refused_on_the_page(client_for, branch_a, secretary_of_branch_a, scheme):
    roster(branch_a, 2)
    appraisal = appraisals.open_appraisal(branch_a, YEAR, by=secretary_of_branch_a)
    grade_all(appraisal, secretary_of_branch_a, excellent=1)

    response = client_for(secretary_of_branch_a).post(url(branch_a, "appraisal_finalize"), {"held_on": "2027-01-15"})

    assert response.status_code == 200
    assert "超过优秀名额 0 人" in response.text
    appraisal.refresh_from_db()
    assert appraisal.status == AppraisalStatus.DRAFT


def error_summary(page: str) -> str:
    start = page.index('id="form-errors"')
    return page[start : page.index("</div>", start)]


def test_finalize_errors_sit_at_the_top_of_a_long_grid_with_links_to_the_rows(
    client_for, branch_a, secretary_of_branch_a, scheme
):
    roster(branch_a, 36)
    appraisal = appraisals.open_appraisal(branch_a, YEAR, by=secretary_of_branch_a)
    grade_all(appraisal, secretary_of_branch_a, excellent=13)  # a third of 36 is 12
    excellent = list(appraisal.entries.filter(grade=G.EXCELLENT).select_related("member"))

    response = client_for(secretary_of_branch_a).post(url(branch_a, "appraisal_finalize"), {"held_on": "2027-01-15"})

    page = response.text
    assert response.status_code == 200
    assert page.index('id="form-errors"') < page.index('id="appraisal-grid"') < page.index('id="appraisal-finalize"')
    summary = error_summary(page)
    assert "评定为优秀的 13 人，超过优秀名额 12 人" in summary
    assert 'href="#appraisal-finalize"' in summary
    for entry in excellent:
        assert f'<a class="alert-link fw-normal" href="#entry-{entry.pk}">{entry.member.name}</a>' in summary
        assert f'<tr id="entry-{entry.pk}" class="table-danger">' in page
    assert page.count('class="table-danger"') == 13
    appraisal.refresh_from_db()
    assert appraisal.status == AppraisalStatus.DRAFT


def test_a_missing_finalize_date_is_summarised_with_a_link_to_the_date(
    client_for, branch_a, secretary_of_branch_a, scheme
):
    roster(branch_a, 3)
    appraisal = appraisals.open_appraisal(branch_a, YEAR, by=secretary_of_branch_a)
    grade_all(appraisal, secretary_of_branch_a)

    page = client_for(secretary_of_branch_a).post(url(branch_a, "appraisal_finalize"), {"held_on": ""}).text

    assert page.index('id="form-errors"') < page.index('id="appraisal-grid"')
    assert '<a class="alert-link fw-normal" href="#id_held_on">评议日期：该字段是必填项。</a>' in error_summary(page)


def test_a_refused_grid_links_each_error_to_its_cell(client_for, branch_a, secretary_of_branch_a):
    first, second = roster(branch_a, 2)
    appraisal = appraisals.open_appraisal(branch_a, YEAR, by=secretary_of_branch_a)
    e1, e2 = entry_of(appraisal, first), entry_of(appraisal, second)

    page = (
        client_for(secretary_of_branch_a)
        .post(url(branch_a), {f"e{e1.pk}-peer_excellent": "-1", f"e{e2.pk}-peer_basic": "9"})
        .text
    )

    summary = error_summary(page)
    assert f'href="#id_e{e1.pk}-peer_excellent">正式00 互评优秀票：' in summary
    assert f'href="#id_e{e2.pk}-peer_basic">正式01 互评基本合格票：' in summary
    assert "共 2 处" in summary


def test_the_page_is_not_found_outside_scope_and_read_only_for_viewers(
    client_for, branch_a, secretary_of_branch_b, organ_staff_a, member_user, finalized
):
    assert client_for(secretary_of_branch_b).get(url(branch_a)).status_code == 404
    assert client_for(member_user).get(url(branch_a)).status_code == 404
    page = client_for(organ_staff_a).get(url(branch_a))
    assert page.status_code == 200
    assert "保存评议结果" not in page.text  # finalized: read-only, even for the organ
    assert "退回修改" in page.text


def test_a_member_of_another_branch_cannot_post_into_the_grid(client_for, branch_a, secretary_of_branch_b):
    assert client_for(secretary_of_branch_b).post(url(branch_a, "appraisal_open")).status_code == 404
    assert not Appraisal.objects.exists()


def queries(client, path, **params) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(path, params).status_code == 200
    return len(ctx.captured_queries)


def test_the_grid_page_has_a_fixed_number_of_queries(client_for, branch_a, branch_a2, organ_staff_a, scheme):
    roster(branch_a, 1)
    roster(branch_a2, 25, 3)
    for branch in (branch_a, branch_a2):
        appraisals.open_appraisal(branch, YEAR, by=organ_staff_a)
    client = client_for(organ_staff_a)

    assert queries(client, url(branch_a)) == queries(client, url(branch_a2))


def test_the_staff_list_shows_each_branch_status_in_a_fixed_number_of_queries(
    client_for, gongwei_staff, finalized, branch_b
):
    client = client_for(gongwei_staff)
    path = reverse("assessments:appraisal_list")
    page = client.get(path, {"year": YEAR})
    assert "已确定" in page.text and "未开展" in page.text
    assert page.context["page"].object_list[0].n_unqualified == 1
    few = queries(client, path, year=YEAR)

    for _ in range(10):
        branch = BranchFactory(organ=branch_b.organ)
        roster(branch, 2)
        appraisals.open_appraisal(branch, YEAR, by=gongwei_staff)

    assert queries(client, path, year=YEAR) == few


def test_before_it_starts_the_page_offers_to_build_the_list_from_the_roster(
    client_for, branch_a, secretary_of_branch_a, organ_staff_a, finalized
):
    other_year = reverse("assessments:appraisal_detail", args=[branch_a.pk, YEAR + 1])
    page = client_for(secretary_of_branch_a).get(other_year)
    assert "按党员名册生成评议名单" in page.text
    assert "考核方案尚未制定" in page.text  # no scheme for 2027 yet

    reopen = client_for(organ_staff_a).get(url(branch_a, "appraisal_reopen"))
    assert reopen.status_code == 200 and "退回修改评议结果" in reopen.text
