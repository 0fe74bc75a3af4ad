"""JSON API of the branches app: organs, branches, members, committee terms, party groups,
meetings with attendance, votes and attachments, meeting requirements, exemptions and 学时.

Same rules as the pages: objects come from the same fetch-and-authorize helpers (404 outside the
user's scope, 403 for a role that may see but not act); writes go through the pages' own forms
(for the field-by-field checks of a roster entry, a term or a party group) and service functions.
"""

import django_filters
from django import forms
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Prefetch
from django.forms.models import model_to_dict
from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
    extend_schema_view,
)
from rest_framework import exceptions, mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.renderers import BrowsableAPIRenderer, JSONRenderer
from rest_framework.response import Response

from accounts.scope import scope_of
from core.api import ERRORS, TRANSITION_ERRORS, Conflict, XlsxFallbackMixin, XlsxRenderer, router, wants_xlsx
from core.validators import mask_id_number

from . import meetings as meeting_services
from . import orglife, services
from .access import get_branch_for_user, get_meeting_for_user, get_member_for_user, get_term_for_user
from .choices import (
    ETHNICITY_CHOICES,
    BranchKind,
    CommitteePost,
    Education,
    Gender,
    MeetingKind,
    MemberStatus,
    Period,
    RequirementScope,
)
from .filters import BranchFilter, MemberFilter, ScopedFilterSet
from .forms.meetings import MEETING_FIELDS
from .forms.organisation import BranchForm, CommitteeTermForm, DissolveForm, MemberForm, PartyGroupForm, SeatFormSet
from .forms.orglife import ExemptionForm, RequirementForm, TrainingForm
from .models import (
    Branch,
    CommitteeMember,
    CommitteeTerm,
    Meeting,
    MeetingAttachment,
    MeetingRequirement,
    Member,
    Organ,
    OrganisationRules,
    PartyGroup,
    RequirementExemption,
    TrainingRecord,
)
from .rules import WARNING_KINDS, describe_warnings
from .views.organisation import POST_ORDER, member_queryset
from .views.roster import roster_export

LIST_ERRORS = {k: v for k, v in ERRORS.items() if k != 404}
BINARY = OpenApiTypes.BINARY


# --- shared helpers ----------------------------------------------------------------------------


def _require_staff_or_committee(user) -> None:
    """The lists the pages show to staff and branch committees only; a plain member gets 403."""
    if not scope_of(user).is_staff_or_committee:
        raise PermissionDenied("您的账号无权访问此页面。")


def _form_errors(form) -> dict:
    """A Django form's errors as DRF's field-by-field 400 body (`non_field_errors` for the rest)."""
    errors = {}
    for name, messages in form.errors.items():
        errors["non_field_errors" if name == "__all__" else name] = list(messages)
    return errors


def _valid(form):
    if not form.is_valid():
        raise exceptions.ValidationError(_form_errors(form))
    return form


def _form_data(instance, fields, validated: dict) -> dict:
    """Form data for a write: the stored values (for PATCH) overlaid with what was sent."""
    data = model_to_dict(instance, fields=fields) if instance is not None and instance.pk else {}
    data.update(validated)
    return {k: v for k, v in data.items() if v is not None}


def _year(request, default: int | None = None) -> int:
    raw = request.query_params.get("year")
    if raw in (None, ""):
        return default if default is not None else timezone.localdate().year
    try:
        year = int(raw)
    except ValueError:
        raise exceptions.ValidationError({"year": ["年度应为整数。"]}) from None
    if not orglife.year_is_reasonable(year, timezone.localdate()):
        raise exceptions.ValidationError({"year": [f"年度应在 {orglife.FIRST_YEAR} 年至明年之间。"]})
    return year


class YearFilter(django_filters.Filter):
    """`?year=` as a bounded integer: a year outside it is a 400, never a database error."""

    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", orglife.FIRST_YEAR)
        kwargs.setdefault("max_value", 2100)
        kwargs.setdefault("lookup_expr", "year")
        super().__init__(*args, **kwargs)


