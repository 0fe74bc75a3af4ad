"""JSON API of projects: 支部项目."""

from decimal import Decimal

from django.db.models import Prefetch
from django.forms.models import model_to_dict
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field, extend_schema_view
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.renderers import BrowsableAPIRenderer, JSONRenderer
from rest_framework.response import Response

from core.api import ERRORS, TRANSITION_ERRORS, Conflict, XlsxFallbackMixin, XlsxRenderer, wants_xlsx

from .. import acceptance, services
from ..access import (
    get_project_for_reviewer,
    get_project_for_user,
)
from ..choices import Direction
from ..exports import project_list_export
from ..filters import ProjectFilter
from ..forms.workflow import (
    ProjectForm,
    check_milestone_dates,
    plan_formsets,
    save_project,
)
from ..models import (
    Milestone,
    Project,
    Target,
)
from ..permissions import FILE_PROJECT, FILE_PROJECTS, SEE_PROJECTS
from ..selectors import project_queryset
from .base import ScopedViewSet, _form_data, _form_errors, _form_value
from .topics import AcceptanceReviewSerializer, _reviews_queryset


class TargetSerializer(serializers.ModelSerializer):
    class Meta:
        model = Target
        fields = ["id", "name", "unit", "target_value", "actual_value", "result_note"]


class MilestoneBriefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Milestone
        fields = ["id", "title", "planned_on", "weight", "percent", "completed_on", "not_done_reason"]


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
        return CriterionSerializer(services.rubric_of(services.config_for_year(obj.year)), many=True).data


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


class NotDoneSerializer(serializers.Serializer):
    milestone = serializers.IntegerField(help_text="节点 id")
    reason = serializers.CharField(help_text="未完成原因，评审人可见")


class AcceptanceRequestSerializer(serializers.Serializer):
    summary = serializers.CharField(help_text="验收总结")
    results = TargetResultSerializer(many=True, help_text="每项指标的完成值")
    not_done = NotDoneSerializer(
        many=True, required=False, default=list, help_text="每个未完成节点的未完成原因（已完成的节点不填）"
    )

    def validate_not_done(self, value):
        milestones = [row["milestone"] for row in value]
        if len(set(milestones)) != len(milestones):
            raise serializers.ValidationError("同一节点只能说明一次。")
        return value


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
        SEE_PROJECTS.require(request.user)
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
        FILE_PROJECTS.require(request.user)
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
        FILE_PROJECT.require(request.user)
        shape = NoteSerializer(data=request.data)
        shape.is_valid(raise_exception=True)
        services.file_project(project, by=request.user, note=shape.validated_data["note"])
        return self._detail(pk)

    # --- 公开验收 ---

    @extend_schema(
        summary="申请验收（验收总结、各指标完成值和未完成节点的原因）",
        description="加权完成进度须达到本年度规则的最低要求（默认 100%）；每个未完成的节点须说明原因。",
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
        not_done = {row["milestone"]: row["reason"] for row in shape.validated_data["not_done"]}
        acceptance.request_acceptance(
            project, summary=shape.validated_data["summary"], results=results, not_done=not_done, by=request.user
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
