from django.urls import path

from .views import public as views

urlpatterns = [
    path("", views.results, name="results"),
]
