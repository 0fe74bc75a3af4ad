"""学时: hours from attended meetings and recorded trainings against the year's target."""

import datetime
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.template.loader import render_to_string
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from branches import hours as kept_hours
from branches import orglife
from branches.choices import MeetingKind
from branches.models import Attendance, Meeting, Member, OrganisationRules, TrainingRecord
from branches.orglife import training_context, training_hours
from tests.factories import BranchFactory, MemberFactory, UserFactory

pytestmark = pytest.mark.django_db

D = datetime.date


@pytest.fixture(autouse=True)
def frozen_today(time_machine):
    time_machine.move_to(datetime.datetime(2026, 11, 22, 10, 0, tzinfo=datetime.timezone(datetime.timedelta(hours=8))))


@pytest.fixture
def recorder(db):
    return UserFactory(username="recorder")


def lecture(branch, day, hours, recorder, present=(), absent=()):
    meeting = Meeting.objects.create(
        branch=branch, kind=MeetingKind.LECTURE, held_on=day, topic="党课", hours=Decimal(hours), recorded_by=recorder
    )
    Attendance.objects.bulk_create(
        [Attendance(meeting=meeting, member=m, present=True) for m in present]
        + [Attendance(meeting=meeting, member=m, present=False) for m in absent]
    )
    # These helpers write past the services: keep the 学时 as `record_meeting` and `record_training` do.
    kept_hours.refresh([m.pk for m in present], [day.year])
    return meeting


def train(member, day, hours, recorder, title="专题培训"):
    record = TrainingRecord.objects.create(
        member=member, held_on=day, title=title, hours=Decimal(hours), recorded_by=recorder
    )
    kept_hours.refresh([member.pk], [day.year])
    return record


def hours_of(member, year=2026):
    return training_hours(Member.objects.filter(pk=member.pk), year).get()


# --- the computation ---------------------------------------------------------------------


def test_the_roster_filter_agrees_with_each_members_hours(branch_a, recorder):
    # Given members just below, exactly at and above the target, from meetings, trainings or both
    short, exact, over, nothing = MemberFactory.create_batch(4, branch=branch_a)
    lecture(branch_a, D(2026, 4, 1), "2", recorder, present=[short, exact], absent=[over])
    train(short, D(2026, 5, 1), "29.5", recorder)
    train(exact, D(2026, 5, 1), "30", recorder)
    train(over, D(2026, 5, 1), "40", recorder)
    lecture(branch_a, D(2025, 12, 31), "8", recorder, present=[short])  # last year's hours do not count

    # When the roster is filtered the way the 学时 list filters it
    below = set(Member.objects.filter(orglife.below_target_q(2026)).values_list("pk", flat=True))

    # Then it names exactly the members whose own hours fall short
    assert below == {short.pk, nothing.pk}
    assert {m.pk for m in training_hours(Member.objects.all(), 2026) if m.below_target} == below


def test_hours_add_attended_meetings_and_trainings_of_the_year(branch_a, recorder):
    li, wang = MemberFactory(branch=branch_a), MemberFactory(branch=branch_a)
    lecture(branch_a, D(2026, 3, 31), "4", recorder, present=[li], absent=[wang])
    lecture(branch_a, D(2025, 12, 31), "4", recorder, present=[li])  # last year
    train(li, D(2026, 1, 1), "10.5", recorder)
    train(li, D(2027, 1, 1), "8", recorder)  # next year
    Meeting.objects.create(
        branch=branch_a, kind=MeetingKind.THEME_DAY, held_on=D(2026, 5, 1), topic="主题党日", recorded_by=recorder
    )

    li_row, wang_row = hours_of(li), hours_of(wang)

    assert (li_row.meeting_hours, li_row.course_hours, li_row.hours) == (Decimal("4"), Decimal("10.5"), Decimal("14.5"))
    assert (li_row.target, li_row.below_target, li_row.shortfall) == (Decimal("32"), True, Decimal("17.5"))
    assert (wang_row.hours, wang_row.shortfall) == (Decimal("0"), Decimal("32"))


