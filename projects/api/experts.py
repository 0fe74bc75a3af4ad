"""JSON API of projects: 评审专家 assigned to a project's acceptance."""

import django_filters
from django.contrib.auth import get_user_model
from django.db.models import Exists, OuterRef, Q
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from accounts.scope import scope_of
from core.api import ERRORS, TRANSITION_ERRORS

from .. import experts
from ..access import get_project_for_user
from ..models import AcceptanceReview, ExpertAssignment, Project
from ..permissions import ASSIGN_EXPERTS
from .base import ScopedViewSet, _user_name


class ExpertAssignmentSerializer(serializers.ModelSerializer):
    expert_name = serializers.SerializerMethodField()
    assigned_by_name = serializers.SerializerMethodField()
    withdrawn_by_name = serializers.SerializerMethodField()
    has_scored = serializers.BooleanField(read_only=True, help_text="该专家是否已评分")

    class Meta:
        model = ExpertAssignment
        fields = [
            "id", "project", "expert", "expert_name", "assigned_by_name", "assigned_at", "withdrawn_at",
            "withdrawn_by_name", "withdraw_reason", "has_scored",
        ]  # fmt: skip
        read_only_fields = fields

    def get_expert_name(self, obj) -> str:
        return str(obj.expert)

    def get_assigned_by_name(self, obj) -> str:
        return str(obj.assigned_by)

    def get_withdrawn_by_name(self, obj) -> str | None:
        return _user_name(obj.withdrawn_by)


class AssignSerializer(serializers.Serializer):
    project = serializers.IntegerField(help_text="待验收的项目")
    expert = serializers.IntegerField(help_text="评审专家的账号 id（见 candidates）")


class WithdrawSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=200, help_text="撤回原因")


class CandidateSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    name = serializers.CharField(source="__str__")


class ExpertAssignmentFilter(django_filters.FilterSet):
    project = django_filters.NumberFilter(field_name="project")
    current = django_filters.BooleanFilter(field_name="withdrawn_at", lookup_expr="isnull", label="未撤回")

    class Meta:
        model = ExpertAssignment
        fields = ["project", "current"]


def _assignments():
    scored = AcceptanceReview.objects.filter(project=OuterRef("project"), reviewer=OuterRef("expert"))
    return ExpertAssignment.objects.select_related("project__branch", "expert", "assigned_by", "withdrawn_by").annotate(
        has_scored=Exists(scored)
    )


@extend_schema_view(
    list=extend_schema(
        summary="评审专家分配列表",
        description="工委看到全部，机关党委看到本机关项目的，评审专家只看到分配给本人的。",
        responses={200: ExpertAssignmentSerializer, **ERRORS},
    ),
    retrieve=extend_schema(summary="评审专家分配详情", responses={200: ExpertAssignmentSerializer, **ERRORS}),
    create=extend_schema(
        summary="为待验收的项目分配评审专家（工委、本机关党委）",
        request=AssignSerializer,
        responses={201: ExpertAssignmentSerializer, **TRANSITION_ERRORS},
    ),
)
class ExpertAssignmentViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    model = ExpertAssignment
    serializer_class = ExpertAssignmentSerializer
    filterset_class = ExpertAssignmentFilter
    ordering_fields = ["assigned_at"]
    ordering = ["project", "assigned_at", "pk"]
    http_method_names = ["get", "post", "head", "options"]

    def scoped_queryset(self, user):
        rows = _assignments().filter(project__in=Project.objects.visible_to(user))
        scope = scope_of(user)
        if scope.is_gongwei:
            return rows
        # The branch never learns who judges it; an expert sees its own seats.
        return rows.filter(Q(project__branch__organ_id__in=scope.organ_ids) | Q(expert=user.pk))

    def _answer(self, assignment, code=status.HTTP_200_OK) -> Response:
        return Response(ExpertAssignmentSerializer(_assignments().get(pk=assignment.pk)).data, status=code)

    def create(self, request, *args, **kwargs):
        shape = AssignSerializer(data=request.data)
        shape.is_valid(raise_exception=True)
        project = get_project_for_user(request.user, shape.validated_data["project"])
        ASSIGN_EXPERTS.require(request.user, project)
        expert = get_user_model().objects.filter(pk=shape.validated_data["expert"]).first()
        if expert is None:
            raise ValidationError({"expert": ["所选账号不存在。"]})
        assignment = experts.assign_expert(project, expert, by=request.user)
        return self._answer(assignment, status.HTTP_201_CREATED)

    @extend_schema(
        summary="撤回尚未评分的评审专家（须写明原因）",
        request=WithdrawSerializer,
        responses={200: ExpertAssignmentSerializer, **TRANSITION_ERRORS},
    )
    @action(detail=True, methods=["post"])
    def withdraw(self, request, pk=None):
        assignment = self.get_object()
        ASSIGN_EXPERTS.require(request.user, assignment.project)
        shape = WithdrawSerializer(data=request.data)
        shape.is_valid(raise_exception=True)
        experts.withdraw_expert(assignment, by=request.user, reason=shape.validated_data["reason"])
        return self._answer(assignment)

    @extend_schema(
        summary="可分配给项目的评审专家",
        parameters=[OpenApiParameter("project", int, required=True, description="项目 id")],
        responses={200: CandidateSerializer(many=True), **ERRORS},
    )
    @action(detail=False, methods=["get"])
    def candidates(self, request):
        raw = request.query_params.get("project", "")
        if not raw.isdigit():
            raise ValidationError({"project": ["请指定项目 id。"]})
        project = get_project_for_user(request.user, int(raw))
        ASSIGN_EXPERTS.require(request.user, project)
        return Response(CandidateSerializer(experts.candidates_for(project), many=True).data)
