"""JSON API of branches: branches."""

from django.utils import timezone
from drf_spectacular.utils import (
    extend_schema,
    extend_schema_field,
    extend_schema_view,
)
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from core.api import ERRORS, TRANSITION_ERRORS, Conflict

from .. import services
from ..access import get_branch_for_user
from ..choices import (
    BranchKind,
)
from ..filters import BranchFilter
from ..forms.organisation import BranchForm, DissolveForm
from ..models import (
    Branch,
    OrganisationRules,
)
from ..permissions import CREATE_BRANCH, DELETE_BRANCH, DISSOLVE_BRANCH
from ..rules import WARNING_KINDS, describe_warnings
from .base import LIST_ERRORS, _form_data, _require_staff_or_committee, _valid


class WarningSerializer(serializers.Serializer):
    code = serializers.CharField()
    label = serializers.CharField()


class BranchSerializer(serializers.ModelSerializer):
    organ_name = serializers.CharField(source="organ.name", read_only=True)
    n_members = serializers.IntegerField(read_only=True)
    n_full = serializers.IntegerField(read_only=True)
    term_ends_on = serializers.DateField(read_only=True, allow_null=True)
    warnings = serializers.SerializerMethodField()

    class Meta:
        model = Branch
        fields = [
            "id", "organ", "organ_name", "name", "kind", "founded_on", "dissolved_on", "dissolution_reason",
            "note", "n_members", "n_full", "term_ends_on", "warnings",
        ]  # fmt: skip

    @extend_schema_field(WarningSerializer(many=True))
    def get_warnings(self, branch) -> list[dict]:
        return [{"code": k.code, "label": k.label} for k in WARNING_KINDS if getattr(branch, f"w_{k.code}", False)]


class BranchDetailSerializer(BranchSerializer):
    warning_texts = serializers.SerializerMethodField()
    current_term = serializers.IntegerField(source="current_term_id", read_only=True, allow_null=True)

    class Meta(BranchSerializer.Meta):
        fields = [*BranchSerializer.Meta.fields, "warning_texts", "current_term"]

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_warning_texts(self, branch) -> list[str]:
        return [text for _, text in describe_warnings(branch, self.context["rules"])]


class BranchWriteSerializer(serializers.Serializer):
    organ = serializers.IntegerField(help_text="所属机关 id（须在您的管理范围内）")
    name = serializers.CharField(max_length=100)
    kind = serializers.ChoiceField(choices=BranchKind.choices, default=BranchKind.ORGAN)
    founded_on = serializers.DateField()
    note = serializers.CharField(required=False, allow_blank=True)


class DissolveSerializer(serializers.Serializer):
    dissolved_on = serializers.DateField()
    reason = serializers.CharField(max_length=200)


def _rules() -> OrganisationRules:
    return OrganisationRules.for_year(timezone.localdate().year)


@extend_schema_view(
    list=extend_schema(
        summary="党支部列表（含人数、届满日期和组织设置预警）",
        description="筛选同页面：q、organ、kind、state（active/dissolved/all，默认 active）、warning。",
        responses={200: BranchSerializer(many=True), **LIST_ERRORS},
    ),
    retrieve=extend_schema(summary="党支部详情（含预警说明）", responses={200: BranchDetailSerializer, **ERRORS}),
    create=extend_schema(
        summary="成立党支部（机关党委、工委）",
        request=BranchWriteSerializer,
        responses={201: BranchDetailSerializer, **ERRORS},
    ),
    partial_update=extend_schema(
        summary="修改党支部信息（支部书记只能改名称和备注）",
        request=BranchWriteSerializer,
        responses={200: BranchDetailSerializer, **ERRORS},
    ),
    destroy=extend_schema(summary="删除误建且无任何记录的党支部", responses={204: None, **TRANSITION_ERRORS}),
)
class BranchViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = BranchSerializer
    filterset_class = BranchFilter
    ordering_fields = ["name", "founded_on", "n_members", "n_full", "term_ends_on"]
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # the schema generator reads no rules
            return Branch.objects.none()
        return Branch.objects.visible_to(self.request.user).select_related("organ").with_warnings(_rules())

    def get_serializer_context(self):
        if getattr(self, "swagger_fake_view", False):
            return super().get_serializer_context()
        return {**super().get_serializer_context(), "rules": _rules()}

    def _detail(self, pk: int, status_code=status.HTTP_200_OK) -> Response:
        branch = Branch.objects.select_related("organ").with_warnings(_rules()).get(pk=pk)
        return Response(BranchDetailSerializer(branch, context=self.get_serializer_context()).data, status=status_code)

    def list(self, request, *args, **kwargs):
        _require_staff_or_committee(request.user)
        return super().list(request, *args, **kwargs)

    def retrieve(self, request, pk=None):
        return self._detail(get_branch_for_user(request.user, pk).pk)

    def create(self, request):
        CREATE_BRANCH.require(request.user)
        serializer = BranchWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        form = _valid(BranchForm(serializer.validated_data, user=request.user))
        branch = services.save_branch(form.save(commit=False), by=request.user, reason="成立支部")
        return self._detail(branch.pk, status.HTTP_201_CREATED)

    def partial_update(self, request, pk=None):
        branch = get_branch_for_user(request.user, pk, write=True)
        serializer = BranchWriteSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        data = _form_data(branch, BranchForm._meta.fields, serializer.validated_data)
        form = _valid(BranchForm(data, instance=branch, user=request.user))
        services.save_branch(form.save(commit=False), by=request.user)
        return self._detail(branch.pk)

    def destroy(self, request, pk=None):
        branch = get_branch_for_user(request.user, pk)
        DELETE_BRANCH.require(request.user, branch)
        try:
            services.delete_empty_branch(branch, by=request.user)
        except services.OrganisationError as exc:
            # The branch's records forbid it: a state of the branch, not something to re-type.
            raise Conflict(str(exc)) from exc
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        summary="撤销党支部（支部须已无党员；记录保留）",
        request=DissolveSerializer,
        responses={200: BranchDetailSerializer, **TRANSITION_ERRORS},
    )
    @action(detail=True, methods=["post"])
    def dissolve(self, request, pk=None):
        branch = get_branch_for_user(request.user, pk)
        DISSOLVE_BRANCH.require(request.user, branch)
        serializer = DissolveSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        form = _valid(DissolveForm({**serializer.validated_data, "confirm": True}))
        try:
            services.dissolve_branch(
                branch, on=form.cleaned_data["dissolved_on"], reason=form.cleaned_data["reason"], by=request.user
            )
        except services.OrganisationError as exc:
            branch.refresh_from_db(fields=["dissolved_on"])
            if branch.dissolved_on is not None:
                raise Conflict(str(exc)) from exc
            raise
        return self._detail(branch.pk)
