"""一岗双责 half-yearly reports: the periods, who owes a report, and one function per transition.

Who owes is derived from the roster (a 班子成员 of an active branch), never typed in. A report goes
draft → submitted → accepted, or submitted → returned → (edited) → submitted again. Each service
locks the row, checks the role and the state, records who did it in the history and tells the
people concerned once the transaction commits. Pages, commands and the reminder engine call these.
"""

import datetime

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import (
    BooleanField,
    Case,
    CharField,
    DateTimeField,
    Exists,
    F,
    FilteredRelation,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Value,
    When,
)
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from simple_history.utils import bulk_update_with_history

from accounts import selectors
from accounts.scope import scope_of
from branches.figures import lock_branches
from branches.models import Member
from core.errors import DomainError
from core.workflow import Act, locked, record, require_state
from notifications.services import announce

from .choices import Filing, ReportStatus
from .models import DutyFiling, DutyReport, DutyReportPeriod
from .permissions import CHANGE_DUE_DATE, FILE_REPORT, REVIEW_REPORT, SUBMIT_REPORT

# (half, starts (month, day), ends (month, day), due (years after, month, day)): the defaults a year
# starts with; staff may then move a due date on the period page.
DEFAULT_HALVES = (
    (1, (1, 1), (6, 30), (0, 7, 15)),
    (2, (7, 1), (12, 31), (1, 1, 15)),
)
TEXT_FIELDS = ("business_work", "party_work", "problems", "next_steps")
# Filing states of a leader for one period, as staff read them (see `Filing`).
FILING_SUBMITTED, FILING_LATE, FILING_MISSING, FILING_RETURNED, FILING_ACCEPTED = (
    Filing.SUBMITTED.value,
    Filing.LATE.value,
    Filing.MISSING.value,
    Filing.RETURNED.value,
    Filing.ACCEPTED.value,
)
FILING_CHOICES = [(state.value, state.label) for state in Filing]
FILED_STATUSES = (ReportStatus.SUBMITTED, ReportStatus.ACCEPTED)


class ReportError(DomainError):
    """The step is refused for a reason the user can fix; the message is shown to them."""


# --- periods ---------------------------------------------------------------------------


def default_periods(year: int, model=DutyReportPeriod) -> list:
    """The year's two half-year periods with the default dates, unsaved (`model` is the historical model in a
    data migration).

    A new year starts from the defaults, not from the year before: a moved due date is a one-off decision
    about one period (with its reason in the history), not a rule for the years after.
    """
    return [
        model(
            year=year,
            half=half,
            starts_on=datetime.date(year, sm, sd),
            ends_on=datetime.date(year, em, ed),
            due_on=datetime.date(year + dy, dm, dd),
        )
        for half, (sm, sd), (em, ed), (dy, dm, dd) in DEFAULT_HALVES
    ]


def periods_for_years(years) -> list[DutyReportPeriod]:
    """The half-year periods of `years` in order: saved, or, where a year is not opened yet, the defaults it
    would be opened with (unsaved, pk None). Never writes; `ensure_periods` is the writer."""
    years = sorted(set(years))
    found = {(p.year, p.half): p for p in DutyReportPeriod.objects.filter(year__in=years)}
    return [found.get((p.year, p.half), p) for year in years for p in default_periods(year)]


def periods_for_year(year: int) -> list[DutyReportPeriod]:
    """The year's two half-year periods (H1, H2), as `periods_for_years` reads them."""
    return periods_for_years([year])


def ensure_periods(years, *, by=None) -> list[DutyReportPeriod]:
    """Open `years`: save the periods `periods_for_years` reads and keep their filings (`DutyFiling`).

    Idempotent, and safe when two callers race: the unique (year, half) decides and the loser reads the
    winner's period. Called by what needs saved periods: the yearly job (`portal.years`), a 工委 opening a
    year, the rating run, seed_demo. Inside the caller's transaction when there is one.
    """
    periods = []
    for period in periods_for_years(years):
        if period.pk is None:
            try:
                with transaction.atomic():
                    record(period, by, "按默认日期生成报告期")
                    refresh_filing(periods=[period])
            except IntegrityError:
                # Another caller opened it at the same moment; theirs is as good as ours.
                period = DutyReportPeriod.objects.get(year=period.year, half=period.half)
        periods.append(period)
    return periods


