from django.apps import AppConfig


class ProjectsConfig(AppConfig):
    name = "projects"
    verbose_name = "一支部一项目"

    def ready(self) -> None:
        from branches.search import register_branch_purpose, register_member_purpose

        from .access import filing_branches
        from .forms.workflow import committee_choices, responsible_label

        # The project form's branch and 负责支委 fields search these when they hold too many to list.
        register_branch_purpose("filing", filing_branches)
        register_member_purpose(
            "committee", lambda user: committee_choices(filing_branches(user)), label=responsible_label
        )
