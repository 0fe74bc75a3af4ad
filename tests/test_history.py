"""Change history as people read it: dates and times in Beijing time, each row naming the act (提交, 通过, 退回,
核验销号 …), and a first entry for rows written in bulk so that their first later change shows what it was."""

import datetime
import io
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import call_command
from django.urls import reverse

from assessments import ledger, reports, secretary
from assessments.choices import ProblemSource, SecretaryGrade
from branches.choices import CommitteePost
from branches.models import Member
from branches.services import save_member
from core.history import act_of, history_of, kept_models, record_unrecorded
from core.workflow import Act
from tests.bulk import many_members
from tests.factories import CommitteeMemberFactory, CommitteeTermFactory, MemberFactory

pytestmark = pytest.mark.django_db

BEIJING = ZoneInfo("Asia/Shanghai")
# 07:09 on 12-06 in Beijing is still 12-05 in UTC (23:09), the day the history used to print.
DAWN = datetime.datetime(2025, 12, 6, 7, 9, tzinfo=BEIJING)


def at(moment: datetime.datetime):
    return time_machine.travel(moment, tick=False)


def new_values(change) -> dict[str, str]:
    return {label: new for label, _old, new in change.fields}


# --- Dates in Beijing time -------------------------------------------------------------------------


@pytest.fixture
def owner(branch_a):
    return MemberFactory(branch=branch_a, name="张整改")


def walk_a_problem(owner, *, secretary_user, organ_user, gongwei_user):
    with at(DAWN - datetime.timedelta(days=5)):
        data = ledger.ProblemData(
            source=ProblemSource.SUPERVISION,
            title="学习记录不完整",
            responsible=owner,
            measures="补学并建立台账",
            deadline=datetime.date(2025, 12, 31),
            description="",
        )
        problem = ledger.open_problem(owner.branch, data, by=organ_user)
        ledger.start(problem, by=secretary_user)
        ledger.close(problem, note="已补学三次", by=secretary_user)
    with at(DAWN):
        ledger.verify(problem, by=organ_user)
    with at(DAWN + datetime.timedelta(days=1)):
        ledger.reopen(problem, reason="抽查仍缺签到", by=gongwei_user)
    return problem


def test_the_ledger_history_shows_a_dawn_verification_on_its_beijing_date(
    client_for, owner, secretary_of_branch_a, organ_staff_a, gongwei_staff
):
    problem = walk_a_problem(
        owner, secretary_user=secretary_of_branch_a, organ_user=organ_staff_a, gongwei_user=gongwei_staff
    )

    response = client_for(organ_staff_a).get(reverse("assessments:problem_detail", args=[problem.pk]))

    verified = response.context["history"][1]
    assert verified.action == "核验销号"
    assert new_values(verified)["核验时间"] == "2025-12-06 07:09"
    page = response.content.decode()
    assert "2025-12-06 07:09" in page and "2025-12-05" not in page


def test_the_ledger_history_names_each_act(client_for, owner, secretary_of_branch_a, organ_staff_a, gongwei_staff):
    problem = walk_a_problem(
        owner, secretary_user=secretary_of_branch_a, organ_user=organ_staff_a, gongwei_user=gongwei_staff
    )

    history = client_for(organ_staff_a).get(reverse("assessments:problem_detail", args=[problem.pk])).context["history"]

    assert [(c.action, c.reason) for c in history] == [
        ("退回", "重新整改，抽查仍缺签到"),
        ("核验销号", ""),
        ("整改完成", "提请核验"),
        ("开始整改", ""),
        ("登记", ""),
    ]


def test_a_duty_report_names_its_acts_and_its_dawn_submission_date(
    client_for, branch_a, secretary_of_branch_a, organ_staff_a
):
    leader = MemberFactory(branch=branch_a, name="王局长", is_leader=True)
    text = {"business_work": "办结率 98%", "party_work": "主题党日 6 次", "problems": "调研不深", "next_steps": "调研"}
    period = reports.ensure_periods([2025])[1]
    with at(DAWN - datetime.timedelta(minutes=30)):
        report = reports.save_draft(leader, period, data=text, by=secretary_of_branch_a)
    with at(DAWN):
        report = reports.submit_report(report, by=secretary_of_branch_a)
    with at(DAWN + datetime.timedelta(hours=2)):
        report = reports.return_report(report, by=organ_staff_a, reason="党建部分过于简略")
        report = reports.submit_report(report, by=secretary_of_branch_a)
        reports.accept_report(report, by=organ_staff_a)

        response = client_for(organ_staff_a).get(reverse("assessments:report_detail", args=[report.pk]))

    history = response.context["history"]
    assert [c.action for c in history] == ["通过", "重新提交", "退回", "提交", "起草"]
    assert history[2].reason == "党建部分过于简略"
    assert new_values(history[3])["提交时间"] == "2025-12-06 07:09"
    assert "2025-12-05" not in response.content.decode()


