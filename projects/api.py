"""JSON API of 一支部一项目: topic lists and topics, projects and every workflow step, tasks,
milestones with progress and evidence, supervision and 督办, acceptance reviews.

Same rules as the pages, in the same places: objects come from the pages' fetch-and-authorize
helpers (404 outside the user's scope, 403 for a role that may look but not act), input is
checked by the pages' own forms (so a field error reads as on the page, field by field), and
every write is the page's service call. The serializers here only describe and type the data.
"""

import datetime
from decimal import Decimal

import django_filters
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Prefetch, Q
from django.forms.models import model_to_dict
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.renderers import BrowsableAPIRenderer, JSONRenderer
from rest_framework.response import Response

from accounts.scope import scope_of
from core.api import ERRORS, TRANSITION_ERRORS, Conflict, XlsxFallbackMixin, XlsxRenderer, router, wants_xlsx

from . import acceptance, progress, rules, services
from .access import (
    can_publish_any_topics,
    can_see_projects,
    filing_branches,
    get_evidence_for_user,
    get_milestone_for_user,
    get_project_for_reviewer,
    get_project_for_user,
    get_supervision_for_user,
    get_task_for_user,
    get_topic_for_user,
    get_topic_list_for_user,
    topic_lists_for,
)
from .choices import Direction, ProjectStatus, SupervisionKind, TaskStatus
from .exports import project_list_export
from .filters import ProjectFilter
from .forms.progress import DubanAnswerForm, ProgressForm, SupervisionForm, TaskForm, TaskProgressForm, task_args
from .forms.workflow import (
    ProjectForm,
    ReopenForm,
    RescheduleForm,
    TopicForm,
    TopicListForm,
    check_milestone_dates,
    plan_formsets,
    save_project,
)
from .models import (
    AcceptanceMark,
    AcceptanceReview,
    Evidence,
    Milestone,
    MilestoneProgress,
    Project,
    Supervision,
    Target,
    Task,
    Topic,
    TopicList,
)
from .selectors import project_queryset

# --- shared helpers -----------------------------------------------------------------------


def _form_errors(form) -> dict:
    """A Django form's errors as DRF answers them: by field, the form-wide ones as non_field_errors."""
    return {("non_field_errors" if name == "__all__" else name): list(errors) for name, errors in form.errors.items()}


def _check(form) -> dict:
    """The page form's cleaned data, or a 400 listing its errors field by field."""
    if not form.is_valid():
        raise ValidationError(_form_errors(form))
    return form.cleaned_data


def _form_value(value):
    """A typed value as a form field reads it from posted data."""
    if isinstance(value, datetime.date):
        return value.isoformat()
    if value is None:
        return ""
    return value


def _form_data(validated: dict) -> dict:
    return {name: _form_value(value) for name, value in validated.items()}


def _require(condition: bool, message: str) -> None:
    if not condition:
        raise PermissionDenied(message)


class ScopedViewSet(viewsets.GenericViewSet):
    """A viewset whose rows depend on the user: the schema generator gets an empty queryset.

    Each subclass names its `model` and defines `scoped_queryset(user)`, the rows that user may see.
    """

    model = None
    # Ids are numbers: anything else is not a URL of this API (404), never a failed lookup (500).
    lookup_value_regex = r"[0-9]+"

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return self.model.objects.none()
        return self.scoped_queryset(self.request.user)


def _user_name(user) -> str | None:
    return str(user) if user is not None else None


# --- 党委出题 -------------------------------------------------------------------------------


class TopicSerializer(serializers.ModelSerializer):
    direction_display = serializers.CharField(source="get_direction_display", read_only=True)

    class Meta:
        model = Topic
        fields = ["id", "topic_list", "title", "direction", "direction_display", "description"]
        read_only_fields = ["id", "topic_list"]


class TopicCreateSerializer(serializers.Serializer):
    topic_list = serializers.IntegerField(help_text="所属年度选题")
    title = serializers.CharField(max_length=100)
    direction = serializers.ChoiceField(choices=Direction.choices)
    description = serializers.CharField(required=False, allow_blank=True, default="")


class TopicUpdateSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=100, required=False)
    direction = serializers.ChoiceField(choices=Direction.choices, required=False)
    description = serializers.CharField(required=False, allow_blank=True)


class TopicListSerializer(serializers.ModelSerializer):
    organ_name = serializers.SerializerMethodField()
    is_published = serializers.BooleanField(read_only=True)
    effective_close = serializers.DateField(read_only=True)
    n_topics = serializers.IntegerField(read_only=True)

    class Meta:
        model = TopicList
        fields = [
            "id", "year", "organ", "organ_name", "opens_on", "closes_on", "reopened_until", "reopen_reason",
            "effective_close", "published_at", "is_published", "n_topics",
        ]  # fmt: skip

    def get_organ_name(self, obj) -> str:
        return obj.organ.display_short if obj.organ else "工委（全部机关）"


