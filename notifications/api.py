"""JSON API of notifications: a person's own messages, read one, read all.

Only the recipient ever sees a message: every query starts from `Notification.objects.for_user`,
so another person's message id is a 404.
"""

import django_filters
from django.db.models import BooleanField, ExpressionWrapper, Q
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema, extend_schema_view, inline_serializer
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from core.api import ERRORS, router

from .models import Notification

LIST_ERRORS = {k: v for k, v in ERRORS.items() if k != 404}


class NotificationSerializer(serializers.ModelSerializer):
    is_read = serializers.SerializerMethodField()

    class Meta:
        model = Notification
        fields = ["id", "title", "body", "url", "created_at", "read_at", "is_read"]

    def get_is_read(self, notification) -> bool:
        return notification.read_at is not None


class NotificationFilter(django_filters.FilterSet):
    state = django_filters.ChoiceFilter(
        label="阅读状态", choices=[("unread", "未读"), ("read", "已读")], method="filter_state"
    )

    class Meta:
        model = Notification
        fields = ["state"]

    def filter_state(self, queryset, name, value):
        return queryset.filter(read_at__isnull=value == "unread")


@extend_schema_view(
    list=extend_schema(
        summary="我的消息（未读在前）",
        description="state=unread 只看未读，state=read 只看已读。",
        responses={200: NotificationSerializer(many=True), **LIST_ERRORS},
    ),
    retrieve=extend_schema(summary="消息详情（本人）", responses={200: NotificationSerializer, **ERRORS}),
)
class NotificationViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = NotificationSerializer
    filterset_class = NotificationFilter
    ordering_fields = ["created_at"]

    def get_queryset(self):
        unread_first = ExpressionWrapper(Q(read_at__isnull=True), output_field=BooleanField())
        return (
            Notification.objects.for_user(self.request.user)
            .annotate(is_unread=unread_first)
            .order_by("-is_unread", "-created_at", "-pk")
        )

    def get_object(self):
        return get_object_or_404(Notification.objects.for_user(self.request.user), pk=self.kwargs["pk"])

    @extend_schema(summary="标为已读", request=None, responses={200: NotificationSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def read(self, request, pk=None):
        notification = self.get_object()
        # The page's rule: the first reading is the one remembered.
        if notification.read_at is None:
            Notification.objects.filter(pk=notification.pk).mark_read()
            notification.refresh_from_db(fields=["read_at"])
        return Response(NotificationSerializer(notification).data)

    @extend_schema(
        summary="全部标为已读",
        request=None,
        responses={200: inline_serializer("ReadAllAnswer", {"count": serializers.IntegerField()}), **LIST_ERRORS},
    )
    @action(detail=False, methods=["post"], url_path="read-all")
    def read_all(self, request):
        count = Notification.objects.for_user(request.user).mark_read()
        return Response({"count": count})


router.register("notifications", NotificationViewSet, basename="api-notification")
