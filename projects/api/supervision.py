"""JSON API of projects: 节点督查、督办."""

import django_filters
from django.db.models import Q
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from core.api import ERRORS, TRANSITION_ERRORS, Conflict

from .. import progress, services
from ..access import (
    get_project_for_user,
    get_supervision_for_user,
)
from ..choices import SupervisionKind
from ..forms.progress import DubanAnswerForm, SupervisionForm
from ..models import (
    Project,
    Supervision,
)
from ..permissions import ANSWER_SUPERVISION, SUPERVISE
from .base import ScopedViewSet, _check, _form_data, _user_name


class SupervisionSerializer(serializers.ModelSerializer):
    kind_display = serializers.CharField(source="get_kind_display", read_only=True)
    author_name = serializers.SerializerMethodField()
    answered_by_name = serializers.SerializerMethodField()
    awaits_answer = serializers.BooleanField(read_only=True)

    class Meta:
        model = Supervision
        fields = [
            "id", "project", "milestone", "kind", "kind_display", "text", "author_name", "created_at",
            "answer_due_on", "answer", "answered_by_name", "answered_at", "awaits_answer",
        ]  # fmt: skip
        read_only_fields = fields

    def get_author_name(self, obj) -> str:
        return str(obj.author)

    def get_answered_by_name(self, obj) -> str | None:
        return _user_name(obj.answered_by)


class SupervisionWriteSerializer(serializers.Serializer):
    project = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=SupervisionKind.choices, default=SupervisionKind.NOTE)
    milestone = serializers.IntegerField(required=False, allow_null=True, help_text="针对节点；不填为整个项目")
    text = serializers.CharField(help_text="督查意见")
    answer_due_on = serializers.DateField(required=False, allow_null=True, help_text="仅督办；不填按年度规则天数")


class AnswerSerializer(serializers.Serializer):
    answer = serializers.CharField(help_text="答复内容")


class SupervisionFilter(django_filters.FilterSet):
    project = django_filters.NumberFilter(field_name="project")
    kind = django_filters.ChoiceFilter(choices=SupervisionKind.choices)
    awaiting_answer = django_filters.BooleanFilter(method="filter_awaiting", label="待答复的督办")

    class Meta:
        model = Supervision
        fields = ["project", "kind", "awaiting_answer"]

    def filter_awaiting(self, queryset, name, value):
        waiting = Q(kind=SupervisionKind.DUBAN, answered_at__isnull=True)
        return queryset.filter(waiting) if value else queryset.exclude(waiting)


@extend_schema_view(
    list=extend_schema(summary="督查意见和督办列表", responses={200: SupervisionSerializer, **ERRORS}),
    retrieve=extend_schema(summary="督查意见或督办详情", responses={200: SupervisionSerializer, **ERRORS}),
    create=extend_schema(
        summary="写督查意见或下发督办（机关党委、工委）",
        request=SupervisionWriteSerializer,
        responses={201: SupervisionSerializer, **TRANSITION_ERRORS},
    ),
)
class SupervisionViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    model = Supervision
    serializer_class = SupervisionSerializer
    filterset_class = SupervisionFilter
    ordering_fields = ["created_at", "answer_due_on", "answered_at"]
    ordering = ["-created_at", "-pk"]
    http_method_names = ["get", "post", "head", "options"]

    def scoped_queryset(self, user):
        return Supervision.objects.filter(project__in=Project.objects.visible_to(user)).select_related(
            "author", "answered_by"
        )

    def get_object(self):
        return get_supervision_for_user(self.request.user, self.kwargs["pk"])

    def create(self, request, *args, **kwargs):
        shape = SupervisionWriteSerializer(data=request.data)
        shape.is_valid(raise_exception=True)
        project = get_project_for_user(request.user, shape.validated_data["project"])
        SUPERVISE.require(request.user, project)
        if blocked := progress.not_running_reason(project, "督查督办"):
            raise Conflict(blocked)
        answer_days = services.config_for_year(project.year).duban_answer_days
        form_data = _form_data({k: v for k, v in shape.validated_data.items() if k != "project"})
        data = _check(SupervisionForm(form_data, project=project, answer_days=answer_days))
        item = progress.add_supervision(
            project,
            by=request.user,
            kind=data["kind"],
            text=data["text"],
            milestone=data["milestone"],
            answer_due_on=data["answer_due_on"],
        )
        return Response(SupervisionSerializer(item).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="答复督办（本支部书记、支委）",
        request=AnswerSerializer,
        responses={200: SupervisionSerializer, **TRANSITION_ERRORS},
    )
    @action(detail=True, methods=["post"])
    def answer(self, request, pk=None):
        supervision = get_supervision_for_user(request.user, pk)
        ANSWER_SUPERVISION.require(request.user, supervision.project)
        if supervision.kind != SupervisionKind.DUBAN:
            raise ValidationError({"detail": ["督查意见无需答复。"]})
        if supervision.answered_at is not None:
            raise Conflict("该督办已答复，不能重复答复。")
        shape = AnswerSerializer(data=request.data)
        shape.is_valid(raise_exception=True)
        data = _check(DubanAnswerForm(_form_data(shape.validated_data)))
        item = progress.answer_duban(supervision, by=request.user, answer=data["answer"])
        return Response(SupervisionSerializer(item).data)