class TopicListDetailSerializer(TopicListSerializer):
    topics = TopicSerializer(many=True, read_only=True)

    class Meta(TopicListSerializer.Meta):
        fields = [*TopicListSerializer.Meta.fields, "topics"]


class TopicListWriteSerializer(serializers.Serializer):
    year = serializers.IntegerField(help_text="今年或明年")
    organ = serializers.IntegerField(allow_null=True, required=False, help_text="不填为工委面向全部机关出题（仅工委）")
    opens_on = serializers.DateField()
    closes_on = serializers.DateField()


class TopicListUpdateSerializer(serializers.Serializer):
    opens_on = serializers.DateField(required=False)
    closes_on = serializers.DateField(required=False)


class ReopenSerializer(serializers.Serializer):
    until = serializers.DateField(help_text="补报截止日期，须晚于原立项截止日期")
    reason = serializers.CharField(max_length=200)


class TopicListFilter(django_filters.FilterSet):
    year = django_filters.NumberFilter()
    organ = django_filters.NumberFilter(field_name="organ")
    citywide = django_filters.BooleanFilter(field_name="organ", lookup_expr="isnull", label="工委统一出题")
    published = django_filters.BooleanFilter(field_name="published_at", lookup_expr="isnull", exclude=True)

    class Meta:
        model = TopicList
        fields = ["year", "organ", "citywide", "published"]


def _staff_or_committee(user) -> None:
    _require(scope_of(user).is_staff_or_committee, "您的账号无权查看党委出题。")


@extend_schema_view(
    list=extend_schema(summary="年度选题列表（党委出题）", responses={200: TopicListSerializer, **ERRORS}),
    retrieve=extend_schema(summary="年度选题详情（含题目）", responses={200: TopicListDetailSerializer, **ERRORS}),
    create=extend_schema(
        summary="新建年度选题（机关党委、工委）",
        request=TopicListWriteSerializer,
        responses={201: TopicListDetailSerializer, **ERRORS},
    ),
    partial_update=extend_schema(
        summary="修改未发布选题的立项期限",
        request=TopicListUpdateSerializer,
        responses={200: TopicListDetailSerializer, **TRANSITION_ERRORS},
    ),
)
class TopicListViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    model = TopicList
    serializer_class = TopicListSerializer
    filterset_class = TopicListFilter
    ordering_fields = ["year", "opens_on", "closes_on", "published_at"]
    ordering = ["-year", "organ__sort_order", "pk"]
    http_method_names = ["get", "post", "patch", "head", "options"]

    def scoped_queryset(self, user):
        return topic_lists_for(user).annotate(n_topics=Count("topics"))

    def get_serializer_class(self):
        return TopicListDetailSerializer if self.action != "list" else TopicListSerializer

    def list(self, request, *args, **kwargs):
        _staff_or_committee(request.user)
        return super().list(request, *args, **kwargs)

    def get_object(self):
        topic_list = get_topic_list_for_user(self.request.user, self.kwargs["pk"])
        topic_list.n_topics = topic_list.topics.count()
        return topic_list

    def _answer(self, topic_list, code=status.HTTP_200_OK) -> Response:
        topic_list = get_topic_list_for_user(self.request.user, topic_list.pk)
        topic_list.n_topics = topic_list.topics.count()
        return Response(TopicListDetailSerializer(topic_list).data, status=code)

    def create(self, request, *args, **kwargs):
        _require(can_publish_any_topics(request.user), "只有机关党委和工委工作人员可以出题。")
        shape = TopicListWriteSerializer(data=request.data)
        shape.is_valid(raise_exception=True)
        form = TopicListForm(_form_data(shape.validated_data), user=request.user)
        _check(form)
        topic_list = form.save(commit=False)
        topic_list.created_by = request.user
        topic_list._history_user = request.user
        topic_list.save()
        return self._answer(topic_list, status.HTTP_201_CREATED)

    def partial_update(self, request, *args, **kwargs):
        topic_list = get_topic_list_for_user(request.user, kwargs["pk"], write=True)
        if topic_list.is_published:
            raise Conflict("选题已发布，立项期限不能再修改；如需延长，请使用“开放补报”。")
        shape = TopicListUpdateSerializer(data=request.data)
        shape.is_valid(raise_exception=True)
        data = _form_data(model_to_dict(topic_list, fields=["year", "organ", "opens_on", "closes_on"]))
        data.update(_form_data(shape.validated_data))
        form = TopicListForm(data, instance=topic_list, user=request.user)
        _check(form)
        topic_list = form.save(commit=False)
        topic_list._history_user = request.user
        topic_list.save()
        return self._answer(topic_list)

    @extend_schema(
        summary="发布年度选题", request=None, responses={200: TopicListDetailSerializer, **TRANSITION_ERRORS}
    )
    @action(detail=True, methods=["post"])
    def publish(self, request, pk=None):
        topic_list = get_topic_list_for_user(request.user, pk, write=True)
        services.publish_topic_list(topic_list, by=request.user)
        return self._answer(topic_list)

    @extend_schema(
        summary="开放补报（截止后允许支部首次提交，须写明原因）",
        request=ReopenSerializer,
        responses={200: TopicListDetailSerializer, **TRANSITION_ERRORS},
    )
    @action(detail=True, methods=["post"])
    def reopen(self, request, pk=None):
        topic_list = get_topic_list_for_user(request.user, pk, write=True)
        shape = ReopenSerializer(data=request.data)
        shape.is_valid(raise_exception=True)
        data = _check(ReopenForm(_form_data(shape.validated_data), topic_list=topic_list))
        services.reopen_filing(topic_list, until=data["until"], reason=data["reason"], by=request.user)
        return self._answer(topic_list)


