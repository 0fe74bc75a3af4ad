"""Pages of 民主评议党员, 党员积分 and 书记述职评议; included into the "assessments" namespace."""

from django.urls import path

from .views import members as views

urlpatterns = [
    # 民主评议党员
    path("appraisals/", views.appraisal_list, name="appraisal_list"),
    path("appraisals/<int:branch_pk>/<int:year>/", views.appraisal_detail, name="appraisal_detail"),
    path("appraisals/<int:branch_pk>/<int:year>/open/", views.appraisal_open, name="appraisal_open"),
    path("appraisals/<int:branch_pk>/<int:year>/finalize/", views.appraisal_finalize, name="appraisal_finalize"),
    path("appraisals/<int:branch_pk>/<int:year>/reopen/", views.appraisal_reopen, name="appraisal_reopen"),
    # 党员积分
    path("points/mine/", views.points_mine, name="points_mine"),
    path("points/rules/<int:year>/", views.point_rules, name="point_rules"),
    path("points/rules/<int:year>/new/", views.point_rule_create, name="point_rule_create"),
    path("points/rules/edit/<int:pk>/", views.point_rule_edit, name="point_rule_edit"),
    path("points/rules/delete/<int:pk>/", views.point_rule_delete, name="point_rule_delete"),
    path("points/branch/<int:branch_pk>/<int:year>/", views.points_branch, name="points_branch"),
    path("points/branch/<int:branch_pk>/<int:year>/add/", views.point_entry_add, name="point_entry_add"),
    path("points/member/<int:member_pk>/<int:year>/", views.points_member, name="points_member"),
    path("points/entries/<int:pk>/approve/", views.point_entry_approve, name="point_entry_approve"),
    path("points/entries/<int:pk>/reject/", views.point_entry_reject, name="point_entry_reject"),
    # 书记述职评议
    path("secretary-reports/", views.secretary_report_list, name="secretary_report_list"),
    path("secretary-reports/<int:branch_pk>/<int:year>/", views.secretary_report, name="secretary_report"),
    path("secretary-reports/<int:pk>/evaluate/", views.secretary_report_evaluate, name="secretary_report_evaluate"),
    path("secretary-reports/<int:pk>/return/", views.secretary_report_return, name="secretary_report_return"),
    path("secretary-reports/file/<str:token>/", views.secretary_attachment, name="secretary_attachment"),
]