def default_period(today: datetime.date) -> DutyReportPeriod:
    """The period staff look at by default: the latest saved one that has ended (its reports are due now).

    Among last year's and this year's periods, saved ones first: a year not opened (a new install's last
    year) has no reports to look at. Unsaved (pk None) only when neither year is opened.
    """
    periods = periods_for_years([today.year - 1, today.year])
    candidates = [p for p in periods if p.pk is not None] or periods
    ended = [p for p in candidates if p.ends_on < today]
    return ended[-1] if ended else candidates[0]


@transaction.atomic
def change_due_date(period: DutyReportPeriod, *, due_on: datetime.date, reason: str, by) -> DutyReportPeriod:
    """Move a period's due date (工委 only). Late marks of filed reports follow the new date."""
    CHANGE_DUE_DATE.require(by)
    if due_on < period.ends_on:
        raise ReportError(f"报告截止日期不能早于报告期结束日期（{period.ends_on:%Y-%m-%d}）。")
    period = DutyReportPeriod.objects.select_for_update().get(pk=period.pk)
    old = period.due_on
    if due_on == old:
        return period
    period.due_on = due_on
    period._history_user = by
    period._change_reason = f"报告截止日期 {old:%Y-%m-%d} → {due_on:%Y-%m-%d}" + (
        f"：{reason.strip()}" if reason.strip() else ""
    )
    period.save(update_fields=["due_on"])
    # A deadline extension must not leave people marked late who now filed in time (and vice versa).
    changed = []
    for report in DutyReport.objects.filter(period=period, submitted_at__isnull=False).select_for_update():
        late = is_late(report.submitted_at, period)
        if late != report.is_late:
            report.is_late = late
            changed.append(report)
    if changed:
        bulk_update_with_history(
            changed,
            DutyReport,
            ["is_late"],
            default_user=by,
            default_change_reason="报告截止日期调整，重新判定是否逾期",
        )
        refresh_filing(periods=[period], members=[report.member_id for report in changed])
    return period


# --- who owes --------------------------------------------------------------------------


def owed(period: DutyReportPeriod) -> QuerySet:
    """The 班子成员 who owe a report for `period`: leaders on the roster of an active branch.

    The roster keeps no dates of office, so every period asks the current roster; a former leader
    who filed keeps their report (see `roster_for`).
    """
    # A branch founded after the half-year ended owed nothing for it.
    return Member.objects.filter(
        is_leader=True, branch__dissolved_on__isnull=True, branch__founded_on__lte=period.ends_on
    )


def outstanding(period: DutyReportPeriod) -> QuerySet:
    """Those of `owed(period)` whose report is not filed yet (none, a draft, or returned)."""
    filed = DutyReport.objects.filter(member=OuterRef("pk"), period=period, status__in=FILED_STATUSES)
    return owed(period).filter(~Exists(filed))


def roster_for(period: DutyReportPeriod, members: QuerySet | None = None) -> QuerySet:
    """Members to list for a period — those who owe and anyone who filed (a former leader stays
    listed with their report) — annotated with their report and `filing` state, in one query.

    Who is listed and their state are read from the kept filings (`DutyFiling`, one indexed join);
    `fresh_roster_for` computes the same afresh.
    """
    members = Member.objects.all() if members is None else members
    if period.pk is None:
        return _roster_of_unopened(members)
    return (
        members.annotate(kept=FilteredRelation("filings", condition=Q(filings__period=period)))
        .filter(kept__isnull=False)
        .annotate(report=FilteredRelation("duty_reports", condition=Q(duty_reports__period=period)))
        .annotate(**_report_columns(), filing=F("kept__filing"))
    )


def _roster_of_unopened(members: QuerySet) -> QuerySet:
    """`roster_for` of a period not opened yet: nobody can have filed into it, so everyone who owes is missing."""
    empty = {
        name: Value(None, output_field=field)
        for name, field in (
            ("report_id", IntegerField()),
            ("report_status", CharField()),
            ("report_late", BooleanField()),
            ("report_submitted_at", DateTimeField()),
            ("report_reviewed_at", DateTimeField()),
            ("report_return_reason", CharField()),
        )
    }
    return members.filter(is_leader=True, branch__dissolved_on__isnull=True).annotate(
        **empty, filing=Value(FILING_MISSING, output_field=CharField())
    )


