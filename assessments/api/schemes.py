"""JSON API of assessments: 考核方案."""

from django.db.models import Prefetch, Sum
from drf_spectacular.utils import (
    extend_schema,
    extend_schema_view,
)
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from core.api import ERRORS

from .. import schemes
from ..choices import AdjustmentKind
from ..models import (
    AdjustmentItem,
    AssessmentScheme,
    Dimension,
    Indicator,
)
from ..permissions import EDIT_SCHEMES, SEE_SCHEMES
from .base import NO_BODY, Viewset, _label, _state


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
    SEE_SCHEMES.require(user)


def _require_scheme_editor(user) -> None:
    EDIT_SCHEMES.require(user)


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
