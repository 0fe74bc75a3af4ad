"""JSON API of branches: committee terms and seats."""

import django_filters
from django.db.models import Prefetch
from drf_spectacular.utils import (
    extend_schema,
    extend_schema_view,
)
from rest_framework import exceptions, mixins, serializers, status, viewsets
from rest_framework.response import Response

from core.api import ERRORS

from .. import services
from ..access import get_branch_for_user, get_term_for_user
from ..choices import (
    CommitteePost,
)
from ..filters import ScopedFilterSet
from ..forms.organisation import CommitteeTermForm, SeatFormSet
from ..models import (
    Branch,
    CommitteeMember,
    CommitteeTerm,
    Organ,
)
from ..selectors import POST_ORDER
from .base import LIST_ERRORS, _form_data, _valid


class SeatSerializer(serializers.Serializer):
    member = serializers.IntegerField()
    member_name = serializers.CharField(source="member.name", read_only=True)
    post = serializers.ChoiceField(choices=CommitteePost.choices)

    def to_representation(self, seat):
        return {"member": seat.member_id, "member_name": seat.member.name, "post": seat.post}


class TermSerializer(serializers.ModelSerializer):
    branch_name = serializers.CharField(source="branch.name", read_only=True)
    seats = SeatSerializer(many=True, read_only=True)

    class Meta:
        model = CommitteeTerm
        fields = ["id", "branch", "branch_name", "elected_on", "term_years", "ends_on", "note", "seats"]


class TermWriteSerializer(serializers.Serializer):
    branch = serializers.IntegerField(help_text="支部 id（新建时必填，修改时忽略）", required=False)
    elected_on = serializers.DateField()
    term_years = serializers.IntegerField(min_value=1, max_value=5)
    note = serializers.CharField(max_length=200, required=False, allow_blank=True)
    seats = SeatSerializer(many=True, help_text="本届支委及职务（须有一名书记）")


class TermFilter(ScopedFilterSet):
    branch = django_filters.ModelChoiceFilter(queryset=Branch.objects.none())
    organ = django_filters.ModelChoiceFilter(field_name="branch__organ", queryset=Organ.objects.none())

    class Meta:
        model = CommitteeTerm
        fields = ["branch", "organ"]

    def __init__(self, data=None, *args, user=None, **kwargs):
        super().__init__(data, *args, **kwargs)
        self.scope_choices(user)


@extend_schema_view(
    list=extend_schema(summary="支委会届次列表（含支委）", responses={200: TermSerializer(many=True), **LIST_ERRORS}),
    retrieve=extend_schema(summary="届次详情", responses={200: TermSerializer, **ERRORS}),
    create=extend_schema(
        summary="登记换届选举（届次与支委）", request=TermWriteSerializer, responses={201: TermSerializer, **ERRORS}
    ),
    partial_update=extend_schema(
        summary="修改届次与支委", request=TermWriteSerializer, responses={200: TermSerializer, **ERRORS}
    ),
)
class TermViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = TermSerializer
    filterset_class = TermFilter
    ordering_fields = ["elected_on", "ends_on"]
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        seats = CommitteeMember.objects.select_related("member").order_by(POST_ORDER, "pk")
        return (
            CommitteeTerm.objects.visible_to(self.request.user)
            .select_related("branch")
            .prefetch_related(Prefetch("seats", queryset=seats))
        )

    def _answer(self, term, status_code=status.HTTP_200_OK) -> Response:
        return Response(TermSerializer(self.get_queryset().get(pk=term.pk)).data, status=status_code)

    def retrieve(self, request, pk=None):
        return self._answer(get_term_for_user(request.user, pk))

    def _save(self, request, branch, term, *, partial: bool) -> CommitteeTerm:
        serializer = TermWriteSerializer(data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        seats = data.pop("seats", None)
        data.pop("branch", None)
        form = _valid(
            CommitteeTermForm(_form_data(term, CommitteeTermForm._meta.fields, data), instance=term, branch=branch)
        )
        if seats is None:
            seats = [{"member": s.member_id, "post": s.post} for s in term.seats.all()]
        formset_data = {
            "seats-TOTAL_FORMS": str(len(seats)),
            "seats-INITIAL_FORMS": "0",
            "seats-MIN_NUM_FORMS": "0",
            "seats-MAX_NUM_FORMS": "1000",
        }
        for i, seat in enumerate(seats):
            formset_data[f"seats-{i}-member"] = seat["member"]
            formset_data[f"seats-{i}-post"] = seat["post"]
        formset = SeatFormSet(formset_data, form_kwargs={"branch": branch}, prefix="seats")
        if not formset.is_valid():
            errors = [dict(e) for e in formset.errors if e] + list(formset.non_form_errors())
            raise exceptions.ValidationError({"seats": errors})
        return services.save_committee_term(form.save(commit=False), formset.seats(), by=request.user)

    def create(self, request):
        branch_id = request.data.get("branch") if hasattr(request.data, "get") else None
        if branch_id in (None, ""):
            raise exceptions.ValidationError({"branch": ["请选择支部。"]})
        try:
            branch_id = int(branch_id)
        except (TypeError, ValueError):
            raise exceptions.ValidationError({"branch": ["支部应为整数 id。"]}) from None
        branch = get_branch_for_user(request.user, branch_id, write=True)
        term = self._save(request, branch, CommitteeTerm(branch=branch), partial=False)
        return self._answer(term, status.HTTP_201_CREATED)

    def partial_update(self, request, pk=None):
        term = get_term_for_user(request.user, pk, write=True)
        return self._answer(self._save(request, term.branch, term, partial=True))