class TopicFilter(django_filters.FilterSet):
    topic_list = django_filters.NumberFilter(field_name="topic_list")
    year = django_filters.NumberFilter(field_name="topic_list__year")
    direction = django_filters.ChoiceFilter(choices=Direction.choices)

    class Meta:
        model = Topic
        fields = ["topic_list", "year", "direction"]


@extend_schema_view(
    list=extend_schema(summary="选题题目列表", responses={200: TopicSerializer, **ERRORS}),
    retrieve=extend_schema(summary="选题题目详情", responses={200: TopicSerializer, **ERRORS}),
    create=extend_schema(
        summary="为年度选题添加题目", request=TopicCreateSerializer, responses={201: TopicSerializer, **ERRORS}
    ),
    partial_update=extend_schema(
        summary="修改题目（尚无支部选择时）",
        request=TopicUpdateSerializer,
        responses={200: TopicSerializer, **TRANSITION_ERRORS},
    ),
    destroy=extend_schema(summary="删除题目（尚无支部选择时）", responses={204: None, **TRANSITION_ERRORS}),
)
class TopicViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    model = Topic
    serializer_class = TopicSerializer
    filterset_class = TopicFilter
    ordering_fields = ["title", "direction"]
    ordering = ["-topic_list__year", "topic_list__organ__sort_order", "pk"]
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def scoped_queryset(self, user):
        return Topic.objects.filter(topic_list__in=topic_lists_for(user))

    def list(self, request, *args, **kwargs):
        _staff_or_committee(request.user)
        return super().list(request, *args, **kwargs)

    def get_object(self):
        return get_topic_for_user(self.request.user, self.kwargs["pk"])

    def create(self, request, *args, **kwargs):
        shape = TopicCreateSerializer(data=request.data)
        shape.is_valid(raise_exception=True)
        data = dict(shape.validated_data)
        topic_list = get_topic_list_for_user(request.user, data.pop("topic_list"), write=True)
        form = TopicForm(data)
        _check(form)
        topic = form.save(commit=False)
        topic.topic_list = topic_list
        topic.save()
        return Response(TopicSerializer(topic).data, status=status.HTTP_201_CREATED)

    def _writable(self, pk) -> Topic:
        topic = get_topic_for_user(self.request.user, pk, write=True)
        # Once a branch chose the topic, its wording is part of their filed project.
        if topic.projects.exists():
            raise Conflict("已有支部选择该题目立项，题目不能再修改或删除。")
        return topic

    def partial_update(self, request, *args, **kwargs):
        topic = self._writable(kwargs["pk"])
        shape = TopicUpdateSerializer(data=request.data)
        shape.is_valid(raise_exception=True)
        data = model_to_dict(topic, fields=["title", "direction", "description"])
        data.update(shape.validated_data)
        form = TopicForm(data, instance=topic)
        _check(form)
        return Response(TopicSerializer(form.save()).data)

    def destroy(self, request, *args, **kwargs):
        self._writable(kwargs["pk"]).delete()
        return Response(status=status.HTTP_204_NO_CONTENT)


class AcceptanceMarkSerializer(serializers.Serializer):
    criterion = serializers.IntegerField(source="criterion_id")
    criterion_name = serializers.CharField(source="criterion.name")
    points = serializers.DecimalField(max_digits=5, decimal_places=2)


