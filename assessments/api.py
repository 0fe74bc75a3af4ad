"""JSON API of the assessments app: 一岗双责 reports, the problem ledger, schemes and scores, rating
runs and results, 民主评议, 党员积分, 书记述职 and scorecard exports.

Every endpoint reaches its rows through the same scoping as the pages (`visible_to`, the pages'
fetch-and-authorize helpers) and every write calls the same service function as the page; the
serializers only check the shape of the input. The services' refusals become 409/400 answers in
`core.api.exception_handler`.
"""

import datetime
from decimal import Decimal

from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch, Sum
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
    extend_schema_view,
)
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import JSONParser, MultiPartParser
from rest_framework.renderers import BrowsableAPIRenderer, JSONRenderer
from rest_framework.response import Response

from accounts.scope import scope_of
from branches.access import get_branch_for_user, get_member_for_user
from branches.models import Branch, Member
from core.api import ERRORS, TRANSITION_ERRORS, XlsxFallbackMixin, XlsxRenderer, router, wants_xlsx
from core.excel import XLSX_CONTENT_TYPE, xlsx_attachment
from maintenance.models import ExportKind, record_export

from . import appraisal as appraisals
from . import ledger, points, ratings, reports, schemes, scorecards, scores, secretary
from .choices import AdjustmentKind, AppraisalGrade, ProblemSource, SecretaryGrade
from .exports import export_problems
from .filters import ResultFilter
from .forms.ledger import ProblemFilter
from .ledger import get_problem_for_user, get_problem_for_verifier, problems_for
from .models import (
    Adjustment,
    AdjustmentItem,
    Appraisal,
    AppraisalEntry,
    AssessmentScheme,
    Dimension,
    DutyReport,
    DutyReportPeriod,
    Indicator,
    IndicatorScore,
    PointEntry,
    PointRule,
    Problem,
    RatingResult,
    RatingRun,
    ScorecardExport,
    SecretaryReport,
    SecretaryReportAttachment,
)
from .reports import FILING_CHOICES, TEXT_FIELDS
from .results import distributions
from .views.reports import overview_query
from .views.reports import report_export as report_export_page

XLSX_RESPONSE = OpenApiResponse(
    response=OpenApiTypes.BINARY, description="`?format=xlsx`：与页面导出相同的 Excel 文件（同样的筛选条件，全部行）。"
)
FILE_RESPONSE = OpenApiResponse(response=OpenApiTypes.BINARY, description="文件下载（附件）。")
NO_BODY = {204: None}
YEAR_PARAM = OpenApiParameter("year", int, description="年度")


def _require(condition: bool, message: str) -> None:
    if not condition:
        raise PermissionDenied(message)


def _label(model, name: str):
    """A read-only field showing the display value of a choice field (`get_<name>_display`)."""
    return serializers.CharField(source=f"get_{name}_display", read_only=True)


def _state(help_text: str = ""):
    """Choice values in answers are plain strings (the labels come alongside), so that a choice set
    appears once in the schema, as the enum of the request that sets it."""
    return serializers.CharField(read_only=True, help_text=help_text)


class Viewset(XlsxFallbackMixin, viewsets.GenericViewSet):
    """What every viewset of this module shares: a typed body validated field by field, and JSON for
    any answer to `?format=xlsx` that is not an export."""

    def valid(self, serializer_class, **kwargs) -> dict:
        serializer = serializer_class(data=self.request.data, context=self.get_serializer_context(), **kwargs)
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data


XLSX_RENDERERS = [JSONRenderer, BrowsableAPIRenderer, XlsxRenderer]


# === 一岗双责 reports ===========================================================================


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
        summary="一岗双责报告期列表（含本年和下一年）", responses={200: DutyReportPeriodSerializer, **ERRORS}
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
        _require(scope_of(self.request.user).is_staff_or_committee, "您的账号无权查看报告期设置。")
        if self.action == "list":
            today = timezone.localdate()
            reports.ensure_periods([today.year, today.year + 1])
        return DutyReportPeriod.objects.order_by("-year", "-half")

    @extend_schema(
        summary="调整报告截止日期（工委）",
        request=DutyReportPeriodDueDateSerializer,
        responses={200: DutyReportPeriodSerializer, **ERRORS},
    )
    @action(detail=True, methods=["post"], url_path="due-date")
    def due_date(self, request, pk=None):
        period = self.get_object()
        _require(scope_of(request.user).is_gongwei, "只有工委工作人员可以调整报告截止日期。")
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
        _require(reports.can_file(request.user, report.member), "只有本人或本支部书记、支委可以填报该报告。")
        data = self.valid(DutyReportEditSerializer)
        merged = {name: data.get(name, getattr(report, name)) for name in TEXT_FIELDS}
        report = reports.save_draft(report.member, report.period, data=merged, by=request.user)
        return Response(DutyReportSerializer(self.get_object()).data)

    @extend_schema(summary="提交一岗双责报告", request=None, responses={200: DutyReportSerializer, **TRANSITION_ERRORS})
    @action(detail=True, methods=["post"])
    def submit(self, request, pk=None):
        report = self.get_object()
        _require(reports.can_file(request.user, report.member), "只有本人或本支部书记、支委可以提交该报告。")
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
        _require(
            scope_of(request.user).is_staff_or_committee,
            "只有支部书记、支委和上级党组织工作人员可以查看报告情况。",
        )
        if wants_xlsx(request):
            # The page's own export: the same query string gives the same rows.
            return report_export_page(request._request)
        _, _, _, rows = overview_query(request._request, timezone.localdate())
        rows = rows.select_related("branch__organ").order_by(
            "branch__organ__sort_order", "branch__organ__name", "branch__name", "name_pinyin", "pk"
        )
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(DutyReportFilingSerializer(page, many=True).data)


# === 问题整改台账 ================================================================================


class ApiProblemFilter(ProblemFilter):
    """The ledger page's filter; `overdue` is read against today."""

    def __init__(self, data=None, *args, user=None, today: datetime.date | None = None, **kwargs):
        super().__init__(data, *args, user=user, today=today or timezone.localdate(), **kwargs)


class ProblemSerializer(serializers.ModelSerializer):
    branch_name = serializers.CharField(source="branch.name", read_only=True)
    organ = serializers.IntegerField(source="branch.organ_id", read_only=True)
    organ_name = serializers.CharField(source="branch.organ.display_short", read_only=True)
    responsible_name = serializers.CharField(source="responsible.name", read_only=True)
    source = _state("supervision / assessment / appraisal / self")
    source_label = _label(Problem, "source")
    status = _state("open 待整改 / in_progress 整改中 / done 已整改待核验 / verified 已核验销号")
    status_label = _label(Problem, "status")
    is_overdue = serializers.SerializerMethodField()

    class Meta:
        model = Problem
        fields = [
            "id", "branch", "branch_name", "organ", "organ_name", "source", "source_label", "title",
            "description", "responsible", "responsible_name", "measures", "deadline", "status",
            "status_label", "is_overdue", "closing_note", "closed_at", "verified_by", "verified_at",
            "created_by", "created_at",
        ]  # fmt: skip
        read_only_fields = fields

    def get_is_overdue(self, problem) -> bool:
        return ledger.is_overdue(problem, timezone.localdate())


