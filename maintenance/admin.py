from django.contrib import admin

from accounts.scope import scope_of

from .models import ExportLog


@admin.register(ExportLog)
class ExportLogAdmin(admin.ModelAdmin):
    """Read-only, and for the 工委 only: the log is evidence, nobody edits or deletes it here."""

    list_display = ["exported_at", "user", "kind", "source", "row_count", "full_id_numbers"]
    list_filter = ["kind", "source", "full_id_numbers"]
    search_fields = ["user__username", "user__full_name"]
    date_hierarchy = "exported_at"
    list_select_related = ["user"]
    readonly_fields = ["exported_at", "user", "kind", "source", "filters", "row_count", "full_id_numbers"]

    def has_module_permission(self, request):
        return scope_of(request.user).is_gongwei

    def has_view_permission(self, request, obj=None):
        return scope_of(request.user).is_gongwei

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
