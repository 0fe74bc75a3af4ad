"""JSON API of assessments: 书记述职评议."""

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema,
    extend_schema_view,
)
from rest_framework import mixins, serializers
from rest_framework.decorators import action
from rest_framework.parsers import JSONParser, MultiPartParser
from rest_framework.response import Response

from branches.access import get_branch_for_user
from core.api import ERRORS

from .. import secretary
from ..choices import SecretaryGrade
from ..models import (
    SecretaryReport,
    SecretaryReportAttachment,
)
from ..permissions import (
    EVALUATE_SECRETARY_REPORT,
    RETURN_SECRETARY_REPORT,
    SUBMIT_SECRETARY_REPORT,
    WRITE_SECRETARY_REPORT,
)
from .appraisals import ReasonSerializer
from .base import FILE_RESPONSE, Viewset, _label, _state


class SecretaryAttachmentSerializer(serializers.ModelSerializer):
    class Meta:
        model = SecretaryReportAttachment
        fields = ["id", "original_name", "content_type", "size", "uploaded_at"]
        read_only_fields = fields


class SecretaryReportSerializer(serializers.ModelSerializer):
    branch_name = serializers.CharField(source="branch.name", read_only=True)
    organ = serializers.IntegerField(source="branch.organ_id", read_only=True)
    secretary_name = serializers.CharField(source="secretary.name", read_only=True)
    status = _state("draft 草稿 / submitted 待评议 / evaluated 已评议")
    status_label = _label(SecretaryReport, "status")
    grade = _state("good 好 / fair 较好 / average 一般 / poor 差")
    attachments = SecretaryAttachmentSerializer(many=True, read_only=True)

    class Meta:
        model = SecretaryReport
        fields = [
            "id", "branch", "branch_name", "organ", "year", "secretary", "secretary_name", "text", "status",
            "status_label", "submitted_at", "grade", "evaluation", "evaluated_by", "evaluated_at",
            "attachments",
        ]  # fmt: skip
        read_only_fields = fields


class SecretaryDraftSerializer(serializers.Serializer):
    branch = serializers.IntegerField(label="支部", min_value=1)
    year = serializers.IntegerField(label="年度", min_value=2000, max_value=2100)
    text = serializers.CharField(label="述职报告", required=False, allow_blank=True, default="")
    files = serializers.ListField(child=serializers.FileField(), label="附件", required=False, default=list)
    remove = serializers.ListField(
        child=serializers.IntegerField(min_value=1), label="删除附件（附件 id）", required=False, default=list
    )


class SecretaryEvaluateSerializer(serializers.Serializer):
    grade = serializers.ChoiceField(label="评议等次", choices=SecretaryGrade.choices)
    evaluation = serializers.CharField(label="评议意见", max_length=2000)


@extend_schema_view(
    list=extend_schema(summary="书记述职（可见范围内）", responses={200: SecretaryReportSerializer, **ERRORS}),
    retrieve=extend_schema(summary="书记述职详情（含附件）", responses={200: SecretaryReportSerializer, **ERRORS}),
)
class SecretaryReportViewSet(Viewset, mixins.ListModelMixin, mixins.RetrieveModelMixin):
    queryset = SecretaryReport.objects.none()
    serializer_class = SecretaryReportSerializer
    filterset_fields = {"year": ["exact"], "branch": ["exact"], "branch__organ": ["exact"], "status": ["exact"]}
    ordering_fields = ["year", "submitted_at"]

    def get_queryset(self):
        return (
            SecretaryReport.objects.visible_to(self.request.user)
            .select_related("branch", "secretary")
            .prefetch_related("attachments")
        )

    def _answer(self, report) -> Response:
        return Response(SecretaryReportSerializer(self.get_queryset().get(pk=report.pk)).data)

    @extend_schema(
        summary="填写书记述职草稿（可上传附件；支部委员）",
        request={"multipart/form-data": SecretaryDraftSerializer},
        responses={200: SecretaryReportSerializer, **ERRORS},
    )
    @action(detail=False, methods=["post"], parser_classes=[MultiPartParser, JSONParser])
    def draft(self, request):
        data = self.valid(SecretaryDraftSerializer)
        branch = get_branch_for_user(request.user, data["branch"])
        WRITE_SECRETARY_REPORT.require(request.user, branch)
        report = SecretaryReport.objects.filter(branch=branch, year=data["year"]).first()
        remove = []
        if data["remove"]:
            remove = list(SecretaryReportAttachment.objects.filter(report=report, pk__in=data["remove"]))
            if report is None or len(remove) != len(set(data["remove"])):
                raise serializers.ValidationError({"remove": ["要删除的附件不属于本述职。"]})
        report = secretary.save_draft(
            branch, data["year"], text=data["text"], files=data["files"], remove=remove, by=request.user
        )
        return self._answer(report)

    @extend_schema(summary="提交书记述职", request=None, responses={200: SecretaryReportSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def submit(self, request, pk=None):
        report = self.get_object()
        SUBMIT_SECRETARY_REPORT.require(request.user, report.branch)
        secretary.submit(report, by=request.user)
        return self._answer(report)

    @extend_schema(
        summary="评议书记述职（机关党委、工委）",
        request=SecretaryEvaluateSerializer,
        responses={200: SecretaryReportSerializer, **ERRORS},
    )
    @action(detail=True, methods=["post"])
    def evaluate(self, request, pk=None):
        report = self.get_object()
        EVALUATE_SECRETARY_REPORT.require(request.user, report.branch)
        data = self.valid(SecretaryEvaluateSerializer)
        secretary.evaluate(report, grade=data["grade"], evaluation=data["evaluation"], by=request.user)
        return self._answer(report)

    @extend_schema(
        summary="退回书记述职修改（机关党委、工委）",
        request=ReasonSerializer,
        responses={200: SecretaryReportSerializer, **ERRORS},
    )
    @action(detail=True, methods=["post"], url_path="return")
    def return_(self, request, pk=None):
        report = self.get_object()
        RETURN_SECRETARY_REPORT.require(request.user, report.branch)
        data = self.valid(ReasonSerializer)
        secretary.return_report(report, reason=data["reason"], by=request.user)
        return self._answer(report)

    @extend_schema(
        summary="下载书记述职附件",
        parameters=[OpenApiParameter("attachment_pk", int, OpenApiParameter.PATH, description="附件 id")],
        responses={200: FILE_RESPONSE, **ERRORS},
    )
    @action(detail=True, methods=["get"], url_path=r"attachments/(?P<attachment_pk>[0-9]+)")
    def attachment(self, request, pk=None, attachment_pk=None):
        report = self.get_object()
        return get_object_or_404(SecretaryReportAttachment, report=report, pk=attachment_pk).download()
