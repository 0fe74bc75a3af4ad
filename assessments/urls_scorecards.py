"""Year-end scorecard exports; included by assessments/urls.py into the "assessments" namespace."""

from django.urls import path

from .views import scorecards as views

urlpatterns = [
    path("scorecards/run/<int:run_pk>/", views.scorecard_request, name="scorecard_request"),
    path("scorecards/<int:pk>/", views.scorecard_detail, name="scorecard_detail"),
    path("scorecards/<int:pk>/download/", views.scorecard_download, name="scorecard_download"),
    path("scorecards/<int:pk>/retry/", views.scorecard_retry, name="scorecard_retry"),
]
