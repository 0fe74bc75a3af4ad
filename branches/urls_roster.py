"""Roster import and export; included inside the `branches` namespace by branches/urls.py."""

from django.urls import path

from .views import roster as views_roster

urlpatterns = [
    path("members/import/", views_roster.roster_import, name="roster_import"),
    path("members/import/confirm/", views_roster.roster_confirm, name="roster_confirm"),
    path("members/import/cancel/", views_roster.roster_cancel, name="roster_cancel"),
    path("members/import/template/", views_roster.roster_template, name="roster_template"),
    path("members/export/", views_roster.roster_export, name="roster_export"),
]
