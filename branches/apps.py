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
        figures.watch("roster", [Branch, Member, CommitteeTerm, CommitteeMember, OrganisationRules])
        figures.watch("reports", [Branch, Member])
