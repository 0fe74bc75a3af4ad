"""JSON API of assessments: 民主评议党员."""

from django.db.models import Prefetch
from drf_spectacular.utils import (
    extend_schema,
    extend_schema_view,
)
from rest_framework import mixins, serializers
from rest_framework.decorators import action
from rest_framework.response import Response

from branches.access import get_branch_for_user
from core.api import ERRORS

from .. import appraisal as appraisals
from ..choices import AppraisalGrade
from ..models import (
    Appraisal,
    AppraisalEntry,
)
from ..permissions import RECORD_APPRAISAL, REOPEN_APPRAISAL, SEE_APPRAISALS
from .base import Viewset, _label, _state


class AppraisalEntrySerializer(serializers.ModelSerializer):
    member_name = serializers.CharField(source="member.name", read_only=True)
    self_grade = _state()
    proposed_grade = _state()
    grade = _state("excellent 优秀 / qualified 合格 / basic 基本合格 / unqualified 不合格")

    class Meta:
        model = AppraisalEntry
        fields = [
            "id", "member", "member_name", "is_probationary", "self_grade", *appraisals.VOTE_FIELDS,
            "proposed_grade", "grade", "note",
        ]  # fmt: skip
        read_only_fields = fields


class AppraisalSerializer(serializers.ModelSerializer):
    branch_name = serializers.CharField(source="branch.name", read_only=True)
    organ = serializers.IntegerField(source="branch.organ_id", read_only=True)
    status = _state("draft 评议中 / finalized 已确定")
    status_label = _label(Appraisal, "status")
    entries = AppraisalEntrySerializer(many=True, read_only=True)

    class Meta:
        model = Appraisal
        fields = [
            "id", "branch", "branch_name", "organ", "year", "held_on", "status", "status_label",
            "finalized_by", "finalized_at", "entries",
        ]  # fmt: skip
        read_only_fields = fields


class AppraisalOpenSerializer(serializers.Serializer):
    branch = serializers.IntegerField(label="支部", min_value=1)
    year = serializers.IntegerField(label="年度", min_value=2000, max_value=2100)


def _grades(prefix: str) -> list[tuple[str, str]]:
    """The grades, labelled by who gives them (each column is its own choice set in the schema)."""
    return [("", "—"), *((value, f"{prefix}{label}") for value, label in AppraisalGrade.choices)]


class AppraisalRowSerializer(serializers.Serializer):
    """One row of the grid; fields left out keep their saved value."""

    id = serializers.IntegerField(label="评议名单行", min_value=1)
    self_grade = serializers.ChoiceField(label="自评", choices=_grades("自评"), required=False)
    peer_excellent = serializers.IntegerField(label="互评优秀票", min_value=0, required=False)
    peer_qualified = serializers.IntegerField(label="互评合格票", min_value=0, required=False)
    peer_basic = serializers.IntegerField(label="互评基本合格票", min_value=0, required=False)
    peer_unqualified = serializers.IntegerField(label="互评不合格票", min_value=0, required=False)
    proposed_grade = serializers.ChoiceField(label="支委会建议", choices=_grades("建议"), required=False)
    grade = serializers.ChoiceField(label="评定等次", choices=_grades(""), required=False)
    note = serializers.CharField(label="备注", max_length=200, required=False, allow_blank=True)


class AppraisalEntriesSerializer(serializers.Serializer):
    entries = AppraisalRowSerializer(many=True, allow_empty=False)


class AppraisalFinalizeSerializer(serializers.Serializer):
    held_on = serializers.DateField(label="评议日期")
    measures = serializers.CharField(
        label="不合格党员整改措施", max_length=1000, required=False, allow_blank=True, default=""
    )


class ReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(label="原因", max_length=200)


@extend_schema_view(
    list=extend_schema(summary="民主评议党员（可见范围内各支部）", responses={200: AppraisalSerializer, **ERRORS}),
    retrieve=extend_schema(summary="民主评议详情（评议名单）", responses={200: AppraisalSerializer, **ERRORS}),
)
class AppraisalViewSet(Viewset, mixins.ListModelMixin, mixins.RetrieveModelMixin):
    queryset = Appraisal.objects.none()
    serializer_class = AppraisalSerializer
    filterset_fields = {"year": ["exact"], "branch": ["exact"], "branch__organ": ["exact"], "status": ["exact"]}
    ordering_fields = ["year", "held_on"]

    def get_queryset(self):
        if self.action == "list":
            SEE_APPRAISALS.require(self.request.user)
        return (
            Appraisal.objects.visible_to(self.request.user)
            .select_related("branch")
            .prefetch_related(
                Prefetch(
                    "entries",
                    appraisals.AppraisalEntry.objects.select_related("member").order_by("member__name_pinyin", "pk"),
                )
            )
        )

    def _answer(self, appraisal) -> Response:
        return Response(AppraisalSerializer(self.get_queryset().get(pk=appraisal.pk)).data)

    def _writable(self, pk) -> Appraisal:
        appraisal = self.get_object()
        get_branch_for_user(self.request.user, appraisal.branch_id, write=True)
        return appraisal

    @extend_schema(
        summary="开始民主评议（按党员名册生成或更新评议名单）",
        request=AppraisalOpenSerializer,
        responses={200: AppraisalSerializer, **ERRORS},
    )
    @action(detail=False, methods=["post"], url_path="open")
    def open_(self, request):
        data = self.valid(AppraisalOpenSerializer)
        branch = get_branch_for_user(request.user, data["branch"], write=True)
        return self._answer(appraisals.open_appraisal(branch, data["year"], by=request.user))

    @extend_schema(
        summary="录入评议结果（整表校验，一行有误则不保存）",
        request=AppraisalEntriesSerializer,
        responses={200: AppraisalSerializer, **ERRORS},
    )
    @action(detail=True, methods=["post"])
    def entries(self, request, pk=None):
        appraisal = self.get_object()
        RECORD_APPRAISAL.require(request.user, appraisal.branch)
        data = self.valid(AppraisalEntriesSerializer)
        current = {e.pk: e for e in appraisal.entries.all()}
        rows = {}
        for row in data["entries"]:
            saved = current.get(row["id"])
            base = {name: getattr(saved, name) for name in appraisals.ENTRY_FIELDS} if saved else {}
            rows[row["id"]] = {**base, **{k: v for k, v in row.items() if k != "id"}}
        appraisals.save_entries(appraisal, rows, by=request.user)
        return self._answer(appraisal)

    @extend_schema(
        summary="确定评议结果（不合格党员自动登记整改问题）",
        request=AppraisalFinalizeSerializer,
        responses={200: AppraisalSerializer, **ERRORS},
    )
    @action(detail=True, methods=["post"])
    def finalize(self, request, pk=None):
        appraisal = self._writable(pk)
        data = self.valid(AppraisalFinalizeSerializer)
        appraisals.finalize(appraisal, held_on=data["held_on"], measures=data["measures"], by=request.user)
        return self._answer(appraisal)

    @extend_schema(
        summary="退回修改评议结果（机关党委、工委）",
        request=ReasonSerializer,
        responses={200: AppraisalSerializer, **ERRORS},
    )
    @action(detail=True, methods=["post"])
    def reopen(self, request, pk=None):
        appraisal = self.get_object()
        REOPEN_APPRAISAL.require(request.user, appraisal.branch)
        data = self.valid(ReasonSerializer)
        appraisals.reopen(appraisal, reason=data["reason"], by=request.user)
        return self._answer(appraisal)
