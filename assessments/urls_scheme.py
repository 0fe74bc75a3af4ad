"""Schemes, scores, self-scores and 加减分; included by assessments/urls.py into the "assessments" namespace."""

from django.urls import path

from .views import scheme as views

urlpatterns = [
    path("schemes/", views.scheme_list, name="scheme_list"),
    path("schemes/new/", views.scheme_create_default, name="scheme_create_default"),
    path("schemes/<int:pk>/", views.scheme_detail, name="scheme_detail"),
    path("schemes/<int:pk>/edit/", views.scheme_edit, name="scheme_edit"),
    path("schemes/<int:pk>/copy/", views.scheme_copy, name="scheme_copy"),
    path("schemes/<int:pk>/new-version/", views.scheme_new_version, name="scheme_new_version"),
    path("schemes/<int:pk>/dimensions/new/", views.dimension_create, name="dimension_create"),
    path("schemes/dimensions/<int:pk>/edit/", views.dimension_edit, name="dimension_edit"),
    path("schemes/dimensions/<int:pk>/delete/", views.dimension_delete, name="dimension_delete"),
    path("schemes/<int:pk>/indicators/new/", views.indicator_create, name="indicator_create"),
    path("schemes/indicators/<int:pk>/edit/", views.indicator_edit, name="indicator_edit"),
    path("schemes/indicators/<int:pk>/delete/", views.indicator_delete, name="indicator_delete"),
    path("schemes/<int:pk>/items/new/", views.adjustment_item_create, name="adjustment_item_create"),
    path("schemes/items/<int:pk>/edit/", views.adjustment_item_edit, name="adjustment_item_edit"),
    path("schemes/items/<int:pk>/delete/", views.adjustment_item_delete, name="adjustment_item_delete"),
    path("scoring/", views.scoring_grid, name="scoring_grid"),
    path("scoring/<int:branch_pk>/<int:indicator_pk>/", views.score_cell, name="score_cell"),
    path("self-score/", views.self_score_home, name="self_score_home"),
    path("self-score/<int:branch_pk>/", views.self_score, name="self_score"),
    path("adjustments/", views.adjustment_list, name="adjustment_list"),
    path("adjustments/new/", views.adjustment_create, name="adjustment_create"),
    path("adjustments/<int:pk>/delete/", views.adjustment_delete, name="adjustment_delete"),
]
