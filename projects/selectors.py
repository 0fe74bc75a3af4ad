"""What the pages, the API and the portal read about projects: scoped querysets, in a fixed number of queries."""

import datetime

from accounts.scope import scope_of

from .choices import ProjectStatus, TaskStatus
from .models import Project, Task

# The home page lists a member's few most urgent tasks.
HOME_TASK_COUNT = 5


def project_queryset(user, today: datetime.date):
    """The projects a user may see, with progress and overdue milestones, ready for list and export."""
    return Project.objects.visible_to(user).with_progress(today).select_related("branch__organ")


def branch_year_projects(branch_id: int, year: int, *, exclude_pk: int | None = None):
    """A branch's projects of a year, drafts included: the 填报 form lists them, the year's cap counts them."""
    return Project.objects.filter(branch_id=branch_id, year=year).exclude(pk=exclude_pk).order_by("created_at", "pk")


def review_sections(user) -> list[tuple[str, str, object]]:
    """(key, heading, queryset) of what waits for this user: 机关党委 review, 工委 filing, scoring."""
    scope = scope_of(user)
    visible = Project.objects.visible_to(user).select_related("branch__organ")
    sections = []
    # First-level review belongs to the organs; the 工委 steps in at filing.
    if scope.organ_ids:
        review = visible.filter(status=ProjectStatus.SUBMITTED, branch__organ_id__in=scope.organ_ids)
        sections.append(("review", "待审核立项", review.order_by("submitted_at", "pk")))
    if scope.is_gongwei:
        sections.append(
            ("file", "待工委备案", visible.filter(status=ProjectStatus.APPROVED).order_by("approved_at", "pk"))
        )
    scoring = visible.filter(status=ProjectStatus.ACCEPTANCE_REQUESTED).exclude(reviews__reviewer=user)
    scoring = scoring.exclude(branch_id__in=scope.branch_ids)
    if not scope.is_gongwei:
        scoring = scoring.filter(branch__organ_id__in=scope.organ_ids)
    sections.append(("score", "待验收评分", scoring.order_by("pk")))
    return sections


def my_open_tasks(user):
    """A member's unfinished tasks, soonest due first, for the home page."""
    member_id = scope_of(user).member_id
    if member_id is None:
        return Task.objects.none()
    # No `visible_to` filter: a member sees every project they have a task in (ProjectQuerySet.visible_to).
    return (
        Task.objects.filter(assignees=member_id)
        .exclude(status=TaskStatus.DONE)
        .select_related("project")
        .order_by("due_on", "pk")[:HOME_TASK_COUNT]
    )