class ProblemInputSerializer(serializers.Serializer):
    branch = serializers.IntegerField(label="支部（登记时必填；修改时忽略）", min_value=1, required=False)
    source = serializers.ChoiceField(label="问题来源", choices=ProblemSource.choices)
    title = serializers.CharField(label="问题", max_length=200)
    description = serializers.CharField(label="具体表现", required=False, allow_blank=True, default="")
    responsible = serializers.IntegerField(label="整改责任人（本支部党员）", min_value=1)
    measures = serializers.CharField(label="整改措施")
    deadline = serializers.DateField(label="整改时限")

    reason = serializers.CharField(
        label="修改原因（调整整改时限时必填）", max_length=200, required=False, allow_blank=True, default=""
    )


class ProblemCloseSerializer(serializers.Serializer):
    note = serializers.CharField(label="整改情况说明")


class ProblemReopenSerializer(serializers.Serializer):
    reason = serializers.CharField(label="退回原因")
    deadline = serializers.DateField(label="新的整改时限", required=False, allow_null=True, default=None)


def _problem_data(data: dict, branch: Branch) -> ledger.ProblemData:
    # The page's form offers only the branch's own members; anyone else is not a choice.
    responsible = Member.objects.filter(branch=branch, pk=data["responsible"]).first()
    if responsible is None:
        raise serializers.ValidationError({"responsible": [f"请选择{branch.name}的党员。"]})
    return ledger.ProblemData(
        source=data["source"],
        title=data["title"],
        description=data["description"],
        responsible=responsible,
        measures=data["measures"],
        deadline=data["deadline"],
    )


@extend_schema_view(
    list=extend_schema(
        summary="问题整改台账（`?format=xlsx` 导出）",
        responses={
            (200, "application/json"): ProblemSerializer(many=True),
            (200, XLSX_CONTENT_TYPE): XLSX_RESPONSE,
            **ERRORS,
        },
    ),
    retrieve=extend_schema(summary="整改问题详情", responses={200: ProblemSerializer, **ERRORS}),
    create=extend_schema(
        summary="登记整改问题", request=ProblemInputSerializer, responses={201: ProblemSerializer, **ERRORS}
    ),
    update=extend_schema(
        summary="修改整改问题（整改中）",
        request=ProblemInputSerializer,
        responses={200: ProblemSerializer, **TRANSITION_ERRORS},
    ),
)
class ProblemViewSet(Viewset, mixins.ListModelMixin, mixins.RetrieveModelMixin):
    queryset = Problem.objects.none()
    serializer_class = ProblemSerializer
    filterset_class = ApiProblemFilter
    ordering_fields = ["deadline", "created_at", "status", "title"]
    renderer_classes = XLSX_RENDERERS
    http_method_names = ["get", "post", "put", "head", "options"]

    def get_queryset(self):
        user = self.request.user
        if self.action == "list":
            _require(scope_of(user).is_staff_or_committee, "您的账号无权查看问题整改台账。")
            base = Problem.objects.visible_to(user)
            return ledger.in_ledger_order(base.select_related("branch__organ", "responsible"), timezone.localdate())
        return problems_for(user).select_related("branch__organ", "responsible")

    def get_object(self):
        return get_problem_for_user(self.request.user, self.kwargs["pk"])

    def list(self, request, *args, **kwargs):
        if wants_xlsx(request):
            today = timezone.localdate()
            rows = self.filter_queryset(self.get_queryset()).select_related("created_by", "verified_by")
            record_export(request._request, kind=ExportKind.PROBLEMS, row_count=rows.count(), full_id_numbers=False)
            return xlsx_attachment(
                export_problems(rows, today), f"问题整改台账-{today:%Y%m%d}.xlsx", f"problems-{today:%Y%m%d}.xlsx"
            )
        return super().list(request, *args, **kwargs)

    def _answer(self, problem: Problem, code: int = status.HTTP_200_OK) -> Response:
        return Response(ProblemSerializer(get_problem_for_user(self.request.user, problem.pk)).data, status=code)

    def create(self, request):
        data = self.valid(ProblemInputSerializer)
        if not data.get("branch"):
            raise serializers.ValidationError({"branch": ["请选择支部。"]})
        branch = get_branch_for_user(request.user, data["branch"], write=True)
        problem = ledger.open_problem(branch, _problem_data(data, branch), by=request.user)
        return self._answer(problem, status.HTTP_201_CREATED)

    def update(self, request, pk=None):
        problem = get_problem_for_user(request.user, pk, write=True)
        data = self.valid(ProblemInputSerializer)
        ledger.edit_problem(problem, _problem_data(data, problem.branch), by=request.user, reason=data["reason"])
        return self._answer(problem)

    @extend_schema(summary="开始整改", request=None, responses={200: ProblemSerializer, **TRANSITION_ERRORS})
    @action(detail=True, methods=["post"])
    def start(self, request, pk=None):
        problem = get_problem_for_user(request.user, pk, write=True)
        ledger.start(problem, by=request.user)
        return self._answer(problem)

    @extend_schema(
        summary="报告整改完成（提请核验）",
        request=ProblemCloseSerializer,
        responses={200: ProblemSerializer, **TRANSITION_ERRORS},
    )
    @action(detail=True, methods=["post"])
    def close(self, request, pk=None):
        problem = get_problem_for_user(request.user, pk, write=True)
        data = self.valid(ProblemCloseSerializer)
        ledger.close(problem, note=data["note"], by=request.user)
        return self._answer(problem)

    @extend_schema(
        summary="核验销号（机关党委、工委）", request=None, responses={200: ProblemSerializer, **TRANSITION_ERRORS}
    )
    @action(detail=True, methods=["post"])
    def verify(self, request, pk=None):
        problem = get_problem_for_verifier(request.user, pk)
        ledger.verify(problem, by=request.user)
        return self._answer(problem)

    @extend_schema(
        summary="退回重新整改（机关党委、工委）",
        request=ProblemReopenSerializer,
        responses={200: ProblemSerializer, **TRANSITION_ERRORS},
    )
    @action(detail=True, methods=["post"])
    def reopen(self, request, pk=None):
        problem = get_problem_for_verifier(request.user, pk)
        data = self.valid(ProblemReopenSerializer)
        ledger.reopen(problem, reason=data["reason"], deadline=data["deadline"], by=request.user)
        return self._answer(problem)


# === 考核方案 ====================================================================================


class IndicatorSerializer(serializers.ModelSerializer):
    """Read and write: the model's own field checks answer 400 field by field; the scheme's rules
    (one name per scheme, metric only for computed indicators, …) are the service's."""

    class Meta:
        model = Indicator
        fields = [
            "id", "scheme", "dimension", "lineage", "name", "criteria", "max_score", "source", "metric",
            "allow_self_score", "sort_order",
        ]  # fmt: skip
        read_only_fields = ["lineage"]
        extra_kwargs = {"scheme": {"required": False, "help_text": "新增时必填；修改时忽略（不能移到其他方案）"}}
        validators = []  # the unique (scheme, lineage) pair is not typed in


class DimensionSerializer(serializers.ModelSerializer):
    class Meta:
        model = Dimension
        fields = ["id", "scheme", "name", "sort_order"]
        extra_kwargs = {"scheme": {"required": False, "help_text": "新增时必填；修改时忽略"}}
        validators = []  # a taken name is the service's message


