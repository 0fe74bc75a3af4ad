"""JSON API of assessments: 一岗双责 reports."""

from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema,
    extend_schema_view,
)
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from core.api import ERRORS, TRANSITION_ERRORS, wants_xlsx
from core.excel import XLSX_CONTENT_TYPE

from .. import reports
from ..exports import overview_export
from ..models import (
    DutyReport,
    DutyReportPeriod,
)
from ..permissions import CHANGE_DUE_DATE, FILE_REPORT, SEE_REPORT_OVERVIEW, SEE_REPORT_PERIODS, SUBMIT_REPORT
from ..reports import FILING_CHOICES, TEXT_FIELDS
from ..selectors import overview_query
from .base import XLSX_RENDERERS, XLSX_RESPONSE, Viewset, _label, _state


class DutyReportPeriodSerializer(serializers.ModelSerializer):
    label = serializers.CharField(source="__str__", read_only=True)

    class Meta:
        model = DutyReportPeriod
        fields = ["id", "year", "half", "label", "starts_on", "ends_on", "due_on"]
        read_only_fields = fields


class DutyReportPeriodDueDateSerializer(serializers.Serializer):
    due_on = serializers.DateField(label="报告截止日期")
    reason = serializers.CharField(label="调整原因", max_length=200, required=False, allow_blank=True, default="")


@extend_schema_view(
    list=extend_schema(
        summary="一岗双责报告期列表（已生成的年度）", responses={200: DutyReportPeriodSerializer, **ERRORS}
    ),
    retrieve=extend_schema(summary="一岗双责报告期详情", responses={200: DutyReportPeriodSerializer, **ERRORS}),
)
class DutyReportPeriodViewSet(Viewset, mixins.ListModelMixin, mixins.RetrieveModelMixin):
    queryset = DutyReportPeriod.objects.all()
    serializer_class = DutyReportPeriodSerializer
    filterset_fields = ["year", "half"]
    ordering_fields = ["year", "half", "due_on"]
    ordering = ["-year", "-half"]

    def get_queryset(self):
        SEE_REPORT_PERIODS.require(self.request.user)
        return DutyReportPeriod.objects.order_by("-year", "-half")

    @extend_schema(
        summary="调整报告截止日期（工委）",
        request=DutyReportPeriodDueDateSerializer,
        responses={200: DutyReportPeriodSerializer, **ERRORS},
    )
    @action(detail=True, methods=["post"], url_path="due-date")
    def due_date(self, request, pk=None):
        period = self.get_object()
        CHANGE_DUE_DATE.require(request.user)
        data = self.valid(DutyReportPeriodDueDateSerializer)
        period = reports.change_due_date(period, due_on=data["due_on"], reason=data["reason"], by=request.user)
        return Response(DutyReportPeriodSerializer(period).data)


class DutyReportSerializer(serializers.ModelSerializer):
    member_name = serializers.CharField(source="member.name", read_only=True)
    branch = serializers.IntegerField(source="member.branch_id", read_only=True)
    branch_name = serializers.CharField(source="member.branch.name", read_only=True)
    organ = serializers.IntegerField(source="member.branch.organ_id", read_only=True)
    period_label = serializers.CharField(source="period.__str__", read_only=True)
    status = _state("draft 草稿 / submitted 待审阅 / returned 已退回 / accepted 已审阅")
    status_label = _label(DutyReport, "status")

    class Meta:
        model = DutyReport
        fields = [
            "id", "member", "member_name", "branch", "branch_name", "organ", "period", "period_label",
            *TEXT_FIELDS, "status", "status_label", "submitted_at", "is_late", "return_reason",
            "reviewed_at", "created_at",
        ]  # fmt: skip
        read_only_fields = fields


class DutyReportDraftSerializer(serializers.Serializer):
    """A draft may be partial; submitting (a separate step) needs all four parts."""

    member = serializers.IntegerField(label="班子成员", min_value=1)
    period = serializers.IntegerField(label="报告期", min_value=1)
    business_work = serializers.CharField(label="分管业务工作情况", required=False, allow_blank=True, default="")
    party_work = serializers.CharField(label="分管领域党建工作情况", required=False, allow_blank=True, default="")
    problems = serializers.CharField(label="存在问题", required=False, allow_blank=True, default="")
    next_steps = serializers.CharField(label="下一步措施", required=False, allow_blank=True, default="")


class DutyReportEditSerializer(serializers.Serializer):
    business_work = serializers.CharField(label="分管业务工作情况", required=False, allow_blank=True)
    party_work = serializers.CharField(label="分管领域党建工作情况", required=False, allow_blank=True)
    problems = serializers.CharField(label="存在问题", required=False, allow_blank=True)
    next_steps = serializers.CharField(label="下一步措施", required=False, allow_blank=True)


class DutyReportReturnSerializer(serializers.Serializer):
    reason = serializers.CharField(label="退回原因", max_length=1000)


class DutyReportFilingSerializer(serializers.Serializer):
    """One leader of the overview for the period: their report's filing state."""

    member = serializers.IntegerField(source="pk")
    name = serializers.CharField()
    post = serializers.CharField()
    organ = serializers.IntegerField(source="branch.organ_id")
    organ_name = serializers.CharField(source="branch.organ.display_short")
    branch = serializers.IntegerField(source="branch_id")
    branch_name = serializers.CharField(source="branch.name")
    filing = serializers.ChoiceField(choices=FILING_CHOICES)
    report = serializers.IntegerField(source="report_id", allow_null=True)
    report_late = serializers.BooleanField(allow_null=True)
    report_submitted_at = serializers.DateTimeField(allow_null=True)
    report_reviewed_at = serializers.DateTimeField(allow_null=True)
    report_return_reason = serializers.CharField(allow_null=True)


