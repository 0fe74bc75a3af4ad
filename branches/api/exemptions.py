"""JSON API of branches: exemptions (机关党委 of the branch's organ, 工委)."""

import django_filters
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import (
    extend_schema,
    extend_schema_view,
)
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.response import Response

from core.api import ERRORS

from .. import orglife
from ..access import get_branch_for_user
from ..choices import (
    MeetingKind,
)
from ..filters import ScopedFilterSet
from ..forms.orglife import ExemptionForm
from ..models import (
    Branch,
    Organ,
    RequirementExemption,
)
from ..permissions import GRANT_EXEMPTION, REVOKE_EXEMPTION
from .base import LIST_ERRORS, _valid


class ExemptionSerializer(serializers.ModelSerializer):
    branch_name = serializers.CharField(source="branch.name", read_only=True)
    granted_by = serializers.CharField(source="granted_by.full_name", read_only=True)

    class Meta:
        model = RequirementExemption
        fields = ["id", "branch", "branch_name", "kind", "starts_on", "ends_on", "reason", "granted_by", "granted_at"]


class ExemptionWriteSerializer(serializers.Serializer):
    branch = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=MeetingKind.choices, required=False, allow_blank=True)
    starts_on = serializers.DateField()
    ends_on = serializers.DateField()
    reason = serializers.CharField(max_length=200)


class ExemptionFilter(ScopedFilterSet):
    organ = django_filters.ModelChoiceFilter(field_name="branch__organ", queryset=Organ.objects.none())
    branch = django_filters.ModelChoiceFilter(queryset=Branch.objects.none())
    kind = django_filters.ChoiceFilter(choices=MeetingKind.choices)

    class Meta:
        model = RequirementExemption
        fields = ["organ", "branch", "kind"]

    def __init__(self, data=None, *args, user=None, **kwargs):
        super().__init__(data, *args, **kwargs)
        self.scope_choices(user)


@extend_schema_view(
    list=extend_schema(summary="组织生活豁免列表", responses={200: ExemptionSerializer(many=True), **LIST_ERRORS}),
    retrieve=extend_schema(summary="豁免详情", responses={200: ExemptionSerializer, **ERRORS}),
    create=extend_schema(
        summary="批准豁免（本机关党委、工委）",
        request=ExemptionWriteSerializer,
        responses={201: ExemptionSerializer, **ERRORS},
    ),
    destroy=extend_schema(summary="撤销豁免（本机关党委、工委）", responses={204: None, **ERRORS}),
)
class ExemptionViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = ExemptionSerializer
    filterset_class = ExemptionFilter
    ordering_fields = ["starts_on", "ends_on"]

    def get_queryset(self):
        return (
            RequirementExemption.objects.filter(branch__in=Branch.objects.visible_to(self.request.user))
            .select_related("branch", "granted_by")
            .order_by("-starts_on", "-pk")
        )

    def get_object(self):
        return get_object_or_404(self.get_queryset(), pk=self.kwargs["pk"])

    def create(self, request):
        serializer = ExemptionWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        branch = get_branch_for_user(request.user, data.pop("branch"))
        GRANT_EXEMPTION.require(request.user, branch)
        form = _valid(ExemptionForm(data))
        exemption = orglife.grant_exemption(branch, by=request.user, **form.cleaned_data)
        return Response(ExemptionSerializer(exemption).data, status=status.HTTP_201_CREATED)

    def destroy(self, request, pk=None):
        exemption = self.get_object()
        REVOKE_EXEMPTION.require(request.user, exemption.branch)
        orglife.revoke_exemption(exemption, by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)