class AdjustmentItemSerializer(serializers.ModelSerializer):
    # The catalogue item's kind, labelled as catalogue entries (a choice set of its own in the schema).
    kind = serializers.ChoiceField(
        label="类别", choices=[(AdjustmentKind.BONUS, "加分事项"), (AdjustmentKind.DEDUCTION, "扣分事项")]
    )

    class Meta:
        model = AdjustmentItem
        fields = ["id", "scheme", "kind", "name", "points", "sort_order"]
        extra_kwargs = {"scheme": {"required": False, "help_text": "新增时必填；修改时忽略"}}


class SchemeDimensionSerializer(serializers.ModelSerializer):
    class Meta:
        model = Dimension
        fields = ["id", "name", "sort_order"]
        read_only_fields = fields


class SchemeSettingsSerializer(serializers.ModelSerializer):
    """The settings of a version (thresholds, quotas, caps, ratios); each field checked by the model."""

    class Meta:
        model = AssessmentScheme
        fields = list(schemes.SETTING_FIELDS)


class SchemeSerializer(serializers.ModelSerializer):
    status = _state("draft 草稿 / locked 已锁定（已被星级评定使用）")
    status_label = _label(AssessmentScheme, "status")
    tier_mode = _state("threshold 按分数线 / proportion 按比例")
    dimensions = SchemeDimensionSerializer(many=True, read_only=True)
    indicators = IndicatorSerializer(many=True, read_only=True)
    adjustment_items = AdjustmentItemSerializer(many=True, read_only=True)
    total_max = serializers.DecimalField(max_digits=8, decimal_places=2, read_only=True, allow_null=True)

    class Meta:
        model = AssessmentScheme
        fields = [
            "id", "year", "version", "status", "status_label", *schemes.SETTING_FIELDS, "locked_at",
            "created_at", "total_max", "dimensions", "indicators", "adjustment_items",
        ]  # fmt: skip
        read_only_fields = fields


class SchemeYearSerializer(serializers.Serializer):
    year = serializers.IntegerField(label="年度", min_value=2000, max_value=2100)


def _require_scheme_viewer(user) -> None:
    _require(schemes.can_view_schemes(user), "只有工委和机关党委工作人员可以查看考核方案。")


def _require_scheme_editor(user) -> None:
    _require(schemes.can_edit_schemes(user), "只有工委工作人员可以修改考核方案。")


@extend_schema_view(
    list=extend_schema(summary="考核方案列表（各年度各版本）", responses={200: SchemeSerializer, **ERRORS}),
    retrieve=extend_schema(
        summary="考核方案详情（维度、指标、加减分事项）", responses={200: SchemeSerializer, **ERRORS}
    ),
    create=extend_schema(
        summary="按默认方案创建某年度考核方案（工委）",
        request=SchemeYearSerializer,
        responses={201: SchemeSerializer, **ERRORS},
    ),
    partial_update=extend_schema(
        summary="修改方案设置（工委；已锁定的版本不能修改）",
        request=SchemeSettingsSerializer,
        responses={200: SchemeSerializer, **ERRORS},
    ),
)
class SchemeViewSet(Viewset, mixins.ListModelMixin, mixins.RetrieveModelMixin):
    queryset = AssessmentScheme.objects.none()
    serializer_class = SchemeSerializer
    filterset_fields = ["year", "status"]
    ordering_fields = ["year", "version"]
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        _require_scheme_viewer(self.request.user)
        return (
            AssessmentScheme.objects.annotate(total_max=Sum("indicators__max_score"))
            .prefetch_related(
                Prefetch("dimensions", Dimension.objects.order_by("sort_order", "pk")),
                Prefetch(
                    "indicators", Indicator.objects.order_by("dimension__sort_order", "dimension", "sort_order", "pk")
                ),
                "adjustment_items",
            )
            .order_by("-year", "-version")
        )

    def _answer(self, scheme, code=status.HTTP_200_OK) -> Response:
        return Response(SchemeSerializer(self.get_queryset().get(pk=scheme.pk)).data, status=code)

    def create(self, request):
        _require_scheme_viewer(request.user)
        _require_scheme_editor(request.user)
        data = self.valid(SchemeYearSerializer)
        return self._answer(schemes.create_default_scheme(data["year"], by=request.user), status.HTTP_201_CREATED)

    def partial_update(self, request, pk=None):
        scheme = self.get_object()
        _require_scheme_editor(request.user)
        data = self.valid(SchemeSettingsSerializer, partial=True)
        schemes.update_scheme(scheme, dict(data), by=request.user)
        return self._answer(scheme)

    @extend_schema(
        summary="复制方案到另一年度（工委）",
        request=SchemeYearSerializer,
        responses={201: SchemeSerializer, **ERRORS},
    )
    @action(detail=True, methods=["post"])
    def copy(self, request, pk=None):
        source = self.get_object()
        _require_scheme_editor(request.user)
        data = self.valid(SchemeYearSerializer)
        return self._answer(schemes.copy_scheme(source, to_year=data["year"], by=request.user), status.HTTP_201_CREATED)

    @extend_schema(summary="创建方案新版本（工委）", request=None, responses={201: SchemeSerializer, **ERRORS})
    @action(detail=True, methods=["post"], url_path="new-version")
    def new_version(self, request, pk=None):
        source = self.get_object()
        _require_scheme_editor(request.user)
        return self._answer(schemes.new_version(source, by=request.user), status.HTTP_201_CREATED)


class SchemePartViewSet(Viewset, mixins.ListModelMixin, mixins.RetrieveModelMixin):
    """Dimensions, indicators and 加减分 items: staff read them, the 工委 changes them through the
    scheme services (a locked version refuses every change)."""

    model = Dimension
    filterset_fields = ["scheme"]
    http_method_names = ["get", "post", "put", "delete", "head", "options"]

    def get_queryset(self):
        _require_scheme_viewer(self.request.user)
        return self.model.objects.select_related("scheme")

    def get_object(self):
        part = super().get_object()
        if self.action not in ("retrieve",):
            _require_scheme_editor(self.request.user)
        return part

    def create(self, request):
        _require_scheme_viewer(request.user)
        _require_scheme_editor(request.user)
        data = self.valid(self.serializer_class)
        if data.get("scheme") is None:
            raise serializers.ValidationError({"scheme": ["请选择考核方案。"]})
        part = self.add(data["scheme"], data)
        return Response(self.serializer_class(part).data, status=status.HTTP_201_CREATED)

    def update(self, request, pk=None):
        part = self.get_object()
        data = self.valid(self.serializer_class)
        part = self.change(part, data)
        return Response(self.serializer_class(self.model.objects.get(pk=part.pk)).data)

    def destroy(self, request, pk=None):
        part = self.get_object()
        self.remove(part)
        return Response(status=status.HTTP_204_NO_CONTENT)


def _part_schema(noun: str, serializer):
    return extend_schema_view(
        list=extend_schema(summary=f"{noun}列表（按方案筛选）", responses={200: serializer, **ERRORS}),
        retrieve=extend_schema(summary=f"{noun}详情", responses={200: serializer, **ERRORS}),
        create=extend_schema(summary=f"新增{noun}（工委）", request=serializer, responses={201: serializer, **ERRORS}),
        update=extend_schema(summary=f"修改{noun}（工委）", request=serializer, responses={200: serializer, **ERRORS}),
        destroy=extend_schema(summary=f"删除{noun}（工委）", responses={**NO_BODY, **ERRORS}),
    )


