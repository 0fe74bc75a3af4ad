"""What the pages and the API read about 一岗双责 reports, written once."""

import datetime

from django.db.models import Q

from branches.models import Member, Organ

from . import reports
from .forms.reports import OverviewForm
from .models import DutyReportPeriod


def overview_query(request, today: datetime.date):
    """(form, period, rows before the status filter, rows) for the overview, its export and the API alike."""
    default = reports.default_period(today)
    data = request.GET.copy()
    if default.pk is not None:
        data.setdefault("period", str(default.pk))
    # Periods not started yet have nothing to show; the default is always among the choices. An unsaved
    # default (no year opened) is read as it is: everyone who owes, nobody filed.
    periods = DutyReportPeriod.objects.filter(Q(starts_on__lte=today) | Q(pk=default.pk))
    form = OverviewForm(data, periods=periods, organs=Organ.objects.visible_to(request.user))
    cleaned = form.cleaned_data if form.is_valid() else {}
    period = cleaned.get("period") or default
    members = Member.objects.visible_to(request.user)
    if cleaned.get("organ"):
        members = members.filter(branch__organ=cleaned["organ"])
    if cleaned.get("q"):
        members = members.filter(name__icontains=cleaned["q"].strip())
    branch = request.GET.get("branch", "")
    if branch.isdigit():
        # The dashboards link a branch's leaders here (its row in 支部一览).
        members = members.filter(branch_id=int(branch))
    base = reports.roster_for(period, members)
    rows = base.filter(filing=cleaned["status"]) if cleaned.get("status") else base
    # Groups of states the dashboards count: filed in any state, and filed late in any state.
    filing = request.GET.get("filing", "")
    if filing == "filed":
        rows = rows.filter(filing__in=(reports.FILING_SUBMITTED, reports.FILING_LATE, reports.FILING_ACCEPTED))
    elif filing == "late_any":
        rows = rows.filter(report_late=True)
    return form, period, base, rows
