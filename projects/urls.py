from django.urls import path

from .views import acceptance, experts, progress, search, workflow

app_name = "projects"

urlpatterns = [
    # 党委出题、支部立项、审核与备案
    path("", workflow.project_list, name="project_list"),
    path("export/", workflow.project_export, name="project_export"),
    path("new/", workflow.project_create, name="project_create"),
    path("<int:pk>/", workflow.project_detail, name="project_detail"),
    path("<int:pk>/edit/", workflow.project_edit, name="project_edit"),
    path("<int:pk>/submit/", workflow.project_submit, name="project_submit"),
    path("<int:pk>/approve/", workflow.project_approve, name="project_approve"),
    path("<int:pk>/return/", workflow.project_return, name="project_return"),
    path("<int:pk>/file/", workflow.project_file, name="project_file"),
    path("milestones/<int:pk>/reschedule/", workflow.milestone_reschedule, name="milestone_reschedule"),
    path("review/", workflow.review_queue, name="review_queue"),
    path("unfiled/", workflow.unfiled_branch_list, name="unfiled_branches"),
    path("topics/", workflow.topic_list_index, name="topic_list_index"),
    path("topics/new/", workflow.topic_list_create, name="topic_list_create"),
    path("topics/<int:pk>/", workflow.topic_list_detail, name="topic_list_detail"),
    path("topics/<int:pk>/edit/", workflow.topic_list_edit, name="topic_list_edit"),
    path("topics/<int:pk>/publish/", workflow.topic_list_publish, name="topic_list_publish"),
    path("topics/<int:pk>/reopen/", workflow.topic_list_reopen, name="topic_list_reopen"),
    path("topics/<int:list_pk>/topics/new/", workflow.topic_create, name="topic_create"),
    path("topics/topic/<int:pk>/edit/", workflow.topic_edit, name="topic_edit"),
    path("topics/search/", search.topic_search, name="topic_search"),
    # 任务到人与节点督查
    path("milestones/<int:pk>/progress/", progress.milestone_progress, name="milestone_progress"),
    path("evidence/<slug:token>/", progress.evidence_download, name="evidence_download"),
    path("<int:project_pk>/tasks/new/", progress.task_create, name="task_create"),
    path("tasks/<int:pk>/edit/", progress.task_edit, name="task_edit"),
    path("tasks/<int:pk>/delete/", progress.task_delete, name="task_delete"),
    path("tasks/<int:pk>/progress/", progress.task_update, name="task_update"),
    path("my-tasks/", progress.my_tasks, name="my_tasks"),
    path("<int:project_pk>/supervision/new/", progress.supervision_create, name="supervision_create"),
    path("supervision/<int:pk>/answer/", progress.duban_answer, name="duban_answer"),
    # 公开验收
    path("<int:pk>/acceptance/request/", acceptance.acceptance_request, name="acceptance_request"),
    path("<int:pk>/acceptance/score/", acceptance.acceptance_score, name="acceptance_score"),
    path("<int:pk>/acceptance/finalize/", acceptance.acceptance_finalize, name="acceptance_finalize"),
    path("<int:pk>/top-ten/", acceptance.top_ten_toggle, name="top_ten_toggle"),
    path("acceptance/rules/", acceptance.year_config, name="year_config"),
    path("acceptance/rules/<int:year>/", acceptance.year_config, name="year_config"),
    # 评审专家
    path("experts/", experts.expert_queue, name="expert_queue"),
    path("<int:pk>/experts/assign/", experts.expert_assign, name="expert_assign"),
    path("experts/<int:pk>/withdraw/", experts.expert_withdraw, name="expert_withdraw"),
]
