"""JSON API of projects: 任务到人."""

import django_filters
from django.forms.models import model_to_dict
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from accounts.scope import scope_of
from core.api import ERRORS, TRANSITION_ERRORS, Conflict
from core.permissions import Rule

from .. import progress
from ..access import (
    get_project_for_user,
    get_task_for_user,
)
from ..choices import TaskStatus
from ..forms.progress import TaskForm, TaskProgressForm, task_args
from ..models import (
    Project,
    Task,
)
from ..permissions import DELETE_TASK, EDIT_TASK, UPDATE_TASK_PROGRESS
from .base import ScopedViewSet, _check, _form_data


class TaskSerializer(serializers.ModelSerializer):
    assignee_names = serializers.SerializerMethodField()
    status_display = serializers.CharField(source="get_status_display", read_only=True)

    class Meta:
        model = Task
        fields = [
            "id", "project", "title", "description", "assignees", "assignee_names", "due_on", "status",
            "status_display", "progress_note", "completed_on",
        ]  # fmt: skip
        read_only_fields = fields

    def get_assignee_names(self, obj) -> list[str]:
        return [m.name for m in obj.assignees.all()]


class TaskWriteSerializer(serializers.Serializer):
    project = serializers.IntegerField(help_text="所属项目（修改时忽略）")
    title = serializers.CharField(max_length=100)
    description = serializers.CharField(required=False, allow_blank=True, default="")
    assignees = serializers.ListField(child=serializers.IntegerField(), help_text="责任人（本支部党员 id）")
    due_on = serializers.DateField()


class TaskProgressSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=TaskStatus.choices)
    progress_note = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")


class TaskFilter(django_filters.FilterSet):
    project = django_filters.NumberFilter(field_name="project")
    status = django_filters.ChoiceFilter(choices=TaskStatus.choices)
    mine = django_filters.BooleanFilter(method="filter_mine", label="我的任务")

    class Meta:
        model = Task
        fields = ["project", "status", "mine"]

    def filter_mine(self, queryset, name, value):
        member_id = scope_of(self.request.user).member_id if self.request else None
        if member_id is None:
            return queryset.none() if value else queryset
        return queryset.filter(assignees=member_id) if value else queryset.exclude(assignees=member_id)


@extend_schema_view(
    list=extend_schema(summary="项目任务列表（mine=true 为我的任务）", responses={200: TaskSerializer, **ERRORS}),
    retrieve=extend_schema(summary="项目任务详情", responses={200: TaskSerializer, **ERRORS}),
    create=extend_schema(
        summary="分派任务", request=TaskWriteSerializer, responses={201: TaskSerializer, **TRANSITION_ERRORS}
    ),
    partial_update=extend_schema(
        summary="修改任务", request=TaskWriteSerializer, responses={200: TaskSerializer, **TRANSITION_ERRORS}
    ),
    destroy=extend_schema(summary="删除任务", responses={204: None, **TRANSITION_ERRORS}),
)
class TaskViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    model = Task
    serializer_class = TaskSerializer
    filterset_class = TaskFilter
    ordering_fields = ["due_on", "status", "completed_on"]
    ordering = ["due_on", "pk"]
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def scoped_queryset(self, user):
        return (
            Task.objects.filter(project__in=Project.objects.visible_to(user))
            .select_related("project")
            .prefetch_related("assignees")
        )

    def get_object(self):
        return get_task_for_user(self.request.user, self.kwargs["pk"])

    def _answer(self, task, code=status.HTTP_200_OK) -> Response:
        task = Task.objects.prefetch_related("assignees").get(pk=task.pk)
        return Response(TaskSerializer(task).data, status=code)

    def _form_data(self, validated: dict) -> dict:
        data = _form_data(validated)
        data.pop("project", None)
        return data

    def create(self, request, *args, **kwargs):
        shape = TaskWriteSerializer(data=request.data)
        shape.is_valid(raise_exception=True)
        project = get_project_for_user(request.user, shape.validated_data["project"], write=True)
        if blocked := progress.frozen_reason(project, "不能再分派任务"):
            raise Conflict(blocked)
        data = _check(TaskForm(self._form_data(shape.validated_data), project=project))
        task = progress.create_task(project, by=request.user, **task_args(data))
        return self._answer(task, status.HTTP_201_CREATED)

    def _writable(self, pk, rule: Rule) -> Task:
        task = get_task_for_user(self.request.user, pk)
        rule.require(self.request.user, task.project)
        return task

    def partial_update(self, request, *args, **kwargs):
        task = self._writable(kwargs["pk"], EDIT_TASK)
        if blocked := progress.frozen_reason(task.project, "任务不能再修改"):
            raise Conflict(blocked)
        shape = TaskWriteSerializer(data=request.data, partial=True)
        shape.is_valid(raise_exception=True)
        data = _form_data(model_to_dict(task, fields=["title", "description", "due_on"]))
        data["assignees"] = [m.pk for m in task.assignees.all()]
        data.update(self._form_data(shape.validated_data))
        cleaned = _check(TaskForm(data, instance=task, project=task.project))
        progress.update_task(task, by=request.user, **task_args(cleaned))
        return self._answer(task)

    def destroy(self, request, *args, **kwargs):
        task = self._writable(kwargs["pk"], DELETE_TASK)
        progress.delete_task(task, by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        summary="更新任务进展（责任人或本支部书记、支委）",
        request=TaskProgressSerializer,
        responses={200: TaskSerializer, **TRANSITION_ERRORS},
    )
    @action(detail=True, methods=["post"])
    def progress(self, request, pk=None):
        task = get_task_for_user(request.user, pk)
        UPDATE_TASK_PROGRESS.require(request.user, task)
        if blocked := progress.frozen_reason(task.project, "任务进展不能再修改"):
            raise Conflict(blocked)
        shape = TaskProgressSerializer(data=request.data)
        shape.is_valid(raise_exception=True)
        data = _check(TaskProgressForm(_form_data(shape.validated_data)))
        progress.update_task_progress(task, by=request.user, status=data["status"], note=data["progress_note"])
        return self._answer(task)
