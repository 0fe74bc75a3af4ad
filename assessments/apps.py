from django.apps import AppConfig


class AssessmentsConfig(AppConfig):
    name = "assessments"
    verbose_name = "考核评星"

    def ready(self) -> None:
        from partybuild import figures

        from .models import DutyReport, DutyReportPeriod

        # The 一岗双责 filing rates (partybuild/figures.py); branches watches the members and branches.
        figures.watch("reports", [DutyReport, DutyReportPeriod])
