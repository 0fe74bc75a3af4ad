"""JSON API of branches: members."""

from drf_spectacular.utils import (
    extend_schema,
    extend_schema_view,
)
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.renderers import BrowsableAPIRenderer, JSONRenderer
from rest_framework.response import Response

from accounts.scope import scope_of
from core.api import ERRORS, XlsxFallbackMixin, XlsxRenderer, wants_xlsx
from core.validators import mask_id_number

from .. import orglife, roster, services
from ..access import get_member_for_user
from ..choices import (
    ETHNICITY_CHOICES,
    Education,
    Gender,
    MemberStatus,
)
from ..filters import MemberFilter
from ..forms.organisation import MemberForm
from ..models import (
    Member,
    TrainingRecord,
)
from ..selectors import member_queryset
from .base import LIST_ERRORS, YEAR_PARAM, _form_data, _require_staff_or_committee, _valid, _year

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
            return roster.export_response(request._request)
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