@_part_schema("考核维度", DimensionSerializer)
class DimensionViewSet(SchemePartViewSet):
    queryset = Dimension.objects.none()
    serializer_class = DimensionSerializer
    model = Dimension
    ordering_fields = ["sort_order", "name"]

    def add(self, scheme, data):
        return schemes.add_dimension(
            scheme, name=data["name"], sort_order=data.get("sort_order", 0), by=self.request.user
        )

    def change(self, dimension, data):
        return schemes.update_dimension(
            dimension, name=data["name"], sort_order=data.get("sort_order", 0), by=self.request.user
        )

    def remove(self, dimension):
        schemes.delete_dimension(dimension, by=self.request.user)


def _indicator_data(data: dict) -> schemes.IndicatorData:
    return schemes.IndicatorData(
        dimension=data["dimension"],
        name=data["name"],
        max_score=data["max_score"],
        source=data["source"],
        metric=data.get("metric", ""),
        criteria=data.get("criteria", ""),
        allow_self_score=data.get("allow_self_score", False),
        sort_order=data.get("sort_order", 0),
    )


@_part_schema("考核指标", IndicatorSerializer)
class IndicatorViewSet(SchemePartViewSet):
    queryset = Indicator.objects.none()
    serializer_class = IndicatorSerializer
    model = Indicator
    filterset_fields = ["scheme", "dimension", "source"]
    ordering_fields = ["sort_order", "name"]

    def add(self, scheme, data):
        return schemes.add_indicator(scheme, _indicator_data(data), by=self.request.user)

    def change(self, indicator, data):
        return schemes.update_indicator(indicator, _indicator_data(data), by=self.request.user)

    def remove(self, indicator):
        schemes.delete_indicator(indicator, by=self.request.user)


def _item_data(data: dict) -> schemes.ItemData:
    return schemes.ItemData(
        kind=data["kind"], name=data["name"], points=data["points"], sort_order=data.get("sort_order", 0)
    )


@_part_schema("加减分事项", AdjustmentItemSerializer)
class AdjustmentItemViewSet(SchemePartViewSet):
    queryset = AdjustmentItem.objects.none()
    serializer_class = AdjustmentItemSerializer
    model = AdjustmentItem
    filterset_fields = ["scheme", "kind"]
    ordering_fields = ["sort_order", "name"]

    def add(self, scheme, data):
        return schemes.add_adjustment_item(scheme, _item_data(data), by=self.request.user)

    def change(self, item, data):
        return schemes.update_adjustment_item(item, _item_data(data), by=self.request.user)

    def remove(self, item):
        schemes.delete_adjustment_item(item, by=self.request.user)


# === 评分、自评、加减分 ===========================================================================


class IndicatorScoreSerializer(serializers.ModelSerializer):
    branch_name = serializers.CharField(source="branch.name", read_only=True)
    organ = serializers.IntegerField(source="branch.organ_id", read_only=True)

    class Meta:
        model = IndicatorScore
        fields = [
            "id", "branch", "branch_name", "organ", "year", "lineage", "score", "not_applicable", "note",
            "scored_by", "scored_at", "self_score", "self_note",
        ]  # fmt: skip
        read_only_fields = fields


class ScoreCellSerializer(serializers.Serializer):
    branch = serializers.IntegerField(label="支部", min_value=1)
    indicator = serializers.IntegerField(label="指标", min_value=1)
    score = serializers.DecimalField(
        label="得分（空为清除）", max_digits=6, decimal_places=2, min_value=0, required=False, allow_null=True
    )
    not_applicable = serializers.BooleanField(label="不适用", required=False, default=False)
    note = serializers.CharField(label="评分说明", max_length=200, required=False, allow_blank=True, default="")


class SelfScoreEntrySerializer(serializers.Serializer):
    indicator = serializers.IntegerField(label="指标", min_value=1)
    self_score = serializers.DecimalField(
        label="自评分（空为清除）", max_digits=6, decimal_places=2, min_value=0, required=False, allow_null=True
    )
    self_note = serializers.CharField(label="自评说明", max_length=200, required=False, allow_blank=True, default="")


class SelfScoresSerializer(serializers.Serializer):
    branch = serializers.IntegerField(label="支部", min_value=1)
    year = serializers.IntegerField(label="年度", min_value=2000, max_value=2100)
    entries = SelfScoreEntrySerializer(many=True, allow_empty=False)


class SelfScoreLineSerializer(serializers.Serializer):
    indicator = serializers.IntegerField(source="pk")
    name = serializers.CharField()
    dimension = serializers.CharField(source="dimension.name")
    max_score = serializers.DecimalField(max_digits=6, decimal_places=2)
    self_score = serializers.DecimalField(max_digits=6, decimal_places=2, allow_null=True)
    self_note = serializers.CharField()


class SelfScoresAnswerSerializer(serializers.Serializer):
    changed = serializers.IntegerField(help_text="有修改的项数")


@extend_schema_view(
    list=extend_schema(
        summary="指标得分（工委、机关党委：所管支部）",
        parameters=[YEAR_PARAM],
        responses={200: IndicatorScoreSerializer, **ERRORS},
    ),
    retrieve=extend_schema(summary="一项指标得分", responses={200: IndicatorScoreSerializer, **ERRORS}),
)
class IndicatorScoreViewSet(Viewset, mixins.ListModelMixin, mixins.RetrieveModelMixin):
    queryset = IndicatorScore.objects.none()
    serializer_class = IndicatorScoreSerializer
    filterset_fields = {"year": ["exact"], "branch": ["exact"], "branch__organ": ["exact"], "lineage": ["exact"]}
    ordering_fields = ["year", "scored_at"]

    def get_queryset(self):
        organs = scores.scoring_organs(self.request.user)
        _require(organs.exists(), "只有工委和机关党委工作人员可以查看评分。")
        return IndicatorScore.objects.filter(branch__organ__in=organs).select_related("branch")

    @extend_schema(
        summary="保存评分表的一格（得分、不适用及说明）",
        request=ScoreCellSerializer,
        responses={200: IndicatorScoreSerializer, **ERRORS},
    )
    @action(detail=False, methods=["post"])
    def cell(self, request):
        data = self.valid(ScoreCellSerializer)
        branch = get_branch_for_user(request.user, data["branch"])
        _require(scores.can_score(request.user, branch), "只有工委或本机关党委工作人员可以为该支部评分。")
        indicator = get_object_or_404(Indicator.objects.select_related("scheme", "dimension"), pk=data["indicator"])
        not_applicable = data["not_applicable"]
        record = scores.save_score(
            branch,
            indicator,
            year=indicator.scheme.year,
            score=None if not_applicable else data.get("score"),
            not_applicable=not_applicable,
            note=data["note"],
            by=request.user,
        )
        return Response(IndicatorScoreSerializer(record).data)

    def _self_lines(self, branch: Branch, year: int) -> list:
        scheme = AssessmentScheme.objects.current_for(year)
        if scheme is None:
            return []
        indicators = list(
            scheme.indicators.filter(allow_self_score=True)
            .select_related("dimension")
            .order_by("dimension__sort_order", "dimension", "sort_order", "pk")
        )
        records = {
            r.lineage: r
            for r in IndicatorScore.objects.filter(
                branch=branch, year=year, lineage__in=[i.lineage for i in indicators]
            )
        }
        for indicator in indicators:
            record = records.get(indicator.lineage)
            indicator.self_score = record.self_score if record else None
            indicator.self_note = record.self_note if record else ""
        return indicators

    @extend_schema(
        methods=["GET"],
        summary="支部自评：本年度可自评的指标及自评分",
        parameters=[OpenApiParameter("branch", int, required=True), OpenApiParameter("year", int, required=True)],
        responses={200: SelfScoreLineSerializer(many=True), **ERRORS},
    )
    @extend_schema(
        methods=["POST"],
        summary="支部自评：一次保存多项（全部成功或全部不保存；支部委员）",
        request=SelfScoresSerializer,
        responses={200: SelfScoresAnswerSerializer, **ERRORS},
    )
    @action(detail=False, methods=["get", "post"], url_path="self", filter_backends=[], pagination_class=None)
    def self_scores(self, request):
        if request.method == "GET":
            params = SelfScoresSerializer(data={**request.query_params.dict(), "entries": [{"indicator": 1}]})
            params.is_valid(raise_exception=True)
            branch = get_branch_for_user(request.user, params.validated_data["branch"])
            lines = self._self_lines(branch, params.validated_data["year"])
            return Response(SelfScoreLineSerializer(lines, many=True).data)
        data = self.valid(SelfScoresSerializer)
        branch = get_branch_for_user(request.user, data["branch"])
        _require(scores.can_self_score(request.user, branch), "只有本支部的支部委员可以填写支部自评。")
        wanted = {entry["indicator"] for entry in data["entries"]}
        indicators = Indicator.objects.select_related("scheme").in_bulk(wanted)
        missing = wanted - set(indicators)
        if missing:
            raise serializers.ValidationError({"entries": [f"指标不存在：{sorted(missing)}"]})
        entries = [
            scores.SelfScore(indicators[e["indicator"]], e.get("self_score"), e["self_note"]) for e in data["entries"]
        ]
        changed = scores.save_self_scores(branch, year=data["year"], entries=entries, by=request.user)
        return Response({"changed": changed})


