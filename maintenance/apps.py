from django.apps import AppConfig


class MaintenanceConfig(AppConfig):
    """Operations on the whole installation: backup and restore, the personal-data export log."""

    name = "maintenance"
    verbose_name = "运维"
