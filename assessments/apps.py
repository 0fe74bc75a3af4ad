from django.apps import AppConfig


class AssessmentsConfig(AppConfig):
    name = "assessments"
    verbose_name = "考核评星"

    def ready(self) -> None:
        from branches.figures import roster_changed
        from branches.panels import register_branch_panel
        from branches.search import register_branch_purpose

        from .reports import on_roster_changed
        from .results import branch_stars_context
        from .scores import scoring_branches

        # Who owes a 一岗双责 report follows the rosters: the kept filings are rewritten with them.
        roster_changed.connect(on_roster_changed, dispatch_uid="assessments.filings")

        # The branch page shows the branch's stars over the years, and links to its member-level assessments.
        register_branch_panel("assessments/_branch_stars.html", branch_stars_context)
        register_branch_panel("assessments/members/_branch_links.html")
        # The 加减分 form's branch field searches these when they are too many to list.
        register_branch_purpose("scoring", scoring_branches)
