"""The notification pages: a person's own messages, and what was sent, for 工委 staff."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import BooleanField, ExpressionWrapper, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from accounts.scope import scope_of

from . import kinds
from .filters import SentFilter
from .models import Notification

PAGE_SIZE = 20
SENT_PAGE_SIZE = 50


@login_required
@require_GET
def notification_list(request: HttpRequest) -> HttpResponse:
    unread_first = ExpressionWrapper(Q(read_at__isnull=True), output_field=BooleanField())
    notifications = (
        Notification.objects.for_user(request.user)
        .annotate(is_unread=unread_first)
        .order_by("-is_unread", "-created_at", "-pk")
    )
    page = Paginator(notifications, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "notifications/list.html",
        {"nav": "notifications", "page": page, "breadcrumbs": [("我的消息", None)]},
    )


@login_required
@require_POST
def mark_read(request: HttpRequest, pk: int) -> HttpResponse:
    """Open a message: it is read from now on, and the person lands where it points."""
    notification = get_object_or_404(Notification.objects.for_user(request.user), pk=pk)
    Notification.objects.filter(pk=notification.pk).mark_read()
    # The link is stored data: follow it only when it stays on this site.
    if notification.url and url_has_allowed_host_and_scheme(
        notification.url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(notification.url)
    return redirect("notifications:list")


@login_required
@require_POST
def mark_all_read(request: HttpRequest) -> HttpResponse:
    count = Notification.objects.for_user(request.user).mark_read()
    if count:
        messages.success(request, f"已将 {count} 条消息标为已读。")
    else:
        messages.info(request, "没有未读消息。")
    return redirect("notifications:list")


@login_required
@require_GET
def sent(request: HttpRequest) -> HttpResponse:
    if not scope_of(request.user).is_gongwei:
        raise PermissionDenied("只有工委工作人员可以查看消息发送记录。")
    base = Notification.objects.select_related("recipient").order_by("-created_at", "-pk")
    filterset = SentFilter(request.GET, queryset=base)
    page = Paginator(filterset.qs, SENT_PAGE_SIZE).get_page(request.GET.get("page"))
    for notification in page:
        notification.kind_label = kinds.describe(notification.key)
    return render(
        request,
        "notifications/sent.html",
        {
            "nav": "notifications",
            "filter": filterset,
            "page": page,
            "breadcrumbs": [("我的消息", reverse("notifications:list")), ("消息发送记录", None)],
        },
    )
