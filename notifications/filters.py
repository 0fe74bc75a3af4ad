"""Filter for the 工委's list of sent notifications."""

import django_filters
from django import forms
from django.db.models import Q

from core.filters import StyledFilterSet

from . import kinds
from .models import Notification


class SentFilter(StyledFilterSet):
    kind = django_filters.ChoiceFilter(
        label="消息类型", choices=kinds.choices, empty_label="全部", method="filter_kind"
    )
    recipient = django_filters.CharFilter(
        label="接收人", method="filter_recipient", widget=forms.TextInput(attrs={"placeholder": "姓名或账号"})
    )
    state = django_filters.ChoiceFilter(
        label="阅读状态", choices=[("unread", "未读"), ("read", "已读")], empty_label="全部", method="filter_state"
    )

    class Meta:
        model = Notification
        fields = ["kind", "recipient", "state"]

    def filter_kind(self, queryset, name, value):
        return queryset.filter(kinds.filter_q(value))

    def filter_recipient(self, queryset, name, value):
        value = value.strip()
        return queryset.filter(Q(recipient__full_name__icontains=value) | Q(recipient__username__icontains=value))

    def filter_state(self, queryset, name, value):
        return queryset.filter(read_at__isnull=value == "unread")