class AcceptanceReviewSerializer(serializers.ModelSerializer):
    reviewer_name = serializers.SerializerMethodField(help_text="评审人姓名，仅机关党委和工委可见")
    marks = AcceptanceMarkSerializer(many=True, read_only=True)

    class Meta:
        model = AcceptanceReview
        fields = ["id", "project", "reviewer_name", "total", "comment", "scored_at", "marks"]
        read_only_fields = fields

    def get_reviewer_name(self, obj) -> str | None:
        request = self.context.get("request")
        if request is None or not rules.is_organ_reviewer(request.user, obj.project):
            return None
        return str(obj.reviewer)


def _reviews_queryset():
    return AcceptanceReview.objects.select_related("project__branch", "reviewer").prefetch_related(
        Prefetch("marks", queryset=AcceptanceMark.objects.select_related("criterion"))
    )


# --- 支部项目 -------------------------------------------------------------------------------


class TargetSerializer(serializers.ModelSerializer):
    class Meta:
        model = Target
        fields = ["id", "name", "unit", "target_value", "actual_value", "result_note"]


class MilestoneBriefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Milestone
        fields = ["id", "title", "planned_on", "weight", "percent", "completed_on"]


class ProjectSerializer(serializers.ModelSerializer):
    """A row of the project list (the page's columns)."""

    branch_name = serializers.CharField(source="branch.name", read_only=True)
    organ = serializers.IntegerField(source="branch.organ_id", read_only=True)
    organ_name = serializers.CharField(source="branch.organ.display_short", read_only=True)
    topic_title = serializers.CharField(source="topic.title", read_only=True, default=None)
    responsible_name = serializers.CharField(source="responsible.name", read_only=True)
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    grade_display = serializers.CharField(source="get_grade_display", read_only=True)
    progress = serializers.FloatField(read_only=True, help_text="按节点权重计算的进度（%）")
    n_overdue = serializers.IntegerField(read_only=True, help_text="逾期节点数")

    class Meta:
        model = Project
        fields = [
            "id", "year", "branch", "branch_name", "organ", "organ_name", "title", "topic", "topic_title",
            "direction", "start_on", "end_on", "responsible", "responsible_name", "is_secretary_project",
            "status", "status_display", "progress", "n_overdue", "score", "grade", "grade_display", "is_top_ten",
            "submitted_at", "approved_at", "filed_at", "accepted_at",
        ]  # fmt: skip
        read_only_fields = fields


class EventSerializer(serializers.Serializer):
    action = serializers.CharField()
    from_status = serializers.CharField()
    to_status = serializers.CharField()
    reason = serializers.CharField()
    actor = serializers.SerializerMethodField()
    at = serializers.DateTimeField()

    def get_actor(self, obj) -> str:
        return str(obj.actor)


class CriterionSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    max_points = serializers.IntegerField()
    description = serializers.CharField()


class ProjectDetailSerializer(ProjectSerializer):
    """The project page: plan, targets, milestones, the workflow record and the year's rubric."""

    targets = TargetSerializer(many=True, read_only=True)
    milestones = MilestoneBriefSerializer(many=True, read_only=True)
    events = EventSerializer(many=True, read_only=True)
    rubric = serializers.SerializerMethodField(help_text="本年度验收评分标准（评分时按评分项 id 打分）")

    class Meta(ProjectSerializer.Meta):
        fields = [
            *ProjectSerializer.Meta.fields,
            "problem", "goals", "return_reason", "acceptance_summary", "published_at", "created_at",
            "targets", "milestones", "events", "rubric",
        ]  # fmt: skip
        read_only_fields = fields

    @extend_schema_field(CriterionSerializer(many=True))
    def get_rubric(self, obj) -> list:
        return CriterionSerializer(services.config_for_year(obj.year).criteria.all(), many=True).data


class TargetRowSerializer(serializers.Serializer):
    id = serializers.IntegerField(required=False, help_text="已有指标的 id；不填为新增。未列出的已有指标将删除。")
    name = serializers.CharField(max_length=100)
    unit = serializers.CharField(max_length=20, required=False, allow_blank=True, default="")
    target_value = serializers.DecimalField(max_digits=12, decimal_places=2)


class MilestoneRowSerializer(serializers.Serializer):
    id = serializers.IntegerField(required=False, help_text="已有节点的 id；不填为新增。未列出的已有节点将删除。")
    title = serializers.CharField(max_length=100)
    planned_on = serializers.DateField()
    weight = serializers.IntegerField(min_value=1, default=1)


