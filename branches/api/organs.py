"""JSON API of branches: organs."""

from drf_spectacular.utils import (
    extend_schema,
    extend_schema_view,
)
from rest_framework import serializers, viewsets

from core.api import ERRORS

from ..models import (
    Organ,
)
from .base import LIST_ERRORS, _require_staff_or_committee


class OrganSerializer(serializers.ModelSerializer):
    committee_name = serializers.CharField(read_only=True)

    class Meta:
        model = Organ
        fields = ["id", "name", "short_name", "committee_kind", "committee_name", "sort_order"]


@extend_schema_view(
    list=extend_schema(summary="机关列表（可见范围内）", responses={200: OrganSerializer(many=True), **LIST_ERRORS}),
    retrieve=extend_schema(summary="机关详情", responses={200: OrganSerializer, **ERRORS}),
)
class OrganViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = OrganSerializer
    filterset_fields = ["committee_kind"]
    ordering_fields = ["sort_order", "name"]

    def get_queryset(self):
        return Organ.objects.visible_to(self.request.user)

    def list(self, request, *args, **kwargs):
        _require_staff_or_committee(request.user)
        return super().list(request, *args, **kwargs)
