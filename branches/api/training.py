"""JSON API of branches: training records (学时)."""

import django_filters
from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.utils import (
    extend_schema,
    extend_schema_view,
)
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.response import Response

from core.api import ERRORS

from .. import orglife
from ..access import get_branch_for_user
from ..filters import ScopedFilterSet
from ..forms.orglife import TrainingForm
from ..models import (
    Branch,
    Member,
    TrainingRecord,
)
from ..permissions import DELETE_TRAINING
from .base import LIST_ERRORS, YearFilter, _valid
from .members import TrainingRecordSerializer


class TrainingWriteSerializer(serializers.Serializer):
    branch = serializers.IntegerField(help_text="支部 id：参训党员须为该支部党员")
    members = serializers.ListField(child=serializers.IntegerField(), required=False, help_text="参训党员 id")
    everyone = serializers.BooleanField(default=False, help_text="本支部全体党员参加")
    title = serializers.CharField(max_length=200)
    held_on = serializers.DateField()
    hours = serializers.DecimalField(max_digits=4, decimal_places=1)


class TrainingFilter(ScopedFilterSet):
    member = django_filters.NumberFilter(field_name="member_id")
    branch = django_filters.ModelChoiceFilter(field_name="member__branch", queryset=Branch.objects.none())
    year = YearFilter(field_name="held_on")

    class Meta:
        model = TrainingRecord
        fields = ["member", "branch", "year"]

    def __init__(self, data=None, *args, user=None, **kwargs):
        super().__init__(data, *args, **kwargs)
        self.scope_choices(user)


@extend_schema_view(
    list=extend_schema(
        summary="培训学时记录（党员本人可查看自己的）",
        responses={200: TrainingRecordSerializer(many=True), **LIST_ERRORS},
    ),
    retrieve=extend_schema(summary="培训学时记录详情", responses={200: TrainingRecordSerializer, **ERRORS}),
    create=extend_schema(
        summary="登记培训学时（一名或多名党员）",
        request=TrainingWriteSerializer,
        responses={201: TrainingRecordSerializer(many=True), **ERRORS},
    ),
    destroy=extend_schema(summary="删除误登记的学时记录", responses={204: None, **ERRORS}),
)
class TrainingViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = TrainingRecordSerializer
    filterset_class = TrainingFilter
    ordering_fields = ["held_on", "hours"]

    def get_queryset(self):
        return (
            TrainingRecord.objects.filter(member__in=Member.objects.visible_to(self.request.user))
            .select_related("member")
            .order_by("-held_on", "-pk")
        )

    def get_object(self):
        return get_object_or_404(self.get_queryset().select_related("member__branch"), pk=self.kwargs["pk"])

    def create(self, request):
        serializer = TrainingWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        branch = get_branch_for_user(request.user, data.pop("branch"), write=True)
        form = _valid(TrainingForm(data, branch=branch))
        cleaned = form.cleaned_data
        records = orglife.record_training(
            list(cleaned["members"]),
            held_on=cleaned["held_on"],
            title=cleaned["title"],
            hours=cleaned["hours"],
            by=request.user,
            today=timezone.localdate(),
        )
        created = self.get_queryset().filter(pk__in=[r.pk for r in records])
        return Response(TrainingRecordSerializer(created, many=True).data, status=status.HTTP_201_CREATED)

    def destroy(self, request, pk=None):
        record = self.get_object()
        DELETE_TRAINING.require(request.user, record.member)
        orglife.delete_training(record, by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)