class AdjustmentSerializer(serializers.ModelSerializer):
    branch_name = serializers.CharField(source="branch.name", read_only=True)
    organ = serializers.IntegerField(source="branch.organ_id", read_only=True)
    kind = _state("bonus 加分 / deduction 扣分")
    kind_label = _label(Adjustment, "kind")

    class Meta:
        model = Adjustment
        fields = [
            "id", "branch", "branch_name", "organ", "year", "kind", "kind_label", "name", "points", "note",
            "created_by", "created_at",
        ]  # fmt: skip
        read_only_fields = fields


class AdjustmentCreateSerializer(serializers.Serializer):
    """A catalogue item (`item`) fills kind, name and points, as on the page; otherwise type them."""

    branch = serializers.IntegerField(label="支部", min_value=1)
    year = serializers.IntegerField(label="年度", min_value=2000, max_value=2100)
    item = serializers.IntegerField(label="常用事项（可选）", min_value=1, required=False, allow_null=True)
    kind = serializers.ChoiceField(label="类别", choices=AdjustmentKind.choices, required=False)
    name = serializers.CharField(label="事项", max_length=60, required=False)
    points = serializers.DecimalField(
        label="分值", max_digits=6, decimal_places=2, min_value=Decimal("0.1"), max_value=100, required=False
    )
    note = serializers.CharField(label="依据说明", max_length=200)

    def validate(self, data):
        if data.get("item"):
            return data
        errors = {
            field: [message]
            for field, message in (("kind", "请选择加分或扣分。"), ("name", "请填写事项。"), ("points", "请填写分值。"))
            if data.get(field) in (None, "")
        }
        if errors:
            raise serializers.ValidationError(errors)
        return data