def test_the_target_is_read_from_the_rules_and_reaching_it_exactly_is_enough(branch_a, recorder):
    member = MemberFactory(branch=branch_a)
    train(member, D(2026, 6, 1), "32", recorder)

    assert hours_of(member).below_target is False
    assert hours_of(member).shortfall == Decimal("0")

    OrganisationRules.objects.create(year=2026, training_hours_target=Decimal("40"))

    row = hours_of(member)
    assert (row.target, row.below_target, row.shortfall) == (Decimal("40"), True, Decimal("8"))
    assert hours_of(member, year=2025).target == Decimal("32")  # the 2026 rules do not reach back


def test_hours_are_computed_in_one_query_for_any_number_of_members(branch_a, recorder):
    members = MemberFactory.create_batch(2, branch=branch_a)
    lecture(branch_a, D(2026, 2, 1), "2", recorder, present=members)
    OrganisationRules.for_year(2026)  # the rules lookup is the one extra query
    with CaptureQueriesContext(connection) as small:
        list(training_hours(Member.objects.filter(branch=branch_a), 2026))
    more = MemberFactory.create_batch(20, branch=branch_a)
    for m in more:
        train(m, D(2026, 3, 1), "3", recorder)
    lecture(branch_a, D(2026, 4, 1), "2", recorder, present=more)
    with CaptureQueriesContext(connection) as large:
        rows = list(training_hours(Member.objects.filter(branch=branch_a), 2026))

    assert len(small.captured_queries) == len(large.captured_queries) == 2
    assert {r.hours for r in rows if r in more} == {Decimal("5")}


def test_member_training_partial(branch_a, recorder):
    member = MemberFactory(branch=branch_a)
    meeting = lecture(branch_a, D(2026, 3, 2), "3", recorder, present=[member])
    record = train(member, D(2026, 5, 6), "30", recorder, title="党校轮训")

    context = training_context(member, 2026)
    html = render_to_string("branches/_training_hours.html", {**context, "can_write": True})
    read_only = render_to_string("branches/_training_hours.html", context)

    t = context["training"]
    assert (t.hours, t.target, t.percent, t.missing) == (Decimal("33"), Decimal("32"), 100, Decimal("0"))
    assert "已达到年度要求" in html
    assert "党校轮训" in html and reverse("branches:meeting_detail", args=[meeting.pk]) in html
    assert reverse("branches:training_delete", args=[record.pk]) in html
    assert f"{reverse('branches:training_create')}?member={member.pk}" in html
    assert "登记学时" not in read_only and "删除" not in read_only


def test_member_training_partial_below_target(branch_a):
    member = MemberFactory(branch=branch_a)

    html = render_to_string("branches/_training_hours.html", training_context(member, 2026))

    assert "还差 32 学时" in html
    assert "本年度尚未登记培训" in html


# --- recording ---------------------------------------------------------------------------


def test_a_secretary_records_a_training_for_several_members_at_once(client_for, secretary_of_branch_a, branch_a):
    li, wang, zhao = MemberFactory.create_batch(3, branch=branch_a)
    client = client_for(secretary_of_branch_a)
    url = f"{reverse('branches:training_create')}?branch={branch_a.pk}"

    page = client.get(url)
    response = client.post(
        url, {"members": [li.pk, wang.pk], "title": "学习二十届全会精神", "held_on": "2026-11-20", "hours": "2.5"}
    )

    assert page.status_code == 200 and zhao.name in page.content.decode()
    assert response.status_code == 302
    records = TrainingRecord.objects.filter(title="学习二十届全会精神")
    assert {r.member_id for r in records} == {li.pk, wang.pk}
    assert {(r.hours, r.recorded_by_id) for r in records} == {(Decimal("2.5"), secretary_of_branch_a.pk)}
    assert TrainingRecord.history.filter(title="学习二十届全会精神", history_user=secretary_of_branch_a).count() == 2
    assert hours_of(li).course_hours == Decimal("2.5")


