"""问题整改台账: a problem is entered, rectified, reported done with a note, verified or sent back — by the right
people only, every step in the history, and the ledger list shows staff what is overdue."""

import datetime
import io

import pytest
import time_machine
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from assessments import ledger
from assessments.choices import ProblemSource, ProblemStatus
from assessments.ledger import IllegalTransition, LedgerError, ProblemData
from assessments.models import Problem
from notifications.models import Notification
from tests.factories import BranchFactory, MemberFactory, Role, UserFactory, grant

TODAY = datetime.date(2026, 11, 22)
S = ProblemStatus


@pytest.fixture(autouse=True)
def today():
    with time_machine.travel(datetime.datetime(2026, 11, 22, 10, 0), tick=False):
        yield TODAY


def days(n: int) -> datetime.date:
    return TODAY + datetime.timedelta(days=n)


@pytest.fixture
def owner(branch_a):
    return MemberFactory(branch=branch_a, name="张整改", post="科长")


def data(owner, **overrides) -> ProblemData:
    values = {
        "source": ProblemSource.SUPERVISION,
        "title": "“三会一课”记录不规范",
        "responsible": owner,
        "measures": "按要求补齐会议记录，建立台账",
        "deadline": days(30),
        "description": "第三季度支委会记录缺少参会人员签到",
    }
    values.update(overrides)
    return ProblemData(**values)


def make_problem(branch, responsible, *, by, status=S.OPEN, deadline=None, **fields) -> Problem:
    """A ledger item as the database would hold it after earlier steps (no history needed for the setup)."""
    values = {
        "source": ProblemSource.SUPERVISION,
        "title": "学习记录不完整",
        "measures": "补学并建立学习台账",
        "deadline": deadline or days(30),
        "status": status,
    }
    if status in (S.DONE, S.VERIFIED):
        values["closing_note"] = "已补学三次，台账已建立"
    if status == S.VERIFIED:
        values["verified_by"] = by
    values.update(fields)
    return Problem.objects.create(branch=branch, responsible=responsible, created_by=by, **values)


def reasons(problem: Problem) -> list[tuple[str, str]]:
    """(change reason, who) of every history record, oldest first."""
    return [
        (h.history_change_reason, h.history_user.username if h.history_user else "")
        for h in problem.history.order_by("history_id").select_related("history_user")
    ]


# --- Opening ---------------------------------------------------------------------------------


def test_a_secretary_enters_a_self_found_problem_without_messaging_themselves(secretary_of_branch_a, owner):
    problem = ledger.open_problem(owner.branch, data(owner, source=ProblemSource.SELF), by=secretary_of_branch_a)

    assert problem.status == S.OPEN and problem.created_by == secretary_of_branch_a
    assert reasons(problem) == [("登记", "shuji_a")]
    assert not Notification.objects.exists()


def test_a_problem_set_by_the_organ_is_announced_to_the_branch(organ_staff_a, secretary_of_branch_a, owner):
    problem = ledger.open_problem(owner.branch, data(owner), by=organ_staff_a)

    message = Notification.objects.get(recipient=secretary_of_branch_a)
    assert message.title == "【整改】新的整改问题：“三会一课”记录不规范"
    assert "2026-12-22" in message.body and "张整改" in message.body
    assert message.url == reverse("assessments:problem_detail", args=[problem.pk])
    assert not Notification.objects.filter(recipient=organ_staff_a).exists()


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"title": "  "}, "请填写问题。"),
        ({"measures": ""}, "请填写整改措施。"),
        ({"deadline": days(-1)}, "整改时限不能早于今天。"),
        ({"source": "rumour"}, "请选择问题来源。"),
    ],
)
def test_bad_input_is_refused_with_a_message_and_nothing_written(secretary_of_branch_a, owner, overrides, message):
    with pytest.raises(LedgerError, match=message):
        ledger.open_problem(owner.branch, data(owner, **overrides), by=secretary_of_branch_a)

    assert not Problem.objects.exists()


