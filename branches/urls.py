from django.urls import include, path

from .views import organisation as views

app_name = "branches"

urlpatterns = [
    path("tree/", views.tree, name="tree"),
    path("branches/", views.branch_list, name="branch_list"),
    path("branches/new/", views.branch_create, name="branch_create"),
    path("branches/<int:pk>/", views.branch_detail, name="branch_detail"),
    path("branches/<int:pk>/edit/", views.branch_edit, name="branch_edit"),
    path("branches/<int:pk>/dissolve/", views.branch_dissolve, name="branch_dissolve"),
    path("branches/<int:pk>/delete/", views.branch_delete, name="branch_delete"),
    path("branches/<int:branch_pk>/terms/new/", views.term_edit, name="term_create"),
    path("branches/<int:branch_pk>/terms/<int:pk>/", views.term_edit, name="term_edit"),
    path("branches/<int:branch_pk>/groups/new/", views.group_edit, name="group_create"),
    path("branches/<int:branch_pk>/groups/<int:pk>/", views.group_edit, name="group_edit"),
    path("branches/<int:branch_pk>/groups/<int:pk>/delete/", views.group_delete, name="group_delete"),
    path("members/", views.member_list, name="member_list"),
    path("members/new/", views.member_create, name="member_create"),
    path("members/<int:pk>/", views.member_detail, name="member_detail"),
    path("members/<int:pk>/edit/", views.member_edit, name="member_edit"),
    path("warnings/", views.warnings, name="warnings"),
    path("rules/", views.rules_list, name="rules_list"),
    path("rules/new/", views.rules_edit, name="rules_create"),
    path("rules/<int:pk>/", views.rules_edit, name="rules_edit"),
    path("", include("branches.urls_roster")),
    path("", include("branches.urls_meetings")),
    path("", include("branches.urls_orglife")),
]
