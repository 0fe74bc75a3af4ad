from django.urls import path

from .views import progress as views

urlpatterns = [
    path("milestones/<int:pk>/progress/", views.milestone_progress, name="milestone_progress"),
    path("evidence/<slug:token>/", views.evidence_download, name="evidence_download"),
    path("<int:project_pk>/tasks/new/", views.task_create, name="task_create"),
    path("tasks/<int:pk>/edit/", views.task_edit, name="task_edit"),
    path("tasks/<int:pk>/delete/", views.task_delete, name="task_delete"),
    path("tasks/<int:pk>/progress/", views.task_update, name="task_update"),
    path("my-tasks/", views.my_tasks, name="my_tasks"),
    path("<int:project_pk>/supervision/new/", views.supervision_create, name="supervision_create"),
    path("supervision/<int:pk>/answer/", views.duban_answer, name="duban_answer"),
]
