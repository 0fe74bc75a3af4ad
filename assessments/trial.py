"""试算: whether a rating run saw its year's whole record, and what the record still lacked when it ran.

A year's record is complete once the last period it is assessed on is due. The periods are read from the
year's data, never from fixed dates: the year itself (what belongs to the year — the project, 民主评议, 述职,
加减分 — is in by its last day), the periods of the year's 组织生活 requirements when the scheme computes
meeting completion, and the year's 一岗双责 report periods with their due dates (the second half is due in
the next year) when it computes report timeliness. A run is a trial when it was requested before that day,
or cut off (`as_of`) before the last period ended.

A run keeps what was still missing when it ran (`RatingRun.gaps`): the periods not over or not due yet,
the scores not entered, the filings not made. Counts are kept per organ, so that a 机关党委 reads its
own share and not the other organs'.
"""

import datetime
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from accounts.scope import scope_of
from branches import orglife
from branches.choices import Period as Frequency
from branches.models import MeetingRequirement

from . import reports
from .choices import Metric
from .models import DutyReportPeriod, RatingRun

PERIOD, SCORE, FILING = "period", "score", "filing"
KIND_LABELS = {PERIOD: "未到期", SCORE: "未评分", FILING: "未完成"}
YEAR, MEETINGS, REPORTS = "year", "meetings", "reports"


@dataclass(frozen=True)
class Period:
    """A period the rating assesses: the year, a 组织生活 period of one kind, or a report period."""

    source: str
    label: str
    ends_on: datetime.date
    due_on: datetime.date
    subject: str = ""  # the meeting kind of a 组织生活 period
    pk: int | None = None  # a report period's id

    def pending(self, as_of: datetime.date, day: datetime.date) -> bool:
        """Not yet over by the run's cut-off, or not yet due on the day it was requested."""
        return self.ends_on > as_of or self.due_on > day


@dataclass(frozen=True)
class Completion:
    """The periods a year is assessed on, and from them the day its record is complete."""

    year: int
    periods: tuple[Period, ...]

    @property
    def last_end(self) -> datetime.date:
        return max(p.ends_on for p in self.periods)

    @property
    def complete_on(self) -> datetime.date:
        """The day the year's last assessed period is due: a run requested from this day on is no trial."""
        return max(p.due_on for p in self.periods)

    def is_trial(self, as_of: datetime.date, day: datetime.date) -> bool:
        return as_of < self.last_end or day < self.complete_on

    def pending(self, as_of: datetime.date, day: datetime.date) -> list[Period]:
        return [p for p in self.periods if p.pending(as_of, day)]


def completion(
    year: int,
    metrics: Iterable[str],
    requirements: Iterable[MeetingRequirement],
    report_periods: Iterable[DutyReportPeriod],
) -> Completion:
    """The year's assessed periods, from the metrics the scheme computes and the year's rules as read."""
    metrics = set(metrics)
    last_day = orglife.spans(Frequency.YEAR, year)[-1].end
    periods = [Period(YEAR, f"{year}年度", last_day, last_day)]
    if Metric.MEETING_COMPLETION in metrics:
        for requirement in requirements:
            for span in orglife.spans(requirement.period, year):
                periods.append(Period(MEETINGS, span.label, span.end, span.end, requirement.get_kind_display()))
    if Metric.REPORT_TIMELINESS in metrics:
        for period in report_periods:
            periods.append(Period(REPORTS, str(period), period.ends_on, period.due_on, pk=period.pk))
    return Completion(year, tuple(periods))


def metrics_of(scheme) -> set[str]:
    return set(scheme.indicators.exclude(metric="").values_list("metric", flat=True))


def completion_for(scheme) -> Completion:
    """`completion` of the scheme's year as its rules read now, saved or not (never writes). Three queries."""
    year = scheme.year
    return completion(year, metrics_of(scheme), orglife.requirements_for_year(year), reports.periods_for_years([year]))


# --- what was missing ----------------------------------------------------------------------------


def gap(kind: str, label: str, organs: dict[int, int] | None = None, unit: str = "") -> dict:
    """One line of `RatingRun.gaps`; `organs` counts per organ what is missing (None: nothing to count)."""
    return {
        "kind": kind,
        "label": label,
        "unit": unit,
        "organs": None if organs is None else {str(k): v for k, v in sorted(organs.items()) if v},
    }


def period_gaps(pending: list[Period], as_of: datetime.date, unfiled: dict[int, dict[int, int]]) -> list[dict]:
    """The lines for the periods not over or not due; `unfiled` counts per report period and organ the
    班子成员 who have not filed yet."""
    lines = []
    for period in pending:
        if period.source == YEAR:
            lines.append(gap(PERIOD, f"{period.label}至 {period.ends_on:%Y-%m-%d} 结束，本次数据截止 {as_of:%Y-%m-%d}"))
    meetings = [p for p in pending if p.source == MEETINGS]
    if meetings:
        spans: dict[str, list[str]] = {}
        for period in meetings:
            spans.setdefault(period.subject, []).append(period.label)
        by_range: dict[str, list[str]] = defaultdict(list)
        for subject, labels in spans.items():
            by_range[labels[0] if len(labels) == 1 else f"{labels[0]}至{labels[-1]}"].append(subject)
        text = "；".join(f"{span}的{'、'.join(subjects)}" for span, subjects in by_range.items())
        end = max(p.ends_on for p in meetings)
        lines.append(gap(PERIOD, f"组织生活：{text}尚未结束（{end:%Y-%m-%d} 结束）"))
    for period in pending:
        if period.source == REPORTS:
            ends = f"报告期至 {period.ends_on:%Y-%m-%d} 结束，" if period.ends_on > as_of else ""
            label = f"{period.label}一岗双责报告：{ends}{period.due_on:%Y-%m-%d} 截止"
            lines.append(gap(PERIOD, label, unfiled.get(period.pk, {}), "人未提交"))
    return lines


@dataclass(frozen=True)
class Gap:
    """A line of a run's gaps as one user reads it: counted over the organs they see."""

    kind: str
    label: str
    count: int | None
    unit: str

    @property
    def kind_label(self) -> str:
        return KIND_LABELS[self.kind]


def gaps_for(run: RatingRun, user) -> list[Gap]:
    """The run's gaps the user may read: the 工委 every organ's count, a 机关党委 its own organs'. A line of
    counts where the user's organs miss nothing is left out; a period line stays (it is the same for all)."""
    scope = scope_of(user)
    mine = None if scope.is_gongwei else {str(pk) for pk in scope.organ_ids}
    shown = []
    for line in run.gaps:
        organs = line.get("organs")
        count = None
        if organs is not None:
            count = sum(n for pk, n in organs.items() if mine is None or pk in mine)
            if not count and line["kind"] != PERIOD:
                continue
        shown.append(Gap(line["kind"], line["label"], count, line.get("unit", "")))
    return shown
