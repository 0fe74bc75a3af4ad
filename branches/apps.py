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
    from partybuild import figures
    from projects.models import Milestone, Project, Supervision

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

    # Rows every home page may name or count by: names, the year's rules and periods, published runs.
    figures.watch(
        HOME_TOPIC,
        [Branch, Organ, PartyGroup, MeetingRequirement, OrganisationRules, DutyReportPeriod, RatingRun],
    )
    figures.watch_parts(HOME_TOPIC, [Meeting, RequirementExemption, CommitteeTerm, Project, RatingResult], _branch_part)
    figures.watch_parts(HOME_TOPIC, [CommitteeMember], lambda seat: {f"b{b}" for b in _term_branch(seat)})
    figures.watch_parts(HOME_TOPIC, [Milestone, Supervision], _project_branch_part)
    figures.watch_parts(HOME_TOPIC, [Member], lambda member: {f"b{member.branch_id}", f"m{member.pk}"})
    figures.watch_parts(HOME_TOPIC, [Problem], _problem_parts)
    figures.watch_parts(HOME_TOPIC, [DutyReport], _report_parts)


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
