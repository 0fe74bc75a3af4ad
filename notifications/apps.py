from django.apps import AppConfig
from django.utils.module_loading import autodiscover_modules


class NotificationsConfig(AppConfig):
    name = "notifications"
    verbose_name = "消息提醒"

    def ready(self) -> None:
        # Each app's `reminders` module registers its sources with the engine as it is imported.
        autodiscover_modules("reminders")
