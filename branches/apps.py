from django.apps import AppConfig


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


def _own_branch(row) -> set[int]:
    return {row.branch_id}


def _term_branch(seat) -> set[int]:
    from .models import CommitteeTerm

    return set(CommitteeTerm.objects.filter(pk=seat.term_id).values_list("branch_id", flat=True))
