"""JSON API of assessments: 评分、自评、加减分."""

from decimal import Decimal

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema,
    extend_schema_view,
)
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from branches.access import get_branch_for_user
from branches.models import Branch
from core.api import ERRORS

from .. import scores
from ..choices import AdjustmentKind
from ..models import (
    Adjustment,
    AdjustmentItem,
    AssessmentScheme,
    Indicator,
    IndicatorScore,
)
from ..permissions import SCORE_BRANCH, SEE_ADJUSTMENTS, SELF_SCORE
from .base import NO_BODY, YEAR_PARAM, Viewset, _label, _require, _state


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
        SCORE_BRANCH.require(request.user, branch)
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
        SELF_SCORE.require(request.user, branch)
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
        SEE_ADJUSTMENTS.require(self.request.user)
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
