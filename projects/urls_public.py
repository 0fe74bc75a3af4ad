from django.urls import path

from . import views_public as views

urlpatterns = [
    path("", views.results, name="results"),
]
