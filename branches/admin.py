from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

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


@admin.register(PartyGroup)
class PartyGroupAdmin(admin.ModelAdmin):
    list_display = ["name", "branch"]
    raw_id_fields = ["branch", "leader"]


@admin.register(Member)
class MemberAdmin(SimpleHistoryAdmin):
    list_display = ["name", "branch", "status", "is_leader", "is_party_worker"]
    list_filter = ["status", "is_leader", "is_party_worker"]
    search_fields = ["name", "name_pinyin"]
    raw_id_fields = ["branch", "party_group", "organ", "user"]
    list_select_related = ["branch"]


class SeatInline(admin.TabularInline):
    model = CommitteeMember
    raw_id_fields = ["member"]
    extra = 0


@admin.register(CommitteeTerm)
class CommitteeTermAdmin(SimpleHistoryAdmin):
    list_display = ["branch", "elected_on", "term_years", "ends_on"]
    raw_id_fields = ["branch"]
    inlines = [SeatInline]
