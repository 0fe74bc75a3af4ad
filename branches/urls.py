from django.urls import path

from .views import accounts, meetings, organisation, orglife, roster, search

app_name = "branches"

urlpatterns = [
    path("tree/", organisation.tree, name="tree"),
    path("tree/organs/<int:pk>/", organisation.tree_organ, name="tree_organ"),
    path("branches/", organisation.branch_list, name="branch_list"),
    path("branches/new/", organisation.branch_create, name="branch_create"),
    path("branches/<int:pk>/", organisation.branch_detail, name="branch_detail"),
    path("branches/<int:pk>/edit/", organisation.branch_edit, name="branch_edit"),
    path("branches/<int:pk>/dissolve/", organisation.branch_dissolve, name="branch_dissolve"),
    path("branches/<int:pk>/delete/", organisation.branch_delete, name="branch_delete"),
    path("branches/<int:branch_pk>/terms/new/", organisation.term_edit, name="term_create"),
    path("branches/<int:branch_pk>/terms/<int:pk>/", organisation.term_edit, name="term_edit"),
    path("branches/<int:branch_pk>/groups/new/", organisation.group_edit, name="group_create"),
    path("branches/<int:branch_pk>/groups/<int:pk>/", organisation.group_edit, name="group_edit"),
    path("branches/<int:branch_pk>/groups/<int:pk>/delete/", organisation.group_delete, name="group_delete"),
    path("members/", organisation.member_list, name="member_list"),
    path("members/new/", organisation.member_create, name="member_create"),
    path("members/<int:pk>/", organisation.member_detail, name="member_detail"),
    path("members/<int:pk>/edit/", organisation.member_edit, name="member_edit"),
    path("warnings/", organisation.warnings, name="warnings"),
    path("rules/", organisation.rules_list, name="rules_list"),
    path("rules/new/", organisation.rules_edit, name="rules_create"),
    path("rules/<int:pk>/", organisation.rules_edit, name="rules_edit"),
    # Roster import and export
    path("members/import/", roster.roster_import, name="roster_import"),
    path("members/import/confirm/", roster.roster_confirm, name="roster_confirm"),
    path("members/import/cancel/", roster.roster_cancel, name="roster_cancel"),
    path("members/import/template/", roster.roster_template, name="roster_template"),
    path("members/export/", roster.roster_export, name="roster_export"),
    # 三会一课 records
    path("meetings/", meetings.meeting_list, name="meeting_list"),
    path("meetings/new/", meetings.meeting_create, name="meeting_create"),
    path("meetings/<int:pk>/", meetings.meeting_detail, name="meeting_detail"),
    path("meetings/<int:pk>/edit/", meetings.meeting_edit, name="meeting_edit"),
    path("meetings/<int:pk>/delete/", meetings.meeting_delete, name="meeting_delete"),
    path("meetings/files/<slug:token>/", meetings.meeting_attachment, name="meeting_attachment"),
    # Organisational-life pages
    path("orglife/completion/", orglife.completion, name="completion"),
    path("branches/<int:pk>/calendar/", orglife.branch_calendar, name="branch_calendar"),
    path("orglife/requirements/", orglife.requirement_list, name="requirement_list"),
    path("orglife/requirements/new/", orglife.requirement_create, name="requirement_create"),
    path("orglife/requirements/<int:pk>/", orglife.requirement_edit, name="requirement_edit"),
    path("orglife/requirements/<int:pk>/delete/", orglife.requirement_delete, name="requirement_delete"),
    path("branches/<int:branch_pk>/exemptions/new/", orglife.exemption_create, name="exemption_create"),
    path("orglife/exemptions/<int:pk>/delete/", orglife.exemption_delete, name="exemption_delete"),
    path("orglife/training/", orglife.training_list, name="training_list"),
    path("orglife/training/new/", orglife.training_create, name="training_create"),
    path("orglife/training/<int:pk>/delete/", orglife.training_delete, name="training_delete"),
    # 账号管理: accounts for roster members and the roles granted to them
    path("users/", accounts.user_list, name="user_list"),
    path("users/new/", accounts.user_create, name="user_create"),
    path("users/<int:pk>/", accounts.user_detail, name="user_detail"),
    path("users/<int:pk>/roles/<int:role_pk>/revoke/", accounts.role_revoke, name="role_revoke"),
    path("users/<int:pk>/password/", accounts.password_reset, name="password_reset"),
    path("users/<int:pk>/active/", accounts.toggle_active, name="toggle_active"),
    # Search-as-you-type behind the forms' branch and member fields (core.search)
    path("search/branches/", search.branch_search, name="branch_search"),
    path("search/members/", search.member_search, name="member_search"),
    path("search/groups/", search.group_options, name="group_options"),
]
