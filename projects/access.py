"""Fetch-and-authorize helpers for projects: a view asks for an object and gets it, a 404 or a 403.

Outside the user's scope an object does not exist (404); inside it, a user who may look but not
change gets a 403 when asking to write.
"""

from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404

from accounts.scope import scope_of
from branches.access import writable_branches
from branches.models import Organ

from . import rules
from .models import Evidence, Milestone, Project, Supervision, Task, Topic, TopicList
from .permissions import EDIT_TOPICS, RESCHEDULE_MILESTONES, REVIEW_PROJECT


def get_project_for_user(user, pk: int, *, write: bool = False) -> Project:
    project = get_object_or_404(
        Project.objects.visible_to(user).select_related("branch__organ", "topic__topic_list__organ", "responsible"),
        pk=pk,
    )
    if write and not rules.is_branch_writer(user, project):
        raise PermissionDenied("只有本支部书记或支委可以修改该项目。")
    return project


def get_project_for_reviewer(user, pk: int) -> Project:
    """机关党委 review (approve, return) is for the organ's staff and the 工委."""
    project = get_project_for_user(user, pk)
    REVIEW_PROJECT.require(user, project)
    return project


def get_milestone_for_user(user, pk: int, *, write: bool = False) -> Milestone:
    milestone = get_object_or_404(
        Milestone.objects.filter(project__in=Project.objects.visible_to(user)).select_related("project__branch__organ"),
        pk=pk,
    )
    if write:
        RESCHEDULE_MILESTONES.require(user, milestone.project)
    return milestone


def topic_lists_for(user):
    """Topic lists a user may open (the rule is `TopicList.objects.visible_to`)."""
    return TopicList.objects.visible_to(user).select_related("organ")


def get_topic_list_for_user(user, pk: int, *, write: bool = False) -> TopicList:
    topic_list = get_object_or_404(topic_lists_for(user), pk=pk)
    if write:
        EDIT_TOPICS.require(user, topic_list.organ_id)
    return topic_list


def get_topic_for_user(user, pk: int, *, write: bool = False) -> Topic:
    topic = get_object_or_404(
        Topic.objects.filter(topic_list__in=topic_lists_for(user)).select_related("topic_list__organ"), pk=pk
    )
    if write:
        EDIT_TOPICS.require(user, topic.topic_list.organ_id)
    return topic


def publishing_organs(user):
    """Organs whose topic lists the user writes (the 工委 may also publish a city-wide list)."""
    scope = scope_of(user)
    if scope.is_gongwei:
        return Organ.objects.all()
    return Organ.objects.filter(pk__in=scope.organ_ids)


def can_publish_any_topics(user) -> bool:
    scope = scope_of(user)
    return scope.is_gongwei or scope.is_organ_staff


def filing_branches(user):
    """Active branches the user may file a project for."""
    return writable_branches(user)


def has_filing_branches(user) -> bool:
    return filing_branches(user).exists()


def can_file_projects(user) -> bool:
    return scope_of(user).is_staff_or_committee


def can_see_projects(user) -> bool:
    """Anyone in the organisation; a 评审专家 too, whose list holds only the projects assigned to it."""
    scope = scope_of(user)
    return scope.is_anyone or scope.is_expert


def is_reviewer(user) -> bool:
    """Staff who review, file or score projects: the 工委 and 机关党委."""
    scope = scope_of(user)
    return scope.is_gongwei or scope.is_organ_staff


def _visible_projects(user):
    return Project.objects.visible_to(user)


def get_task_for_user(user, pk: int) -> Task:
    return get_object_or_404(
        Task.objects.filter(project__in=_visible_projects(user)).select_related("project__branch__organ"), pk=pk
    )


def get_supervision_for_user(user, pk: int) -> Supervision:
    return get_object_or_404(
        Supervision.objects.filter(project__in=_visible_projects(user)).select_related(
            "project__branch__organ", "milestone", "author"
        ),
        pk=pk,
    )


def get_evidence_for_user(user, token: str) -> Evidence:
    # The token alone is not a key: a guessed or leaked link outside the user's scope is a 404.
    return get_object_or_404(Evidence.objects.filter(project__in=_visible_projects(user)), token=token)