def test_the_responsible_person_must_belong_to_the_branch(secretary_of_branch_a, branch_a, branch_b):
    stranger = MemberFactory(branch=branch_b)

    with pytest.raises(LedgerError, match="整改责任人须是综合处党支部的党员"):
        ledger.open_problem(branch_a, data(stranger), by=secretary_of_branch_a)
    assert not Problem.objects.exists()


def test_a_deadline_of_today_is_accepted(secretary_of_branch_a, owner):
    problem = ledger.open_problem(owner.branch, data(owner, deadline=TODAY), by=secretary_of_branch_a)

    assert problem.deadline == TODAY


def test_only_people_of_the_branch_or_above_may_enter_problems(
    secretary_of_branch_b, organ_staff_b, owner, member_user
):
    for person in (secretary_of_branch_b, organ_staff_b, member_user):
        with pytest.raises(PermissionDenied):
            ledger.open_problem(owner.branch, data(owner), by=person)
    assert not Problem.objects.exists()


def test_a_dissolved_branch_takes_no_new_problems(organ_staff_a, organ_a):
    branch = BranchFactory(organ=organ_a, founded_on=datetime.date(2015, 1, 1), dissolved_on=days(-10))
    member = MemberFactory(branch=branch)

    with pytest.raises(LedgerError, match="已撤销"):
        ledger.open_problem(branch, data(member), by=organ_staff_a)


# --- The steps -------------------------------------------------------------------------------


def test_the_whole_way_is_in_the_history_with_who_and_why(secretary_of_branch_a, organ_staff_a, gongwei_staff, owner):
    problem = ledger.open_problem(owner.branch, data(owner), by=organ_staff_a)

    ledger.start(problem, by=secretary_of_branch_a)
    ledger.close(problem, note="已补齐三季度记录，建立签到制度", by=secretary_of_branch_a)
    ledger.verify(problem, by=organ_staff_a)
    ledger.reopen(problem, reason="抽查发现十月记录仍缺签到", deadline=days(20), by=gongwei_staff)

    problem.refresh_from_db()
    assert problem.status == S.IN_PROGRESS
    assert problem.deadline == days(20)
    assert problem.verified_by is None and problem.verified_at is None and problem.closed_at is None
    assert reasons(problem) == [
        ("登记", "jiguan_a"),
        ("开始整改", "shuji_a"),
        ("整改完成：提请核验", "shuji_a"),
        ("核验销号", "jiguan_a"),
        ("退回：重新整改，抽查发现十月记录仍缺签到（整改时限由 2026-12-22 调整为 2026-12-12）", "gongwei"),
    ]


def test_closing_needs_a_note_on_what_was_done(secretary_of_branch_a, owner):
    problem = make_problem(owner.branch, owner, by=secretary_of_branch_a, status=S.IN_PROGRESS)

    with pytest.raises(LedgerError, match="请填写整改情况说明"):
        ledger.close(problem, note="   ", by=secretary_of_branch_a)

    problem.refresh_from_db()
    assert problem.status == S.IN_PROGRESS and problem.closing_note == "" and problem.closed_at is None


def test_closing_tells_the_organ_that_the_item_waits_for_verification(
    secretary_of_branch_a, organ_staff_a, organ_staff_b, owner
):
    problem = make_problem(owner.branch, owner, by=secretary_of_branch_a)

    ledger.close(problem, note="整改到位", by=secretary_of_branch_a)

    problem.refresh_from_db()
    assert problem.status == S.DONE and problem.closing_note == "整改到位" and problem.closed_at is not None
    assert Notification.objects.get(recipient=organ_staff_a).title == "【待核验】综合处党支部：学习记录不完整"
    assert not Notification.objects.filter(recipient=organ_staff_b).exists()


