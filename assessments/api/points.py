"""JSON API of assessments: 党员积分."""

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema,
    extend_schema_view,
)
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from accounts.scope import scope_of
from branches.access import get_branch_for_user, get_member_for_user
from core.api import ERRORS

from .. import points
from ..models import (
    PointEntry,
    PointRule,
)
from ..permissions import SET_POINT_RULES
from .appraisals import ReasonSerializer
from .base import NO_BODY, Viewset, _label, _require, _state


class PointRuleSerializer(serializers.ModelSerializer):
    class Meta:
        model = PointRule
        fields = ["id", "year", "name", "points", "yearly_cap", "once_only", "sort_order"]
        extra_kwargs = {"year": {"min_value": 2000, "max_value": 2100, "help_text": "修改时忽略（规则属于其年度）"}}
        validators = []  # a taken name is the service's message


def _rule_data(data: dict) -> points.RuleData:
    return points.RuleData(
        name=data["name"],
        points=data["points"],
        yearly_cap=data.get("yearly_cap"),
        once_only=data.get("once_only", False),
        sort_order=data.get("sort_order", 0),
    )


@extend_schema_view(
    list=extend_schema(
        summary="党员积分规则（按年度；只列出已生成的年度）", responses={200: PointRuleSerializer, **ERRORS}
    ),
    retrieve=extend_schema(summary="积分规则详情", responses={200: PointRuleSerializer, **ERRORS}),
    create=extend_schema(
        summary="新增积分规则（工委）", request=PointRuleSerializer, responses={201: PointRuleSerializer, **ERRORS}
    ),
    update=extend_schema(
        summary="修改积分规则（工委）",
        request=PointRuleSerializer,
        responses={200: PointRuleSerializer, **ERRORS},
    ),
    destroy=extend_schema(summary="删除积分规则（工委；已有积分记录的不能删除）", responses={**NO_BODY, **ERRORS}),
)
class PointRuleViewSet(Viewset, mixins.ListModelMixin, mixins.RetrieveModelMixin):
    queryset = PointRule.objects.none()
    serializer_class = PointRuleSerializer
    filterset_fields = ["year", "once_only"]
    ordering_fields = ["year", "sort_order", "points"]
    http_method_names = ["get", "post", "put", "delete", "head", "options"]

    def get_queryset(self):
        _require(scope_of(self.request.user).is_staff_or_committee, "您的账号无权查看积分规则。")
        return PointRule.objects.order_by("year", "sort_order", "pk")

    def get_object(self):
        rule = super().get_object()
        if self.action != "retrieve":
            SET_POINT_RULES.require(self.request.user)
        return rule

    def create(self, request):
        SET_POINT_RULES.require(request.user)
        data = self.valid(PointRuleSerializer)
        rule = points.save_rule(data["year"], _rule_data(data), by=request.user)
        return Response(PointRuleSerializer(rule).data, status=status.HTTP_201_CREATED)

    def update(self, request, pk=None):
        rule = self.get_object()
        data = self.valid(PointRuleSerializer)
        rule = points.save_rule(rule.year, _rule_data(data), rule=rule, by=request.user)
        return Response(PointRuleSerializer(rule).data)

    def destroy(self, request, pk=None):
        points.delete_rule(self.get_object(), by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class PointEntrySerializer(serializers.ModelSerializer):
    member_name = serializers.CharField(source="member.name", read_only=True)
    branch = serializers.IntegerField(source="member.branch_id", read_only=True)
    rule_name = serializers.CharField(source="rule.name", read_only=True)
    status = _state("pending 待审核 / approved 已审核 / rejected 未通过")
    status_label = _label(PointEntry, "status")

    class Meta:
        model = PointEntry
        fields = [
            "id", "member", "member_name", "branch", "rule", "rule_name", "year", "points", "occurred_on",
            "note", "status", "status_label", "added_by", "added_at", "approved_by", "approved_at",
            "reject_reason",
        ]  # fmt: skip
        read_only_fields = fields


class PointEntryCreateSerializer(serializers.Serializer):
    member = serializers.IntegerField(label="党员", min_value=1)
    rule = serializers.IntegerField(label="积分事项", min_value=1)
    occurred_on = serializers.DateField(label="发生日期")
    note = serializers.CharField(label="事由", max_length=200)


class PointTotalSerializer(serializers.Serializer):
    member = serializers.IntegerField(source="member.pk")
    member_name = serializers.CharField(source="member.name")
    added = serializers.DecimalField(max_digits=8, decimal_places=2)
    deducted = serializers.DecimalField(max_digits=8, decimal_places=2)
    total = serializers.DecimalField(max_digits=8, decimal_places=2)
    pending = serializers.IntegerField()
    rank = serializers.IntegerField()


@extend_schema_view(
    list=extend_schema(
        summary="党员积分记录（可见范围内；党员可见本人）", responses={200: PointEntrySerializer, **ERRORS}
    ),
    retrieve=extend_schema(summary="积分记录详情", responses={200: PointEntrySerializer, **ERRORS}),
    create=extend_schema(
        summary="登记党员积分（待其他支委审核）",
        request=PointEntryCreateSerializer,
        responses={201: PointEntrySerializer, **ERRORS},
    ),
)
class PointEntryViewSet(Viewset, mixins.ListModelMixin, mixins.RetrieveModelMixin):
    queryset = PointEntry.objects.none()
    serializer_class = PointEntrySerializer
    filterset_fields = {
        "year": ["exact"],
        "status": ["exact"],
        "member": ["exact"],
        "member__branch": ["exact"],
        "member__branch__organ": ["exact"],
        "rule": ["exact"],
    }
    ordering_fields = ["occurred_on", "added_at", "points"]
    http_method_names = ["get", "post", "head", "options"]

    def get_queryset(self):
        return PointEntry.objects.visible_to(self.request.user).select_related("member", "rule")

    def create(self, request):
        data = self.valid(PointEntryCreateSerializer)
        member = get_member_for_user(request.user, data["member"], write=True)
        rule = get_object_or_404(PointRule, pk=data["rule"])
        entry = points.add_entry(member, rule, occurred_on=data["occurred_on"], note=data["note"], by=request.user)
        return Response(PointEntrySerializer(self.get_queryset().get(pk=entry.pk)).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="审核通过积分记录（非登记人）", request=None, responses={200: PointEntrySerializer, **ERRORS}
    )
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        entry = self.get_object()
        points.approve_entry(entry, by=request.user)
        return Response(PointEntrySerializer(self.get_object()).data)

    @extend_schema(
        summary="不通过积分记录（非登记人，须写明原因）",
        request=ReasonSerializer,
        responses={200: PointEntrySerializer, **ERRORS},
    )
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        entry = self.get_object()
        _require(
            points.can_approve(request.user, entry), "登记人不能审核自己登记的积分，请由其他支委或上级党组织审核。"
        )
        data = self.valid(ReasonSerializer)
        points.reject_entry(entry, reason=data["reason"], by=request.user)
        return Response(PointEntrySerializer(self.get_object()).data)

    @extend_schema(
        summary="积分合计与排名（支部全体，或一名党员）",
        parameters=[
            OpenApiParameter("year", int, required=True),
            OpenApiParameter("branch", int, description="支部（与 member 二选一）"),
            OpenApiParameter("member", int, description="党员（与 branch 二选一）"),
        ],
        responses={200: PointTotalSerializer(many=True), **ERRORS},
    )
    @action(detail=False, methods=["get"], filter_backends=[], pagination_class=None)
    def totals(self, request):
        params = request.query_params
        year = params.get("year", "")
        if not year.isdigit() or not 2000 <= int(year) <= 2100:
            raise serializers.ValidationError({"year": ["请填写正确的年度。"]})
        if params.get("member", "").isdigit():
            member = get_member_for_user(request.user, int(params["member"]))
            lines = [points.member_total(member, int(year))]
        elif params.get("branch", "").isdigit():
            branch = get_branch_for_user(request.user, int(params["branch"]))
            lines = points.branch_totals(branch, int(year))
        else:
            raise serializers.ValidationError({"branch": ["请指定支部或党员。"]})
        return Response(PointTotalSerializer(lines, many=True).data)
