"""The portal's own pages: everyone's home, the 工委 and 机关党委 dashboard, and opening a year's rules.

The dashboard is one page, scoped to what the account oversees.

工委 staff see every organ and may narrow to one with ?organ=; 机关党委 staff see their own organ(s)
only, and an ?organ= outside them is a 404. Branch committees and members have their own home page.
"""

import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from accounts.scope import scope_of
from branches.models import Branch, Member, Organ
from branches.orglife import FIRST_YEAR
from branches.rules import current_warning_counts
from notifications.models import Notification
from projects.experts import expert_queue
from projects.selectors import my_open_tasks, review_sections

from . import dashboard as selectors
from . import home as home_panels
from . import years
from .dashboard import Frame
from .due import due_this_month

YEARS_OFFERED = 6


def _year(request: HttpRequest, today: datetime.date) -> int:
    raw = request.GET.get("year", "")
    if raw.isdigit() and FIRST_YEAR <= int(raw) <= today.year:
        return int(raw)
    return today.year


def _frame(request: HttpRequest) -> tuple[Frame, list[Organ]]:
    """The dashboard's year and organs, and the organs the user may pick; 403/404 answered here."""
    scope = scope_of(request.user)
    if not (scope.is_gongwei or scope.is_organ_staff):
        raise PermissionDenied("统计分析面向工委和机关党委工作人员；支部和党员请在首页查看本支部的待办和情况。")
    today = timezone.localdate()
    organs = list(Organ.objects.all() if scope.is_gongwei else Organ.objects.filter(pk__in=scope.organ_ids))
    raw = request.GET.get("organ", "")
    if raw:
        chosen = next((o for o in organs if raw.isdigit() and o.pk == int(raw)), None)
        if chosen is None:
            raise Http404("没有这个机关，或不在您的管理范围内。")
        organ_ids = [chosen.pk]
    elif scope.is_gongwei:
        chosen, organ_ids = None, None
    else:
        organ_ids = [o.pk for o in organs]
        chosen = organs[0] if len(organs) == 1 else None
    return Frame(request.user, _year(request, today), today, organ_ids, chosen), organs


def _chart(kind: str, title: str, figures, *, values=None, unit: str = "个") -> dict:
    return {
        "kind": kind,
        "title": title,
        "unit": unit,
        "labels": [f.label for f in figures],
        "values": values if values is not None else [f.count for f in figures],
        "links": [f.link for f in figures],
    }


def _charts(ratings, projects, orglife, periods) -> dict:
    """What static/js/dashboards.js draws; every number is also in a table on the page."""
    charts = {
        "status": _chart("bar", "项目状态", projects.statuses),
        "direction": _chart("pie", "项目方向", projects.directions),
        "kinds": {
            "kind": "bar",
            "title": "各类会议完成率",
            "unit": "%",
            "labels": [k.label for k in orglife.kinds],
            "values": [None if k.rate is None else float(k.rate) for k in orglife.kinds],
            "links": [k.missing_branches.link for k in orglife.kinds],
        },
        "heat": {
            "kind": "heatmap",
            "title": "组织生活完成率（按月）",
            "rows": [r.label for r in orglife.heat],
            "cols": [f"{m}月" for m in selectors.MONTHS],
            # Each cell is [month, row, rate, done, due]; `rate_index` tells the chart which one to colour by.
            "rate_index": 2,
            "cells": [
                [m, y, None if rate is None else float(rate), done, due]
                for y, row in enumerate(orglife.heat)
                for m, (done, due, rate) in enumerate(row.cells)
            ],
            "links": [r.link for r in orglife.heat],
        },
        "reports": {
            "kind": "bar",
            "title": "一岗双责报送率",
            "unit": "%",
            "labels": [str(p.period) for p in periods],
            "values": [None if p.rate is None else float(p.rate) for p in periods],
            "links": [p.filed.link for p in periods],
        },
    }
    if ratings.run is not None:
        charts["stars"] = _chart("bar", "星级分布", ratings.stars)
        charts["tiers"] = _chart("pie", "等次分布", ratings.tiers)
    return charts