class ProjectWriteSerializer(serializers.Serializer):
    """The 填报 form: the project's fields, with its targets and milestones (whole lists)."""

    branch = serializers.IntegerField(help_text="填报支部（修改时不可更改）")
    year = serializers.IntegerField()
    title = serializers.CharField(max_length=100)
    topic = serializers.IntegerField(allow_null=True, required=False, help_text="所选题目；不填为支部自拟题目")
    direction = serializers.ChoiceField(
        choices=Direction.choices, required=False, allow_blank=True, help_text="自拟题目须填写"
    )
    problem = serializers.CharField()
    goals = serializers.CharField()
    start_on = serializers.DateField()
    end_on = serializers.DateField()
    responsible = serializers.IntegerField(help_text="负责支委（本支部党员）")
    is_secretary_project = serializers.BooleanField(required=False, default=False)
    targets = TargetRowSerializer(many=True, required=False)
    milestones = MilestoneRowSerializer(many=True, required=False)


PROJECT_FORM_FIELDS = [
    "branch", "year", "title", "topic", "direction", "problem", "goals", "start_on", "end_on", "responsible",
    "is_secretary_project",
]  # fmt: skip


def _plan_data(prefix: str, rows: list[dict] | None, existing: list, fields: list[str]) -> tuple[dict, list]:
    """Formset data for a whole list of rows: existing rows kept by id, the others deleted, new ones added.

    Returns the data and, per formset form, the index of the row in the request (None if deleted).
    """
    by_id = {}
    if rows is not None:
        existing_ids = {obj.pk for obj in existing}
        errors = {}
        for i, row in enumerate(rows):
            if "id" in row:
                if row["id"] not in existing_ids or row["id"] in by_id:
                    errors[i] = {"id": ["不属于该项目，或重复列出。"]}
                by_id[row["id"]] = i
        if errors:
            raise ValidationError({prefix: {str(i): found for i, found in errors.items()}})
    data, positions = {}, []
    for n, obj in enumerate(existing):
        data[f"{prefix}-{n}-id"] = obj.pk
        if rows is None:
            source, position = model_to_dict(obj, fields=fields), None
        elif obj.pk in by_id:
            position = by_id[obj.pk]
            source = rows[position]
        else:
            source, position = model_to_dict(obj, fields=fields), None
            data[f"{prefix}-{n}-DELETE"] = "on"
        for name in fields:
            data[f"{prefix}-{n}-{name}"] = _form_value(source.get(name))
        positions.append(position)
    new_rows = [(i, row) for i, row in enumerate(rows or []) if "id" not in row]
    for n, (i, row) in enumerate(new_rows, start=len(existing)):
        for name in fields:
            data[f"{prefix}-{n}-{name}"] = _form_value(row.get(name))
        positions.append(i)
    data.update(
        {
            f"{prefix}-TOTAL_FORMS": str(len(existing) + len(new_rows)),
            f"{prefix}-INITIAL_FORMS": str(len(existing)),
            f"{prefix}-MIN_NUM_FORMS": "0",
            f"{prefix}-MAX_NUM_FORMS": "1000",
        }
    )
    return data, positions


def _formset_errors(formset, positions: list) -> dict:
    """Row errors keyed by the row's index in the request, as DRF keys a list's errors."""
    errors: dict = {}
    for form, position in zip(formset.forms, positions, strict=False):
        if form.errors and not formset._should_delete_form(form):
            found = _form_errors(form)
            if position is None:
                errors.setdefault("non_field_errors", []).extend(e for messages in found.values() for e in messages)
            else:
                errors[str(position)] = found
    if formset.non_form_errors():
        errors.setdefault("non_field_errors", []).extend(formset.non_form_errors())
    return errors


def save_project_from_api(request, project: Project | None) -> Project:
    """Run the 填报 form and its two formsets, exactly as the page posts them, and save."""
    partial = project is not None
    shape = ProjectWriteSerializer(data=request.data, partial=partial)
    shape.is_valid(raise_exception=True)
    validated = dict(shape.validated_data)
    target_rows, milestone_rows = validated.pop("targets", None), validated.pop("milestones", None)
    instance = project or Project()
    data = {}
    if partial:
        data.update(_form_data(model_to_dict(project, fields=PROJECT_FORM_FIELDS)))
    data.update(_form_data(validated))
    existing_targets = list(instance.targets.order_by("pk")) if partial else []
    existing_milestones = list(instance.milestones.order_by("pk")) if partial else []
    if not partial:
        target_rows, milestone_rows = target_rows or [], milestone_rows or []
    target_data, target_pos = _plan_data("targets", target_rows, existing_targets, ["name", "unit", "target_value"])
    ms_data, ms_pos = _plan_data("milestones", milestone_rows, existing_milestones, ["title", "planned_on", "weight"])
    data.update(target_data)
    data.update(ms_data)

    form = ProjectForm(data, instance=project, user=request.user)
    targets, milestones = plan_formsets(data, instance=instance)
    valid = form.is_valid() & targets.is_valid() & milestones.is_valid()
    valid = valid and check_milestone_dates(form, milestones)
    if not valid:
        errors = _form_errors(form) if form.errors else {}
        for key, formset, positions in (("targets", targets, target_pos), ("milestones", milestones, ms_pos)):
            if found := _formset_errors(formset, positions):
                errors[key] = found
        raise ValidationError(errors or {"non_field_errors": ["输入有误，请检查后重新提交。"]})
    return save_project(form, targets, milestones, by=request.user)


