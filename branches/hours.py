"""Each member's 学时 per year kept in a table (`TrainingHours`), written by the services that change it.

`orglife.training_hours` is the reference: it sums a member's attended meetings and recorded trainings
in correlated subqueries. That suits a page of 30 members, but a list's counts ("n 名未达标") and its
"未达标" filter need every member in scope, and summing every attendance row of the year cost the
党员学时 page 2.5–3.5 s at a province's 195,000 members, whoever was looking, even a secretary of 26.
So the sums are kept: one row per member and year with any 学时. A member without a row has 0 学时
that year; readers treat a missing row so.

Writers. Every service that writes what the sums depend on calls `refresh(member_ids, years)` in its
own transaction: `branches.meetings` (a meeting recorded, corrected or deleted: its attendees, in the
year it is in and the year it left) and `branches.orglife` (a training recorded or deleted). Deleting
a member takes their rows with them (CASCADE); attendance and training records protect a member who
has hours anyway. A refresh locks the members (FOR NO KEY UPDATE, in key order) before it reads, so
two writers to one member take turns and the second sees what the first committed. Members are
locked before branches, as the roster's writers do (`services.save_member`, `reports.refresh_filing`),
so a writer calls `refresh` before `kept.refresh` or `figures.refresh`. `rebuild` (`manage.py
rebuild_hours`) recomputes every row; `seed_demo` and the migration that created the table run it.

Readers. `with_hours` gives a page's members the columns `orglife.training_hours` gives; `tally`
counts a list's members and those below the year's target; `below_q`/`reached_q` filter members;
`of` reads one member's sums; `join` puts each member's row of a year beside them for grouped counts
(the rating's indicator).
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal

from django.db import transaction
from django.db.models import (
    BooleanField,
    Count,
    DecimalField,
    Exists,
    ExpressionWrapper,
    F,
    FilteredRelation,
    OuterRef,
    Q,
    QuerySet,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce, ExtractYear, Greatest

from .models import Attendance, Member, OrganisationRules, TrainingHours, TrainingRecord

HOURS_FIELD = DecimalField(max_digits=7, decimal_places=1)
ZERO = Decimal("0")
BATCH_SIZE = 2000

_rows = TrainingHours.objects

Sums = dict[tuple[int, int], tuple[Decimal, Decimal]]


# --- computing and writing -------------------------------------------------------------------


def _in_years(field: str, years: Iterable[int]) -> Q:
    # Date ranges rather than EXTRACT(year): they read the dates' indexes.
    q = Q()
    for year in years:
        q |= Q(**{f"{field}__range": (datetime.date(year, 1, 1), datetime.date(year, 12, 31))})
    return q


def fresh(member_ids: Iterable[int] | None = None, years: Iterable[int] | None = None) -> Sums:
    """(meeting hours, course hours) per (member, year) with any 学时, summed now from the attendance and the
    training records; of `member_ids` and `years` when given, else of everyone and every year.

    `orglife.training_hours` computes the same, a member at a time; grouping reads each row once, which a
    rebuild of a province needs (seconds, not the reference's minute per year).
    """
    attended = Attendance.objects.filter(present=True, meeting__hours__gt=0)
    courses = TrainingRecord.objects.all()
    if member_ids is not None:
        ids = sorted(set(member_ids))
        attended, courses = attended.filter(member_id__in=ids), courses.filter(member_id__in=ids)
    if years is not None:
        years = sorted(set(years))
        if not years:
            return {}
        attended = attended.filter(_in_years("meeting__held_on", years))
        courses = courses.filter(_in_years("held_on", years))
    sums: dict[tuple[int, int], list[Decimal]] = defaultdict(lambda: [ZERO, ZERO])
    sources = ((attended, "meeting__held_on", "meeting__hours"), (courses, "held_on", "hours"))
    for i, (rows, date, hours) in enumerate(sources):
        grouped = (
            rows.order_by()
            .annotate(year=ExtractYear(date))
            .values("member_id", "year")
            .annotate(total=Sum(hours))
            .values_list("member_id", "year", "total")
        )
        for member_id, year, total in grouped:
            sums[member_id, year][i] += total
    return {key: (meeting, course) for key, (meeting, course) in sums.items()}


def kept(member_ids: Iterable[int] | None = None, years: Iterable[int] | None = None) -> Sums:
    """The kept rows as `fresh` gives them."""
    rows = _rows.all()
    if member_ids is not None:
        rows = rows.filter(member_id__in=sorted(set(member_ids)))
    if years is not None:
        rows = rows.filter(year__in=sorted(set(years)))
    return {
        (member_id, year): (meeting, course)
        for member_id, year, meeting, course in rows.values_list("member_id", "year", "meeting_hours", "course_hours")
    }


def differences() -> list[tuple[int, int]]:
    """The (member, year) pairs whose kept row is missing, extra or not what a fresh computation gives."""
    now, stored = fresh(), kept()
    return sorted(key for key in now.keys() | stored.keys() if now.get(key) != stored.get(key))


def lock_members(member_ids: Iterable[int] | None) -> None:
    """Hold the members' rows (all when None) until the transaction ends, in key order.

    FOR NO KEY UPDATE does not wait for transactions that only add rows referring to the members (their
    attendance at a new meeting, a training).
    """
    members = Member.objects.all()
    if member_ids is not None:
        members = members.filter(pk__in=sorted(set(member_ids)))
    list(members.order_by("pk").select_for_update(no_key=True).values_list("pk"))


def _write(sums: Sums, old: QuerySet) -> int:
    old.delete()
    rows = [
        TrainingHours(member_id=member, year=year, meeting_hours=meeting, course_hours=course, hours=meeting + course)
        for (member, year), (meeting, course) in sorted(sums.items())
    ]
    _rows.bulk_create(rows, batch_size=BATCH_SIZE)
    return len(rows)


def refresh(member_ids: Iterable[int], years: Iterable[int]) -> None:
    """Rewrite the kept 学时 of these members in these years from a fresh computation, in the caller's
    transaction. Call it before locking any branch (see the module's docstring)."""
    ids, years = sorted({int(pk) for pk in member_ids}), sorted(set(years))
    if not ids or not years:
        return
    with transaction.atomic():
        lock_members(ids)
        _write(fresh(ids, years), _rows.filter(member_id__in=ids, year__in=years))


def rebuild() -> int:
    """Rewrite every kept row from scratch; the number of rows written."""
    with transaction.atomic():
        lock_members(None)
        return _write(fresh(), _rows.all())


# --- reading ---------------------------------------------------------------------------------


def target_of(year: int) -> Decimal:
    return OrganisationRules.for_year(year).training_hours_target


def of(member: Member | int, year: int) -> tuple[Decimal, Decimal]:
    """One member's (meeting hours, course hours) in `year`. One query."""
    row = _rows.filter(member=member, year=year).values_list("meeting_hours", "course_hours").first()
    return row or (ZERO, ZERO)


def reached_q(year: int, target: Decimal) -> Q:
    """Members (of any queryset) whose 学时 in `year` reach `target`; a filter, also inside an aggregate."""
    if target <= 0:
        return Q(pk__isnull=False)  # everyone, those without 学时 too
    return Q(Exists(_rows.filter(member=OuterRef("pk"), year=year, hours__gte=target)))


def below_q(year: int, target: Decimal) -> Q:
    """Members whose 学时 in `year` fall short of `target`, those without any included."""
    return ~reached_q(year, target)


def join(members: QuerySet, year: int) -> QuerySet:
    """The members with their row of `year` beside them as `kept` (a LEFT JOIN; NULL without 学时).

    For counting many members: one join instead of a lookup per member."""
    return members.alias(kept=FilteredRelation("yearly_hours", condition=Q(yearly_hours__year=year)))


def joined_reached_q(target: Decimal) -> Q:
    """On a `join`ed queryset: the member's 学时 reach `target`."""
    return Q(pk__isnull=False) if target <= 0 else Q(kept__hours__gte=target)


def with_hours(members: QuerySet, year: int, target: Decimal) -> QuerySet:
    """The members annotated as `orglife.training_hours` annotates them, from the kept rows.

    `meeting_hours`, `course_hours`, `hours`, `target`, `below_target` and `shortfall`; one query.
    """
    zero = Value(ZERO, output_field=HOURS_FIELD)
    target_value = Value(target, output_field=HOURS_FIELD)
    return (
        join(members, year)
        .annotate(
            meeting_hours=Coalesce(F("kept__meeting_hours"), zero, output_field=HOURS_FIELD),
            course_hours=Coalesce(F("kept__course_hours"), zero, output_field=HOURS_FIELD),
            hours=Coalesce(F("kept__hours"), zero, output_field=HOURS_FIELD),
            target=target_value,
        )
        .annotate(
            below_target=ExpressionWrapper(Q(hours__lt=target), output_field=BooleanField()),
            shortfall=Greatest(ExpressionWrapper(target_value - F("hours"), output_field=HOURS_FIELD), zero),
        )
    )


def tally(members: QuerySet, year: int, target: Decimal) -> dict[str, int]:
    """{"total": members, "below": those whose 学时 in `year` fall short of `target`}.

    Everyone (the 工委's unfiltered list) is counted from two indexes, without joining a province's
    members to their rows; any narrower list joins its members.
    """
    if not members.query.has_filters():
        total = members.count()
        reached = _rows.filter(year=year, hours__gte=target).count() if target > 0 else total
    else:
        counts = join(members, year).aggregate(total=Count("pk"), reached=Count("pk", filter=joined_reached_q(target)))
        total, reached = counts["total"], counts["reached"]
    return {"total": total, "below": total - reached}
