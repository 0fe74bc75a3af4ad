"""Organisational-life pages; included inside the `branches` namespace by branches/urls.py."""

from django.urls import path

from .views import orglife as views_orglife

urlpatterns = [
    path("orglife/completion/", views_orglife.completion, name="completion"),
    path("branches/<int:pk>/calendar/", views_orglife.branch_calendar, name="branch_calendar"),
    path("orglife/requirements/", views_orglife.requirement_list, name="requirement_list"),
    path("orglife/requirements/new/", views_orglife.requirement_create, name="requirement_create"),
    path("orglife/requirements/<int:pk>/", views_orglife.requirement_edit, name="requirement_edit"),
    path("orglife/requirements/<int:pk>/delete/", views_orglife.requirement_delete, name="requirement_delete"),
    path("branches/<int:branch_pk>/exemptions/new/", views_orglife.exemption_create, name="exemption_create"),
    path("orglife/exemptions/<int:pk>/delete/", views_orglife.exemption_delete, name="exemption_delete"),
    path("orglife/training/", views_orglife.training_list, name="training_list"),
    path("orglife/training/new/", views_orglife.training_create, name="training_create"),
    path("orglife/training/<int:pk>/delete/", views_orglife.training_delete, name="training_delete"),
]
