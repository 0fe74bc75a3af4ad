"""The 问题整改台账 pages; included by assessments/urls.py into the "assessments" namespace."""

from django.urls import path

from .views import ledger as views

urlpatterns = [
    path("problems/", views.problem_list, name="problem_list"),
    path("problems/export/", views.problem_export, name="problem_export"),
    path("problems/new/", views.problem_create, name="problem_create"),
    path("problems/<int:pk>/", views.problem_detail, name="problem_detail"),
    path("problems/<int:pk>/edit/", views.problem_edit, name="problem_edit"),
    path("problems/<int:pk>/start/", views.problem_start, name="problem_start"),
    path("problems/<int:pk>/close/", views.problem_close, name="problem_close"),
    path("problems/<int:pk>/verify/", views.problem_verify, name="problem_verify"),
    path("problems/<int:pk>/reopen/", views.problem_reopen, name="problem_reopen"),
]