def fresh_roster_for(period: DutyReportPeriod, members: QuerySet | None = None) -> QuerySet:
    """`roster_for` computed from the roster and the reports: the reference the kept filings are written from."""
    members = Member.objects.all() if members is None else members
    has_report = DutyReport.objects.filter(member=OuterRef("pk"), period=period)
    owes = Q(is_leader=True, branch__dissolved_on__isnull=True)
    return (
        members.filter(owes | Exists(has_report))
        .annotate(report=FilteredRelation("duty_reports", condition=Q(duty_reports__period=period)))
        .annotate(**_report_columns(), filing=filing_expression())
    )


def _report_columns() -> dict:
    return {
        "report_id": F("report__id"),
        "report_status": F("report__status"),
        "report_late": F("report__is_late"),
        "report_submitted_at": F("report__submitted_at"),
        "report_reviewed_at": F("report__reviewed_at"),
        "report_return_reason": F("report__return_reason"),
    }


def filing_expression():
    """The filing state from the joined report (`report__…`), computed in the database."""
    return Case(
        When(report__status=ReportStatus.ACCEPTED, then=Value(FILING_ACCEPTED)),
        When(report__status=ReportStatus.RETURNED, then=Value(FILING_RETURNED)),
        When(report__status=ReportStatus.SUBMITTED, report__is_late=True, then=Value(FILING_LATE)),
        When(report__status=ReportStatus.SUBMITTED, then=Value(FILING_SUBMITTED)),
        default=Value(FILING_MISSING),
        output_field=CharField(),
    )


def is_late(submitted_at: datetime.datetime, period: DutyReportPeriod) -> bool:
    """Filed after the due date, read in the portal's time zone (the whole due day is in time)."""
    return timezone.localdate(submitted_at) > period.due_on


# --- kept filings ----------------------------------------------------------------------


def _period_ids(periods) -> list[int]:
    if periods is None:
        return list(DutyReportPeriod.objects.order_by("pk").values_list("pk", flat=True))
    return sorted({getattr(p, "pk", p) for p in periods})


def _fresh_filings(period_ids: list[int], members: QuerySet) -> list[DutyFiling]:
    rows = []
    for period_id in period_ids:
        for row in fresh_roster_for(period_id, members).order_by().values("pk", "branch_id", "filing", "report_late"):
            rows.append(
                DutyFiling(
                    period_id=period_id,
                    member_id=row["pk"],
                    branch_id=row["branch_id"],
                    filing=row["filing"],
                    is_late=bool(row["report_late"]),
                )
            )
    return rows


@transaction.atomic
def refresh_filing(*, periods=None, branches=None, members=None) -> None:
    """Rewrite kept filings from a fresh computation, in the caller's transaction.

    The rows rewritten: of `periods` (periods or their keys; every period when None), for the members
    in `branches` and those whose kept row names one of them (a member who left), and for `members`
    (keys); for every member when neither is given (a new period, a rebuild). A member's rows are
    rewritten whichever branch they name, so a refresh never collides with a row left behind.
    """
    period_ids = _period_ids(periods)
    kept = DutyFiling.objects.filter(period_id__in=period_ids)
    fresh = Member.objects.all()
    if branches is None and members is None:
        lock_branches(None)
    else:
        branch_ids, member_ids = sorted(set(branches or ())), sorted(set(members or ()))
        fresh = fresh.filter(Q(branch_id__in=branch_ids) | Q(pk__in=member_ids))
        kept = kept.filter(Q(branch_id__in=branch_ids) | Q(member__in=fresh))
        # Writers to a branch take turns (see `lock_branches`): the rows are computed after the lock. The
        # members are locked first, as their own writers do, so that a member being moved is read where it lands.
        moved = Member.objects.filter(pk__in=member_ids).order_by("pk").select_for_update(no_key=True)
        lock_branches([*branch_ids, *moved.values_list("branch_id", flat=True)])
    kept.delete()
    DutyFiling.objects.bulk_create(_fresh_filings(period_ids, fresh), batch_size=1000)


def kept_filings(periods=None) -> dict[tuple[int, int], tuple]:
    """The kept filings of `periods` (all when None) as {(period, member): (branch, filing, is_late)}."""
    rows = DutyFiling.objects.filter(period_id__in=_period_ids(periods)).values_list(
        "period_id", "member_id", "branch_id", "filing", "is_late"
    )
    return {(row[0], row[1]): tuple(row[2:]) for row in rows}


