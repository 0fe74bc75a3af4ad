from django.urls import include, path

from .views import reports as views

app_name = "assessments"

urlpatterns = [
    path("reports/", views.report_overview, name="report_overview"),
    path("reports/export/", views.report_export, name="report_export"),
    path("reports/mine/", views.my_reports, name="my_reports"),
    path("reports/<int:pk>/", views.report_detail, name="report_detail"),
    path("reports/<int:pk>/submit/", views.report_submit, name="report_submit"),
    path("reports/<int:pk>/review/", views.report_review, name="report_review"),
    path("reports/file/<int:period_pk>/<int:member_pk>/", views.report_edit, name="report_edit"),
    path("reports/periods/", views.period_list, name="period_list"),
    path("reports/periods/<int:pk>/edit/", views.period_edit, name="period_edit"),
    # The 问题整改台账 (problem ledger) lives in its own module, in the same namespace.
    path("", include("assessments.urls_ledger")),
    # Annual assessment: schemes and scoring, member-level assessments, rating runs, scorecards.
    path("", include("assessments.urls_scheme")),
    path("", include("assessments.urls_members")),
    path("", include("assessments.urls_ratings")),
    path("", include("assessments.urls_scorecards")),
]
