"""JSON API of projects: 党委出题."""

import django_filters
from django.db.models import Count, Prefetch
from django.forms.models import model_to_dict
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from core.api import ERRORS, TRANSITION_ERRORS, Conflict

from .. import rules, services
from ..access import (
    get_topic_for_user,
    get_topic_list_for_user,
    topic_lists_for,
)
from ..choices import Direction
from ..forms.workflow import (
    ReopenForm,
    TopicForm,
    TopicListForm,
)
from ..models import (
    AcceptanceMark,
    AcceptanceReview,
    Topic,
    TopicList,
)
from ..permissions import PUBLISH_TOPICS, SEE_TOPICS
from .base import ScopedViewSet, _check, _form_data


class TopicSerializer(serializers.ModelSerializer):
    direction_display = serializers.CharField(source="get_direction_display", read_only=True)

    class Meta:
        model = Topic
        fields = ["id", "topic_list", "title", "direction", "direction_display", "description"]
        read_only_fields = ["id", "topic_list"]


class TopicCreateSerializer(serializers.Serializer):
    topic_list = serializers.IntegerField(help_text="所属年度选题")
    title = serializers.CharField(max_length=100)
    direction = serializers.ChoiceField(choices=Direction.choices)
    description = serializers.CharField(required=False, allow_blank=True, default="")


class TopicUpdateSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=100, required=False)
    direction = serializers.ChoiceField(choices=Direction.choices, required=False)
    description = serializers.CharField(required=False, allow_blank=True)


class TopicListSerializer(serializers.ModelSerializer):
    organ_name = serializers.SerializerMethodField()
    is_published = serializers.BooleanField(read_only=True)
    effective_close = serializers.DateField(read_only=True)
    n_topics = serializers.IntegerField(read_only=True)

    class Meta:
        model = TopicList
        fields = [
            "id", "year", "organ", "organ_name", "opens_on", "closes_on", "reopened_until", "reopen_reason",
            "effective_close", "published_at", "is_published", "n_topics",
        ]  # fmt: skip

    def get_organ_name(self, obj) -> str:
        return obj.organ.display_short if obj.organ else "工委（全部机关）"


class TopicListDetailSerializer(TopicListSerializer):
    topics = TopicSerializer(many=True, read_only=True)

    class Meta(TopicListSerializer.Meta):
        fields = [*TopicListSerializer.Meta.fields, "topics"]


class TopicListWriteSerializer(serializers.Serializer):
    year = serializers.IntegerField(help_text="今年或明年")
    organ = serializers.IntegerField(allow_null=True, required=False, help_text="不填为工委面向全部机关出题（仅工委）")
    opens_on = serializers.DateField()
    closes_on = serializers.DateField()


class TopicListUpdateSerializer(serializers.Serializer):
    opens_on = serializers.DateField(required=False)
    closes_on = serializers.DateField(required=False)


class ReopenSerializer(serializers.Serializer):
    until = serializers.DateField(help_text="补报截止日期，须晚于原立项截止日期")
    reason = serializers.CharField(max_length=200)


class TopicListFilter(django_filters.FilterSet):
    year = django_filters.NumberFilter()
    organ = django_filters.NumberFilter(field_name="organ")
    citywide = django_filters.BooleanFilter(field_name="organ", lookup_expr="isnull", label="工委统一出题")
    published = django_filters.BooleanFilter(field_name="published_at", lookup_expr="isnull", exclude=True)

    class Meta:
        model = TopicList
        fields = ["year", "organ", "citywide", "published"]


def _staff_or_committee(user) -> None:
    SEE_TOPICS.require(user)