YEAR_PARAM = OpenApiParameter("year", int, description="年度（默认今年）")


# --- organs --------------------------------------------------------------------------------------


class OrganSerializer(serializers.ModelSerializer):
    committee_name = serializers.CharField(read_only=True)

    class Meta:
        model = Organ
        fields = ["id", "name", "short_name", "committee_kind", "committee_name", "sort_order"]


@extend_schema_view(
    list=extend_schema(summary="机关列表（可见范围内）", responses={200: OrganSerializer(many=True), **LIST_ERRORS}),
    retrieve=extend_schema(summary="机关详情", responses={200: OrganSerializer, **ERRORS}),
)
class OrganViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = OrganSerializer
    filterset_fields = ["committee_kind"]
    ordering_fields = ["sort_order", "name"]

    def get_queryset(self):
        return Organ.objects.visible_to(self.request.user)

    def list(self, request, *args, **kwargs):
        _require_staff_or_committee(request.user)
        return super().list(request, *args, **kwargs)


# --- branches ------------------------------------------------------------------------------------


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
        scope = scope_of(request.user)
        if not (scope.is_gongwei or scope.is_organ_staff):
            raise PermissionDenied("只有机关党委和工委工作人员可以成立支部。")
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
        if not scope_of(request.user).can_manage_organ(branch.organ_id):
            raise PermissionDenied("只有机关党委和工委工作人员可以删除支部。")
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
        if not scope_of(request.user).can_manage_organ(branch.organ_id):
            raise PermissionDenied("只有机关党委和工委工作人员可以撤销支部。")
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


# --- members -------------------------------------------------------------------------------------

MEMBER_FIELDS = MemberForm._meta.fields


class MemberSerializer(serializers.ModelSerializer):
    """A roster entry; the ID number is masked for everyone but the 工委, as on the pages."""

    branch_name = serializers.CharField(source="branch.name", read_only=True)
    organ_name = serializers.CharField(source="organ.name", read_only=True)
    party_group_name = serializers.CharField(source="party_group.name", read_only=True, default=None)

    class Meta:
        model = Member
        fields = [
            "id", "name", "gender", "ethnicity", "birth_date", "id_number", "education", "organ", "organ_name",
            "post", "phone", "branch", "branch_name", "party_group", "party_group_name", "status", "joined_on",
            "confirmed_on", "is_leader", "is_party_worker",
        ]  # fmt: skip

    def to_representation(self, member):
        data = super().to_representation(member)
        if self.context.get("mask_ids", True):
            data["id_number"] = mask_id_number(member.id_number)
        return data


class MemberWriteSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=50)
    gender = serializers.ChoiceField(choices=Gender.choices)
    ethnicity = serializers.ChoiceField(choices=ETHNICITY_CHOICES, default="汉族")
    birth_date = serializers.DateField()
    id_number = serializers.CharField(
        max_length=18, required=False, allow_blank=True, help_text="选填；原样提交掩码值表示不修改"
    )
    education = serializers.ChoiceField(choices=Education.choices, required=False, allow_blank=True)
    organ = serializers.IntegerField(help_text="工作单位（机关 id）")
    post = serializers.CharField(max_length=50, required=False, allow_blank=True)
    phone = serializers.CharField(max_length=20, required=False, allow_blank=True)
    branch = serializers.IntegerField(help_text="所在支部 id（须为您可修改的现有支部）")
    party_group = serializers.IntegerField(required=False, allow_null=True)
    status = serializers.ChoiceField(choices=MemberStatus.choices, default=MemberStatus.FULL)
    joined_on = serializers.DateField()
    confirmed_on = serializers.DateField(required=False, allow_null=True)
    is_leader = serializers.BooleanField(default=False)
    is_party_worker = serializers.BooleanField(default=False)


class MeetingHoursSerializer(serializers.Serializer):
    meeting = serializers.IntegerField(source="meeting.pk")
    held_on = serializers.DateField(source="meeting.held_on")
    topic = serializers.CharField(source="meeting.topic")
    hours = serializers.DecimalField(source="meeting.hours", max_digits=4, decimal_places=1)