def fresh_filings(periods=None) -> dict[tuple[int, int], tuple]:
    """`kept_filings` computed afresh from the rosters and the reports."""
    return {
        (f.period_id, f.member_id): (f.branch_id, f.filing, f.is_late)
        for f in _fresh_filings(_period_ids(periods), Member.objects.all())
    }


def filing_differences(periods=None) -> list[tuple[int, int]]:
    """The (period, member) pairs whose kept filing is missing, extra or not what a fresh computation gives."""
    fresh, kept = fresh_filings(periods), kept_filings(periods)
    return sorted(key for key in fresh.keys() | kept.keys() if fresh.get(key) != kept.get(key))


def rebuild_filing() -> int:
    """Rewrite every kept filing from scratch; the number of rows written."""
    with transaction.atomic():
        refresh_filing()
        return DutyFiling.objects.count()


def on_roster_changed(sender, *, branch_ids, **kwargs) -> None:
    """Members of these branches were written: who owes in every period may have changed."""
    refresh_filing(branches=branch_ids)


# --- who may do what -------------------------------------------------------------------


def can_file(user, member: Member) -> bool:
    """The leader's own account, or the branch's writers filing on their behalf."""
    scope = scope_of(user)
    return scope.member_id == member.pk or scope.can_write_branch(member.branch)


def can_review(user, member: Member) -> bool:
    """机关党委 staff of the member's organ, or the 工委; never on one's own report."""
    scope = scope_of(user)
    if scope.member_id == member.pk:
        return False
    return scope.is_gongwei or member.branch.organ_id in scope.organ_ids


def get_report_for_user(user, pk: int) -> DutyReport:
    """A report the user may see (404 otherwise)."""
    return get_object_or_404(
        DutyReport.objects.visible_to(user).select_related("member__branch__organ", "member__user", "period"),
        pk=pk,
    )


def get_report_for_reviewer(user, pk: int) -> DutyReport:
    report = get_report_for_user(user, pk)
    REVIEW_REPORT.require(user, report.member)
    return report


def get_member_for_filing(user, pk: int) -> Member:
    """The leader whose report the user files: 404 outside scope, 403 when they may only look."""
    member = get_object_or_404(Member.objects.visible_to(user).select_related("branch__organ", "user"), pk=pk)
    FILE_REPORT.require(user, member)
    return member


# --- transitions -----------------------------------------------------------------------


def _refresh_report(report: DutyReport) -> None:
    refresh_filing(periods=[report.period_id], members=[report.member_id])


def _clean_data(data: dict) -> dict:
    return {name: (data.get(name) or "").strip() for name in TEXT_FIELDS}


def why_cannot_start(member: Member, period: DutyReportPeriod, today: datetime.date) -> str:
    """Why a new report cannot be started for this leader and period ("" when it can)."""
    if not member.is_leader:
        return f"{member.name}不是班子成员，无需报告一岗双责。"
    if member.branch.dissolved_on is not None:
        return f"{member.branch.name}已撤销，不能再填报。"
    if today < period.starts_on:
        return f"{period}报告期尚未开始（{period.starts_on:%Y-%m-%d} 起），暂不能填报。"
    return ""


@transaction.atomic
def save_draft(member: Member, period: DutyReportPeriod, *, data: dict, by, today: datetime.date | None = None):
    """Create or update a leader's report for a period without submitting it.

    A returned report stays returned (with the reason visible) until it is submitted again.
    """
    today = today or timezone.localdate()
    FILE_REPORT.require(by, member)
    report = DutyReport.objects.select_for_update().filter(member=member, period=period).first()
    if report is None:
        refusal = why_cannot_start(member, period, today)
        if refusal:
            raise ReportError(refusal)
        report = DutyReport(member=member, period=period, **_clean_data(data))
        try:
            with transaction.atomic():
                record(report, by, Act.DRAFT)
        except IntegrityError:
            # The same report was started in another window a moment ago.
            raise ReportError("该报告刚刚已由他人创建，请刷新页面后再修改。") from None
        _refresh_report(report)
        return report
    require_state(report, (ReportStatus.DRAFT, ReportStatus.RETURNED), "报告已提交，不能再修改")
    for name, value in _clean_data(data).items():
        setattr(report, name, value)
    record(report, by, Act.EDIT, [*TEXT_FIELDS])
    _refresh_report(report)
    return report