@login_required
@require_GET
def dashboard(request: HttpRequest) -> HttpResponse:
    frame, organs = _frame(request)
    ratings = selectors.rating_section(frame)
    projects = selectors.project_section(frame)
    orglife = selectors.orglife_section(frame, organs)
    periods = selectors.report_section(frame)
    # One organ: its branches side by side (they also give the warning counts), and the heat map by branch.
    headline = selectors.latest_due(periods, frame.today)
    rows = None
    if frame.organ is not None:
        period = headline.period if headline is not None else None
        rows = selectors.branch_rows(frame, ratings.run, period, orglife.by_branch)
    any_warning, warnings = selectors.warning_section(frame, [r.branch for r in rows] if rows is not None else None)
    selectors.heat_rows(
        frame, orglife, organs, [r.branch for r in rows] if rows is not None else None, request.GET.get("hpage")
    )
    scope = scope_of(request.user)
    title = f"{frame.organ.display_short}统计" if frame.organ else "全市机关党建统计"
    return render(
        request,
        "portal/dashboard.html",
        {
            "nav": "dashboard",
            "title": title,
            "frame": frame,
            "year": frame.year,
            "years": range(frame.today.year, frame.today.year - YEARS_OFFERED, -1),
            "organs": organs,
            "can_pick_organ": scope.is_gongwei or len(organs) > 1,
            "ratings": ratings,
            "projects": projects,
            "orglife": orglife,
            "periods": periods,
            "report_headline": headline,
            "ledger": selectors.ledger_section(frame),
            "any_warning": any_warning,
            "warnings": warnings,
            "branch_rows": rows,
            "charts": _charts(ratings, projects, orglife, periods),
            "breadcrumbs": [("统计分析", None)],
        },
    )


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Everyone's first page: what the user's scope counts, owes and has unread."""
    user = request.user
    scope = scope_of(user)
    today = timezone.localdate()
    context = {"nav": "home", "scope": scope, "user": user, "today": today}
    if scope.is_staff_or_committee:
        counts = current_warning_counts(user, today)
        context["stats"] = {"n_branches": counts["total"], "n_warned": counts["any"]}
        context["n_members"] = Member.objects.visible_to(user).count()
        context["my_branches"] = (
            Branch.objects.filter(pk__in=scope.branch_ids).select_related("organ") if scope.branch_ids else []
        )
        context["my_organs"] = Organ.objects.filter(pk__in=scope.organ_ids) if scope.organ_ids else []
    if scope.member_id:
        context["me"] = Member.objects.select_related("branch", "party_group").get(pk=scope.member_id)
        context["my_tasks"] = my_open_tasks(user)
    if scope.is_gongwei or scope.is_organ_staff:
        # Only organ and 工委 staff see the organ count; a secretary's home skips the query.
        context["n_organs"] = Organ.objects.visible_to(user).count()
        context["waiting"] = [(heading, qs.count()) for _, heading, qs in review_sections(user)]
        context["dashboard_url"] = home_panels.dashboard_url()
    if scope.is_expert:
        context["expert_waiting"] = expert_queue(user).filter(waiting=0).count()
    if scope.is_branch_committee or scope.member_id:
        context["due_items"] = due_this_month(user, today)
        context.update(home_panels.duties_context(scope, today))
        # Counted once here; the bell reads the same figure instead of counting again.
        context["unread_count"] = Notification.objects.for_user(user).unread().count()
        context["latest_unread"] = home_panels.latest_unread(user) if context["unread_count"] else []
    return render(request, "portal/home.html", context)


@login_required
@require_POST
def open_year(request: HttpRequest) -> HttpResponse:
    """工委 opens a year's rules ahead of the yearly job (the button on each rules page of a year not opened)."""
    if not scope_of(request.user).is_gongwei:
        raise PermissionDenied("只有工委工作人员可以生成年度规则。")
    today = timezone.localdate()
    raw = request.POST.get("year", "")
    if not raw.isdigit() or not years.year_in_range(int(raw), today):
        raise Http404("年度超出范围。")
    year = int(raw)
    opened = years.open_year(year, by=request.user)
    if opened:
        messages.success(request, f"已生成{year}年度规则：{'、'.join(opened)}。")
    else:
        messages.info(request, f"{year}年度规则此前已生成。")
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        back = reverse("home")
    return redirect(back)
