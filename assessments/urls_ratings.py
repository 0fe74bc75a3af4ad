"""Star rating runs (评星定级): the runs of a year, one run, its status and publication, one result."""

from django.urls import path

from .views import ratings as views

urlpatterns = [
    path("ratings/", views.run_list, name="run_list"),
    path("ratings/compute/", views.run_compute, name="run_compute"),
    path("ratings/<int:pk>/", views.run_detail, name="run_detail"),
    path("ratings/<int:pk>/status/", views.run_status, name="run_status"),
    path("ratings/<int:pk>/publish/", views.run_publish, name="run_publish"),
    path("ratings/results/<int:pk>/", views.result_detail, name="result_detail"),
]
