from django.contrib import admin
from django.db import transaction
from simple_history.admin import SimpleHistoryAdmin

from . import figures, kept, services
from .models import Branch, CommitteeMember, CommitteeTerm, Member, Organ, OrganisationRules, PartyGroup


class KeepsCompletion:
    """An admin whose objects completion depends on: every save and delete refreshes the kept
    completion (`branches.kept`) of the branches involved, before and after the change."""

    branch_field = "branch_id"

    def _branches(self, objs) -> set[int]:
        found = {getattr(o, self.branch_field) for o in objs}
        # The stored value too: a change may move the object to another branch.
        pks = [o.pk for o in objs if o.pk is not None]
        found |= set(self.model.objects.filter(pk__in=pks).values_list(self.branch_field, flat=True))
        return found

    def save_model(self, request, obj, form, change):
        # Also what a history revert (SimpleHistoryAdmin) saves.
        before = self._branches([obj])
        with transaction.atomic():
            super().save_model(request, obj, form, change)
            kept.refresh(before | self._branches([obj]))

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        if formsets:  # inlines (a term's seats) are saved after the object
            kept.refresh(self._branches([form.instance]))

    @staticmethod
    def _organs(branch_ids: set[int]) -> set[int]:
        # Read before a delete: a deleted branch's organ rollup is recounted without it.
        return set(Branch.objects.filter(pk__in=branch_ids).values_list("organ_id", flat=True))

    def delete_model(self, request, obj):
        before = self._branches([obj])
        with transaction.atomic():
            organs = self._organs(before)
            super().delete_model(request, obj)
            kept.refresh(before, organs=organs)

    def delete_queryset(self, request, queryset):
        before = self._branches(list(queryset))
        with transaction.atomic():
            organs = self._organs(before)
            super().delete_queryset(request, queryset)
            kept.refresh(before, organs=organs)


@admin.register(OrganisationRules)
class OrganisationRulesAdmin(admin.ModelAdmin):
    list_display = ["year", "min_full_members", "committee_threshold", "max_members", "term_years"]

    def save_model(self, request, obj, form, change):
        services.save_rules(obj)

    def delete_model(self, request, obj):
        services.delete_rules(obj)

    def delete_queryset(self, request, queryset):
        with transaction.atomic():
            for rules in queryset:
                services.delete_rules(rules)


@admin.register(Organ)
class OrganAdmin(admin.ModelAdmin):
    list_display = ["name", "short_name", "committee_kind", "sort_order"]
    search_fields = ["name", "short_name"]


@admin.register(Branch)
class BranchAdmin(KeepsCompletion, SimpleHistoryAdmin):
    branch_field = "pk"

    list_display = ["name", "organ", "kind", "founded_on", "dissolved_on"]
    list_filter = ["kind", "organ"]
    search_fields = ["name"]
    list_select_related = ["organ"]

    def save_model(self, request, obj, form, change):
        services.save_branch(obj, by=request.user)


@admin.register(PartyGroup)
class PartyGroupAdmin(KeepsCompletion, admin.ModelAdmin):
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
class CommitteeTermAdmin(KeepsCompletion, SimpleHistoryAdmin):
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
