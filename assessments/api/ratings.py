"""JSON API of assessments: 星级评定."""

from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema,
    extend_schema_field,
    extend_schema_view,
)
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from accounts.scope import scope_of
from core.api import ERRORS, TRANSITION_ERRORS

from .. import ratings, trial
from ..filters import ResultFilter
from ..models import (
    RatingResult,
    RatingRun,
)
from ..results import distributions
from .base import Viewset, _label, _require, _state


class GapSerializer(serializers.Serializer):
    kind = serializers.CharField(help_text="period 未到期的考核期 / score 未评分 / filing 未完成的填报")
    kind_label = serializers.CharField()
    label = serializers.CharField()
    count = serializers.IntegerField(allow_null=True, help_text="本人可见范围内的数量；无可计数时为 null")
    unit = serializers.CharField()


class RatingRunSerializer(serializers.ModelSerializer):
    status = _state(
        "queued 排队中 / running 计算中 / draft 待发布 / published 已发布 / superseded 已被替代 / failed 计算失败"
    )
    status_label = _label(RatingRun, "status")
    scheme_version = serializers.IntegerField(source="scheme.version", read_only=True)
    is_trial = serializers.BooleanField(
        read_only=True, help_text="试算：在年度最后一个考核期到期（complete_on）前计算，结果不完整，不向支部展示"
    )
    gaps = serializers.SerializerMethodField(help_text="计算时尚缺事项（本人可见范围内的数量）")

    class Meta:
        model = RatingRun
        fields = [
            "id", "year", "number", "scheme", "scheme_version", "status", "status_label", "as_of", "error",
            "n_branches", "inputs_digest", "created_by", "created_at", "started_at", "finished_at",
            "published_by", "published_at", "is_trial", "complete_on", "trial_reason", "gaps",
        ]  # fmt: skip
        read_only_fields = fields

    @extend_schema_field(GapSerializer(many=True))
    def get_gaps(self, run) -> list[dict]:
        return GapSerializer(trial.gaps_for(run, self.context["request"].user), many=True).data


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


class RatingRunPublishSerializer(serializers.Serializer):
    trial_reason = serializers.CharField(
        label="试算提前发布理由",
        required=False,
        allow_blank=True,
        max_length=500,
        help_text="发布试算时必填：在年度考核期全部到期前发布的理由（记录发布人和时间）；其他评定不需要",
    )


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
        return Response(self.get_serializer(run).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(
        summary="发布星级评定结果（工委；试算须填写提前发布理由）",
        request=RatingRunPublishSerializer,
        responses={200: RatingRunSerializer, **TRANSITION_ERRORS},
    )
    @action(detail=True, methods=["post"])
    def publish(self, request, pk=None):
        run = self.get_object()
        data = self.valid(RatingRunPublishSerializer)
        run = ratings.publish_run(run, by=request.user, trial_reason=data.get("trial_reason", ""))
        return Response(self.get_serializer(run).data)


class RatingResultSerializer(serializers.ModelSerializer):
    year = serializers.IntegerField(source="run.year", read_only=True)
    is_trial = serializers.BooleanField(
        source="run.is_trial", read_only=True, help_text="试算批次的结果（仅工委和机关党委可见）"
    )
    tier = _state("advanced 先进 / good 良好 / ordinary 一般 / backward 后进")
    tier_label = _label(RatingResult, "tier")
    change_label = serializers.CharField(read_only=True)
    paired_with_branch = serializers.CharField(source="paired_with.branch_name", read_only=True, allow_null=True)
    dimensions = serializers.DictField(child=serializers.CharField(), read_only=True)
    breakdown = serializers.ListField(child=serializers.DictField(), read_only=True)

    class Meta:
        model = RatingResult
        fields = [
            "id", "run", "year", "is_trial", "branch", "organ", "organ_name", "branch_name", "secretary_name",
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
        summary="星级评定结果（机关党委：本单位；支部委员：本支部，试算除外；工委：全部）",
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
        results = ratings.visible_results(self.request.user)
        year = self.request.query_params.get("year", "")
        if year.isdigit():
            results = results.filter(run__year=int(year))
        return results.select_related("run", "paired_with").order_by("run", "rank", "branch_name", "pk")
