"""Notification pages: each person reads their own messages; 工委 staff see what was sent; email goes once."""

import datetime
from urllib.parse import quote

import pytest
from django.core import mail
from django.db import connection
from django.template.loader import render_to_string
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from notifications.models import Notification
from notifications.services import notify
from notifications.tasks import email_notifications
from tests.factories import UserFactory

LIST = reverse("notifications:list")
SENT = reverse("notifications:sent")


def message(user, title, *, key="", url="", read=False, minutes_ago=0):
    notification = Notification.objects.create(recipient=user, title=title, key=key, url=url)
    created = timezone.now() - datetime.timedelta(minutes=minutes_ago)
    read_at = created if read else None
    Notification.objects.filter(pk=notification.pk).update(created_at=created, read_at=read_at)
    notification.refresh_from_db()
    return notification


def titles(response) -> list[str]:
    return [n.title for n in response.context["page"].object_list]


# --- my messages ----------------------------------------------------------------------------


def test_a_person_sees_only_their_own_messages(client_for, secretary_of_branch_a, secretary_of_branch_b):
    message(secretary_of_branch_a, "综合处节点即将到期")
    message(secretary_of_branch_b, "预算处节点已逾期")

    response = client_for(secretary_of_branch_a).get(LIST)

    assert response.status_code == 200
    assert titles(response) == ["综合处节点即将到期"]
    assert "预算处节点已逾期" not in response.content.decode()


def test_unread_messages_come_first_newest_first(client_for, secretary_of_branch_a):
    message(secretary_of_branch_a, "已读的新消息", read=True, minutes_ago=1)
    message(secretary_of_branch_a, "未读的旧消息", minutes_ago=60)
    message(secretary_of_branch_a, "未读的新消息", minutes_ago=5)

    response = client_for(secretary_of_branch_a).get(LIST)

    assert titles(response) == ["未读的新消息", "未读的旧消息", "已读的新消息"]
    assert "2 条未读" in response.content.decode()


def test_the_bell_shows_the_unread_count(rf, secretary_of_branch_a, secretary_of_branch_b):
    message(secretary_of_branch_a, "未读一")
    message(secretary_of_branch_a, "未读二")
    message(secretary_of_branch_a, "已读", read=True)
    message(secretary_of_branch_b, "别人的未读")
    request = rf.get("/")
    request.user = secretary_of_branch_a

    bell = render_to_string("notifications/_bell.html", request=request)

    assert f'href="{LIST}"' in bell
    assert ">2</span>" in bell and "条未读消息" in bell


def test_an_empty_list_says_so(client_for, member_user):
    response = client_for(member_user).get(LIST)

    assert response.status_code == 200
    assert "暂无消息" in response.content.decode()


def test_the_list_needs_a_login(client):
    response = client.get(LIST)

    assert response.status_code == 302
    assert reverse("accounts:login") in response["Location"]


def test_opening_a_message_marks_it_read_and_follows_its_link(client_for, secretary_of_branch_a):
    notification = message(secretary_of_branch_a, "节点已逾期", url="/projects/7/#milestone-3")

    response = client_for(secretary_of_branch_a).post(reverse("notifications:read", args=[notification.pk]))

    assert response.status_code == 302
    assert response["Location"] == "/projects/7/#milestone-3"
    notification.refresh_from_db()
    assert notification.read_at is not None


def test_opening_an_already_read_message_keeps_its_read_time(client_for, secretary_of_branch_a):
    notification = message(secretary_of_branch_a, "旧消息", read=True, minutes_ago=30)
    first_read = notification.read_at

    client_for(secretary_of_branch_a).post(reverse("notifications:read", args=[notification.pk]))

    notification.refresh_from_db()
    assert notification.read_at == first_read


def test_a_message_without_a_link_returns_to_the_list(client_for, secretary_of_branch_a):
    notification = message(secretary_of_branch_a, "系统通知")

    response = client_for(secretary_of_branch_a).post(reverse("notifications:read", args=[notification.pk]))

    assert response["Location"] == LIST


def test_a_link_to_another_site_is_not_followed(client_for, secretary_of_branch_a):
    notification = message(secretary_of_branch_a, "可疑链接", url="https://evil.example.com/phish")

    response = client_for(secretary_of_branch_a).post(reverse("notifications:read", args=[notification.pk]))

    assert response["Location"] == LIST