class TrainingRecordSerializer(serializers.ModelSerializer):
    member_name = serializers.CharField(source="member.name", read_only=True)

    class Meta:
        model = TrainingRecord
        fields = ["id", "member", "member_name", "held_on", "title", "hours", "created_at"]


class TrainingHoursSerializer(serializers.Serializer):
    year = serializers.IntegerField()
    meeting_hours = serializers.DecimalField(max_digits=7, decimal_places=1)
    course_hours = serializers.DecimalField(max_digits=7, decimal_places=1)
    hours = serializers.DecimalField(max_digits=7, decimal_places=1)
    target = serializers.DecimalField(max_digits=7, decimal_places=1)
    below_target = serializers.BooleanField()
    missing = serializers.DecimalField(max_digits=7, decimal_places=1)
    meetings = MeetingHoursSerializer(many=True)
    records = TrainingRecordSerializer(many=True)


@extend_schema_view(
    list=extend_schema(
        summary="党员名册（?format=xlsx 导出同筛选条件的名册）",
        description="筛选同页面：q、organ、branch、status、gender、education、is_leader、is_party_worker。"
        "身份证号仅工委可见全文，其他角色为掩码。",
        responses={200: MemberSerializer(many=True), **LIST_ERRORS},
    ),
    retrieve=extend_schema(summary="党员详情（党员本人可查看自己的记录）", responses={200: MemberSerializer, **ERRORS}),
    create=extend_schema(
        summary="登记党员", request=MemberWriteSerializer, responses={201: MemberSerializer, **ERRORS}
    ),
    partial_update=extend_schema(
        summary="修改党员信息", request=MemberWriteSerializer, responses={200: MemberSerializer, **ERRORS}
    ),
)
class MemberViewSet(
    XlsxFallbackMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = MemberSerializer
    filterset_class = MemberFilter
    ordering_fields = ["name_pinyin", "birth_date", "joined_on", "branch__name"]
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_renderers(self):
        # Only the list has an Excel form (the roster export).
        if self.action == "list":
            return [JSONRenderer(), BrowsableAPIRenderer(), XlsxRenderer()]
        return super().get_renderers()

    def get_queryset(self):
        return member_queryset(self.request.user)

    def get_serializer_context(self):
        scope = scope_of(self.request.user)
        return {**super().get_serializer_context(), "mask_ids": not scope.can_see_full_id_numbers()}

    def _answer(self, member: Member, status_code=status.HTTP_200_OK) -> Response:
        member = get_member_for_user(self.request.user, member.pk)
        return Response(MemberSerializer(member, context=self.get_serializer_context()).data, status=status_code)

    def list(self, request, *args, **kwargs):
        _require_staff_or_committee(request.user)
        if wants_xlsx(request):
            # The page's own export, for the same query string (filters) and the same scope.
            return roster_export(request._request)
        return super().list(request, *args, **kwargs)

    def retrieve(self, request, pk=None):
        return self._answer(get_member_for_user(request.user, pk))

    def create(self, request):
        _require_staff_or_committee(request.user)
        serializer = MemberWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        form = _valid(MemberForm(serializer.validated_data, user=request.user))
        member = services.save_member(form.save(commit=False), by=request.user)
        return self._answer(member, status.HTTP_201_CREATED)

    def partial_update(self, request, pk=None):
        member = get_member_for_user(request.user, pk, write=True)
        serializer = MemberWriteSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        data = _form_data(member, MEMBER_FIELDS, serializer.validated_data)
        form = _valid(MemberForm(data, instance=member, user=request.user))
        member = services.save_member(form.save(commit=False), by=request.user)
        return self._answer(member)

    @extend_schema(
        summary="党员年度学时（参加会议和培训）",
        parameters=[YEAR_PARAM],
        responses={200: TrainingHoursSerializer, **ERRORS},
    )
    @action(detail=True, methods=["get"])
    def hours(self, request, pk=None):
        member = get_member_for_user(request.user, pk)
        summary = orglife.training_context(member, _year(request))["training"]
        return Response(TrainingHoursSerializer(summary).data)


# --- committee terms and seats ------------------------------------------------------------------


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


# --- party groups --------------------------------------------------------------------------------


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
            .order_by("branch", "name")
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


# --- meetings ------------------------------------------------------------------------------------


class AttendanceSerializer(serializers.Serializer):
    member = serializers.IntegerField()
    member_name = serializers.CharField(read_only=True)
    present = serializers.BooleanField()
    absence_reason = serializers.CharField(max_length=100, required=False, allow_blank=True)
    can_vote = serializers.BooleanField(read_only=True)


class AttachmentSerializer(serializers.ModelSerializer):
    class Meta:
        model = MeetingAttachment
        fields = ["id", "original_name", "content_type", "size", "uploaded_at"]


class MeetingSerializer(serializers.ModelSerializer):
    branch_name = serializers.CharField(source="branch.name", read_only=True)
    party_group_name = serializers.CharField(source="party_group.name", read_only=True, default=None)
    n_due = serializers.IntegerField(read_only=True, help_text="应到")
    n_present = serializers.IntegerField(read_only=True, help_text="实到")
    n_voting = serializers.IntegerField(read_only=True, help_text="有表决权的应到人数")
    n_attachments = serializers.IntegerField(read_only=True)
    vote_passes = serializers.SerializerMethodField()

    class Meta:
        model = Meeting
        fields = [
            "id", "branch", "branch_name", "kind", "party_group", "party_group_name", "held_on", "topic",
            "place", "hours", "motion", "votes_for", "votes_against", "votes_abstain", "n_due", "n_present",
            "n_voting", "n_attachments", "vote_passes",
        ]  # fmt: skip

    @extend_schema_field(serializers.BooleanField(allow_null=True))
    def get_vote_passes(self, meeting) -> bool | None:
        return meeting_services.vote_result(meeting)


class MeetingDetailSerializer(MeetingSerializer):
    attendance = serializers.SerializerMethodField()
    attachments = AttachmentSerializer(many=True, read_only=True)
    recorded_by = serializers.CharField(source="recorded_by.full_name", read_only=True)

    class Meta(MeetingSerializer.Meta):
        fields = [*MeetingSerializer.Meta.fields, "minutes", "attendance", "attachments", "recorded_by", "created_at"]

    @extend_schema_field(AttendanceSerializer(many=True))
    def get_attendance(self, meeting) -> list[dict]:
        rows = meeting.attendance.select_related("member").order_by("-present", "member__name_pinyin", "pk")
        return [
            {
                "member": row.member_id,
                "member_name": row.member.name,
                "present": row.present,
                "absence_reason": row.absence_reason,
                "can_vote": meeting_services.can_vote(row.member, meeting.held_on),
            }
            for row in rows
        ]


class MeetingWriteSerializer(serializers.Serializer):
    branch = serializers.IntegerField(required=False, help_text="支部 id（登记时必填，修改时忽略）")
    kind = serializers.ChoiceField(choices=MeetingKind.choices, required=False, help_text="会议类型（登记时必填）")
    party_group = serializers.IntegerField(required=False, allow_null=True, help_text="党小组会的党小组 id")
    held_on = serializers.DateField()
    topic = serializers.CharField(max_length=200)
    place = serializers.CharField(max_length=100, required=False, allow_blank=True)
    minutes = serializers.CharField(required=False, allow_blank=True)
    hours = serializers.DecimalField(max_digits=4, decimal_places=1, min_value=0, required=False)
    motion = serializers.CharField(max_length=200, required=False, allow_blank=True)
    votes_for = serializers.IntegerField(min_value=0, max_value=32767, required=False, allow_null=True)
    votes_against = serializers.IntegerField(min_value=0, max_value=32767, required=False, allow_null=True)
    votes_abstain = serializers.IntegerField(min_value=0, max_value=32767, required=False, allow_null=True)
    attendance = AttendanceSerializer(
        many=True, required=False, help_text="每名应到党员是否出席；不填表示全部出席（修改时不填表示不变）"
    )


class AttachmentUploadSerializer(serializers.Serializer):
    files = serializers.ListField(child=serializers.FileField(), allow_empty=False)


class MeetingFilter(ScopedFilterSet):
    organ = django_filters.ModelChoiceFilter(field_name="branch__organ", queryset=Organ.objects.none())
    branch = django_filters.ModelChoiceFilter(queryset=Branch.objects.none())
    kind = django_filters.ChoiceFilter(choices=MeetingKind.choices)
    year = YearFilter(field_name="held_on")
    start = django_filters.DateFilter(field_name="held_on", lookup_expr="gte")
    end = django_filters.DateFilter(field_name="held_on", lookup_expr="lte")

    class Meta:
        model = Meeting
        fields = ["organ", "branch", "kind", "year", "start", "end"]

    def __init__(self, data=None, *args, user=None, **kwargs):
        super().__init__(data, *args, **kwargs)
        self.scope_choices(user)


def _meeting_error(exc: meeting_services.MeetingError) -> exceptions.ValidationError:
    return exceptions.ValidationError({exc.field or "non_field_errors": [str(exc)]})


def _attendance(rows) -> dict | None:
    if rows is None:
        return None
    return {row["member"]: (row["present"], row.get("absence_reason", "")) for row in rows}


ATTACHMENT_ID = OpenApiParameter("attachment_id", int, OpenApiParameter.PATH, description="附件 id")


@extend_schema_view(
    list=extend_schema(
        summary="会议记录列表（三会一课）",
        description="筛选：organ、branch、kind、year、start、end。",
        responses={200: MeetingSerializer(many=True), **LIST_ERRORS},
    ),
    retrieve=extend_schema(
        summary="会议详情（出席情况、表决、附件）", responses={200: MeetingDetailSerializer, **ERRORS}
    ),
    create=extend_schema(
        summary="登记会议（出席情况、表决）",
        request=MeetingWriteSerializer,
        responses={201: MeetingDetailSerializer, **ERRORS},
    ),
    partial_update=extend_schema(
        summary="更正会议记录（字段、出席情况、表决）",
        request=MeetingWriteSerializer,
        responses={200: MeetingDetailSerializer, **ERRORS},
    ),
    destroy=extend_schema(summary="删除误登记的会议（登记后 30 天内）", responses={204: None, **TRANSITION_ERRORS}),
)
class MeetingViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = MeetingSerializer
    filterset_class = MeetingFilter
    ordering_fields = ["held_on", "kind", "created_at"]
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_queryset(self):
        return (
            meeting_services.with_counts(Meeting.objects.visible_to(self.request.user))
            .select_related("branch__organ", "party_group")
            .order_by("-held_on", "-pk")
        )

    def _answer(self, meeting, status_code=status.HTTP_200_OK) -> Response:
        meeting = get_meeting_for_user(self.request.user, meeting.pk)
        return Response(MeetingDetailSerializer(meeting).data, status=status_code)

    def list(self, request, *args, **kwargs):
        _require_staff_or_committee(request.user)
        return super().list(request, *args, **kwargs)

    def retrieve(self, request, pk=None):
        return self._answer(get_meeting_for_user(request.user, pk))

    def create(self, request):
        _require_staff_or_committee(request.user)
        serializer = MeetingWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        missing = {name: ["该字段是必填项。"] for name in ("branch", "kind") if not data.get(name)}
        if missing:
            raise exceptions.ValidationError(missing)
        branch = get_branch_for_user(request.user, data.pop("branch"), write=True)
        group_id = data.pop("party_group", None)
        data["party_group"] = None
        if group_id is not None:
            data["party_group"] = branch.groups.filter(pk=group_id).first()
            if data["party_group"] is None:
                raise exceptions.ValidationError({"party_group": ["所选党小组不属于本支部，请重新选择。"]})
        attendance = _attendance(data.pop("attendance", None))
        try:
            meeting = meeting_services.record_meeting(branch, data, attendance, by=request.user)
        except meeting_services.MeetingError as exc:
            raise _meeting_error(exc) from exc
        return self._answer(meeting, status.HTTP_201_CREATED)

    def _current(self, meeting) -> dict:
        return {name: getattr(meeting, name) for name in MEETING_FIELDS}

    def partial_update(self, request, pk=None):
        meeting = get_meeting_for_user(request.user, pk, write=True)
        serializer = MeetingWriteSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        for name in ("branch", "kind", "party_group"):
            data.pop(name, None)  # kept as recorded, like the page's edit form
        attendance = _attendance(data.pop("attendance", None))
        try:
            meeting_services.update_meeting(meeting, {**self._current(meeting), **data}, attendance, by=request.user)
        except meeting_services.MeetingError as exc:
            raise _meeting_error(exc) from exc
        return self._answer(meeting)

    def destroy(self, request, pk=None):
        meeting = get_meeting_for_user(request.user, pk, write=True)
        try:
            meeting_services.delete_meeting(meeting, by=request.user)
        except meeting_services.MeetingError as exc:
            raise Conflict(str(exc)) from exc
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        summary="上传会议附件（签到表、照片、会议材料）",
        request={"multipart/form-data": AttachmentUploadSerializer},
        responses={201: MeetingDetailSerializer, **ERRORS},
    )
    @action(detail=True, methods=["post"], parser_classes=[MultiPartParser, FormParser])
    def attachments(self, request, pk=None):
        meeting = get_meeting_for_user(request.user, pk, write=True)
        serializer = AttachmentUploadSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            meeting_services.update_meeting(
                meeting, self._current(meeting), None, serializer.validated_data["files"], by=request.user
            )
        except meeting_services.MeetingError as exc:
            raise _meeting_error(exc) from exc
        return self._answer(meeting, status.HTTP_201_CREATED)

    @extend_schema(
        methods=["GET"],
        summary="下载会议附件",
        parameters=[ATTACHMENT_ID],
        responses={(200, "application/octet-stream"): OpenApiResponse(BINARY, description="附件文件"), **ERRORS},
    )
    @extend_schema(
        methods=["DELETE"],
        summary="删除会议附件",
        parameters=[ATTACHMENT_ID],
        responses={204: None, **ERRORS},
    )
    @action(
        detail=True,
        methods=["get", "delete"],
        url_path=r"attachments/(?P<attachment_id>[0-9]+)",
        parser_classes=[JSONParser],
    )
    def attachment(self, request, pk=None, attachment_id=None):
        meeting = get_meeting_for_user(request.user, pk, write=request.method == "DELETE")
        item = get_object_or_404(MeetingAttachment, meeting=meeting, pk=attachment_id)
        if request.method == "GET":
            return item.download()
        try:
            meeting_services.update_meeting(meeting, self._current(meeting), None, remove=[item], by=request.user)
        except meeting_services.MeetingError as exc:
            raise _meeting_error(exc) from exc
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- meeting requirements (工委) ---------------------------------------------------------------