@transaction.atomic
def submit_report(report: DutyReport, *, by) -> DutyReport:
    """Submit a draft, or resubmit a returned report. After the due date it is accepted and marked late.

    Lateness is decided by the first submission: a report filed in time, returned and resubmitted
    after the due date is not late. `submitted_at` keeps that first moment; resubmissions are in
    the history.
    """
    report = locked(report, "member__branch__organ", "member__user", "period")
    SUBMIT_REPORT.require(by, report.member)
    require_state(report, (ReportStatus.DRAFT, ReportStatus.RETURNED), "只有草稿或被退回的报告可以提交")
    empty = [str(DutyReport._meta.get_field(name).verbose_name) for name in TEXT_FIELDS if not getattr(report, name)]
    if empty:
        raise ReportError("提交前请填写：" + "、".join(empty) + "。")
    resubmission = report.status == ReportStatus.RETURNED
    if report.submitted_at is None:
        report.submitted_at = timezone.now()
        report.is_late = is_late(report.submitted_at, report.period)
    report.status = ReportStatus.SUBMITTED
    act = Act.RESUBMIT if resubmission else Act.SUBMIT
    record(report, by, act.because("逾期提交" if report.is_late else ""), ["status", "submitted_at", "is_late"])
    _refresh_report(report)
    announce(
        report,
        actor=by,
        title=f"【待审阅】{report.member.name}提交了{report.period}一岗双责报告",
        body=f"{report.member.branch.organ.display_short} {report.member.name}"
        f"{'重新' if resubmission else ''}提交了{report.period}一岗双责报告"
        f"{'（逾期提交）' if report.is_late else ''}，请审阅。",
        recipients=list(selectors.organ_staff_users(report.member.branch.organ_id)),
    )
    return report


@transaction.atomic
def accept_report(report: DutyReport, *, by) -> DutyReport:
    report = locked(report, "member__branch__organ", "member__user", "period")
    REVIEW_REPORT.require(by, report.member)
    require_state(report, (ReportStatus.SUBMITTED,), "只有待审阅的报告可以审阅通过")
    report.status = ReportStatus.ACCEPTED
    report.reviewed_by = by
    report.reviewed_at = timezone.now()
    report.return_reason = ""
    record(report, by, Act.APPROVE, ["status", "reviewed_by", "reviewed_at", "return_reason"])
    _refresh_report(report)
    announce(
        report,
        actor=by,
        title=f"您的{report.period}一岗双责报告已审阅",
        body=f"{report.member.name}的{report.period}一岗双责报告已由{by}审阅通过。",
        recipients=_filers(report),
    )
    return report


@transaction.atomic
def return_report(report: DutyReport, *, by, reason: str) -> DutyReport:
    """Send the report back with a reason the leader reads; they edit it and submit again."""
    report = locked(report, "member__branch__organ", "member__user", "period")
    if not can_review(by, report.member):
        raise PermissionDenied("只有本机关党委或工委工作人员可以退回该报告。")
    reason = (reason or "").strip()
    if not reason:
        raise ReportError("退回时请写明原因，便于修改。")
    require_state(report, (ReportStatus.SUBMITTED,), "只有待审阅的报告可以退回")
    report.status = ReportStatus.RETURNED
    report.return_reason = reason
    report.reviewed_by = by
    report.reviewed_at = timezone.now()
    record(report, by, Act.RETURN.because(reason), ["status", "return_reason", "reviewed_by", "reviewed_at"])
    _refresh_report(report)
    announce(
        report,
        actor=by,
        title=f"{report.period}一岗双责报告被退回修改",
        body=f"{report.member.name}的{report.period}一岗双责报告被退回。原因：{reason}",
        recipients=_filers(report),
    )
    return report


def _filers(report: DutyReport) -> list:
    """Who hears about a review: the leader, or the branch committee when the leader has no account."""
    if report.member.user_id and report.member.user.is_active:
        return [report.member.user]
    return list(selectors.branch_committee_users(report.member.branch_id))


def report_url(report: DutyReport) -> str:
    return reverse("assessments:report_detail", args=[report.pk])
