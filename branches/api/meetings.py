"""JSON API of branches: meetings."""

import django_filters
from django.shortcuts import get_object_or_404
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
from rest_framework.response import Response

from core.api import ERRORS, TRANSITION_ERRORS, Conflict

from .. import meetings as meeting_services
from ..access import get_branch_for_user, get_meeting_for_user
from ..choices import (
    MeetingKind,
)
from ..filters import ScopedFilterSet
from ..forms.meetings import MEETING_FIELDS
from ..models import (
    Branch,
    Meeting,
    MeetingAttachment,
    Organ,
)
from .base import BINARY, LIST_ERRORS, YearFilter, _require_staff_or_committee


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
