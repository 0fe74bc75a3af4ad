from django.contrib import admin

from .models import Notification


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    """Read-only record of what was sent: a reminder that went out is history, not something to edit."""

    list_display = ["title", "recipient", "key", "created_at", "read_at", "emailed_at"]
    list_filter = [("read_at", admin.EmptyFieldListFilter), ("emailed_at", admin.EmptyFieldListFilter)]
    search_fields = ["title", "key", "recipient__username", "recipient__full_name"]
    list_select_related = ["recipient"]
    date_hierarchy = "created_at"
    readonly_fields = ["recipient", "title", "body", "url", "key", "created_at", "read_at", "emailed_at"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
