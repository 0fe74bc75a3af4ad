from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin

from . import services
from .models import RoleAssignment, RoleChange, User


class RoleInline(admin.TabularInline):
    """Roles are added and removed here, never edited in place: each change goes through the services, which
    keep the role history (a changed scope is a revocation and a new grant)."""

    model = RoleAssignment
    extra = 0
    autocomplete_fields = ["organ", "branch"]
    readonly_fields = ["granted_at"]

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(User)
class PortalUserAdmin(UserAdmin):
    fieldsets = (*UserAdmin.fieldsets, ("门户", {"fields": ("full_name",)}))
    list_display = ["username", "full_name", "is_active", "is_superuser", "last_login"]
    search_fields = ["username", "full_name"]
    inlines = [RoleInline]

    def save_formset(self, request, form, formset, change):
        if formset.model is not RoleAssignment:
            return super().save_formset(request, form, formset, change)
        added = formset.save(commit=False)
        try:
            for assignment in formset.deleted_objects:
                services.revoke_role(assignment, by=request.user)
            for assignment in added:
                services.grant_role(
                    formset.instance, assignment.role, organ=assignment.organ, branch=assignment.branch, by=request.user
                )
        except services.AccountError as exc:
            self.message_user(request, str(exc), messages.ERROR)


@admin.register(RoleChange)
class RoleChangeAdmin(admin.ModelAdmin):
    """The role history, read-only: it is written by the services that grant and revoke."""

    list_display = ["at", "user", "action", "role", "scope", "by"]
    list_filter = ["action", "role"]
    search_fields = ["user__username", "user__full_name", "scope"]
    date_hierarchy = "at"
    list_select_related = ["user", "by"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