def test_someone_elses_message_cannot_be_marked_read(client_for, secretary_of_branch_a, secretary_of_branch_b):
    theirs = message(secretary_of_branch_b, "预算处的消息")

    response = client_for(secretary_of_branch_a).post(reverse("notifications:read", args=[theirs.pk]))

    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_marking_read_needs_a_post(client_for, secretary_of_branch_a):
    notification = message(secretary_of_branch_a, "节点已逾期")

    response = client_for(secretary_of_branch_a).get(reverse("notifications:read", args=[notification.pk]))

    assert response.status_code == 405
    notification.refresh_from_db()
    assert notification.read_at is None


def test_mark_all_read_touches_only_my_unread_messages(client_for, secretary_of_branch_a, secretary_of_branch_b):
    mine = [message(secretary_of_branch_a, f"消息{i}") for i in range(3)]
    earlier = message(secretary_of_branch_a, "早已读过", read=True, minutes_ago=90)
    theirs = message(secretary_of_branch_b, "别人的消息")

    response = client_for(secretary_of_branch_a).post(reverse("notifications:read_all"), follow=True)

    assert "已将 3 条消息标为已读" in response.content.decode()
    assert not Notification.objects.filter(pk__in=[n.pk for n in mine], read_at__isnull=True).exists()
    assert Notification.objects.get(pk=earlier.pk).read_at == earlier.read_at
    assert Notification.objects.get(pk=theirs.pk).read_at is None


def test_the_list_pages_through_many_messages(client_for, secretary_of_branch_a):
    for i in range(25):
        message(secretary_of_branch_a, f"消息{i:02d}", minutes_ago=i)

    client = client_for(secretary_of_branch_a)
    first = client.get(LIST)
    second = client.get(LIST, {"page": 2})

    assert len(titles(first)) == 20
    assert titles(second) == [f"消息{i:02d}" for i in range(20, 25)]
    assert "第 1 / 2 页" in first.content.decode()


def test_the_list_costs_the_same_queries_for_one_or_many_messages(client_for, secretary_of_branch_a):
    client = client_for(secretary_of_branch_a)
    message(secretary_of_branch_a, "第一条")
    client.get(LIST)  # warm the session and the scope
    with CaptureQueriesContext(connection) as one:
        client.get(LIST)
    for i in range(30):
        message(secretary_of_branch_a, f"消息{i}", read=i % 2 == 0, minutes_ago=i)
    with CaptureQueriesContext(connection) as many:
        client.get(LIST)

    assert len(many) == len(one)


# --- email ----------------------------------------------------------------------------------


def test_each_notification_is_emailed_once(django_capture_on_commit_callbacks, secretary_of_branch_a, settings):
    settings.SITE_URL = "https://dangjian.example.gov.cn"
    secretary_of_branch_a.email = "shuji@example.gov.cn"
    secretary_of_branch_a.save()

    with django_capture_on_commit_callbacks(execute=True):
        created = notify(
            [secretary_of_branch_a], title="节点已逾期", body="请尽快填报。", url="/projects/1/", key="k:1"
        )
    with django_capture_on_commit_callbacks(execute=True):
        again = notify([secretary_of_branch_a], title="节点已逾期", body="请尽快填报。", url="/projects/1/", key="k:1")
    resent = email_notifications([n.pk for n in created])

    assert len(created) == 1 and again == [] and resent == 0
    assert len(mail.outbox) == 1
    email = mail.outbox[0]
    assert email.to == ["shuji@example.gov.cn"]
    assert email.subject == "【机关党建】节点已逾期"
    assert "https://dangjian.example.gov.cn/projects/1/" in email.body
    assert Notification.objects.get(pk=created[0].pk).emailed_at is not None


def test_people_without_an_email_address_get_the_message_in_the_portal_only(
    django_capture_on_commit_callbacks, secretary_of_branch_a
):
    with django_capture_on_commit_callbacks(execute=True):
        created = notify([secretary_of_branch_a], title="节点即将到期")

    assert len(created) == 1
    assert mail.outbox == []


# --- what was sent (工委) ---------------------------------------------------------------------


def test_gongwei_staff_see_every_message_sent(client_for, gongwei_staff, secretary_of_branch_a, organ_staff_b):
    message(secretary_of_branch_a, "综合处节点已逾期", key="milestone:1:overdue")
    message(organ_staff_b, "预算处节点逾期上报", key="milestone:2:escalated")

    response = client_for(gongwei_staff).get(SENT)

    assert response.status_code == 200
    assert set(titles(response)) == {"综合处节点已逾期", "预算处节点逾期上报"}
    page = response.content.decode()
    assert "综合处书记" in page and "财政局机关党委干部" in page


