from django.urls import path

from .views import acceptance as views

urlpatterns = [
    path("<int:pk>/acceptance/request/", views.acceptance_request, name="acceptance_request"),
    path("<int:pk>/acceptance/score/", views.acceptance_score, name="acceptance_score"),
    path("<int:pk>/acceptance/finalize/", views.acceptance_finalize, name="acceptance_finalize"),
    path("<int:pk>/top-ten/", views.top_ten_toggle, name="top_ten_toggle"),
    path("acceptance/rules/", views.year_config, name="year_config"),
    path("acceptance/rules/<int:year>/", views.year_config, name="year_config"),
]
