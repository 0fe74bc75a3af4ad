from django.urls import include, path

app_name = "projects"

urlpatterns = [
    path("", include("projects.urls_workflow")),
    path("", include("projects.urls_progress")),
    path("", include("projects.urls_acceptance")),
]