class RequirementSerializer(serializers.ModelSerializer):
    class Meta:
        model = MeetingRequirement
        fields = ["id", "year", "kind", "period", "min_count", "scope", "source"]


class RequirementWriteSerializer(serializers.Serializer):
    year = serializers.IntegerField(
        required=False, min_value=orglife.FIRST_YEAR, max_value=2100, help_text="年度（新增时，默认今年）"
    )
    kind = serializers.ChoiceField(choices=MeetingKind.choices, required=False, help_text="新增时必填，修改时不可改")
    period = serializers.ChoiceField(choices=Period.choices)
    min_count = serializers.IntegerField(min_value=1, max_value=31)
    scope = serializers.ChoiceField(choices=RequirementScope.choices, default=RequirementScope.BRANCH)
    source = serializers.CharField(max_length=100, required=False, allow_blank=True)


class RequirementFilter(django_filters.FilterSet):
    year = YearFilter(field_name="year", lookup_expr="exact")

    class Meta:
        model = MeetingRequirement
        fields = ["year", "kind"]


def _require_gongwei(user) -> None:
    if not scope_of(user).is_gongwei:
        raise PermissionDenied("只有工委工作人员可以设置组织生活要求。")


@extend_schema_view(
    list=extend_schema(
        summary="组织生活要求（工委）",
        description="按 year 筛选时，该年度尚无要求则按上年或默认要求生成，同页面。",
        responses={200: RequirementSerializer(many=True), **LIST_ERRORS},
    ),
    retrieve=extend_schema(summary="组织生活要求详情（工委）", responses={200: RequirementSerializer, **ERRORS}),
    create=extend_schema(
        summary="新增年度组织生活要求（工委）",
        request=RequirementWriteSerializer,
        responses={201: RequirementSerializer, **ERRORS},
    ),
    partial_update=extend_schema(
        summary="修改组织生活要求（工委）",
        request=RequirementWriteSerializer,
        responses={200: RequirementSerializer, **ERRORS},
    ),
    destroy=extend_schema(summary="删除组织生活要求（工委）", responses={204: None, **ERRORS}),
)
class RequirementViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = RequirementSerializer
    filterset_class = RequirementFilter
    ordering_fields = ["year", "kind"]
    queryset = MeetingRequirement.objects.order_by("-year", "kind")
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        _require_gongwei(request.user)

    def list(self, request, *args, **kwargs):
        raw = request.query_params.get("year")
        if raw:
            orglife.requirements_for_year(_year(request))
        return super().list(request, *args, **kwargs)

    def _save(self, request, requirement, *, partial: bool, taken=()):
        serializer = RequirementWriteSerializer(data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        data.pop("year", None)
        fields = RequirementForm._meta.fields
        form = _valid(RequirementForm(_form_data(requirement, fields, data), instance=requirement, taken_kinds=taken))
        return orglife.save_requirement(form.save(commit=False), by=request.user)

    def create(self, request):
        serializer = RequirementWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        year = serializer.validated_data.get("year") or timezone.localdate().year
        taken = {r.kind for r in orglife.requirements_for_year(year)}
        requirement = self._save(request, MeetingRequirement(year=year), partial=False, taken=taken)
        return Response(RequirementSerializer(requirement).data, status=status.HTTP_201_CREATED)

    def partial_update(self, request, pk=None):
        requirement = self._save(request, self.get_object(), partial=True)
        return Response(RequirementSerializer(requirement).data)

    def destroy(self, request, pk=None):
        orglife.delete_requirement(self.get_object(), by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)

    def get_object(self):
        return get_object_or_404(MeetingRequirement, pk=self.kwargs["pk"])


# --- exemptions (机关党委 of the branch's organ, 工委) -----------------------------------------


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
        if not orglife.can_grant_exemption(request.user, branch):
            raise PermissionDenied("只有本机关党委或工委工作人员可以批准豁免。")
        form = _valid(ExemptionForm(data))
        exemption = orglife.grant_exemption(branch, by=request.user, **form.cleaned_data)
        return Response(ExemptionSerializer(exemption).data, status=status.HTTP_201_CREATED)

    def destroy(self, request, pk=None):
        exemption = self.get_object()
        if not orglife.can_grant_exemption(request.user, exemption.branch):
            raise PermissionDenied("只有本机关党委或工委工作人员可以撤销豁免。")
        orglife.revoke_exemption(exemption, by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- training records (学时) -----------------------------------------------------------------


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
        if not orglife.can_record_training(request.user, record.member):
            raise PermissionDenied("您无权删除该学时记录。")
        orglife.delete_training(record, by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


router.register("organs", OrganViewSet, basename="api-organ")
router.register("branches", BranchViewSet, basename="api-branch")
router.register("members", MemberViewSet, basename="api-member")
router.register("terms", TermViewSet, basename="api-term")
router.register("party-groups", PartyGroupViewSet, basename="api-party-group")
router.register("meetings", MeetingViewSet, basename="api-meeting")
router.register("meeting-requirements", RequirementViewSet, basename="api-meeting-requirement")
router.register("exemptions", ExemptionViewSet, basename="api-exemption")
router.register("trainings", TrainingViewSet, basename="api-training")
