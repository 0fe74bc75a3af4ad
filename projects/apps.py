from django.apps import AppConfig

# The project page's HTML is cached per viewer (projects.views_workflow.project_detail): what it reads.
PAGE_TOPIC = "project-page"


class ProjectsConfig(AppConfig):
    name = "projects"
    verbose_name = "一支部一项目"

    def ready(self) -> None:
        from django.contrib.auth import get_user_model

        from branches.models import Branch, Member, Organ
        from partybuild import figures

        from .models import (
            AcceptanceMark,
            AcceptanceReview,
            Evidence,
            Milestone,
            MilestoneProgress,
            Project,
            ProjectEvent,
            ProjectYearConfig,
            RubricCriterion,
            Supervision,
            Target,
            Task,
            Topic,
            TopicList,
        )

        # Rows of one project replace that project's token only.
        figures.watch_parts(PAGE_TOPIC, [Project], lambda project: {project.pk})
        figures.watch_parts(
            PAGE_TOPIC,
            [Target, Milestone, Task, Supervision, ProjectEvent, AcceptanceReview, Evidence],
            lambda row: {row.project_id},
        )
        figures.watch_parts(PAGE_TOPIC, [MilestoneProgress], _progress_project)
        figures.watch_parts(PAGE_TOPIC, [AcceptanceMark], _mark_project)
        figures.watch_link_parts(PAGE_TOPIC, Task.assignees.through, _assignment_project)
        # Rows every project page may name: its branch and organ, people (members, accounts), the topic,
        # the filing window and the year's acceptance rules. A log-in writes only `last_login`, which no
        # page shows.
        figures.watch(
            PAGE_TOPIC,
            [Branch, Organ, Member, Topic, TopicList, ProjectYearConfig, RubricCriterion],
        )
        figures.watch(PAGE_TOPIC, [get_user_model()], ignore_fields={"last_login"})


def _progress_project(report) -> set[int]:
    from .models import Milestone

    return set(Milestone.objects.filter(pk=report.milestone_id).values_list("project_id", flat=True))


def _mark_project(mark) -> set[int]:
    from .models import AcceptanceReview

    return set(AcceptanceReview.objects.filter(pk=mark.review_id).values_list("project_id", flat=True))


def _assignment_project(assignment) -> set[int]:
    from .models import Task

    return set(Task.objects.filter(pk=assignment.task_id).values_list("project_id", flat=True))
