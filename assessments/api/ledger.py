"""JSON API of assessments: 问题整改台账."""

import datetime

from django.utils import timezone
from drf_spectacular.utils import (
    extend_schema,
    extend_schema_view,
)
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from branches.access import get_branch_for_user
from branches.models import Branch, Member
from core.api import ERRORS, TRANSITION_ERRORS, wants_xlsx
from core.excel import XLSX_CONTENT_TYPE, xlsx_attachment
from maintenance.models import ExportKind, record_export

from .. import ledger
from ..choices import ProblemSource
from ..exports import export_problems
from ..forms.ledger import ProblemFilter
from ..ledger import get_problem_for_user, get_problem_for_verifier, problems_for
from ..models import (
    Problem,
)
from ..permissions import SEE_LEDGER
from .base import XLSX_RENDERERS, XLSX_RESPONSE, Viewset, _label, _state


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
            SEE_LEDGER.require(user)
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