@extend_schema_view(
    list=extend_schema(summary="一岗双责报告列表（可见范围内）", responses={200: DutyReportSerializer, **ERRORS}),
    retrieve=extend_schema(summary="一岗双责报告详情", responses={200: DutyReportSerializer, **ERRORS}),
    create=extend_schema(
        summary="填写一岗双责报告（保存草稿；已有草稿或退回的报告则修改）",
        request=DutyReportDraftSerializer,
        responses={201: DutyReportSerializer, **TRANSITION_ERRORS},
    ),
    partial_update=extend_schema(
        summary="修改一岗双责报告草稿（或被退回的报告）",
        request=DutyReportEditSerializer,
        responses={200: DutyReportSerializer, **TRANSITION_ERRORS},
    ),
)
class DutyReportViewSet(Viewset, mixins.ListModelMixin, mixins.RetrieveModelMixin):
    queryset = DutyReport.objects.none()
    serializer_class = DutyReportSerializer
    filterset_fields = {
        "period": ["exact"],
        "period__year": ["exact"],
        "period__half": ["exact"],
        "status": ["exact"],
        "member": ["exact"],
        "member__branch": ["exact"],
        "member__branch__organ": ["exact"],
        "is_late": ["exact"],
    }
    ordering_fields = ["submitted_at", "created_at", "period__year", "status"]
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        return DutyReport.objects.visible_to(self.request.user).select_related("member__branch__organ", "period")

    def get_object(self):
        return reports.get_report_for_user(self.request.user, self.kwargs["pk"])

    def create(self, request):
        data = self.valid(DutyReportDraftSerializer)
        member = reports.get_member_for_filing(request.user, data["member"])
        period = get_object_or_404(DutyReportPeriod, pk=data["period"])
        report = reports.save_draft(member, period, data=data, by=request.user)
        report = reports.get_report_for_user(request.user, report.pk)
        return Response(DutyReportSerializer(report).data, status=status.HTTP_201_CREATED)

    def partial_update(self, request, pk=None):
        report = self.get_object()
        FILE_REPORT.require(request.user, report.member)
        data = self.valid(DutyReportEditSerializer)
        merged = {name: data.get(name, getattr(report, name)) for name in TEXT_FIELDS}
        report = reports.save_draft(report.member, report.period, data=merged, by=request.user)
        return Response(DutyReportSerializer(self.get_object()).data)

    @extend_schema(summary="提交一岗双责报告", request=None, responses={200: DutyReportSerializer, **TRANSITION_ERRORS})
    @action(detail=True, methods=["post"])
    def submit(self, request, pk=None):
        report = self.get_object()
        SUBMIT_REPORT.require(request.user, report.member)
        reports.submit_report(report, by=request.user)
        return Response(DutyReportSerializer(self.get_object()).data)

    @extend_schema(
        summary="审阅通过一岗双责报告", request=None, responses={200: DutyReportSerializer, **TRANSITION_ERRORS}
    )
    @action(detail=True, methods=["post"])
    def accept(self, request, pk=None):
        report = reports.get_report_for_reviewer(request.user, pk)
        reports.accept_report(report, by=request.user)
        return Response(DutyReportSerializer(self.get_object()).data)

    @extend_schema(
        summary="退回一岗双责报告（须写明原因）",
        request=DutyReportReturnSerializer,
        responses={200: DutyReportSerializer, **TRANSITION_ERRORS},
    )
    @action(detail=True, methods=["post"], url_path="return")
    def return_(self, request, pk=None):
        report = reports.get_report_for_reviewer(request.user, pk)
        data = self.valid(DutyReportReturnSerializer)
        reports.return_report(report, by=request.user, reason=data["reason"])
        return Response(DutyReportSerializer(self.get_object()).data)

    @extend_schema(
        summary="一岗双责报告情况总览（按报告期；`?format=xlsx` 导出）",
        parameters=[
            OpenApiParameter("period", int, description="报告期（默认最近结束的一期）"),
            OpenApiParameter("organ", int, description="机关"),
            OpenApiParameter("status", str, enum=[k for k, _ in FILING_CHOICES], description="填报状态"),
            OpenApiParameter("q", str, description="姓名"),
        ],
        responses={
            (200, "application/json"): DutyReportFilingSerializer(many=True),
            (200, XLSX_CONTENT_TYPE): XLSX_RESPONSE,
            **ERRORS,
        },
    )
    @action(
        detail=False,
        methods=["get"],
        renderer_classes=XLSX_RENDERERS,
        filter_backends=[],
        serializer_class=DutyReportFilingSerializer,
    )
    def overview(self, request):
        SEE_REPORT_OVERVIEW.require(request.user)
        if wants_xlsx(request):
            # The page's own export: the same query string gives the same rows.
            return overview_export(request._request)
        _, _, _, rows = overview_query(request._request, timezone.localdate())
        rows = rows.select_related("branch__organ").order_by(
            "branch__organ__sort_order", "branch__organ__name", "branch__name", "name_pinyin", "pk"
        )
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(DutyReportFilingSerializer(page, many=True).data)
