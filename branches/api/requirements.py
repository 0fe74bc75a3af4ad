"""JSON API of branches: meeting requirements (工委)."""

import django_filters
from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.utils import (
    extend_schema,
    extend_schema_view,
)
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.response import Response

from core.api import ERRORS

from .. import orglife
from ..choices import (
    MeetingKind,
    Period,
    RequirementScope,
)
from ..forms.orglife import RequirementForm
from ..models import (
    MeetingRequirement,
)
from ..permissions import SET_REQUIREMENTS
from .base import LIST_ERRORS, YearFilter, _form_data, _valid, _year


class RequirementSerializer(serializers.ModelSerializer):
    class Meta:
        model = MeetingRequirement
        fields = ["id", "year", "kind", "period", "min_count", "scope", "source"]


class RequirementWriteSerializer(serializers.Serializer):
    year = serializers.IntegerField(
        required=False, min_value=orglife.FIRST_YEAR, max_value=2100, help_text="年度（新增时，默认今年）"
    )
    kind = serializers.ChoiceField(choices=MeetingKind.choices, required=False, help_text="新增时必填，修改时不可改")
    period = serializers.ChoiceField(choices=Period.choices)
    min_count = serializers.IntegerField(min_value=1, max_value=31)
    scope = serializers.ChoiceField(choices=RequirementScope.choices, default=RequirementScope.BRANCH)
    source = serializers.CharField(max_length=100, required=False, allow_blank=True)


class RequirementFilter(django_filters.FilterSet):
    year = YearFilter(field_name="year", lookup_expr="exact")

    class Meta:
        model = MeetingRequirement
        fields = ["year", "kind"]


def _require_gongwei(user) -> None:
    SET_REQUIREMENTS.require(user)


@extend_schema_view(
    list=extend_schema(
        summary="组织生活要求（工委）",
        description="按 year 筛选。只列出已生成的年度；尚未生成的年度为空（页面上显示该年度将沿用的要求），"
        "新增要求时自动生成该年度。",
        responses={200: RequirementSerializer(many=True), **LIST_ERRORS},
    ),
    retrieve=extend_schema(summary="组织生活要求详情（工委）", responses={200: RequirementSerializer, **ERRORS}),
    create=extend_schema(
        summary="新增年度组织生活要求（工委）",
        request=RequirementWriteSerializer,
        responses={201: RequirementSerializer, **ERRORS},
    ),
    partial_update=extend_schema(
        summary="修改组织生活要求（工委）",
        request=RequirementWriteSerializer,
        responses={200: RequirementSerializer, **ERRORS},
    ),
    destroy=extend_schema(summary="删除组织生活要求（工委）", responses={204: None, **ERRORS}),
)
class RequirementViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = RequirementSerializer
    filterset_class = RequirementFilter
    ordering_fields = ["year", "kind"]
    queryset = MeetingRequirement.objects.order_by("-year", "kind")
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        _require_gongwei(request.user)

    def list(self, request, *args, **kwargs):
        if request.query_params.get("year"):
            _year(request)  # a malformed year is a 400, as it always was
        return super().list(request, *args, **kwargs)

    def _save(self, request, requirement, *, partial: bool, taken=()):
        serializer = RequirementWriteSerializer(data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        data.pop("year", None)
        fields = RequirementForm._meta.fields
        form = _valid(RequirementForm(_form_data(requirement, fields, data), instance=requirement, taken_kinds=taken))
        return orglife.save_requirement(form.save(commit=False), by=request.user)

    def create(self, request):
        serializer = RequirementWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        year = serializer.validated_data.get("year") or timezone.localdate().year
        taken = {r.kind for r in orglife.requirements_for_year(year)}
        requirement = self._save(request, MeetingRequirement(year=year), partial=False, taken=taken)
        return Response(RequirementSerializer(requirement).data, status=status.HTTP_201_CREATED)

    def partial_update(self, request, pk=None):
        requirement = self._save(request, self.get_object(), partial=True)
        return Response(RequirementSerializer(requirement).data)

    def destroy(self, request, pk=None):
        orglife.delete_requirement(self.get_object(), by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)

    def get_object(self):
        return get_object_or_404(MeetingRequirement, pk=self.kwargs["pk"])
