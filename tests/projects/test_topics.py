"""党委出题: topic lists with a filing window, topics, publishing and reopening, scoped by role."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from projects.choices import Direction
from projects.models import Topic, TopicList
from tests.factories import OrganFactory
from tests.projects.factories import ProjectFactory, TopicFactory, TopicListFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def frozen_today(time_machine):
    time_machine.move_to("2026-11-22 10:00 +0800", tick=False)


def window(**values) -> dict:
    return {"year": "2026", "opens_on": "2026-12-01", "closes_on": "2026-12-31", **values}


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


# --- creating a list -------------------------------------------------------------------


def test_organ_staff_create_a_list_for_their_organ(client_for, organ_staff_a, organ_a):
    response = client_for(organ_staff_a).post(reverse("projects:topic_list_create"), window(organ=organ_a.pk))
    topic_list = TopicList.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("projects:topic_list_detail", args=[topic_list.pk])
    assert (topic_list.organ, topic_list.year, topic_list.created_by) == (organ_a, 2026, organ_staff_a)
    assert not topic_list.is_published
    assert topic_list.history.get().history_user == organ_staff_a


def test_organ_staff_cannot_publish_for_another_organ_or_the_whole_city(client_for, organ_staff_a, organ_b):
    client = client_for(organ_staff_a)
    response = client.post(reverse("projects:topic_list_create"), window(organ=organ_b.pk))
    assert response.context["form"].errors["organ"]
    response = client.post(reverse("projects:topic_list_create"), window(organ=""))
    assert response.context["form"].errors["organ"]
    assert not TopicList.objects.exists()


def test_gongwei_publishes_a_citywide_list_once_a_year(client_for, gongwei_staff):
    client = client_for(gongwei_staff)
    assert client.post(reverse("projects:topic_list_create"), window(organ="")).status_code == 302
    assert TopicList.objects.get().organ is None
    # A second city-wide list for the same year is refused in plain words, once
    response = client.post(reverse("projects:topic_list_create"), window(organ=""))
    errors = response.context["form"].errors
    assert errors["year"] == ["工委（全部机关） 2026 年的选题已存在，请在原选题中添加题目。"]
    assert "__all__" not in errors
    assert TopicList.objects.count() == 1


def test_a_second_list_of_an_organ_for_the_year_is_refused(client_for, organ_staff_a, organ_a):
    TopicListFactory(organ=organ_a)
    response = client_for(organ_staff_a).post(reverse("projects:topic_list_create"), window(organ=organ_a.pk))
    assert "已存在" in response.context["form"].errors["year"][0]
    assert TopicList.objects.count() == 1


def test_window_must_close_after_it_opens(client_for, organ_staff_a, organ_a):
    data = window(organ=organ_a.pk, closes_on="2026-11-30")
    response = client_for(organ_staff_a).post(reverse("projects:topic_list_create"), data)
    assert response.context["form"].errors["closes_on"] == ["立项截止日期不能早于开始日期。"]
    assert not TopicList.objects.exists()


def test_branches_and_members_cannot_publish(client_for, secretary_of_branch_a, member_user, outsider):
    for user in (secretary_of_branch_a, member_user, outsider):
        assert client_for(user).get(reverse("projects:topic_list_create")).status_code == 403
        assert not TopicList.objects.exists()


# --- topics and publishing -------------------------------------------------------------


def test_add_topics_then_publish(client_for, organ_staff_a, organ_a, organ_staff_b):
    topic_list = TopicListFactory(organ=organ_a, draft=True)
    client = client_for(organ_staff_a)
    # Publishing an empty list is refused
    response = client.post(reverse("projects:topic_list_publish", args=[topic_list.pk]), follow=True)
    assert "请至少添加一个题目后再发布。" in messages_of(response)
    topic_list.refresh_from_db()
    assert not topic_list.is_published
    # A topic is added, then the list is published
    data = {"title": "破解项目审批堵点", "direction": Direction.BUSINESS_ENV, "description": "聚焦审批提速"}
    assert client.post(reverse("projects:topic_create", args=[topic_list.pk]), data).status_code == 302
    client.post(reverse("projects:topic_list_publish", args=[topic_list.pk]))
    topic_list.refresh_from_db()
    assert topic_list.is_published
    assert topic_list.topics.get().title == "破解项目审批堵点"
    assert topic_list.history.first().history_change_reason == "发布选题"
    # Another organ's staff do not even see it
    assert (
        client_for(organ_staff_b).post(reverse("projects:topic_list_publish", args=[topic_list.pk])).status_code == 404
    )


def test_publishing_twice_is_refused(client_for, organ_staff_a, organ_a):
    topic_list = TopicListFactory(organ=organ_a)
    TopicFactory(topic_list=topic_list)
    published_at = topic_list.published_at
    response = client_for(organ_staff_a).post(reverse("projects:topic_list_publish", args=[topic_list.pk]), follow=True)
    assert "选题已发布。" in messages_of(response)
    topic_list.refresh_from_db()
    assert topic_list.published_at == published_at


def test_window_is_locked_after_publishing(client_for, organ_staff_a, organ_a):
    topic_list = TopicListFactory(organ=organ_a)
    response = client_for(organ_staff_a).post(
        reverse("projects:topic_list_edit", args=[topic_list.pk]), window(closes_on="2027-01-31"), follow=True
    )
    assert any("开放补报" in m for m in messages_of(response))
    topic_list.refresh_from_db()
    assert topic_list.closes_on == datetime.date(2026, 4, 30)


def test_draft_window_can_be_changed_but_not_moved_to_another_organ(client_for, organ_staff_a, organ_a, organ_b):
    topic_list = TopicListFactory(organ=organ_a, draft=True)
    data = window(organ=organ_b.pk, closes_on="2027-01-15")
    response = client_for(organ_staff_a).post(reverse("projects:topic_list_edit", args=[topic_list.pk]), data)
    assert response.status_code == 302
    topic_list.refresh_from_db()
    assert topic_list.closes_on == datetime.date(2027, 1, 15)
    assert topic_list.organ == organ_a


def test_topic_chosen_by_a_branch_is_locked(client_for, organ_staff_a, organ_a):
    topic = TopicFactory(topic_list=TopicListFactory(organ=organ_a))
    ProjectFactory(topic=topic)
    client = client_for(organ_staff_a)
    response = client.post(
        reverse("projects:topic_edit", args=[topic.pk]),
        {"title": "改过的题目", "direction": Direction.UPGRADE},
        follow=True,
    )
    assert any("不能再修改" in m for m in messages_of(response))
    client.post(reverse("projects:topic_edit", args=[topic.pk]), {"delete": "1"})
    topic.refresh_from_db()
    assert topic.title != "改过的题目"


def test_unused_topic_can_be_edited_and_deleted(client_for, organ_staff_a, organ_a):
    topic = TopicFactory(topic_list=TopicListFactory(organ=organ_a))
    client = client_for(organ_staff_a)
    data = {"title": "改过的题目", "direction": Direction.UPGRADE, "description": ""}
    client.post(reverse("projects:topic_edit", args=[topic.pk]), data)
    topic.refresh_from_db()
    assert (topic.title, topic.direction) == ("改过的题目", Direction.UPGRADE)
    client.post(reverse("projects:topic_edit", args=[topic.pk]), {"delete": "1"})
    assert not Topic.objects.filter(pk=topic.pk).exists()


def test_gongwei_list_cannot_be_changed_by_organ_staff(client_for, organ_staff_a, gongwei_staff):
    citywide = TopicListFactory(citywide=True, created_by=gongwei_staff)
    topic = TopicFactory(topic_list=citywide)
    client = client_for(organ_staff_a)
    assert client.get(reverse("projects:topic_list_detail", args=[citywide.pk])).status_code == 200
    assert client.get(reverse("projects:topic_create", args=[citywide.pk])).status_code == 403
    assert client.get(reverse("projects:topic_edit", args=[topic.pk])).status_code == 403
    assert client.get(reverse("projects:topic_list_reopen", args=[citywide.pk])).status_code == 403


# --- who sees what ---------------------------------------------------------------------


def test_branches_see_published_lists_of_their_organ_and_the_city_only(
    client_for, secretary_of_branch_a, organ_a, organ_b, gongwei_staff
):
    own = TopicListFactory(organ=organ_a)
    draft = TopicListFactory(organ=organ_a, year=2027, draft=True)
    foreign = TopicListFactory(organ=organ_b)
    citywide = TopicListFactory(citywide=True, created_by=gongwei_staff)
    client = client_for(secretary_of_branch_a)
    listed = list(client.get(reverse("projects:topic_list_index")).context["page"].object_list)
    assert set(listed) == {own, citywide}
    for hidden in (draft, foreign):
        assert client.get(reverse("projects:topic_list_detail", args=[hidden.pk])).status_code == 404


def test_secretary_can_file_on_a_topic_while_the_window_is_open(client_for, secretary_of_branch_a, organ_a):
    topic_list = TopicListFactory(
        organ=organ_a, opens_on=datetime.date(2026, 11, 1), closes_on=datetime.date(2026, 11, 30)
    )
    topic = TopicFactory(topic_list=topic_list)
    page = client_for(secretary_of_branch_a).get(reverse("projects:topic_list_detail", args=[topic_list.pk]))
    link = f"{reverse('projects:project_create')}?topic={topic.pk}"
    assert link in page.content.decode()
    form = client_for(secretary_of_branch_a).get(link).context["form"]
    assert form.initial["topic"] == topic.pk and form.initial["direction"] == topic.direction


def test_members_and_strangers_do_not_see_topic_pages(client_for, member_user, outsider, organ_a):
    topic_list = TopicListFactory(organ=organ_a)
    for user in (member_user, outsider):
        assert client_for(user).get(reverse("projects:topic_list_index")).status_code == 403
        assert client_for(user).get(reverse("projects:topic_list_detail", args=[topic_list.pk])).status_code == 404


# --- reopening -------------------------------------------------------------------------


def test_reopen_needs_a_later_date_and_a_reason_and_is_logged(client_for, organ_staff_a, organ_a):
    topic_list = TopicListFactory(organ=organ_a)
    url = reverse("projects:topic_list_reopen", args=[topic_list.pk])
    client = client_for(organ_staff_a)
    response = client.post(url, {"until": "2026-04-20", "reason": "补报"})
    assert "补报截止日期应晚于原立项截止日期。" in response.content.decode()
    assert client.post(url, {"until": "2026-12-10", "reason": ""}).context["form"].errors["reason"]
    topic_list.refresh_from_db()
    assert topic_list.reopened_until is None
    assert client.post(url, {"until": "2026-12-10", "reason": "新成立支部补报"}).status_code == 302
    topic_list.refresh_from_db()
    assert topic_list.reopened_until == datetime.date(2026, 12, 10)
    record = topic_list.history.first()
    assert record.history_user == organ_staff_a
    assert record.history_change_reason == "开放补报至 2026-12-10：新成立支部补报"
    page = client.get(reverse("projects:topic_list_detail", args=[topic_list.pk])).content.decode()
    assert "补报中" in page and "新成立支部补报" in page


def test_topic_index_queries_do_not_grow_with_rows(client_for, gongwei_staff):
    client = client_for(gongwei_staff)

    def count():
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(reverse("projects:topic_list_index")).status_code == 200
        return len(ctx.captured_queries)

    TopicFactory(topic_list=TopicListFactory())
    small = count()
    for _ in range(8):
        TopicFactory.create_batch(3, topic_list=TopicListFactory(organ=OrganFactory()))
    assert count() == small


def test_topic_list_page_queries_do_not_grow_with_topics(client_for, organ_staff_a, organ_a):
    topic_list = TopicListFactory(organ=organ_a)
    client = client_for(organ_staff_a)
    url = reverse("projects:topic_list_detail", args=[topic_list.pk])

    def count():
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        return len(ctx.captured_queries)

    ProjectFactory(topic=TopicFactory(topic_list=topic_list))
    small = count()
    for topic in TopicFactory.create_batch(6, topic_list=topic_list):
        ProjectFactory(topic=topic)
    assert count() == small
