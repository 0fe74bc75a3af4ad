from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .models import (
    AcceptanceMark,
    AcceptanceReview,
    Evidence,
    Milestone,
    MilestoneProgress,
    Project,
    ProjectEvent,
    ProjectYearConfig,
    RubricCriterion,
    Supervision,
    Target,
    Task,
    Topic,
    TopicList,
)


class CriterionInline(admin.TabularInline):
    model = RubricCriterion
    extra = 0


@admin.register(ProjectYearConfig)
class ProjectYearConfigAdmin(admin.ModelAdmin):
    list_display = ["year", "excellent_min", "good_min", "pass_min", "excellent_max_share", "min_reviewers"]
    inlines = [CriterionInline]


class TopicInline(admin.StackedInline):
    model = Topic
    extra = 0


@admin.register(TopicList)
class TopicListAdmin(SimpleHistoryAdmin):
    list_display = ["__str__", "year", "organ", "opens_on", "closes_on", "reopened_until", "published_at"]
    list_filter = ["year"]
    list_select_related = ["organ"]
    raw_id_fields = ["organ", "created_by"]
    inlines = [TopicInline]


class TargetInline(admin.TabularInline):
    model = Target
    extra = 0


class MilestoneInline(admin.TabularInline):
    model = Milestone
    extra = 0


class EventInline(admin.TabularInline):
    model = ProjectEvent
    extra = 0
    can_delete = False
    readonly_fields = ["actor", "action", "from_status", "to_status", "reason", "at"]

    def has_add_permission(self, request, obj=None):
        # The trail is written by the workflow, never by hand.
        return False


@admin.register(Project)
class ProjectAdmin(SimpleHistoryAdmin):
    list_display = ["title", "branch", "year", "status", "score", "grade", "is_top_ten"]
    list_filter = ["year", "status", "direction", "grade", "is_top_ten"]
    search_fields = ["title", "branch__name"]
    list_select_related = ["branch"]
    raw_id_fields = ["branch", "topic", "responsible", "created_by"]
    readonly_fields = ["created_at"]
    inlines = [TargetInline, MilestoneInline, EventInline]


@admin.register(Milestone)
class MilestoneAdmin(SimpleHistoryAdmin):
    list_display = ["title", "project", "planned_on", "weight", "percent", "completed_on"]
    list_select_related = ["project"]
    raw_id_fields = ["project"]


@admin.register(MilestoneProgress)
class MilestoneProgressAdmin(admin.ModelAdmin):
    list_display = ["milestone", "percent", "filed_by", "filed_at"]
    raw_id_fields = ["milestone", "filed_by"]


@admin.register(Evidence)
class EvidenceAdmin(admin.ModelAdmin):
    list_display = ["original_name", "project", "content_type", "size", "uploaded_by", "uploaded_at"]
    raw_id_fields = ["project", "report", "uploaded_by"]
    readonly_fields = ["token", "sha256"]


@admin.register(Task)
class TaskAdmin(SimpleHistoryAdmin):
    list_display = ["title", "project", "due_on", "status"]
    list_filter = ["status"]
    raw_id_fields = ["project", "assignees"]


@admin.register(Supervision)
class SupervisionAdmin(admin.ModelAdmin):
    list_display = ["__str__", "project", "kind", "author", "created_at", "answer_due_on", "answered_at"]
    list_filter = ["kind"]
    raw_id_fields = ["project", "milestone", "author", "answered_by"]


class MarkInline(admin.TabularInline):
    model = AcceptanceMark
    extra = 0


@admin.register(AcceptanceReview)
class AcceptanceReviewAdmin(SimpleHistoryAdmin):
    list_display = ["project", "reviewer", "total", "scored_at"]
    raw_id_fields = ["project", "reviewer"]
    inlines = [MarkInline]