def test_recording_for_one_member_returns_to_their_page(client_for, organ_staff_a, branch_a):
    member = MemberFactory(branch=branch_a)

    response = client_for(organ_staff_a).post(
        f"{reverse('branches:training_create')}?member={member.pk}",
        {"members": [member.pk], "title": "网络学院", "held_on": "2026-10-01", "hours": "6"},
    )

    assert response.status_code == 302
    assert response.url == member.get_absolute_url()
    assert member.trainings.get().hours == Decimal("6")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"title": "培训", "held_on": "2026-11-20", "hours": "0"}, "学时须大于 0"),
        ({"title": "培训", "held_on": "2026-11-23", "hours": "2"}, "培训日期不能晚于今天"),
        ({"title": "  ", "held_on": "2026-11-20", "hours": "2"}, "请填写培训名称"),
        ({"title": "培训", "held_on": "2026-11-20", "hours": "2", "members": []}, "请至少选择一名党员"),
    ],
)
def test_bad_trainings_are_refused_and_nothing_is_written(client_for, secretary_of_branch_a, branch_a, data, message):
    member = MemberFactory(branch=branch_a)
    data = {"members": [member.pk], **data}

    response = client_for(secretary_of_branch_a).post(
        f"{reverse('branches:training_create')}?branch={branch_a.pk}", data
    )

    assert response.status_code == 200
    assert message in response.content.decode()
    assert not TrainingRecord.objects.exists()


def test_a_member_of_another_branch_cannot_be_slipped_in(client_for, secretary_of_branch_a, branch_a, branch_b):
    own, foreign = MemberFactory(branch=branch_a), MemberFactory(branch=branch_b)

    response = client_for(secretary_of_branch_a).post(
        f"{reverse('branches:training_create')}?branch={branch_a.pk}",
        {"members": [own.pk, foreign.pk], "title": "培训", "held_on": "2026-11-20", "hours": "2"},
    )

    assert response.status_code == 200
    assert not TrainingRecord.objects.exists()


def test_who_may_record(client_for, secretary_of_branch_a, member_user, organ_staff_b, branch_a, branch_b):
    own, foreign = MemberFactory(branch=branch_a), MemberFactory(branch=branch_b)
    url = reverse("branches:training_create")
    data = {"title": "培训", "held_on": "2026-11-20", "hours": "2"}
    me = Member.objects.get(user=member_user)

    assert client_for(secretary_of_branch_a).get(f"{url}?member={foreign.pk}").status_code == 404
    assert client_for(secretary_of_branch_a).get(f"{url}?branch={branch_b.pk}").status_code == 404
    assert client_for(organ_staff_b).post(f"{url}?member={own.pk}", {**data, "members": [own.pk]}).status_code == 404
    assert client_for(member_user).post(f"{url}?member={me.pk}", {**data, "members": [me.pk]}).status_code == 403
    assert client_for(member_user).get(f"{url}?member=abc").status_code == 404
    assert not TrainingRecord.objects.exists()
    with pytest.raises(orglife.OrgLifeError):
        orglife.record_training(
            [foreign], held_on=D(2026, 11, 1), title="培训", hours=Decimal(1), by=secretary_of_branch_a,
            today=D(2026, 11, 22),
        )  # fmt: skip


def test_deleting_a_mistaken_record(client_for, secretary_of_branch_a, secretary_of_branch_b, branch_a, recorder):
    member = MemberFactory(branch=branch_a)
    record = train(member, D(2026, 2, 2), "3", recorder)
    url = reverse("branches:training_delete", args=[record.pk])

    assert client_for(secretary_of_branch_b).post(url).status_code == 404
    response = client_for(secretary_of_branch_a).post(url)

    assert response.status_code == 302
    assert not TrainingRecord.objects.filter(pk=record.pk).exists()
    assert TrainingRecord.history.filter(id=record.pk, history_type="-").get().history_user == secretary_of_branch_a


# --- the list ----------------------------------------------------------------------------


def test_training_list_is_scoped_and_filters_below_target(
    client_for, secretary_of_branch_a, branch_a, branch_b, recorder
):
    done, behind = MemberFactory(branch=branch_a, name="张达标"), MemberFactory(branch=branch_a, name="王未达")
    MemberFactory(branch=branch_b, name="外支部")
    train(done, D(2026, 1, 1), "40", recorder)
    client = client_for(secretary_of_branch_a)

    everyone = client.get(reverse("branches:training_list"))
    below = client.get(reverse("branches:training_list"), {"below": "1"})

    assert {m.name for m in everyone.context["page"].object_list} == {"张达标", "王未达"}
    assert everyone.context["stats"] == {"total": 2, "below": 1}
    assert [m.pk for m in below.context["page"].object_list] == [behind.pk]
    body = below.content.decode()
    assert "差 32 学时" in body and "外支部" not in body