def test_the_sent_list_filters_by_type_recipient_and_state(client_for, gongwei_staff, secretary_of_branch_a):
    other = UserFactory(username="shuji_x", full_name="张三")
    message(secretary_of_branch_a, "节点逾期", key="milestone:1:overdue")
    message(secretary_of_branch_a, "督办逾期", key="duban:4:overdue", read=True)
    message(other, "张三的节点逾期", key="milestone:9:overdue")
    client = client_for(gongwei_staff)

    by_kind = client.get(SENT, {"kind": "督办"})
    by_person = client.get(SENT, {"recipient": "综合处"})
    by_username = client.get(SENT, {"recipient": "shuji_x"})
    unread = client.get(SENT, {"state": "unread", "kind": "项目节点"})

    assert titles(by_kind) == ["督办逾期"]
    assert set(titles(by_person)) == {"节点逾期", "督办逾期"}
    assert titles(by_username) == ["张三的节点逾期"]
    assert set(titles(unread)) == {"节点逾期", "张三的节点逾期"}


def test_the_sent_list_keeps_its_filter_across_pages(client_for, gongwei_staff, secretary_of_branch_a):
    for i in range(55):
        message(secretary_of_branch_a, f"节点{i}逾期", key=f"milestone:{i}:overdue", minutes_ago=i)

    response = client_for(gongwei_staff).get(SENT, {"kind": "项目节点"})

    assert response.context["page"].paginator.count == 55
    assert f"?kind={quote('项目节点')}&amp;page=2" in response.content.decode()


SENT_KINDS = [
    ("milestone:12:overdue", "项目节点 · 已逾期"),
    ("milestone:12:escalated", "项目节点 · 逾期上报"),
    ("assessments.secretaryreport:60:1234", "书记述职"),
    ("appraisal:7:event:88", "民主评议党员 · 退回修改"),
    ("report:3:41:before", "一岗双责报告 · 到期前提醒"),
    ("meetings:organ:2:20260331:escalated", "组织生活 · 逾期上报"),
    ("term:5:90", "换届提醒"),
    ("projects.project:3:17", "支部项目"),
    ("project:3:acceptance_requested", "支部项目 · 申请验收"),
    ("", "一般通知"),
]


def test_the_sent_list_names_each_messages_type_in_words_never_its_key(client_for, gongwei_staff, member_user):
    for i, (key, _) in enumerate(SENT_KINDS):
        message(member_user, f"消息{i}", key=key, minutes_ago=i)

    response = client_for(gongwei_staff).get(SENT)

    page = response.content.decode()
    shown = [n.kind_label for n in response.context["page"].object_list]
    assert shown == [label for _, label in SENT_KINDS]
    for key, label in SENT_KINDS:
        assert f'<td class="d-none d-md-table-cell small text-muted">{label}</td>' in page
        assert not key or key not in page
    assert "去重键" not in page and "milestone:" not in page
    assert '<option value="书记述职">书记述职</option>' in page


def test_a_type_gathers_the_keys_of_one_subject(client_for, gongwei_staff, member_user):
    message(member_user, "项目待审核", key="projects.project:3:17")
    message(member_user, "项目申请验收", key="project:3:acceptance_requested")
    message(member_user, "节点逾期", key="milestone:1:overdue")
    message(member_user, "记分表已生成")

    client = client_for(gongwei_staff)
    assert set(titles(client.get(SENT, {"kind": "支部项目"}))) == {"项目待审核", "项目申请验收"}
    assert titles(client.get(SENT, {"kind": "一般通知"})) == ["记分表已生成"]


@pytest.mark.parametrize("persona", ["organ_staff_a", "secretary_of_branch_a", "member_user", "outsider"])
def test_the_sent_list_is_for_gongwei_staff_only(client_for, request, persona):
    user = request.getfixturevalue(persona)
    message(user, "我的消息")

    response = client_for(user).get(SENT)

    assert response.status_code == 403


def test_the_sent_list_costs_the_same_queries_for_few_or_many_rows(client_for, gongwei_staff, secretary_of_branch_a):
    client = client_for(gongwei_staff)
    message(secretary_of_branch_a, "第一条", key="milestone:0:overdue")
    client.get(SENT)
    with CaptureQueriesContext(connection) as one:
        client.get(SENT)
    for i in range(1, 40):
        message(UserFactory(), f"消息{i}", key=f"milestone:{i}:overdue", read=i % 3 == 0)
    with CaptureQueriesContext(connection) as many:
        client.get(SENT)

    assert len(many) == len(one)
