"""JSON API of assessments: 考核结果导出."""

from django.http import Http404
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import (
    extend_schema,
    extend_schema_view,
)
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from core.api import ERRORS

from .. import scorecards
from ..models import (
    ScorecardExport,
)
from ..permissions import EXPORT_SCORECARDS
from .base import FILE_RESPONSE, Viewset, _label, _state


class ScorecardExportSerializer(serializers.ModelSerializer):
    status = _state("queued 排队中 / running 生成中 / done 已完成 / failed 失败")
    status_label = _label(ScorecardExport, "status")
    title = serializers.SerializerMethodField()
    stalled = serializers.SerializerMethodField()

    class Meta:
        model = ScorecardExport
        fields = [
            "id", "run", "organ", "title", "status", "status_label", "progress", "stalled", "error",
            "requested_by", "created_at", "finished_at",
        ]  # fmt: skip
        read_only_fields = fields

    def get_title(self, export) -> str:
        return scorecards.export_title(export)

    def get_stalled(self, export) -> bool:
        return scorecards.is_stalled(export)


class ScorecardRequestSerializer(serializers.Serializer):
    run = serializers.IntegerField(label="评定批次", min_value=1)
    organ = serializers.IntegerField(
        label="导出单位（空为全部单位，仅工委）", min_value=1, required=False, allow_null=True
    )


@extend_schema_view(
    list=extend_schema(
        summary="我的考核结果导出（工委可见全部）", responses={200: ScorecardExportSerializer, **ERRORS}
    ),
    retrieve=extend_schema(summary="导出任务状态与进度", responses={200: ScorecardExportSerializer, **ERRORS}),
    create=extend_schema(
        summary="申请导出年度考核结果 Excel（后台生成）",
        request=ScorecardRequestSerializer,
        responses={202: ScorecardExportSerializer, **ERRORS},
    ),
)
class ScorecardExportViewSet(Viewset, mixins.ListModelMixin, mixins.RetrieveModelMixin):
    queryset = ScorecardExport.objects.none()
    serializer_class = ScorecardExportSerializer
    filterset_fields = ["run", "status", "organ"]
    ordering_fields = ["created_at"]
    http_method_names = ["get", "post", "head", "options"]

    def get_queryset(self):
        EXPORT_SCORECARDS.require(self.request.user)
        return scorecards.exports_for(self.request.user).select_related("run", "organ")

    def get_object(self):
        export = super().get_object()
        if not scorecards.can_open(self.request.user, export):
            raise Http404("导出记录不存在。")
        return export

    def create(self, request):
        EXPORT_SCORECARDS.require(request.user)
        data = self.valid(ScorecardRequestSerializer)
        run = get_object_or_404(scorecards.runs_for_export(request.user), pk=data["run"])
        organ = None
        if data.get("organ"):
            organ = get_object_or_404(scorecards.organs_for_export(request.user), pk=data["organ"])
        export = scorecards.request_export(run, by=request.user, organ=organ)
        return Response(ScorecardExportSerializer(export).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(summary="下载生成好的考核结果 Excel", responses={200: FILE_RESPONSE, **ERRORS})
    @action(detail=True, methods=["get"])
    def download(self, request, pk=None):
        export = self.get_object()
        # The page's own download: the same checks, headers and export log entry.
        return scorecards.download(request._request, export)

    @extend_schema(
        summary="重新生成失败或长时间未完成的导出", request=None, responses={202: ScorecardExportSerializer, **ERRORS}
    )
    @action(detail=True, methods=["post"])
    def retry(self, request, pk=None):
        export = scorecards.retry_export(self.get_object(), by=request.user)
        return Response(ScorecardExportSerializer(export).data, status=status.HTTP_202_ACCEPTED)
