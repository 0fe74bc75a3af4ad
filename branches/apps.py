from django.apps import AppConfig

# A secretary's or member's home page body is kept (branches.views.home) under this topic's token and the
# tokens of its parts: "b<id>" for each branch of the user's committee, "m<id>" for the user's member record.
HOME_TOPIC = "home"
# The branch list's body (branches.views.branch_list) is kept per scope, day and query under this topic.
BRANCH_LIST_TOPIC = "branch-list"


class BranchesConfig(AppConfig):
    name = "branches"
    verbose_name = "组织与党员"

    def ready(self) -> None:
        from partybuild import figures

        from .models import (
            Branch,
            CommitteeMember,
            CommitteeTerm,
            Meeting,
            MeetingRequirement,
            Member,
            Organ,
            OrganisationRules,
            PartyGroup,
            RequirementExemption,
        )

        # What each cached figure reads (partybuild/figures.py). Attendance is left out: completion
        # counts meetings held, not who came.
        figures.watch(
            "orglife",
            [
                Meeting,
                RequirementExemption,
                MeetingRequirement,
                PartyGroup,
                CommitteeTerm,
                CommitteeMember,
                Branch,
                OrganisationRules,
            ],
        )
        # Completion is also kept per branch (topic "orglife-branches"): a meeting recorded in one branch
        # recomputes that branch alone; the year's requirements, the rules and the branches themselves
        # (founded, dissolved, moved to another organ) concern every branch.
        figures.watch("orglife-branches", [MeetingRequirement, OrganisationRules, Branch])
        figures.watch_parts("orglife-branches", [Meeting, RequirementExemption, PartyGroup, CommitteeTerm], _own_branch)
        figures.watch_parts("orglife-branches", [CommitteeMember], _term_branch)
        figures.watch("roster", [Branch, Member, CommitteeTerm, CommitteeMember, OrganisationRules])
        figures.watch("reports", [Branch, Member])
        # Each row counts members and the current committee, and names the organ; the warnings follow the rules.
        figures.watch(BRANCH_LIST_TOPIC, [Branch, Organ, Member, CommitteeTerm, CommitteeMember, OrganisationRules])
        _watch_home()


def _watch_home() -> None:
    """What the home page body reads: due items, the report roster, stars, the member's own record."""
    from assessments.models import DutyReport, DutyReportPeriod, Problem, RatingResult, RatingRun
    from notifications.models import Notification
    from partybuild import figures
    from projects.models import Milestone, Project, Supervision, Task

    from . import models as m

    # Rows every home page may name or count by: names, the year's rules and periods, published runs.
    figures.watch(
        HOME_TOPIC,
        [m.Branch, m.Organ, m.PartyGroup, m.MeetingRequirement, m.OrganisationRules, DutyReportPeriod, RatingRun],
    )
    figures.watch_parts(
        HOME_TOPIC, [m.Meeting, m.RequirementExemption, m.CommitteeTerm, Project, RatingResult], _branch_part
    )
    figures.watch_parts(HOME_TOPIC, [m.CommitteeMember], lambda seat: {f"b{b}" for b in _term_branch(seat)})
    figures.watch_parts(HOME_TOPIC, [Milestone, Supervision], _project_branch_part)
    figures.watch_parts(HOME_TOPIC, [m.Member], lambda member: {f"b{member.branch_id}", f"m{member.pk}"})
    figures.watch_parts(HOME_TOPIC, [Problem], _problem_parts)
    figures.watch_parts(HOME_TOPIC, [DutyReport], _report_parts)
    # The member's open tasks (in any branch's project) and the user's unread messages.
    figures.watch_parts(HOME_TOPIC, [Task], _task_member_parts)
    figures.watch_parts(HOME_TOPIC, [Project], _project_member_parts)
    figures.watch_parts(HOME_TOPIC, [Notification], lambda message: {f"u{message.recipient_id}"})
    figures.watch_link_parts(HOME_TOPIC, Task.assignees.through, lambda assignment: {f"m{assignment.member_id}"})


def _branch_part(row) -> set[str]:
    return {f"b{row.branch_id}"}


def _project_branch_part(row) -> set[str]:
    from projects.models import Project

    return {f"b{b}" for b in Project.objects.filter(pk=row.project_id).values_list("branch_id", flat=True)}


def _problem_parts(problem) -> set[str]:
    # A ledger item is due from its branch and, named as responsible, from that member.
    parts = {f"b{problem.branch_id}"}
    if problem.responsible_id is not None:
        parts.add(f"m{problem.responsible_id}")
    return parts


def _report_parts(report) -> set[str]:
    from .models import Member

    branches = Member.objects.filter(pk=report.member_id).values_list("branch_id", flat=True)
    return {f"m{report.member_id}", *(f"b{b}" for b in branches)}


def _own_branch(row) -> set[int]:
    return {row.branch_id}


def _term_branch(seat) -> set[int]:
    from .models import CommitteeTerm

    return set(CommitteeTerm.objects.filter(pk=seat.term_id).values_list("branch_id", flat=True))


def _task_member_parts(task) -> set[str]:
    return {f"m{pk}" for pk in task.assignees.values_list("pk", flat=True)} if task.pk else set()


def _project_member_parts(project) -> set[str]:
    # A project renamed or closed changes the task lists of everyone working on it.
    from projects.models import Task

    members = Task.objects.filter(project_id=project.pk).values_list("assignees", flat=True)
    return {f"m{pk}" for pk in members if pk is not None}
