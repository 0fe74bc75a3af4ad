"""JSON API of projects: 节点、进展、佐证材料."""

import django_filters
from django.db.models import Prefetch
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response

from core.api import ERRORS, TRANSITION_ERRORS, Conflict
from core.uploads import upload_limit_mb

from .. import progress, services
from ..access import (
    get_evidence_for_user,
    get_milestone_for_user,
)
from ..forms.progress import ProgressForm
from ..forms.workflow import (
    RescheduleForm,
)
from ..models import (
    Evidence,
    Milestone,
    MilestoneProgress,
    Project,
)
from ..permissions import REPORT_PROGRESS
from .base import ScopedViewSet, _check, _form_data


class EvidenceSerializer(serializers.ModelSerializer):
    project = serializers.IntegerField(source="project_id", read_only=True)
    milestone = serializers.IntegerField(source="report.milestone_id", read_only=True, default=None)
    uploaded_by_name = serializers.SerializerMethodField()
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = Evidence
        fields = [
            "token", "project", "milestone", "report", "original_name", "content_type", "size", "uploaded_by_name",
            "uploaded_at", "download_url",
        ]  # fmt: skip
        read_only_fields = fields

    def get_uploaded_by_name(self, obj) -> str:
        return str(obj.uploaded_by)

    def get_download_url(self, obj) -> str:
        return f"/api/project-evidence/{obj.token}/download/"


class ProgressReportSerializer(serializers.ModelSerializer):
    filed_by_name = serializers.SerializerMethodField()
    files = EvidenceSerializer(many=True, read_only=True)

    class Meta:
        model = MilestoneProgress
        fields = ["id", "text", "percent", "filed_by_name", "filed_at", "files"]
        read_only_fields = fields

    def get_filed_by_name(self, obj) -> str:
        return str(obj.filed_by)


class MilestoneSerializer(serializers.ModelSerializer):
    is_overdue = serializers.SerializerMethodField()

    class Meta:
        model = Milestone
        fields = [
            "id", "project", "title", "planned_on", "weight", "percent", "completed_on", "not_done_reason",
            "is_overdue",
        ]  # fmt: skip
        read_only_fields = fields

    def get_is_overdue(self, obj) -> bool:
        return obj.is_overdue(timezone.localdate())


class MilestoneDetailSerializer(MilestoneSerializer):
    reports = ProgressReportSerializer(many=True, read_only=True)

    class Meta(MilestoneSerializer.Meta):
        fields = [*MilestoneSerializer.Meta.fields, "reports"]
        read_only_fields = fields


class ProgressUploadSerializer(serializers.Serializer):
    """The multipart request of a progress report (checked by the page's form)."""

    percent = serializers.IntegerField(min_value=0, max_value=100)
    text = serializers.CharField(help_text="进展情况")
    completed_on = serializers.DateField(required=False, help_text="进度 100% 时填写；不填记为今天")
    files = serializers.ListField(
        child=serializers.FileField(), required=False, help_text="佐证材料（可多个），按内容校验类型和大小"
    )


class RescheduleSerializer(serializers.Serializer):
    planned_on = serializers.DateField()
    reason = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class MilestoneFilter(django_filters.FilterSet):
    project = django_filters.NumberFilter(field_name="project")
    completed = django_filters.BooleanFilter(field_name="completed_on", lookup_expr="isnull", exclude=True)

    class Meta:
        model = Milestone
        fields = ["project", "completed"]


def _reports_prefetch():
    reports = (
        MilestoneProgress.objects.select_related("filed_by")
        .prefetch_related(Prefetch("files", queryset=Evidence.objects.select_related("uploaded_by", "report")))
        .order_by("-filed_at", "-pk")
    )
    return Prefetch("reports", queryset=reports)