def test_training_list_of_a_branch_offers_group_recording(client_for, organ_staff_a, branch_a, branch_a2):
    MemberFactory(branch=branch_a)
    MemberFactory(branch=branch_a2)

    response = client_for(organ_staff_a).get(reverse("branches:training_list"), {"branch": branch_a.pk})

    assert len(response.context["page"].object_list) == 1
    assert f"{reverse('branches:training_create')}?branch={branch_a.pk}" in response.content.decode()


def test_training_list_of_another_year(client_for, gongwei_staff, branch_a, recorder):
    member = MemberFactory(branch=branch_a)
    train(member, D(2025, 5, 5), "33", recorder)

    this_year = client_for(gongwei_staff).get(reverse("branches:training_list"))
    last_year = client_for(gongwei_staff).get(reverse("branches:training_list"), {"year": 2025})

    assert this_year.context["page"].object_list[0].hours == Decimal("0")
    assert last_year.context["page"].object_list[0].hours == Decimal("33")


def test_members_and_outsiders_may_not_see_the_list(client_for, member_user, outsider):
    assert client_for(member_user).get(reverse("branches:training_list")).status_code == 403
    assert client_for(outsider).get(reverse("branches:training_list")).status_code == 403


@pytest.mark.parametrize("params", [{}, {"below": "1"}, {"q": "党员"}])
def test_training_list_queries_do_not_grow_with_members(client_for, gongwei_staff, organ_a, recorder, params):
    client = client_for(gongwei_staff)

    def populate(n):
        branch = BranchFactory(organ=organ_a)
        members = MemberFactory.create_batch(n, branch=branch)
        lecture(branch, D(2026, 3, 3), "2", recorder, present=members)
        for m in members:
            train(m, D(2026, 4, 4), "1", recorder)

    def count():
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(reverse("branches:training_list"), params)
        assert response.status_code == 200
        return len(ctx.captured_queries)

    populate(1)
    small = count()
    for _ in range(4):
        populate(10)
    assert count() == small


def test_recording_for_the_whole_branch_at_once(client_for, secretary_of_branch_a, branch_a, branch_b):
    members = MemberFactory.create_batch(4, branch=branch_a)
    MemberFactory(branch=branch_b)

    response = client_for(secretary_of_branch_a).post(
        f"{reverse('branches:training_create')}?branch={branch_a.pk}",
        {"everyone": "on", "title": "集中学习", "held_on": "2026-11-02", "hours": "4"},
    )

    assert response.status_code == 302
    assert set(TrainingRecord.objects.values_list("member_id", flat=True)) == {m.pk for m in members}


def test_a_member_sees_the_hours_of_meetings_but_links_only_to_meetings_they_may_open(
    client_for, branch_a, member_user, secretary_of_branch_a
):
    # The member's own record lists the meetings they attended; the member may not open a meeting's page
    # (its minutes are for the committee and the staff), so the topic is shown without a link that would 404.
    member = member_user.member
    meeting = Meeting.objects.create(
        branch=branch_a, kind=MeetingKind.LECTURE, held_on=datetime.date(2026, 3, 5), topic="党课：学习条例",
        hours=Decimal("2"), recorded_by=secretary_of_branch_a,
    )  # fmt: skip
    Attendance.objects.create(meeting=meeting, member=member, present=True)
    detail = reverse("branches:meeting_detail", args=[meeting.pk])

    with time_machine.travel(datetime.datetime(2026, 6, 1, 10, 0)):
        mine = client_for(member_user).get(member.get_absolute_url()).content.decode()
        secretary = client_for(secretary_of_branch_a).get(member.get_absolute_url()).content.decode()

    assert "党课：学习条例" in mine and detail not in mine
    assert client_for(member_user).get(detail).status_code == 404
    assert f'href="{detail}"' in secretary


@pytest.mark.parametrize(
    ("topic", "shown"),
    [
        ("党课：学习条例", "党课：学习条例"),
        ("专题党课：加强作风建设", "专题党课：加强作风建设"),
        ("学习条例", "党课：学习条例"),
    ],
)
def test_the_profile_names_a_meetings_kind_once(client_for, branch_a, member_user, secretary_of_branch_a, topic, shown):
    member = member_user.member
    meeting = lecture(branch_a, D(2026, 3, 5), "2", secretary_of_branch_a, present=[member])
    meeting.topic = topic
    meeting.save()

    page = client_for(secretary_of_branch_a).get(member.get_absolute_url()).content.decode()

    assert f">{shown}</a>" in page
    assert "党课：党课" not in page and "党课：专题党课" not in page