@extend_schema_view(
    list=extend_schema(summary="加减分记录（所管单位）", responses={200: AdjustmentSerializer, **ERRORS}),
    retrieve=extend_schema(summary="加减分记录详情", responses={200: AdjustmentSerializer, **ERRORS}),
    create=extend_schema(
        summary="登记加分或扣分", request=AdjustmentCreateSerializer, responses={201: AdjustmentSerializer, **ERRORS}
    ),
    destroy=extend_schema(summary="撤销加分或扣分", responses={**NO_BODY, **ERRORS}),
)
class AdjustmentViewSet(Viewset, mixins.ListModelMixin, mixins.RetrieveModelMixin):
    queryset = Adjustment.objects.none()
    serializer_class = AdjustmentSerializer
    filterset_fields = {"year": ["exact"], "branch": ["exact"], "branch__organ": ["exact"], "kind": ["exact"]}
    ordering_fields = ["year", "created_at", "points"]
    http_method_names = ["get", "post", "delete", "head", "options"]

    def get_queryset(self):
        organs = scores.scoring_organs(self.request.user)
        _require(organs.exists(), "只有工委和机关党委工作人员可以查看加减分。")
        return Adjustment.objects.filter(branch__organ__in=organs).select_related("branch")

    def create(self, request):
        data = self.valid(AdjustmentCreateSerializer)
        branch = get_branch_for_user(request.user, data["branch"])
        if data.get("item"):
            scheme = AssessmentScheme.objects.current_for(data["year"])
            item = get_object_or_404(AdjustmentItem, pk=data["item"], scheme=scheme)
            data.update(kind=item.kind, name=item.name, points=item.points)
        adjustment = scores.add_adjustment(
            branch,
            year=data["year"],
            kind=data["kind"],
            name=data["name"],
            points=data["points"],
            note=data["note"],
            by=request.user,
        )
        return Response(AdjustmentSerializer(adjustment).data, status=status.HTTP_201_CREATED)

    def destroy(self, request, pk=None):
        adjustment = get_object_or_404(Adjustment.objects.visible_to(request.user).select_related("branch"), pk=pk)
        scores.delete_adjustment(adjustment, by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


# === 星级评定 ====================================================================================


class RatingRunSerializer(serializers.ModelSerializer):
    status = _state(
        "queued 排队中 / running 计算中 / draft 待发布 / published 已发布 / superseded 已被替代 / failed 计算失败"
    )
    status_label = _label(RatingRun, "status")
    scheme_version = serializers.IntegerField(source="scheme.version", read_only=True)

    class Meta:
        model = RatingRun
        fields = [
            "id", "year", "number", "scheme", "scheme_version", "status", "status_label", "as_of", "error",
            "n_branches", "inputs_digest", "created_by", "created_at", "started_at", "finished_at",
            "published_by", "published_at",
        ]  # fmt: skip
        read_only_fields = fields


class ShareSerializer(serializers.Serializer):
    label = serializers.CharField()
    count = serializers.IntegerField()
    percent = serializers.DecimalField(max_digits=5, decimal_places=1)


class DistributionSerializer(serializers.Serializer):
    total = serializers.IntegerField()
    stars = ShareSerializer(many=True)
    tiers = ShareSerializer(many=True)
    four_plus = ShareSerializer()
    bottom = serializers.IntegerField()


class RatingRunDetailSerializer(RatingRunSerializer):
    distributions = serializers.SerializerMethodField(help_text="本人可见范围内的星级、等次分布")

    class Meta(RatingRunSerializer.Meta):
        fields = [*RatingRunSerializer.Meta.fields, "distributions"]
        read_only_fields = fields

    @extend_schema_field(DistributionSerializer)
    def get_distributions(self, run) -> dict:
        user = self.context["request"].user
        return DistributionSerializer(distributions(ratings.results_for(user, run))).data


class RatingRunComputeSerializer(serializers.Serializer):
    year = serializers.IntegerField(label="考核年度", min_value=2000, max_value=2100)


@extend_schema_view(
    list=extend_schema(
        summary="星级评定批次（工委全部；机关党委仅已发布）", responses={200: RatingRunSerializer, **ERRORS}
    ),
    retrieve=extend_schema(summary="星级评定批次详情及分布", responses={200: RatingRunDetailSerializer, **ERRORS}),
)
class RatingRunViewSet(Viewset, mixins.ListModelMixin, mixins.RetrieveModelMixin):
    queryset = RatingRun.objects.none()
    serializer_class = RatingRunSerializer
    filterset_fields = ["year", "status"]
    ordering_fields = ["year", "number", "created_at"]

    def _require_staff(self) -> None:
        scope = scope_of(self.request.user)
        _require(
            scope.is_gongwei or scope.is_organ_staff,
            "星级评定批次仅向工委和机关党委开放；支部可在本支部页面查看评定结果。",
        )

    def get_queryset(self):
        if self.action == "list":
            self._require_staff()
        return ratings.visible_runs(self.request.user).select_related("scheme")

    def get_object(self):
        run = super().get_object()  # 404 for a run the user does not see, as on the page
        self._require_staff()
        return run

    def retrieve(self, request, pk=None):
        return Response(RatingRunDetailSerializer(self.get_object(), context=self.get_serializer_context()).data)

    @extend_schema(
        summary="发起星级评定计算（工委；后台任务计算，完成后为“待发布”）",
        request=RatingRunComputeSerializer,
        responses={202: RatingRunSerializer, **TRANSITION_ERRORS},
    )
    @action(detail=False, methods=["post"])
    def compute(self, request):
        data = self.valid(RatingRunComputeSerializer)
        run = ratings.request_run(data["year"], by=request.user)
        return Response(RatingRunSerializer(run).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(
        summary="发布星级评定结果（工委）", request=None, responses={200: RatingRunSerializer, **TRANSITION_ERRORS}
    )
    @action(detail=True, methods=["post"])
    def publish(self, request, pk=None):
        run = self.get_object()
        run = ratings.publish_run(run, by=request.user)
        return Response(RatingRunSerializer(run).data)


class RatingResultSerializer(serializers.ModelSerializer):
    year = serializers.IntegerField(source="run.year", read_only=True)
    tier = _state("advanced 先进 / good 良好 / ordinary 一般 / backward 后进")
    tier_label = _label(RatingResult, "tier")
    change_label = serializers.CharField(read_only=True)
    paired_with_branch = serializers.CharField(source="paired_with.branch_name", read_only=True, allow_null=True)
    dimensions = serializers.DictField(child=serializers.CharField(), read_only=True)
    breakdown = serializers.ListField(child=serializers.DictField(), read_only=True)

    class Meta:
        model = RatingResult
        fields = [
            "id", "run", "year", "branch", "organ", "organ_name", "branch_name", "secretary_name",
            "base_score", "bonus", "deduction", "total", "stars", "stars_by_score", "tier", "tier_label",
            "rank", "previous_stars", "change_label", "is_bottom", "paired_with", "paired_with_branch",
            "dimensions", "breakdown",
        ]  # fmt: skip
        read_only_fields = fields


class ApiResultFilter(ResultFilter):
    """The run page's filter (unit, name), plus the run, the year and the grades."""

    class Meta:
        model = RatingResult
        fields = {"run": ["exact"], "branch": ["exact"], "stars": ["exact"], "tier": ["exact"], "is_bottom": ["exact"]}

    def __init__(self, data=None, *args, user=None, **kwargs):
        super().__init__(data, *args, user=user, **kwargs)


@extend_schema_view(
    list=extend_schema(
        summary="星级评定结果（机关党委：本单位；支部委员：本支部；工委：全部）",
        parameters=[OpenApiParameter("year", int, description="年度")],
        responses={200: RatingResultSerializer, **ERRORS},
    ),
    retrieve=extend_schema(
        summary="一个支部的评定结果（含指标明细）", responses={200: RatingResultSerializer, **ERRORS}
    ),
)
class RatingResultViewSet(Viewset, mixins.ListModelMixin, mixins.RetrieveModelMixin):
    queryset = RatingResult.objects.none()
    serializer_class = RatingResultSerializer
    filterset_class = ApiResultFilter
    ordering_fields = ["rank", "total", "stars", "branch_name"]
    ordering = ["run", "rank", "branch_name", "pk"]

    def get_queryset(self):
        user = self.request.user
        results = RatingResult.objects.visible_to(user).filter(run__in=ratings.visible_runs(user))
        year = self.request.query_params.get("year", "")
        if year.isdigit():
            results = results.filter(run__year=int(year))
        return results.select_related("run", "paired_with").order_by("run", "rank", "branch_name", "pk")


# === 民主评议党员 ================================================================================


class AppraisalEntrySerializer(serializers.ModelSerializer):
    member_name = serializers.CharField(source="member.name", read_only=True)
    self_grade = _state()
    proposed_grade = _state()
    grade = _state("excellent 优秀 / qualified 合格 / basic 基本合格 / unqualified 不合格")

    class Meta:
        model = AppraisalEntry
        fields = [
            "id", "member", "member_name", "is_probationary", "self_grade", *appraisals.VOTE_FIELDS,
            "proposed_grade", "grade", "note",
        ]  # fmt: skip
        read_only_fields = fields


class AppraisalSerializer(serializers.ModelSerializer):
    branch_name = serializers.CharField(source="branch.name", read_only=True)
    organ = serializers.IntegerField(source="branch.organ_id", read_only=True)
    status = _state("draft 评议中 / finalized 已确定")
    status_label = _label(Appraisal, "status")
    entries = AppraisalEntrySerializer(many=True, read_only=True)

    class Meta:
        model = Appraisal
        fields = [
            "id", "branch", "branch_name", "organ", "year", "held_on", "status", "status_label",
            "finalized_by", "finalized_at", "entries",
        ]  # fmt: skip
        read_only_fields = fields


class AppraisalOpenSerializer(serializers.Serializer):
    branch = serializers.IntegerField(label="支部", min_value=1)
    year = serializers.IntegerField(label="年度", min_value=2000, max_value=2100)


def _grades(prefix: str) -> list[tuple[str, str]]:
    """The grades, labelled by who gives them (each column is its own choice set in the schema)."""
    return [("", "—"), *((value, f"{prefix}{label}") for value, label in AppraisalGrade.choices)]


class AppraisalRowSerializer(serializers.Serializer):
    """One row of the grid; fields left out keep their saved value."""

    id = serializers.IntegerField(label="评议名单行", min_value=1)
    self_grade = serializers.ChoiceField(label="自评", choices=_grades("自评"), required=False)
    peer_excellent = serializers.IntegerField(label="互评优秀票", min_value=0, required=False)
    peer_qualified = serializers.IntegerField(label="互评合格票", min_value=0, required=False)
    peer_basic = serializers.IntegerField(label="互评基本合格票", min_value=0, required=False)
    peer_unqualified = serializers.IntegerField(label="互评不合格票", min_value=0, required=False)
    proposed_grade = serializers.ChoiceField(label="支委会建议", choices=_grades("建议"), required=False)
    grade = serializers.ChoiceField(label="评定等次", choices=_grades(""), required=False)
    note = serializers.CharField(label="备注", max_length=200, required=False, allow_blank=True)


class AppraisalEntriesSerializer(serializers.Serializer):
    entries = AppraisalRowSerializer(many=True, allow_empty=False)


class AppraisalFinalizeSerializer(serializers.Serializer):
    held_on = serializers.DateField(label="评议日期")
    measures = serializers.CharField(
        label="不合格党员整改措施", max_length=1000, required=False, allow_blank=True, default=""
    )


class ReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(label="原因", max_length=200)


@extend_schema_view(
    list=extend_schema(summary="民主评议党员（可见范围内各支部）", responses={200: AppraisalSerializer, **ERRORS}),
    retrieve=extend_schema(summary="民主评议详情（评议名单）", responses={200: AppraisalSerializer, **ERRORS}),
)
class AppraisalViewSet(Viewset, mixins.ListModelMixin, mixins.RetrieveModelMixin):
    queryset = Appraisal.objects.none()
    serializer_class = AppraisalSerializer
    filterset_fields = {"year": ["exact"], "branch": ["exact"], "branch__organ": ["exact"], "status": ["exact"]}
    ordering_fields = ["year", "held_on"]

    def get_queryset(self):
        if self.action == "list":
            _require(scope_of(self.request.user).is_staff_or_committee, "您的账号无权查看民主评议情况。")
        return (
            Appraisal.objects.visible_to(self.request.user)
            .select_related("branch")
            .prefetch_related(
                Prefetch(
                    "entries",
                    appraisals.AppraisalEntry.objects.select_related("member").order_by("member__name_pinyin", "pk"),
                )
            )
        )

    def _answer(self, appraisal) -> Response:
        return Response(AppraisalSerializer(self.get_queryset().get(pk=appraisal.pk)).data)

    def _writable(self, pk) -> Appraisal:
        appraisal = self.get_object()
        get_branch_for_user(self.request.user, appraisal.branch_id, write=True)
        return appraisal

    @extend_schema(
        summary="开始民主评议（按党员名册生成或更新评议名单）",
        request=AppraisalOpenSerializer,
        responses={200: AppraisalSerializer, **ERRORS},
    )
    @action(detail=False, methods=["post"], url_path="open")
    def open_(self, request):
        data = self.valid(AppraisalOpenSerializer)
        branch = get_branch_for_user(request.user, data["branch"], write=True)
        return self._answer(appraisals.open_appraisal(branch, data["year"], by=request.user))

    @extend_schema(
        summary="录入评议结果（整表校验，一行有误则不保存）",
        request=AppraisalEntriesSerializer,
        responses={200: AppraisalSerializer, **ERRORS},
    )
    @action(detail=True, methods=["post"])
    def entries(self, request, pk=None):
        appraisal = self.get_object()
        _require(
            appraisals.can_record(request.user, appraisal.branch),
            "只有本支部书记、支委或上级党组织可以录入民主评议结果。",
        )
        data = self.valid(AppraisalEntriesSerializer)
        current = {e.pk: e for e in appraisal.entries.all()}
        rows = {}
        for row in data["entries"]:
            saved = current.get(row["id"])
            base = {name: getattr(saved, name) for name in appraisals.ENTRY_FIELDS} if saved else {}
            rows[row["id"]] = {**base, **{k: v for k, v in row.items() if k != "id"}}
        appraisals.save_entries(appraisal, rows, by=request.user)
        return self._answer(appraisal)

    @extend_schema(
        summary="确定评议结果（不合格党员自动登记整改问题）",
        request=AppraisalFinalizeSerializer,
        responses={200: AppraisalSerializer, **ERRORS},
    )
    @action(detail=True, methods=["post"])
    def finalize(self, request, pk=None):
        appraisal = self._writable(pk)
        data = self.valid(AppraisalFinalizeSerializer)
        appraisals.finalize(appraisal, held_on=data["held_on"], measures=data["measures"], by=request.user)
        return self._answer(appraisal)

    @extend_schema(
        summary="退回修改评议结果（机关党委、工委）",
        request=ReasonSerializer,
        responses={200: AppraisalSerializer, **ERRORS},
    )
    @action(detail=True, methods=["post"])
    def reopen(self, request, pk=None):
        appraisal = self.get_object()
        _require(
            appraisals.can_reopen(request.user, appraisal.branch), "只有本机关党委或工委工作人员可以退回民主评议结果。"
        )
        data = self.valid(ReasonSerializer)
        appraisals.reopen(appraisal, reason=data["reason"], by=request.user)
        return self._answer(appraisal)


# === 党员积分 ====================================================================================


class PointRuleSerializer(serializers.ModelSerializer):
    class Meta:
        model = PointRule
        fields = ["id", "year", "name", "points", "yearly_cap", "once_only", "sort_order"]
        extra_kwargs = {"year": {"min_value": 2000, "max_value": 2100, "help_text": "修改时忽略（规则属于其年度）"}}
        validators = []  # a taken name is the service's message


def _rule_data(data: dict) -> points.RuleData:
    return points.RuleData(
        name=data["name"],
        points=data["points"],
        yearly_cap=data.get("yearly_cap"),
        once_only=data.get("once_only", False),
        sort_order=data.get("sort_order", 0),
    )


@extend_schema_view(
    list=extend_schema(
        summary="党员积分规则（按年度；首次查看时生成该年度规则）", responses={200: PointRuleSerializer, **ERRORS}
    ),
    retrieve=extend_schema(summary="积分规则详情", responses={200: PointRuleSerializer, **ERRORS}),
    create=extend_schema(
        summary="新增积分规则（工委）", request=PointRuleSerializer, responses={201: PointRuleSerializer, **ERRORS}
    ),
    update=extend_schema(
        summary="修改积分规则（工委）",
        request=PointRuleSerializer,
        responses={200: PointRuleSerializer, **ERRORS},
    ),
    destroy=extend_schema(summary="删除积分规则（工委；已有积分记录的不能删除）", responses={**NO_BODY, **ERRORS}),
)
class PointRuleViewSet(Viewset, mixins.ListModelMixin, mixins.RetrieveModelMixin):
    queryset = PointRule.objects.none()
    serializer_class = PointRuleSerializer
    filterset_fields = ["year", "once_only"]
    ordering_fields = ["year", "sort_order", "points"]
    http_method_names = ["get", "post", "put", "delete", "head", "options"]

    def get_queryset(self):
        _require(scope_of(self.request.user).is_staff_or_committee, "您的账号无权查看积分规则。")
        year = self.request.query_params.get("year", "")
        if self.action == "list" and year.isdigit() and 2000 <= int(year) <= 2100:
            points.ensure_point_rules(int(year), by=self.request.user)
        return PointRule.objects.order_by("year", "sort_order", "pk")

    def get_object(self):
        rule = super().get_object()
        if self.action != "retrieve":
            _require(scope_of(self.request.user).is_gongwei, "只有工委工作人员可以设置党员积分规则。")
        return rule

    def create(self, request):
        _require(scope_of(request.user).is_gongwei, "只有工委工作人员可以设置党员积分规则。")
        data = self.valid(PointRuleSerializer)
        rule = points.save_rule(data["year"], _rule_data(data), by=request.user)
        return Response(PointRuleSerializer(rule).data, status=status.HTTP_201_CREATED)

    def update(self, request, pk=None):
        rule = self.get_object()
        data = self.valid(PointRuleSerializer)
        rule = points.save_rule(rule.year, _rule_data(data), rule=rule, by=request.user)
        return Response(PointRuleSerializer(rule).data)

    def destroy(self, request, pk=None):
        points.delete_rule(self.get_object(), by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class PointEntrySerializer(serializers.ModelSerializer):
    member_name = serializers.CharField(source="member.name", read_only=True)
    branch = serializers.IntegerField(source="member.branch_id", read_only=True)
    rule_name = serializers.CharField(source="rule.name", read_only=True)
    status = _state("pending 待审核 / approved 已审核 / rejected 未通过")
    status_label = _label(PointEntry, "status")

    class Meta:
        model = PointEntry
        fields = [
            "id", "member", "member_name", "branch", "rule", "rule_name", "year", "points", "occurred_on",
            "note", "status", "status_label", "added_by", "added_at", "approved_by", "approved_at",
            "reject_reason",
        ]  # fmt: skip
        read_only_fields = fields


class PointEntryCreateSerializer(serializers.Serializer):
    member = serializers.IntegerField(label="党员", min_value=1)
    rule = serializers.IntegerField(label="积分事项", min_value=1)
    occurred_on = serializers.DateField(label="发生日期")
    note = serializers.CharField(label="事由", max_length=200)


class PointTotalSerializer(serializers.Serializer):
    member = serializers.IntegerField(source="member.pk")
    member_name = serializers.CharField(source="member.name")
    added = serializers.DecimalField(max_digits=8, decimal_places=2)
    deducted = serializers.DecimalField(max_digits=8, decimal_places=2)
    total = serializers.DecimalField(max_digits=8, decimal_places=2)
    pending = serializers.IntegerField()
    rank = serializers.IntegerField()


@extend_schema_view(
    list=extend_schema(
        summary="党员积分记录（可见范围内；党员可见本人）", responses={200: PointEntrySerializer, **ERRORS}
    ),
    retrieve=extend_schema(summary="积分记录详情", responses={200: PointEntrySerializer, **ERRORS}),
    create=extend_schema(
        summary="登记党员积分（待其他支委审核）",
        request=PointEntryCreateSerializer,
        responses={201: PointEntrySerializer, **ERRORS},
    ),
)
class PointEntryViewSet(Viewset, mixins.ListModelMixin, mixins.RetrieveModelMixin):
    queryset = PointEntry.objects.none()
    serializer_class = PointEntrySerializer
    filterset_fields = {
        "year": ["exact"],
        "status": ["exact"],
        "member": ["exact"],
        "member__branch": ["exact"],
        "member__branch__organ": ["exact"],
        "rule": ["exact"],
    }
    ordering_fields = ["occurred_on", "added_at", "points"]
    http_method_names = ["get", "post", "head", "options"]

    def get_queryset(self):
        return PointEntry.objects.visible_to(self.request.user).select_related("member", "rule")

    def create(self, request):
        data = self.valid(PointEntryCreateSerializer)
        member = get_member_for_user(request.user, data["member"], write=True)
        rule = get_object_or_404(PointRule, pk=data["rule"])
        entry = points.add_entry(member, rule, occurred_on=data["occurred_on"], note=data["note"], by=request.user)
        return Response(PointEntrySerializer(self.get_queryset().get(pk=entry.pk)).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="审核通过积分记录（非登记人）", request=None, responses={200: PointEntrySerializer, **ERRORS}
    )
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        entry = self.get_object()
        points.approve_entry(entry, by=request.user)
        return Response(PointEntrySerializer(self.get_object()).data)

    @extend_schema(
        summary="不通过积分记录（非登记人，须写明原因）",
        request=ReasonSerializer,
        responses={200: PointEntrySerializer, **ERRORS},
    )
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        entry = self.get_object()
        _require(
            points.can_approve(request.user, entry), "登记人不能审核自己登记的积分，请由其他支委或上级党组织审核。"
        )
        data = self.valid(ReasonSerializer)
        points.reject_entry(entry, reason=data["reason"], by=request.user)
        return Response(PointEntrySerializer(self.get_object()).data)

    @extend_schema(
        summary="积分合计与排名（支部全体，或一名党员）",
        parameters=[
            OpenApiParameter("year", int, required=True),
            OpenApiParameter("branch", int, description="支部（与 member 二选一）"),
            OpenApiParameter("member", int, description="党员（与 branch 二选一）"),
        ],
        responses={200: PointTotalSerializer(many=True), **ERRORS},
    )
    @action(detail=False, methods=["get"], filter_backends=[], pagination_class=None)
    def totals(self, request):
        params = request.query_params
        year = params.get("year", "")
        if not year.isdigit() or not 2000 <= int(year) <= 2100:
            raise serializers.ValidationError({"year": ["请填写正确的年度。"]})
        if params.get("member", "").isdigit():
            member = get_member_for_user(request.user, int(params["member"]))
            lines = [points.member_total(member, int(year))]
        elif params.get("branch", "").isdigit():
            branch = get_branch_for_user(request.user, int(params["branch"]))
            lines = points.branch_totals(branch, int(year))
        else:
            raise serializers.ValidationError({"branch": ["请指定支部或党员。"]})
        return Response(PointTotalSerializer(lines, many=True).data)


# === 书记述职评议 ================================================================================


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
        _require(secretary.can_write(request.user, branch), "只有本支部书记、支委可以填写书记述职。")
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
        _require(secretary.can_write(request.user, report.branch), "只有本支部书记、支委可以提交书记述职。")
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
        _require(secretary.can_evaluate(request.user, report.branch), "只有本机关党委或工委工作人员可以评议书记述职。")
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
        _require(secretary.can_evaluate(request.user, report.branch), "只有本机关党委或工委工作人员可以退回书记述职。")
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


# === 考核结果导出 ================================================================================


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
        _require(scorecards.can_export(self.request.user), "只有工委和机关党委工作人员可以导出考核结果。")
        return scorecards.exports_for(self.request.user).select_related("run", "organ")

    def get_object(self):
        export = super().get_object()
        if not scorecards.can_open(self.request.user, export):
            raise Http404("导出记录不存在。")
        return export

    def create(self, request):
        _require(scorecards.can_export(request.user), "只有工委和机关党委工作人员可以导出考核结果。")
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


# === Registration ================================================================================

router.register("duty-report-periods", DutyReportPeriodViewSet, basename="duty-report-period")
router.register("duty-reports", DutyReportViewSet, basename="duty-report")
router.register("problems", ProblemViewSet, basename="problem")
router.register("schemes", SchemeViewSet, basename="scheme")
router.register("scheme-dimensions", DimensionViewSet, basename="scheme-dimension")
router.register("scheme-indicators", IndicatorViewSet, basename="scheme-indicator")
router.register("scheme-adjustment-items", AdjustmentItemViewSet, basename="scheme-adjustment-item")
router.register("indicator-scores", IndicatorScoreViewSet, basename="indicator-score")
router.register("adjustments", AdjustmentViewSet, basename="adjustment")
router.register("rating-runs", RatingRunViewSet, basename="rating-run")
router.register("rating-results", RatingResultViewSet, basename="rating-result")
router.register("appraisals", AppraisalViewSet, basename="appraisal")
router.register("point-rules", PointRuleViewSet, basename="point-rule")
router.register("point-entries", PointEntryViewSet, basename="point-entry")
router.register("secretary-reports", SecretaryReportViewSet, basename="secretary-report")
router.register("scorecard-exports", ScorecardExportViewSet, basename="scorecard-export")
