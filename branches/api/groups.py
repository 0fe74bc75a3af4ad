"""JSON API of branches: party groups."""

import django_filters
from django.db.models import Count
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import (
    extend_schema,
    extend_schema_view,
)
from rest_framework import exceptions, mixins, serializers, status, viewsets
from rest_framework.response import Response

from core.api import ERRORS

from .. import services
from ..access import get_branch_for_user
from ..filters import ScopedFilterSet
from ..forms.organisation import PartyGroupForm
from ..models import (
    GROUP_ORDER,
    Branch,
    PartyGroup,
)
from .base import LIST_ERRORS, _form_data, _valid


class PartyGroupSerializer(serializers.ModelSerializer):
    leader_name = serializers.CharField(source="leader.name", read_only=True, default=None)
    n_members = serializers.IntegerField(read_only=True)

    class Meta:
        model = PartyGroup
        fields = ["id", "branch", "name", "leader", "leader_name", "n_members"]


class PartyGroupWriteSerializer(serializers.Serializer):
    branch = serializers.IntegerField(required=False, help_text="支部 id（新建时必填，修改时忽略）")
    name = serializers.CharField(max_length=50)
    leader = serializers.IntegerField(required=False, allow_null=True, help_text="党小组长（本支部党员 id）")


class PartyGroupFilter(ScopedFilterSet):
    branch = django_filters.ModelChoiceFilter(queryset=Branch.objects.none())

    class Meta:
        model = PartyGroup
        fields = ["branch"]

    def __init__(self, data=None, *args, user=None, **kwargs):
        super().__init__(data, *args, **kwargs)
        self.scope_choices(user)


def _group_for_user(user, pk, *, write: bool = False) -> PartyGroup:
    group = get_object_or_404(PartyGroup.objects.filter(branch__in=Branch.objects.visible_to(user)), pk=pk)
    get_branch_for_user(user, group.branch_id, write=write)
    return group


@extend_schema_view(
    list=extend_schema(summary="党小组列表", responses={200: PartyGroupSerializer(many=True), **LIST_ERRORS}),
    retrieve=extend_schema(summary="党小组详情", responses={200: PartyGroupSerializer, **ERRORS}),
    create=extend_schema(
        summary="新建党小组", request=PartyGroupWriteSerializer, responses={201: PartyGroupSerializer, **ERRORS}
    ),
    partial_update=extend_schema(
        summary="修改党小组", request=PartyGroupWriteSerializer, responses={200: PartyGroupSerializer, **ERRORS}
    ),
    destroy=extend_schema(summary="删除党小组（组内党员改为未分组）", responses={204: None, **ERRORS}),
)
class PartyGroupViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = PartyGroupSerializer
    filterset_class = PartyGroupFilter
    ordering_fields = ["name"]
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_queryset(self):
        return (
            PartyGroup.objects.filter(branch__in=Branch.objects.visible_to(self.request.user))
            .select_related("leader")
            .annotate(n_members=Count("members"))
            .order_by("branch", *GROUP_ORDER)
        )

    def _answer(self, group, status_code=status.HTTP_200_OK) -> Response:
        return Response(PartyGroupSerializer(self.get_queryset().get(pk=group.pk)).data, status=status_code)

    def retrieve(self, request, pk=None):
        return self._answer(_group_for_user(request.user, pk))

    def _write(self, request, branch, group, *, partial: bool) -> PartyGroup:
        serializer = PartyGroupWriteSerializer(data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        data.pop("branch", None)
        form = _valid(PartyGroupForm(_form_data(group, ["name", "leader"], data), instance=group, branch=branch))
        return services.save_party_group(form.save(commit=False))

    def create(self, request):
        serializer = PartyGroupWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        if serializer.validated_data.get("branch") is None:
            raise exceptions.ValidationError({"branch": ["请选择支部。"]})
        branch = get_branch_for_user(request.user, serializer.validated_data["branch"], write=True)
        group = self._write(request, branch, PartyGroup(branch=branch), partial=False)
        return self._answer(group, status.HTTP_201_CREATED)

    def partial_update(self, request, pk=None):
        group = _group_for_user(request.user, pk, write=True)
        return self._answer(self._write(request, group.branch, group, partial=True))

    def destroy(self, request, pk=None):
        services.delete_party_group(_group_for_user(request.user, pk, write=True))
        return Response(status=status.HTTP_204_NO_CONTENT)
