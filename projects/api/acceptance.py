"""JSON API of projects: 验收评分."""

import django_filters
from django.db.models import Q
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins

from core.api import ERRORS

from .. import rules
from ..choices import ProjectStatus
from ..models import (
    AcceptanceReview,
    Project,
)
from .base import ScopedViewSet
from .topics import AcceptanceReviewSerializer, _reviews_queryset


class AcceptanceReviewFilter(django_filters.FilterSet):
    project = django_filters.NumberFilter(field_name="project")
    year = django_filters.NumberFilter(field_name="project__year")

    class Meta:
        model = AcceptanceReview
        fields = ["project", "year"]


@extend_schema_view(
    list=extend_schema(
        summary="验收评分列表",
        description="评分期间评审人只看到本人的评分，工委看到全部；验收确认后能看到项目的人都可看到。",
        responses={200: AcceptanceReviewSerializer, **ERRORS},
    ),
    retrieve=extend_schema(summary="验收评分详情", responses={200: AcceptanceReviewSerializer, **ERRORS}),
)
class AcceptanceReviewViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    model = AcceptanceReview
    serializer_class = AcceptanceReviewSerializer
    filterset_class = AcceptanceReviewFilter
    ordering_fields = ["scored_at", "total"]
    ordering = ["project", "scored_at", "pk"]

    def scoped_queryset(self, user):
        reviews = _reviews_queryset().filter(project__in=Project.objects.visible_to(user))
        # As on the project page: reviewers score independently, so until the result is confirmed
        # only the 工委 sees everyone's marks.
        if not rules.is_gongwei(user):
            reviews = reviews.filter(Q(project__status=ProjectStatus.ACCEPTED) | Q(reviewer=user))
        return reviews