@extend_schema_view(
    list=extend_schema(summary="年度选题列表（党委出题）", responses={200: TopicListSerializer, **ERRORS}),
    retrieve=extend_schema(summary="年度选题详情（含题目）", responses={200: TopicListDetailSerializer, **ERRORS}),
    create=extend_schema(
        summary="新建年度选题（机关党委、工委）",
        request=TopicListWriteSerializer,
        responses={201: TopicListDetailSerializer, **ERRORS},
    ),
    partial_update=extend_schema(
        summary="修改未发布选题的立项期限",
        request=TopicListUpdateSerializer,
        responses={200: TopicListDetailSerializer, **TRANSITION_ERRORS},
    ),
)
class TopicListViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    model = TopicList
    serializer_class = TopicListSerializer
    filterset_class = TopicListFilter
    ordering_fields = ["year", "opens_on", "closes_on", "published_at"]
    ordering = ["-year", "organ__sort_order", "pk"]
    http_method_names = ["get", "post", "patch", "head", "options"]

    def scoped_queryset(self, user):
        return topic_lists_for(user).annotate(n_topics=Count("topics"))

    def get_serializer_class(self):
        return TopicListDetailSerializer if self.action != "list" else TopicListSerializer

    def list(self, request, *args, **kwargs):
        _staff_or_committee(request.user)
        return super().list(request, *args, **kwargs)

    def get_object(self):
        topic_list = get_topic_list_for_user(self.request.user, self.kwargs["pk"])
        topic_list.n_topics = topic_list.topics.count()
        return topic_list

    def _answer(self, topic_list, code=status.HTTP_200_OK) -> Response:
        topic_list = get_topic_list_for_user(self.request.user, topic_list.pk)
        topic_list.n_topics = topic_list.topics.count()
        return Response(TopicListDetailSerializer(topic_list).data, status=code)

    def create(self, request, *args, **kwargs):
        PUBLISH_TOPICS.require(request.user)
        shape = TopicListWriteSerializer(data=request.data)
        shape.is_valid(raise_exception=True)
        form = TopicListForm(_form_data(shape.validated_data), user=request.user)
        _check(form)
        topic_list = form.save(commit=False)
        topic_list.created_by = request.user
        topic_list._history_user = request.user
        topic_list.save()
        return self._answer(topic_list, status.HTTP_201_CREATED)

    def partial_update(self, request, *args, **kwargs):
        topic_list = get_topic_list_for_user(request.user, kwargs["pk"], write=True)
        if topic_list.is_published:
            raise Conflict("选题已发布，立项期限不能再修改；如需延长，请使用“开放补报”。")
        shape = TopicListUpdateSerializer(data=request.data)
        shape.is_valid(raise_exception=True)
        data = _form_data(model_to_dict(topic_list, fields=["year", "organ", "opens_on", "closes_on"]))
        data.update(_form_data(shape.validated_data))
        form = TopicListForm(data, instance=topic_list, user=request.user)
        _check(form)
        topic_list = form.save(commit=False)
        topic_list._history_user = request.user
        topic_list.save()
        return self._answer(topic_list)

    @extend_schema(
        summary="发布年度选题", request=None, responses={200: TopicListDetailSerializer, **TRANSITION_ERRORS}
    )
    @action(detail=True, methods=["post"])
    def publish(self, request, pk=None):
        topic_list = get_topic_list_for_user(request.user, pk, write=True)
        services.publish_topic_list(topic_list, by=request.user)
        return self._answer(topic_list)

    @extend_schema(
        summary="开放补报（截止后允许支部首次提交，须写明原因）",
        request=ReopenSerializer,
        responses={200: TopicListDetailSerializer, **TRANSITION_ERRORS},
    )
    @action(detail=True, methods=["post"])
    def reopen(self, request, pk=None):
        topic_list = get_topic_list_for_user(request.user, pk, write=True)
        shape = ReopenSerializer(data=request.data)
        shape.is_valid(raise_exception=True)
        data = _check(ReopenForm(_form_data(shape.validated_data), topic_list=topic_list))
        services.reopen_filing(topic_list, until=data["until"], reason=data["reason"], by=request.user)
        return self._answer(topic_list)


class TopicFilter(django_filters.FilterSet):
    topic_list = django_filters.NumberFilter(field_name="topic_list")
    year = django_filters.NumberFilter(field_name="topic_list__year")
    direction = django_filters.ChoiceFilter(choices=Direction.choices)

    class Meta:
        model = Topic
        fields = ["topic_list", "year", "direction"]