@pytest.mark.parametrize(
    ("step", "status"),
    [
        ("start", S.IN_PROGRESS),
        ("start", S.DONE),
        ("close", S.DONE),
        ("close", S.VERIFIED),
        ("verify", S.OPEN),
        ("verify", S.IN_PROGRESS),
        ("verify", S.VERIFIED),
        ("reopen", S.OPEN),
        ("reopen", S.IN_PROGRESS),
    ],
)
def test_illegal_transitions_are_refused(gongwei_staff, owner, step, status):
    problem = make_problem(owner.branch, owner, by=gongwei_staff, status=status)
    run = {
        "start": lambda: ledger.start(problem, by=gongwei_staff),
        "close": lambda: ledger.close(problem, note="完成", by=gongwei_staff),
        "verify": lambda: ledger.verify(problem, by=gongwei_staff),
        "reopen": lambda: ledger.reopen(problem, reason="不到位", by=gongwei_staff),
    }[step]

    with pytest.raises(IllegalTransition):
        run()
    problem.refresh_from_db()
    assert problem.status == status


def test_only_the_organ_of_the_branch_or_the_gongwei_verify(secretary_of_branch_a, organ_staff_b, organ_staff_a, owner):
    problem = make_problem(owner.branch, owner, by=secretary_of_branch_a, status=S.DONE)

    for person in (secretary_of_branch_a, organ_staff_b):
        with pytest.raises(PermissionDenied):
            ledger.verify(problem, by=person)
    ledger.verify(problem, by=organ_staff_a)

    problem.refresh_from_db()
    assert problem.status == S.VERIFIED and problem.verified_by == organ_staff_a


def test_reopening_needs_a_reason_and_a_deadline_not_in_the_past(organ_staff_a, owner):
    problem = make_problem(owner.branch, owner, by=organ_staff_a, status=S.VERIFIED)

    with pytest.raises(LedgerError, match="请填写退回重新整改的原因"):
        ledger.reopen(problem, reason="", by=organ_staff_a)
    with pytest.raises(LedgerError, match="新的整改时限不能早于今天"):
        ledger.reopen(problem, reason="不到位", deadline=days(-1), by=organ_staff_a)

    problem.refresh_from_db()
    assert problem.status == S.VERIFIED


def test_a_secretary_cannot_reopen_their_own_verified_item(secretary_of_branch_a, owner):
    problem = make_problem(owner.branch, owner, by=secretary_of_branch_a, status=S.VERIFIED)

    with pytest.raises(PermissionDenied):
        ledger.reopen(problem, reason="想再改改", by=secretary_of_branch_a)


# --- Editing and deadlines -------------------------------------------------------------------


def test_moving_a_deadline_needs_a_reason_and_is_in_the_history(organ_staff_a, owner):
    problem = make_problem(owner.branch, owner, by=organ_staff_a)

    with pytest.raises(LedgerError, match="调整整改时限须填写调整原因"):
        ledger.edit_problem(problem, data(owner, deadline=days(60)), by=organ_staff_a)
    ledger.edit_problem(problem, data(owner, deadline=days(60)), by=organ_staff_a, reason="涉及跨部门协调")

    problem.refresh_from_db()
    assert problem.deadline == days(60)
    assert reasons(problem)[-1] == (
        "修改：整改时限由 2026-12-22 调整为 2027-01-21：涉及跨部门协调",
        "jiguan_a",
    )


def test_a_branch_cannot_postpone_what_the_organ_found(secretary_of_branch_a, owner):
    problem = make_problem(owner.branch, owner, by=secretary_of_branch_a, source=ProblemSource.SUPERVISION)

    with pytest.raises(LedgerError, match="须由机关党委或工委调整整改时限"):
        ledger.edit_problem(problem, data(owner, deadline=days(90)), by=secretary_of_branch_a, reason="工作太忙")
    ledger.edit_problem(problem, data(owner, deadline=days(10)), by=secretary_of_branch_a, reason="提前完成")

    problem.refresh_from_db()
    assert problem.deadline == days(10)


def test_a_branch_may_reschedule_what_it_found_itself(secretary_of_branch_a, owner):
    problem = make_problem(owner.branch, owner, by=secretary_of_branch_a, source=ProblemSource.SELF)

    ledger.edit_problem(
        problem,
        data(owner, source=ProblemSource.SELF, deadline=days(90)),
        by=secretary_of_branch_a,
        reason="待年底验收",
    )

    problem.refresh_from_db()
    assert problem.deadline == days(90)