def test_a_secretary_report_names_its_acts_and_its_dawn_submission_date(
    client_for, branch_a, secretary_of_branch_a, organ_staff_a
):
    term = CommitteeTermFactory(branch=branch_a)
    CommitteeMemberFactory(term=term, member__name="张书记", post=CommitteePost.SECRETARY)
    dawn = datetime.datetime(2026, 1, 6, 7, 9, tzinfo=BEIJING)
    with at(dawn - datetime.timedelta(minutes=30)):
        report = secretary.save_draft(branch_a, 2025, text="一年来，支部坚持以党建引领业务。", by=secretary_of_branch_a)
    with at(dawn):
        report = secretary.submit(report, by=secretary_of_branch_a)
    with at(dawn + datetime.timedelta(hours=3)):
        secretary.evaluate(report, grade=SecretaryGrade.GOOD, evaluation="履职较好", by=organ_staff_a)
        url = reverse("assessments:secretary_report", args=[branch_a.pk, 2025])
        response = client_for(organ_staff_a).get(url)

    history = response.context["history"]
    assert [c.action for c in history] == ["评议", "提交", "起草"]
    assert new_values(history[1])["提交时间"] == "2026-01-06 07:09"
    assert "2026-01-05" not in response.content.decode()


def test_an_act_is_read_back_only_from_the_start_of_a_reason():
    assert act_of(Act.RETURN.because("请补充")) == ("退回", "请补充")
    assert act_of(Act.VERIFY) == ("核验销号", "")
    assert act_of("撤销支部：机构改革合并") == ("", "撤销支部：机构改革合并")
    assert act_of("") == act_of(None) == ("", "")


# --- Rows written in bulk ----------------------------------------------------------------------


def test_rows_written_in_bulk_get_a_first_entry_and_their_first_change_shows_what_it_was(
    client_for, branch_a, gongwei_staff
):
    members = many_members(branch_a, 3)
    assert not Member.history.filter(id__in=[m.pk for m in members]).exists()

    assert record_unrecorded(Member, reason=Act.IMPORT.because("测试数据")) == 3
    assert record_unrecorded(Member, reason="再补一次") == 0
    first = Member.history.filter(id=members[0].pk).get()
    assert (first.history_type, first.history_change_reason, first.name) == ("+", "导入：测试数据", members[0].name)

    member = Member.objects.get(pk=members[0].pk)
    member.post = "科长"
    save_member(member, by=gongwei_staff)
    history = client_for(gongwei_staff).get(reverse("branches:member_detail", args=[member.pk])).context["history"]

    assert [c.action for c in history] == ["修改", "导入"]
    assert history[0].fields == [("职务", "—", "科长")]


def test_a_change_with_nothing_earlier_to_compare_is_still_listed(branch_a, gongwei_staff):
    (member,) = many_members(branch_a, 1)
    member.post = "科长"
    save_member(member, by=gongwei_staff)

    changes = history_of(Member.history.filter(id=member.pk), Member)

    assert [(c.action, c.who, c.fields) for c in changes] == [("修改", str(gongwei_staff), [])]


def test_the_command_records_what_bulk_writes_left_out(branch_a):
    many_members(branch_a, 2)
    out = io.StringIO()
    call_command("record_history", stdout=out)
    assert "已补记 2 条变更记录" in out.getvalue()
    call_command("record_history", stdout=out)
    assert "已补记 0 条变更记录。" in out.getvalue()


@pytest.mark.slow
def test_every_row_the_demo_seeds_has_its_first_history_entry(time_machine):
    time_machine.move_to(datetime.datetime(2026, 11, 22, 9, 0, tzinfo=BEIJING))
    call_command("seed_demo", organs=2, branches=4, members_per_branch=10, years=1, stdout=io.StringIO())

    for model in kept_models():
        unrecorded = model.objects.exclude(pk__in=model.history.values("id"))
        assert not unrecorded.exists(), f"{model.__name__}: {unrecorded.count()} rows without history"
    assert Member.history.filter(history_change_reason="导入：演示数据").count() == Member.objects.count()