@extend_schema_view(
    list=extend_schema(summary="选题题目列表", responses={200: TopicSerializer, **ERRORS}),
    retrieve=extend_schema(summary="选题题目详情", responses={200: TopicSerializer, **ERRORS}),
    create=extend_schema(
        summary="为年度选题添加题目", request=TopicCreateSerializer, responses={201: TopicSerializer, **ERRORS}
    ),
    partial_update=extend_schema(
        summary="修改题目（尚无支部选择时）",
        request=TopicUpdateSerializer,
        responses={200: TopicSerializer, **TRANSITION_ERRORS},
    ),
    destroy=extend_schema(summary="删除题目（尚无支部选择时）", responses={204: None, **TRANSITION_ERRORS}),
)
class TopicViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    model = Topic
    serializer_class = TopicSerializer
    filterset_class = TopicFilter
    ordering_fields = ["title", "direction"]
    ordering = ["-topic_list__year", "topic_list__organ__sort_order", "pk"]
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def scoped_queryset(self, user):
        return Topic.objects.filter(topic_list__in=topic_lists_for(user))

    def list(self, request, *args, **kwargs):
        _staff_or_committee(request.user)
        return super().list(request, *args, **kwargs)

    def get_object(self):
        return get_topic_for_user(self.request.user, self.kwargs["pk"])

    def create(self, request, *args, **kwargs):
        shape = TopicCreateSerializer(data=request.data)
        shape.is_valid(raise_exception=True)
        data = dict(shape.validated_data)
        topic_list = get_topic_list_for_user(request.user, data.pop("topic_list"), write=True)
        form = TopicForm(data)
        _check(form)
        topic = form.save(commit=False)
        topic.topic_list = topic_list
        topic.save()
        return Response(TopicSerializer(topic).data, status=status.HTTP_201_CREATED)

    def _writable(self, pk) -> Topic:
        topic = get_topic_for_user(self.request.user, pk, write=True)
        # Once a branch chose the topic, its wording is part of their filed project.
        if topic.projects.exists():
            raise Conflict("已有支部选择该题目立项，题目不能再修改或删除。")
        return topic

    def partial_update(self, request, *args, **kwargs):
        topic = self._writable(kwargs["pk"])
        shape = TopicUpdateSerializer(data=request.data)
        shape.is_valid(raise_exception=True)
        data = model_to_dict(topic, fields=["title", "direction", "description"])
        data.update(shape.validated_data)
        form = TopicForm(data, instance=topic)
        _check(form)
        return Response(TopicSerializer(form.save()).data)

    def destroy(self, request, *args, **kwargs):
        self._writable(kwargs["pk"]).delete()
        return Response(status=status.HTTP_204_NO_CONTENT)


class AcceptanceMarkSerializer(serializers.Serializer):
    criterion = serializers.IntegerField(source="criterion_id")
    criterion_name = serializers.CharField(source="criterion.name")
    points = serializers.DecimalField(max_digits=5, decimal_places=2)


class AcceptanceReviewSerializer(serializers.ModelSerializer):
    reviewer_name = serializers.SerializerMethodField(help_text="评审人姓名，仅机关党委和工委可见")
    marks = AcceptanceMarkSerializer(many=True, read_only=True)

    class Meta:
        model = AcceptanceReview
        fields = ["id", "project", "reviewer_name", "total", "comment", "scored_at", "marks"]
        read_only_fields = fields

    def get_reviewer_name(self, obj) -> str | None:
        request = self.context.get("request")
        if request is None or not rules.is_organ_reviewer(request.user, obj.project):
            return None
        return str(obj.reviewer)


def _reviews_queryset():
    return AcceptanceReview.objects.select_related("project__branch", "reviewer").prefetch_related(
        Prefetch("marks", queryset=AcceptanceMark.objects.select_related("criterion"))
    )