def test_a_done_item_is_locked_until_sent_back(secretary_of_branch_a, owner):
    problem = make_problem(owner.branch, owner, by=secretary_of_branch_a, status=S.DONE)

    with pytest.raises(IllegalTransition):
        ledger.edit_problem(problem, data(owner, title="改个标题"), by=secretary_of_branch_a)


# --- Pages -----------------------------------------------------------------------------------


@pytest.fixture
def ledger_rows(secretary_of_branch_a, branch_a, branch_a2, branch_b, owner):
    """Items in both organs: one overdue and one due later in branch_a, one verified in branch_a2, one in branch_b."""
    other = MemberFactory(branch=branch_a2)
    stranger = MemberFactory(branch=branch_b)
    return {
        "late": make_problem(branch_a, owner, by=secretary_of_branch_a, deadline=days(-5), title="逾期问题"),
        "soon": make_problem(branch_a, owner, by=secretary_of_branch_a, deadline=days(5), title="未到期问题"),
        "verified": make_problem(
            branch_a2, other, by=secretary_of_branch_a, status=S.VERIFIED, deadline=days(-50), title="已销号问题"
        ),
        "other_organ": make_problem(branch_b, stranger, by=secretary_of_branch_a, title="财政局的问题"),
    }


def _titles(response) -> list[str]:
    return [p.title for p in response.context["page"].object_list]


def test_a_secretary_sees_only_their_branch_in_the_ledger(client_for, secretary_of_branch_a, ledger_rows):
    response = client_for(secretary_of_branch_a).get(reverse("assessments:problem_list"))

    assert response.status_code == 200
    assert _titles(response) == ["逾期问题", "未到期问题"]
    assert response.context["counts"] == {"total": 2, "overdue": 1, "working": 2}
    assert "逾期 5 天" in response.content.decode()


def test_organ_staff_see_their_organ_and_filter_the_overdue(client_for, organ_staff_a, ledger_rows):
    client = client_for(organ_staff_a)

    everything = client.get(reverse("assessments:problem_list"))
    overdue = client.get(reverse("assessments:problem_list"), {"overdue": "1"})
    verified = client.get(reverse("assessments:problem_list"), {"status": "verified"})

    assert _titles(everything) == ["逾期问题", "未到期问题", "已销号问题"]
    assert _titles(overdue) == ["逾期问题"]
    assert _titles(verified) == ["已销号问题"]
    assert everything.context["counts"]["overdue"] == 1


def test_people_without_a_staff_or_committee_role_get_no_ledger(client_for, member_user, outsider, ledger_rows):
    for person in (member_user, outsider):
        assert client_for(person).get(reverse("assessments:problem_list")).status_code == 403
        assert client_for(person).get(reverse("assessments:problem_export")).status_code == 403


def test_the_ledger_list_costs_the_same_queries_for_one_row_and_many(client_for, organ_staff_a, owner):
    client = client_for(organ_staff_a)
    make_problem(owner.branch, owner, by=organ_staff_a)
    client.get(reverse("assessments:problem_list"))  # warm the session and scope
    with CaptureQueriesContext(connection) as one:
        client.get(reverse("assessments:problem_list"))
    for n in range(25):
        member = MemberFactory(branch=owner.branch)
        make_problem(owner.branch, member, by=organ_staff_a, deadline=days(n - 10), title=f"问题{n}")
    with CaptureQueriesContext(connection) as many:
        response = client.get(reverse("assessments:problem_list"))

    assert len(response.context["page"].object_list) == 26
    assert len(many) == len(one)


