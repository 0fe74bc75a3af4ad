from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from . import figures, services
from .models import Branch, CommitteeMember, CommitteeTerm, Member, Organ, OrganisationRules, PartyGroup


@admin.register(OrganisationRules)
class OrganisationRulesAdmin(admin.ModelAdmin):
    list_display = ["year", "min_full_members", "committee_threshold", "max_members", "term_years"]


@admin.register(Organ)
class OrganAdmin(admin.ModelAdmin):
    list_display = ["name", "short_name", "committee_kind", "sort_order"]
    search_fields = ["name", "short_name"]


@admin.register(Branch)
class BranchAdmin(SimpleHistoryAdmin):
    list_display = ["name", "organ", "kind", "founded_on", "dissolved_on"]
    list_filter = ["kind", "organ"]
    search_fields = ["name"]
    list_select_related = ["organ"]

    def save_model(self, request, obj, form, change):
        services.save_branch(obj, by=request.user)


@admin.register(PartyGroup)
class PartyGroupAdmin(admin.ModelAdmin):
    list_display = ["name", "branch"]
    raw_id_fields = ["branch", "leader"]


@admin.register(Member)
class MemberAdmin(SimpleHistoryAdmin):
    """Writes go through the services, which keep the branches' figures (`branches.figures`)."""

    list_display = ["name", "branch", "status", "is_leader", "is_party_worker"]
    list_filter = ["status", "is_leader", "is_party_worker"]
    search_fields = ["name", "name_pinyin"]
    raw_id_fields = ["branch", "party_group", "organ", "user"]
    list_select_related = ["branch"]

    def save_model(self, request, obj, form, change):
        services.save_member(obj, by=request.user)

    def delete_model(self, request, obj):
        services.delete_members([obj], by=request.user)

    def delete_queryset(self, request, queryset):
        services.delete_members(queryset, by=request.user)


class SeatInline(admin.TabularInline):
    model = CommitteeMember
    raw_id_fields = ["member"]
    extra = 0


@admin.register(CommitteeTerm)
class CommitteeTermAdmin(SimpleHistoryAdmin):
    """The seats are saved after the term: the branches' figures are refreshed once both are."""

    list_display = ["branch", "elected_on", "term_years", "ends_on"]
    raw_id_fields = ["branch"]
    inlines = [SeatInline]

    def save_model(self, request, obj, form, change):
        obj._branch_before = CommitteeTerm.objects.filter(pk=obj.pk).values_list("branch_id", flat=True).first()
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        term = form.instance
        figures.refresh([getattr(term, "_branch_before", None), term.branch_id], roster=False)

    def delete_model(self, request, obj):
        services.delete_committee_term(obj, by=request.user)

    def delete_queryset(self, request, queryset):
        for term in queryset:
            services.delete_committee_term(term, by=request.user)