class NoteSerializer(serializers.Serializer):
    note = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class ReturnSerializer(serializers.Serializer):
    reason = serializers.CharField(help_text="退回原因，支部书记将看到此内容")


class TargetResultSerializer(serializers.Serializer):
    target = serializers.IntegerField(help_text="指标 id")
    actual_value = serializers.DecimalField(max_digits=12, decimal_places=2)
    note = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class AcceptanceRequestSerializer(serializers.Serializer):
    summary = serializers.CharField(help_text="验收总结")
    results = TargetResultSerializer(many=True, help_text="每项指标的完成值")


class MarkSerializer(serializers.Serializer):
    criterion = serializers.IntegerField(help_text="评分项 id（见项目详情的 rubric）")
    points = serializers.DecimalField(max_digits=5, decimal_places=2, min_value=Decimal(0))


class ScoreSerializer(serializers.Serializer):
    marks = MarkSerializer(many=True)
    comment = serializers.CharField(required=False, allow_blank=True, default="")

    def validate_marks(self, value):
        criteria = [m["criterion"] for m in value]
        if len(set(criteria)) != len(criteria):
            raise serializers.ValidationError("同一评分项只能打一次分。")
        return value


class TopTenSerializer(serializers.Serializer):
    on = serializers.BooleanField(help_text="true 评为十佳，false 取消")