def test_the_export_holds_the_filtered_rows_and_defuses_formulas(client_for, organ_staff_a, owner, ledger_rows):
    make_problem(owner.branch, owner, by=organ_staff_a, title='=HYPERLINK("http://x")', deadline=days(-2))

    response = client_for(organ_staff_a).get(reverse("assessments:problem_export"), {"overdue": "1"})

    assert response.status_code == 200
    assert "attachment;" in response["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:4] == ("机关", "支部", "问题来源", "问题")
    assert [(r[3], r[9]) for r in rows[1:]] == [("逾期问题", 5), ('\'=HYPERLINK("http://x")', 2)]


def test_the_export_costs_the_same_queries_for_one_row_and_many(client_for, organ_staff_a, owner):
    client = client_for(organ_staff_a)
    make_problem(owner.branch, owner, by=organ_staff_a)
    client.get(reverse("assessments:problem_export"))
    with CaptureQueriesContext(connection) as one:
        client.get(reverse("assessments:problem_export"))
    for n in range(20):
        make_problem(owner.branch, owner, by=organ_staff_a, title=f"问题{n}", status=S.VERIFIED)
    with CaptureQueriesContext(connection) as many:
        client.get(reverse("assessments:problem_export"))

    assert len(many) == len(one)


def test_an_item_outside_the_scope_does_not_exist(client_for, organ_staff_b, secretary_of_branch_b, ledger_rows):
    url = reverse("assessments:problem_detail", args=[ledger_rows["late"].pk])

    assert client_for(organ_staff_b).get(url).status_code == 404
    assert client_for(secretary_of_branch_b).get(url).status_code == 404


def test_the_page_offers_each_person_their_own_steps(client_for, secretary_of_branch_a, organ_staff_a, owner):
    problem = make_problem(owner.branch, owner, by=organ_staff_a, status=S.DONE)
    url = reverse("assessments:problem_detail", args=[problem.pk])

    as_secretary = client_for(secretary_of_branch_a).get(url)
    as_organ = client_for(organ_staff_a).get(url)

    assert not as_secretary.context["can_verify"] and not as_secretary.context["can_reopen"]
    assert as_organ.context["can_verify"] and as_organ.context["can_reopen"]
    assert "核验通过" in as_organ.content.decode()
    assert reverse("assessments:problem_verify", args=[problem.pk]) not in as_secretary.content.decode()


def test_a_secretary_posting_a_verification_is_forbidden(client_for, secretary_of_branch_a, owner):
    problem = make_problem(owner.branch, owner, by=secretary_of_branch_a, status=S.DONE)

    response = client_for(secretary_of_branch_a).post(reverse("assessments:problem_verify", args=[problem.pk]))

    assert response.status_code == 403
    problem.refresh_from_db()
    assert problem.status == S.DONE


def test_closing_from_the_page_without_a_note_shows_why_and_changes_nothing(client_for, secretary_of_branch_a, owner):
    problem = make_problem(owner.branch, owner, by=secretary_of_branch_a, status=S.IN_PROGRESS)
    client = client_for(secretary_of_branch_a)

    refused = client.post(reverse("assessments:problem_close", args=[problem.pk]), {"note": "  "})
    done = client.post(reverse("assessments:problem_close", args=[problem.pk]), {"note": "已建立签到制度"}, follow=True)

    assert refused.status_code == 200
    assert "请填写整改情况说明" in refused.content.decode()
    assert "已报告整改完成" in done.content.decode()
    problem.refresh_from_db()
    assert problem.status == S.DONE and problem.closing_note == "已建立签到制度"


def test_a_step_refused_by_the_state_is_explained(client_for, secretary_of_branch_a, owner):
    problem = make_problem(owner.branch, owner, by=secretary_of_branch_a, status=S.IN_PROGRESS)

    response = client_for(secretary_of_branch_a).post(
        reverse("assessments:problem_start", args=[problem.pk]), follow=True
    )

    assert "不能开始整改" in response.content.decode()


def test_reopening_from_the_page_sets_a_new_deadline(client_for, organ_staff_a, secretary_of_branch_a, owner):
    problem = make_problem(owner.branch, owner, by=organ_staff_a, status=S.DONE, deadline=days(-3))

    response = client_for(organ_staff_a).post(
        reverse("assessments:problem_reopen", args=[problem.pk]),
        {"reason": "整改不彻底", "deadline": days(14).isoformat()},
    )

    assert response.status_code == 302
    problem.refresh_from_db()
    assert (problem.status, problem.deadline) == (S.IN_PROGRESS, days(14))
    assert Notification.objects.get(recipient=secretary_of_branch_a).title == "问题退回重新整改：学习记录不完整"


def test_a_secretary_enters_a_problem_for_their_only_branch(client_for, secretary_of_branch_a, owner):
    client = client_for(secretary_of_branch_a)

    form_page = client.get(reverse("assessments:problem_create"))
    response = client.post(
        reverse("assessments:problem_create"),
        {
            "source": ProblemSource.SELF,
            "title": "党费收缴不及时",
            "description": "",
            "responsible": owner.pk,
            "measures": "每月5日前收缴",
            "deadline": days(10).isoformat(),
        },
    )

    assert form_page.status_code == 200 and form_page.context["branch"] == owner.branch
    problem = Problem.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse(
        "assessments:problem_detail", args=[problem.pk]
    )
    assert (problem.branch, problem.responsible, problem.source) == (owner.branch, owner, ProblemSource.SELF)


def test_staff_choose_the_branch_first(client_for, organ_staff_a, branch_a, branch_a2, branch_b):
    client = client_for(organ_staff_a)

    chooser = client.get(reverse("assessments:problem_create"))
    form_page = client.get(reverse("assessments:problem_create"), {"branch": branch_a2.pk})
    foreign = client.get(reverse("assessments:problem_create"), {"branch": branch_b.pk})

    assert set(chooser.context["form"].fields["branch"].queryset) == {branch_a, branch_a2}
    assert form_page.context["branch"] == branch_a2
    assert foreign.status_code == 404


def test_a_member_of_another_branch_cannot_be_chosen_as_responsible(client_for, secretary_of_branch_a, branch_b):
    stranger = MemberFactory(branch=branch_b)

    response = client_for(secretary_of_branch_a).post(
        reverse("assessments:problem_create"),
        {"source": "self", "title": "问题", "responsible": stranger.pk, "measures": "措施", "deadline": "2026-12-01"},
    )

    assert response.status_code == 200
    assert "responsible" in response.context["form"].errors
    assert not Problem.objects.exists()


def test_editing_from_the_page_records_the_reason(client_for, organ_staff_a, owner):
    problem = make_problem(owner.branch, owner, by=organ_staff_a)
    form = {
        "source": problem.source,
        "title": problem.title,
        "description": "",
        "responsible": owner.pk,
        "measures": problem.measures,
        "deadline": days(45).isoformat(),
    }
    client = client_for(organ_staff_a)

    refused = client.post(reverse("assessments:problem_edit", args=[problem.pk]), form)
    saved = client.post(reverse("assessments:problem_edit", args=[problem.pk]), {**form, "reason": "等待上级批复"})

    assert "调整整改时限须填写调整原因" in refused.content.decode()
    assert saved.status_code == 302
    page = client.get(reverse("assessments:problem_detail", args=[problem.pk])).content.decode()
    assert "等待上级批复" in page


def test_a_second_committee_account_also_works_the_item(branch_a, owner):
    deputy = UserFactory(username="fushuji")
    grant(deputy, Role.BRANCH, branch=branch_a)
    problem = make_problem(branch_a, owner, by=deputy)

    ledger.start(problem, by=deputy)

    problem.refresh_from_db()
    assert problem.status == S.IN_PROGRESS


def test_the_person_responsible_may_read_their_item_but_not_work_it(client_for, member_user, secretary_of_branch_a):
    me = member_user.member
    mine = make_problem(me.branch, me, by=secretary_of_branch_a, title="本人负责的问题")
    other = make_problem(me.branch, MemberFactory(branch=me.branch), by=secretary_of_branch_a)
    client = client_for(member_user)

    page = client.get(reverse("assessments:problem_detail", args=[mine.pk]))

    assert page.status_code == 200 and "本人负责的问题" in page.content.decode()
    assert not page.context["can_close"] and not page.context["can_edit"]
    assert client.get(reverse("assessments:problem_detail", args=[other.pk])).status_code == 404
    assert client.post(reverse("assessments:problem_start", args=[mine.pk])).status_code == 403