@extend_schema_view(
    list=extend_schema(summary="项目节点列表", responses={200: MilestoneSerializer, **ERRORS}),
    retrieve=extend_schema(
        summary="项目节点详情（含进展和佐证材料）", responses={200: MilestoneDetailSerializer, **ERRORS}
    ),
)
class MilestoneViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    model = Milestone
    serializer_class = MilestoneSerializer
    filterset_class = MilestoneFilter
    ordering_fields = ["planned_on", "percent", "completed_on"]
    ordering = ["project", "planned_on", "pk"]

    def scoped_queryset(self, user):
        return Milestone.objects.filter(project__in=Project.objects.visible_to(user)).select_related("project")

    def _detail(self, pk) -> Response:
        milestone = get_milestone_for_user(self.request.user, pk)
        milestone = (
            Milestone.objects.select_related("project").prefetch_related(_reports_prefetch()).get(pk=milestone.pk)
        )
        return Response(MilestoneDetailSerializer(milestone).data)

    def retrieve(self, request, *args, **kwargs):
        return self._detail(kwargs["pk"])

    @extend_schema(
        summary="填报节点进展（可上传佐证材料）",
        request={"multipart/form-data": ProgressUploadSerializer},
        responses={201: ProgressReportSerializer, **TRANSITION_ERRORS},
    )
    @action(detail=True, methods=["post"], parser_classes=[MultiPartParser, FormParser])
    def progress(self, request, pk=None):
        milestone = get_milestone_for_user(request.user, pk)
        project = milestone.project
        REPORT_PROGRESS.require(request.user, project)
        if blocked := progress.not_running_reason(project, "填报节点进展"):
            raise Conflict(blocked)
        max_mb = upload_limit_mb(services.config_for_year(project.year).max_evidence_mb)
        data = _check(ProgressForm(request.data, request.FILES, milestone=milestone, max_mb=max_mb))
        try:
            report = progress.file_progress(
                milestone,
                by=request.user,
                text=data["text"],
                percent=data["percent"],
                files=data["files"],
                completed_on=data["completed_on"],
            )
        except progress.EvidenceRejected as exc:
            raise ValidationError({"files": [str(exc)]}) from exc
        report = (
            MilestoneProgress.objects.select_related("filed_by")
            .prefetch_related(Prefetch("files", queryset=Evidence.objects.select_related("uploaded_by", "report")))
            .get(pk=report.pk)
        )
        return Response(ProgressReportSerializer(report).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="调整节点计划日期（审核通过后须说明原因）",
        request=RescheduleSerializer,
        responses={200: MilestoneDetailSerializer, **TRANSITION_ERRORS},
    )
    @action(detail=True, methods=["post"])
    def reschedule(self, request, pk=None):
        milestone = get_milestone_for_user(request.user, pk, write=True)
        shape = RescheduleSerializer(data=request.data)
        shape.is_valid(raise_exception=True)
        data = _check(RescheduleForm(_form_data(shape.validated_data), milestone=milestone))
        services.change_milestone_date(milestone, planned_on=data["planned_on"], reason=data["reason"], by=request.user)
        return self._detail(pk)


class EvidenceFilter(django_filters.FilterSet):
    project = django_filters.NumberFilter(field_name="project")
    milestone = django_filters.NumberFilter(field_name="report__milestone")

    class Meta:
        model = Evidence
        fields = ["project", "milestone"]


@extend_schema_view(
    list=extend_schema(summary="佐证材料列表", responses={200: EvidenceSerializer, **ERRORS}),
    retrieve=extend_schema(summary="佐证材料信息", responses={200: EvidenceSerializer, **ERRORS}),
)
class EvidenceViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    model = Evidence
    serializer_class = EvidenceSerializer
    filterset_class = EvidenceFilter
    lookup_field = "token"
    lookup_value_regex = r"[0-9a-f]{1,40}"
    ordering_fields = ["uploaded_at", "size", "original_name"]
    ordering = ["uploaded_at", "pk"]

    def scoped_queryset(self, user):
        return Evidence.objects.filter(project__in=Project.objects.visible_to(user)).select_related(
            "uploaded_by", "report"
        )

    def get_object(self):
        return get_evidence_for_user(self.request.user, self.kwargs["token"])

    @extend_schema(
        summary="下载佐证材料",
        responses={(200, "application/octet-stream"): OpenApiResponse(OpenApiTypes.BINARY), **ERRORS},
    )
    @action(detail=True, methods=["get"])
    def download(self, request, token=None):
        return get_evidence_for_user(request.user, token).download()