@extend_schema_view(
    list=extend_schema(
        summary="支部项目列表（与页面相同的筛选；?format=xlsx 导出 Excel）",
        description="默认只列今年的项目；year=all 为全部年度。?format=xlsx 返回与页面导出相同的 Excel（全部页）。",
        responses={
            (200, "application/json"): ProjectSerializer(many=True),
            (200, XlsxRenderer.media_type): OpenApiResponse(OpenApiTypes.BINARY, description="Excel 导出"),
            **ERRORS,
        },
    ),
    retrieve=extend_schema(summary="支部项目详情", responses={200: ProjectDetailSerializer, **ERRORS}),
    create=extend_schema(
        summary="填报支部项目（草稿，含指标和节点）",
        request=ProjectWriteSerializer,
        responses={201: ProjectDetailSerializer, **ERRORS},
    ),
    partial_update=extend_schema(
        summary="修改草稿或退回的项目（指标、节点按整表替换）",
        request=ProjectWriteSerializer,
        responses={200: ProjectDetailSerializer, **TRANSITION_ERRORS},
    ),
)
class ProjectViewSet(XlsxFallbackMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    model = Project
    serializer_class = ProjectSerializer
    filterset_class = ProjectFilter
    renderer_classes = [JSONRenderer, BrowsableAPIRenderer, XlsxRenderer]
    ordering_fields = ["year", "title", "status", "start_on", "end_on", "score", "progress", "submitted_at"]
    ordering = ["-year", "branch__organ__sort_order", "branch__name", "pk"]
    http_method_names = ["get", "post", "patch", "head", "options"]

    def scoped_queryset(self, user):
        return project_queryset(user, timezone.localdate()).select_related("topic", "responsible")

    def list(self, request, *args, **kwargs):
        _require(can_see_projects(request.user), "您的账号无权查看支部项目。")
        if wants_xlsx(request):
            # Bad filters answer 400 here as on the JSON list; the rows are the page's own export.
            self.filter_queryset(self.get_queryset())
            return project_list_export(request._request)
        return super().list(request, *args, **kwargs)

    def _detail(self, pk, code=status.HTTP_200_OK) -> Response:
        project = get_project_for_user(self.request.user, pk)
        project = (
            Project.objects.filter(pk=project.pk)
            .with_progress(timezone.localdate())
            .select_related("branch__organ", "topic", "responsible")
            .prefetch_related(
                "targets",
                Prefetch("milestones", queryset=Milestone.objects.order_by("planned_on", "pk")),
                Prefetch("events", queryset=project.events.model.objects.select_related("actor")),
            )
            .get()
        )
        return Response(ProjectDetailSerializer(project).data, status=code)

    def retrieve(self, request, *args, **kwargs):
        return self._detail(kwargs["pk"])

    def create(self, request, *args, **kwargs):
        _require(filing_branches(request.user).exists(), "只有支部书记、支委或上级党组织工作人员可以填报项目。")
        project = save_project_from_api(request, None)
        return self._detail(project.pk, status.HTTP_201_CREATED)

    def partial_update(self, request, *args, **kwargs):
        project = get_project_for_user(request.user, kwargs["pk"], write=True)
        if not project.is_editable:
            raise Conflict(f"项目{project.get_status_display()}，不能再修改；节点日期请通过“调整日期”办理。")
        save_project_from_api(request, project)
        return self._detail(project.pk)

    # --- 立项 → 审核 → 备案 ---

    @extend_schema(
        summary="提交机关党委审核", request=None, responses={200: ProjectDetailSerializer, **TRANSITION_ERRORS}
    )
    @action(detail=True, methods=["post"])
    def submit(self, request, pk=None):
        project = get_project_for_user(request.user, pk, write=True)
        services.submit_project(project, by=request.user)
        return self._detail(pk)

    @extend_schema(
        summary="机关党委审核通过",
        request=NoteSerializer,
        responses={200: ProjectDetailSerializer, **TRANSITION_ERRORS},
    )
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        project = get_project_for_reviewer(request.user, pk)
        shape = NoteSerializer(data=request.data)
        shape.is_valid(raise_exception=True)
        services.approve_project(project, by=request.user, note=shape.validated_data["note"])
        return self._detail(pk)

    @extend_schema(
        summary="退回修改（机关党委审核时或工委备案时，须写明原因）",
        request=ReturnSerializer,
        responses={200: ProjectDetailSerializer, **TRANSITION_ERRORS},
    )
    @action(detail=True, methods=["post"], url_path="return")
    def return_(self, request, pk=None):
        project = get_project_for_reviewer(request.user, pk)
        shape = ReturnSerializer(data=request.data)
        shape.is_valid(raise_exception=True)
        services.return_project(project, by=request.user, reason=shape.validated_data["reason"])
        return self._detail(pk)

    @extend_schema(
        summary="工委备案", request=NoteSerializer, responses={200: ProjectDetailSerializer, **TRANSITION_ERRORS}
    )
    @action(detail=True, methods=["post"], url_path="file")
    def file_(self, request, pk=None):
        project = get_project_for_user(request.user, pk)
        _require(rules.is_gongwei(request.user), "只有工委工作人员可以备案。")
        shape = NoteSerializer(data=request.data)
        shape.is_valid(raise_exception=True)
        services.file_project(project, by=request.user, note=shape.validated_data["note"])
        return self._detail(pk)

    # --- 公开验收 ---

    @extend_schema(
        summary="申请验收（验收总结和各指标完成值）",
        request=AcceptanceRequestSerializer,
        responses={200: ProjectDetailSerializer, **TRANSITION_ERRORS},
    )
    @action(detail=True, methods=["post"], url_path="request-acceptance")
    def request_acceptance(self, request, pk=None):
        project = get_project_for_user(request.user, pk, write=True)
        shape = AcceptanceRequestSerializer(data=request.data)
        shape.is_valid(raise_exception=True)
        results = [
            acceptance.TargetResult(r["target"], r["actual_value"], r["note"]) for r in shape.validated_data["results"]
        ]
        acceptance.request_acceptance(
            project, summary=shape.validated_data["summary"], results=results, by=request.user
        )
        return self._detail(pk)

    @extend_schema(
        summary="验收评分（评审人按评分项打分，可修改）",
        request=ScoreSerializer,
        responses={200: AcceptanceReviewSerializer, **TRANSITION_ERRORS},
    )
    @action(detail=True, methods=["post"])
    def score(self, request, pk=None):
        project = get_project_for_user(request.user, pk)
        shape = ScoreSerializer(data=request.data)
        shape.is_valid(raise_exception=True)
        marks = {m["criterion"]: m["points"] for m in shape.validated_data["marks"]}
        review = acceptance.score_project(
            project, reviewer=request.user, marks=marks, comment=shape.validated_data["comment"]
        )
        review = _reviews_queryset().get(pk=review.pk)
        return Response(AcceptanceReviewSerializer(review, context={"request": request}).data)

    @extend_schema(
        summary="工委确认验收（取平均分、评定等次并公开）",
        request=None,
        responses={200: ProjectDetailSerializer, **TRANSITION_ERRORS},
    )
    @action(detail=True, methods=["post"])
    def accept(self, request, pk=None):
        project = get_project_for_user(request.user, pk)
        acceptance.finalize_acceptance(project, by=request.user)
        return self._detail(pk)

    @extend_schema(
        summary="评选或取消十佳党建项目（工委）",
        request=TopTenSerializer,
        responses={200: ProjectDetailSerializer, **TRANSITION_ERRORS},
    )
    @action(detail=True, methods=["post"], url_path="top-ten")
    def top_ten(self, request, pk=None):
        project = get_project_for_user(request.user, pk)
        shape = TopTenSerializer(data=request.data)
        shape.is_valid(raise_exception=True)
        acceptance.mark_top_ten(project, by=request.user, on=shape.validated_data["on"])
        return self._detail(pk)


# --- 节点、进展、佐证材料 -------------------------------------------------------------------


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
        fields = ["id", "project", "title", "planned_on", "weight", "percent", "completed_on", "is_overdue"]
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
        _require(rules.is_branch_writer(request.user, project), "只有本支部书记或支委可以填报节点进展。")
        if blocked := progress.not_running_reason(project, "填报节点进展"):
            raise Conflict(blocked)
        max_mb = services.config_for_year(project.year).max_evidence_mb
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


# --- 任务到人 -------------------------------------------------------------------------------


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

    def _writable(self, pk, message: str) -> Task:
        task = get_task_for_user(self.request.user, pk)
        _require(rules.is_branch_writer(self.request.user, task.project), message)
        return task

    def partial_update(self, request, *args, **kwargs):
        task = self._writable(kwargs["pk"], "只有本支部书记或支委可以修改任务。")
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
        task = self._writable(kwargs["pk"], "只有本支部书记或支委可以删除任务。")
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
        allowed = progress.is_assignee(request.user, task) or rules.is_branch_writer(request.user, task.project)
        _require(allowed, "只有任务责任人或本支部书记、支委可以更新任务进展。")
        if blocked := progress.frozen_reason(task.project, "任务进展不能再修改"):
            raise Conflict(blocked)
        shape = TaskProgressSerializer(data=request.data)
        shape.is_valid(raise_exception=True)
        data = _check(TaskProgressForm(_form_data(shape.validated_data)))
        progress.update_task_progress(task, by=request.user, status=data["status"], note=data["progress_note"])
        return self._answer(task)


# --- 节点督查、督办 -------------------------------------------------------------------------


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
        _require(rules.is_organ_reviewer(request.user, project), "只有本机关党委或工委工作人员可以督查督办。")
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
        _require(progress.is_branch_committee(request.user, supervision.project), "只有本支部书记或支委可以答复督办。")
        if supervision.kind != SupervisionKind.DUBAN:
            raise ValidationError({"detail": ["督查意见无需答复。"]})
        if supervision.answered_at is not None:
            raise Conflict("该督办已答复，不能重复答复。")
        shape = AnswerSerializer(data=request.data)
        shape.is_valid(raise_exception=True)
        data = _check(DubanAnswerForm(_form_data(shape.validated_data)))
        item = progress.answer_duban(supervision, by=request.user, answer=data["answer"])
        return Response(SupervisionSerializer(item).data)


# --- 验收评分 -------------------------------------------------------------------------------


class AcceptanceReviewFilter(django_filters.FilterSet):
    project = django_filters.NumberFilter(field_name="project")
    year = django_filters.NumberFilter(field_name="project__year")

    class Meta:
        model = AcceptanceReview
        fields = ["project", "year"]


@extend_schema_view(
    list=extend_schema(
        summary="验收评分列表",
        description="评分期间评审人只看到本人的评分，工委看到全部；验收确认后能看到项目的人都可看到。",
        responses={200: AcceptanceReviewSerializer, **ERRORS},
    ),
    retrieve=extend_schema(summary="验收评分详情", responses={200: AcceptanceReviewSerializer, **ERRORS}),
)
class AcceptanceReviewViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    model = AcceptanceReview
    serializer_class = AcceptanceReviewSerializer
    filterset_class = AcceptanceReviewFilter
    ordering_fields = ["scored_at", "total"]
    ordering = ["project", "scored_at", "pk"]

    def scoped_queryset(self, user):
        reviews = _reviews_queryset().filter(project__in=Project.objects.visible_to(user))
        # As on the project page: reviewers score independently, so until the result is confirmed
        # only the 工委 sees everyone's marks.
        if not rules.is_gongwei(user):
            reviews = reviews.filter(Q(project__status=ProjectStatus.ACCEPTED) | Q(reviewer=user))
        return reviews


router.register("topic-lists", TopicListViewSet, basename="api-topic-list")
router.register("topics", TopicViewSet, basename="api-topic")
router.register("projects", ProjectViewSet, basename="api-project")
router.register("project-milestones", MilestoneViewSet, basename="api-project-milestone")
router.register("project-evidence", EvidenceViewSet, basename="api-project-evidence")
router.register("project-tasks", TaskViewSet, basename="api-project-task")
router.register("project-supervisions", SupervisionViewSet, basename="api-project-supervision")
router.register("project-reviews", AcceptanceReviewViewSet, basename="api-project-review")
