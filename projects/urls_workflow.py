from django.urls import path

from .views import workflow as views

urlpatterns = [
    path("", views.project_list, name="project_list"),
    path("export/", views.project_export, name="project_export"),
    path("new/", views.project_create, name="project_create"),
    path("<int:pk>/", views.project_detail, name="project_detail"),
    path("<int:pk>/edit/", views.project_edit, name="project_edit"),
    path("<int:pk>/submit/", views.project_submit, name="project_submit"),
    path("<int:pk>/approve/", views.project_approve, name="project_approve"),
    path("<int:pk>/return/", views.project_return, name="project_return"),
    path("<int:pk>/file/", views.project_file, name="project_file"),
    path("milestones/<int:pk>/reschedule/", views.milestone_reschedule, name="milestone_reschedule"),
    path("review/", views.review_queue, name="review_queue"),
    path("unfiled/", views.unfiled_branch_list, name="unfiled_branches"),
    path("topics/", views.topic_list_index, name="topic_list_index"),
    path("topics/new/", views.topic_list_create, name="topic_list_create"),
    path("topics/<int:pk>/", views.topic_list_detail, name="topic_list_detail"),
    path("topics/<int:pk>/edit/", views.topic_list_edit, name="topic_list_edit"),
    path("topics/<int:pk>/publish/", views.topic_list_publish, name="topic_list_publish"),
    path("topics/<int:pk>/reopen/", views.topic_list_reopen, name="topic_list_reopen"),
    path("topics/<int:list_pk>/topics/new/", views.topic_create, name="topic_create"),
    path("topics/topic/<int:pk>/edit/", views.topic_edit, name="topic_edit"),
]
