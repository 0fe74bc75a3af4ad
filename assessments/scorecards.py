"""Year-end scorecards (年度考核结果) in Excel: the workbook writer and the export job around it.

The workbook is written from a rating run's frozen results only, never from live scores, so an
export of a published run always says what the run says. It is written by XlsxWriter from one
query ordered by organ, so the query count does not grow with the number of branches.

Who may export: the 工委 any finished run, for all organs or one; a 机关党委 only published runs
and only its own organ. Secretaries and members get no export.
"""

import datetime
import logging
import re
import secrets
import tempfile
from collections.abc import Callable
from decimal import Decimal
from typing import BinaryIO

import xlsxwriter
from django.core.exceptions import PermissionDenied
from django.core.files import File
from django.db import transaction
from django.db.models import F, QuerySet
from django.http import FileResponse, Http404
from django.urls import reverse
from django.utils import timezone

from accounts.scope import scope_of
from branches.models import Organ
from core.errors import DomainError
from core.excel import HEADER_FILL, XLSX_CONTENT_TYPE, content_disposition, text
from maintenance.models import ExportKind, record_export
from notifications.services import notify

from .choices import AdjustmentKind, IndicatorSource, JobStatus, RunStatus, Tier, TierMode
from .models import AdjustmentItem, AssessmentScheme, Dimension, Indicator, RatingResult, RatingRun, ScorecardExport
from .permissions import EXPORT_SCORECARDS
from .ratings import visible_runs

logger = logging.getLogger(__name__)

FINISHED_RUNS = (RunStatus.DRAFT, RunStatus.PUBLISHED, RunStatus.SUPERSEDED)
PROGRESS_EVERY = 50
# A workbook of every branch takes seconds; a job still unfinished after this long lost its worker
# (a restart, a lost message) and may be started again instead of blocking its requester.
STALLED_AFTER = datetime.timedelta(minutes=15)
NUMBER = "0.00"
NOT_APPLICABLE = "不适用"
SUMMARY_TITLE = "汇总"
SCHEME_TITLE = "考核方案"
# Excel refuses these in sheet names, and reserves "History" for its change tracking.
SHEET_NAME_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")
SHEET_NAME_MAX = 31

ProgressCallback = Callable[[int, int], None]


class ScorecardError(DomainError):
    """The export is refused for a reason the user can act on; the message is shown to them."""


# --- Who may export what ---------------------------------------------------------------------


def can_export(user) -> bool:
    scope = scope_of(user)
    return scope.is_gongwei or scope.is_organ_staff


def runs_for_export(user) -> QuerySet[RatingRun]:
    """The runs a user may export from: those the user sees (the 工委 every run, others the
    published ones), for staff only."""
    if not can_export(user):
        return RatingRun.objects.none()
    return visible_runs(user)


def exports_for(user) -> QuerySet[ScorecardExport]:
    """Exports a user may follow and download: their own, and for the 工委 everyone's."""
    if scope_of(user).is_gongwei:
        return ScorecardExport.objects.all()
    return ScorecardExport.objects.visible_to(user)


def can_open(user, export: ScorecardExport) -> bool:
    """The requester (while their role still covers the organ) or the 工委.

    A 机关党委 keeps access only while the run is the year's published one: once superseded, its
    numbers are no longer the year's result.
    """
    scope = scope_of(user)
    if scope.is_gongwei:
        return True
    return (
        export.requested_by_id == user.pk
        and export.organ_id in scope.organ_ids
        and export.run.status == RunStatus.PUBLISHED
    )


def organs_for_export(user) -> QuerySet[Organ]:
    scope = scope_of(user)
    if scope.is_gongwei:
        return Organ.objects.all()
    return Organ.objects.filter(pk__in=scope.organ_ids)


def _export_organ(run: RatingRun, by, organ: Organ | None) -> Organ | None:
    """The organ the export is limited to, after the scope rules; None means all organs."""
    scope = scope_of(by)
    if scope.is_gongwei:
        return organ
    EXPORT_SCORECARDS.require(by)
    if run.status != RunStatus.PUBLISHED:
        raise PermissionDenied("机关党委只能导出已发布的星级评定结果。")
    if organ is None:
        if len(scope.organ_ids) != 1:
            raise ScorecardError("请选择要导出的单位。")
        # A 机关党委 always gets its own organ, whether or not it asked for one.
        return Organ.objects.get(pk=next(iter(scope.organ_ids)))
    if organ.pk not in scope.organ_ids:
        raise PermissionDenied("您只能导出本单位的考核结果。")
    return organ


# --- Requesting and running the job ----------------------------------------------------------


@transaction.atomic
def request_export(run: RatingRun, *, by, organ: Organ | None = None) -> ScorecardExport:
    """Queue a scorecard workbook of `run` for `by`; the job starts once this transaction commits.

    A second click while the same workbook is still being built returns that job instead of a new one.
    """
    organ = _export_organ(run, by, organ)
    if run.status not in FINISHED_RUNS:
        raise ScorecardError(f"{run}尚未计算完成（{run.get_status_display()}），不能导出。")
    pending = (
        ScorecardExport.objects.filter(
            run=run, organ=organ, requested_by=by, status__in=(JobStatus.QUEUED, JobStatus.RUNNING)
        )
        .order_by("-pk")
        .first()
    )
    if pending is not None and not is_stalled(pending):
        return pending
    export = ScorecardExport.objects.create(run=run, organ=organ, requested_by=by, token=secrets.token_hex(16))
    _queue(export)
    return export


@transaction.atomic
def retry_export(export: ScorecardExport, *, by) -> ScorecardExport:
    """Build a failed export again, under the same scope rules as when it was requested."""
    export = ScorecardExport.objects.select_for_update(of=("self",)).select_related("run", "organ").get(pk=export.pk)
    if not can_open(by, export):
        raise PermissionDenied("只有申请人或工委工作人员可以重新生成该导出。")
    if export.status != JobStatus.FAILED and not is_stalled(export):
        raise ScorecardError("只有生成失败或长时间未完成的导出可以重新生成。")
    export.status, export.progress, export.error, export.finished_at = JobStatus.QUEUED, 0, "", None
    export.save(update_fields=["status", "progress", "error", "finished_at"])
    _queue(export)
    return export


def is_stalled(export: ScorecardExport, now: datetime.datetime | None = None) -> bool:
    """Queued or running for much longer than any export takes: its job is not coming back."""
    if export.status not in (JobStatus.QUEUED, JobStatus.RUNNING):
        return False
    return (now or timezone.now()) - export.created_at > STALLED_AFTER


def _queue(export: ScorecardExport) -> None:
    from .tasks import export_scorecards_task

    export_scorecards_task.delay_on_commit(export.pk)


def build_export(export_id: int) -> ScorecardExport:
    """Write the workbook of a queued export into its file; the Celery task's body.

    Not one transaction: the progress written on the way must be visible to the polling page.
    Only a queued export is built (claimed by a conditional update), so a task delivered twice
    builds it once.
    """
    claimed = ScorecardExport.objects.filter(pk=export_id, status=JobStatus.QUEUED).update(
        status=JobStatus.RUNNING, progress=0, error=""
    )
    export = ScorecardExport.objects.select_related("run__scheme", "organ", "requested_by").get(pk=export_id)
    if not claimed:
        return export

    reported = -1

    def report(done: int, total: int) -> None:
        # A write per change of the percentage, not per PROGRESS_EVERY rows: at most a hundred
        # whatever the number of branches (a province's 7,379 made 148).
        nonlocal reported
        percent = min(99, done * 100 // total) if total else 99
        if percent != reported:
            ScorecardExport.objects.filter(pk=export_id).update(progress=percent)
            reported = percent

    organ_ids = [export.organ_id] if export.organ_id else None
    try:
        with tempfile.TemporaryFile() as handle:
            write_scorecards(export.run, handle, organ_ids=organ_ids, progress=report)
            handle.seek(0)
            export.file.save(f"{export.pk}.xlsx", File(handle), save=False)
    except Exception as exc:
        logger.exception("Scorecard export %s failed", export_id)
        return _finish(export, JobStatus.FAILED, error=f"生成失败：{type(exc).__name__}: {exc}"[:1000])
    return _finish(export, JobStatus.DONE)


@transaction.atomic
def _finish(export: ScorecardExport, status: str, *, error: str = "") -> ScorecardExport:
    export.status, export.error, export.finished_at = status, error, timezone.now()
    if status == JobStatus.DONE:
        export.progress = 100
    export.save(update_fields=["status", "error", "finished_at", "progress", "file"])
    url = reverse("assessments:scorecard_detail", args=[export.pk])
    if status == JobStatus.DONE:
        notify([export.requested_by], title=f"{export_title(export)}已生成", body="点击下载。", url=url)
    else:
        notify([export.requested_by], title=f"{export_title(export)}生成失败", body="可在导出页面重新生成。", url=url)
    return export


def export_title(export: ScorecardExport) -> str:
    where = export.organ.display_short if export.organ_id else "全部单位"
    return f"{export.run}考核结果（{where}）"


def download_name(export: ScorecardExport) -> str:
    where = export.organ.display_short if export.organ_id else "全部单位"
    return f"{export.run.year}年度党支部考核结果-第{export.run.number}次评定-{where}.xlsx"


# --- The workbook ----------------------------------------------------------------------------

# XlsxWriter, not openpyxl: a province's workbook is some 450,000 cells, and openpyxl's per-cell
# objects took 15 s where XlsxWriter writes the same rows in about 2. Its string conversions are
# switched off: a branch named "=…" or "http://…" is text, never a formula or a link. Each sheet's XML
# is assembled in memory (a province's is some tens of MB) rather than in a temporary file per sheet:
# creating and removing 900 files took a fifth of the export.
BOOK_OPTIONS = {
    "strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False, "in_memory": True,
}  # fmt: skip
A4 = 9
TIER_LABELS = dict(Tier.choices)
MAIN_FORMATS = {
    "header": {
        "bold": True, "font_color": "#FFFFFF", "bg_color": f"#{HEADER_FILL}", "pattern": 1,
        "align": "center", "valign": "vcenter", "text_wrap": True,
    },
    "number": {"num_format": NUMBER},
    "centered": {"align": "center"},
    "wrapped": {"text_wrap": True, "valign": "top"},
}  # fmt: skip


class _Workbook(xlsxwriter.Workbook):
    """XlsxWriter's workbook, trusting `sheet_name` for the sheet names.

    `sheet_name` already makes every name valid and unique; XlsxWriter's own check compares each new name
    with every sheet before it, which a province's 900 organ sheets made quadratic (half a second).
    """

    def _check_sheetname(self, sheetname, is_chartsheet=False):
        self.sheetname_count += 1
        return sheetname


class _Book:
    """The workbook and its cell formats, created once and shared by every sheet."""

    def __init__(self, out: BinaryIO | str):
        self.wb = _Workbook(out, BOOK_OPTIONS)
        formats = {name: self.wb.add_format(spec) for name, spec in MAIN_FORMATS.items()}
        self.header, self.number = formats["header"], formats["number"]
        self.centered, self.wrapped = formats["centered"], formats["wrapped"]
        self.taken = {SUMMARY_TITLE.casefold(), SCHEME_TITLE.casefold()}

    def sheet(self, title: str, columns: list[tuple[str, int]], *, print_title: str, freeze: str = "A2") -> "_Sheet":
        """A sheet set up for screen and paper, its header row written."""
        ws = self.wb.add_worksheet(title)
        for index, (_, width) in enumerate(columns):
            ws.set_column(index, index, width)
        ws.freeze_panes(freeze)
        ws.set_landscape()
        ws.set_paper(A4)
        # Fit every column on the page width; as many pages down as needed.
        ws.fit_to_pages(1, 0)
        ws.repeat_rows(0)
        ws.center_horizontally()
        ws.set_header("&C" + print_title.replace("&", "&&"))
        ws.set_footer("&C第 &P 页，共 &N 页")
        sheet = _Sheet(ws, self)
        sheet.header([label for label, _ in columns])
        return sheet

    def close(self) -> None:
        self.wb.close()


class _Sheet:
    """Rows appended one after another; each cell is (value, format) or a plain value."""

    def __init__(self, ws, book: _Book):
        self.ws, self.book, self.row = ws, book, 0

    def header(self, labels: list[str]) -> None:
        self.ws.write_row(self.row, 0, labels, self.book.header)
        self.row += 1

    def append(self, cells: list) -> None:
        # The typed writers, not write(): its type dispatch per cell was a tenth of a province's export.
        # An empty cell is left out, formatted or not.
        ws, row = self.ws, self.row
        for column, cell in enumerate(cells):
            value, fmt = cell if isinstance(cell, tuple) else (cell, None)
            if value is None or value == "":
                continue
            if isinstance(value, str):
                ws.write_string(row, column, value, fmt)
            else:
                ws.write_number(row, column, value, fmt)
        self.row += 1

    def skip(self) -> None:
        self.row += 1

    def filter(self, n_columns: int, n_rows: int, *, first_row: int = 0) -> None:
        """The header row's filter buttons over `n_rows` rows (at least one, as Excel expects)."""
        self.ws.autofilter(first_row, 0, first_row + max(n_rows, 1), n_columns - 1)


def _number(value) -> float | None:
    """A score kept in a result's JSON (a number or its text), for a number cell."""
    return None if value is None or value == "" else float(value)


def sheet_name(name: str, taken: set[str]) -> str:
    """A sheet name Excel accepts: no []:*?/\\, at most 31 UTF-16 units, unique ignoring case."""
    base = SHEET_NAME_FORBIDDEN.sub("", name).strip().strip("'") or "单位"
    candidate, n = _cut(base, SHEET_NAME_MAX), 1
    while candidate.casefold() in taken or candidate.casefold() == "history":
        n += 1
        suffix = f"({n})"
        candidate = _cut(base, SHEET_NAME_MAX - len(suffix)) + suffix
    taken.add(candidate.casefold())
    return candidate


def _cut(text: str, units: int) -> str:
    """`text` cut to at most `units` UTF-16 units, as Excel counts a name's length."""
    while len(text.encode("utf-16-le")) // 2 > units:
        text = text[:-1]
    return text


def _results(run: RatingRun, organ_ids) -> QuerySet[RatingResult]:
    # The partner's name only: its whole result would bring its breakdown along.
    results = run.results.annotate(paired_with_name=F("paired_with__branch_name")).order_by(
        "organ__sort_order", "organ_name", "organ_id", "rank", "branch_name", "pk"
    )
    if organ_ids is not None:
        results = results.filter(organ_id__in=organ_ids)
    return results


SUMMARY_LEFT = [("单位", 20), ("支部", 26), ("支部书记", 10)]
SUMMARY_RIGHT = [
    ("加分", 8), ("扣分", 8), ("总分", 9), ("星级", 11), ("星级数", 7), ("等次", 8), ("排名", 7),
    ("较上年", 9), ("排名靠后整顿", 9), ("结对帮扶支部", 24),
]  # fmt: skip
DETAIL_LEFT = [("排名", 7), ("支部", 26), ("支部书记", 10)]
DETAIL_RIGHT = [
    ("指标得分（折算）", 10), ("加分", 8), ("扣分", 8), ("总分", 9), ("星级", 11), ("星级数", 7), ("等次", 8),
]  # fmt: skip


class _OrganSheet:
    """The detail sheet of one organ, created when the stream of results reaches that organ."""

    def __init__(self, book: _Book, run: RatingRun, name: str, columns: list[tuple[str, int]], lineages: list[str]):
        self.lineages, self.book = lineages, book
        title = sheet_name(name, book.taken)
        self.sheet = book.sheet(title, columns, print_title=f"{run} {name} 指标明细", freeze="D2")
        self.n_columns, self.n_rows = len(columns), 0

    def add(self, result: RatingResult) -> None:
        number, centered = self.book.number, self.book.centered
        scores = {row.get("lineage"): row for row in result.breakdown}
        row = [(result.rank, centered), text(result.branch_name), text(result.secretary_name)]
        for lineage in self.lineages:
            line = scores.get(lineage)
            if line is None:
                row.append(None)
            elif line.get("score") is None:
                row.append((NOT_APPLICABLE, centered))
            else:
                row.append((_number(line["score"]), number))
        row += [
            (result.base_score, number),
            (result.bonus, number),
            (result.deduction, number),
            (result.total, number),
            result.star_text,
            (result.stars, centered),
            (TIER_LABELS.get(result.tier, result.tier), centered),
        ]
        self.sheet.append(row)
        self.n_rows += 1

    def close(self) -> None:
        self.sheet.filter(self.n_columns, self.n_rows)


def write_scorecards(
    run: RatingRun, out: BinaryIO | str, *, organ_ids=None, progress: ProgressCallback | None = None
) -> int:
    """Write the run's scorecard workbook to `out` (a path or a binary file); returns the branch count.

    Sheets: 汇总 (a row per branch), one sheet per organ with the per-indicator scores, and the
    考核方案 the run applied. `organ_ids` limits the rows and sheets to those organs.
    `progress(done, total)` is called every PROGRESS_EVERY branches and at the end.
    """
    scheme = run.scheme
    dimensions = list(Dimension.objects.filter(scheme=scheme).order_by("sort_order", "pk"))
    indicators = list(
        Indicator.objects.filter(scheme=scheme)
        .select_related("dimension")
        .order_by("dimension__sort_order", "dimension_id", "sort_order", "pk")
    )
    results = _results(run, organ_ids)
    total = results.count()

    book = _Book(out)
    columns = SUMMARY_LEFT + [(d.name, 10) for d in dimensions] + SUMMARY_RIGHT
    summary = book.sheet(SUMMARY_TITLE, columns, print_title=f"{run} 党支部考核结果汇总", freeze="D2")

    # Every organ's sheet has the same columns: worked out once, not per organ.
    detail_columns = list(DETAIL_LEFT)
    detail_columns += [(f"{i.dimension.name}\n{i.name}（{i.max_score:g}分）", 12) for i in indicators]
    detail_columns += DETAIL_RIGHT
    lineages = [str(i.lineage) for i in indicators]
    organ_sheet: _OrganSheet | None = None
    organ_key = None
    done = 0
    for result in results.iterator(chunk_size=500):
        # Results come ordered by organ, so each organ's sheet is written in one stretch.
        if result.organ_id != organ_key:
            if organ_sheet is not None:
                organ_sheet.close()
            organ_key = result.organ_id
            organ_sheet = _OrganSheet(book, run, result.organ_name, detail_columns, lineages)
        organ_sheet.add(result)
        summary.append(_summary_row(book, result, dimensions))
        done += 1
        if progress is not None and done % PROGRESS_EVERY == 0:
            progress(done, total)
    if organ_sheet is not None:
        organ_sheet.close()
    summary.filter(len(columns), done)
    _write_scheme(book, run, scheme, indicators)
    if progress is not None:
        progress(done, total)
    book.close()
    return done


def _summary_row(book: _Book, result: RatingResult, dimensions: list[Dimension]) -> list:
    points = result.dimensions or {}
    number, centered = book.number, book.centered
    return [
        text(result.organ_name),
        text(result.branch_name),
        text(result.secretary_name),
        *((_number(points.get(d.name)), number) for d in dimensions),
        (result.bonus, number),
        (result.deduction, number),
        (result.total, number),
        result.star_text,
        (result.stars, centered),
        (TIER_LABELS.get(result.tier, result.tier), centered),
        (result.rank, centered),
        (result.change_label, centered),
        ("是", centered) if result.is_bottom else None,
        text(result.paired_with_name) if result.paired_with_id else None,
    ]


SCHEME_COLUMNS = [("考核维度", 14), ("考核指标", 24), ("分值", 8), ("数据来源", 10), ("计算口径", 22),
                  ("评分标准", 50), ("支部可自评", 10)]  # fmt: skip
SCORE_SETTINGS = ("star5_min", "star4_min", "star3_min", "star2_min", "star1_min")
TIER_SETTINGS = ("advanced_min", "good_min", "ordinary_min")
SHARE_SETTINGS = ("advanced_share", "good_share", "backward_share")
OTHER_SETTINGS = (
    "bottom_share", "bonus_cap", "deduction_cap", "review_good_ratio", "review_fair_ratio",
    "review_average_ratio", "review_poor_ratio", "unqualified_fix_days", "points_base",
)  # fmt: skip


def _scheme_settings(scheme: AssessmentScheme) -> list[tuple[str, object]]:
    def label(name: str) -> str:
        return str(AssessmentScheme._meta.get_field(name).verbose_name)

    rows: list[tuple[str, object]] = [("方案", str(scheme)), ("状态", scheme.get_status_display())]
    rows += [(label(name), getattr(scheme, name)) for name in SCORE_SETTINGS]
    rows.append((label("five_star_quota"), scheme.five_star_quota))
    rows.append((label("tier_mode"), scheme.get_tier_mode_display()))
    names = SHARE_SETTINGS if scheme.tier_mode == TierMode.PROPORTION else TIER_SETTINGS
    rows += [(label(name), getattr(scheme, name)) for name in names]
    rows += [(label(name), getattr(scheme, name)) for name in OTHER_SETTINGS]
    rows.append(
        ("民主评议优秀比例上限", f"{scheme.excellent_quota_numerator}/{scheme.excellent_quota_denominator}（向下取整）")
    )
    return rows


def _write_scheme(book: _Book, run: RatingRun, scheme: AssessmentScheme, indicators: list[Indicator]) -> None:
    """The rules the run applied: indicators first (filtered), then the thresholds and the 加减分 items."""
    sheet = book.sheet(SCHEME_TITLE, SCHEME_COLUMNS, print_title=f"{run} 使用的{scheme}")
    for indicator in indicators:
        sheet.append(
            [
                text(indicator.dimension.name),
                text(indicator.name),
                (indicator.max_score, book.number),
                IndicatorSource(indicator.source).label,
                indicator.get_metric_display() if indicator.metric else None,
                (text(indicator.criteria), book.wrapped),
                "是" if indicator.allow_self_score else None,
            ]
        )
    sheet.filter(len(SCHEME_COLUMNS), len(indicators))
    sheet.skip()
    sheet.header(["评定规则", "设定值"])
    for label, value in _scheme_settings(scheme):
        sheet.append([label, (value, book.number) if isinstance(value, Decimal) else text(str(value))])
    sheet.skip()
    sheet.header(["加减分事项", "类别", "分值"])
    items = AdjustmentItem.objects.filter(scheme=scheme).order_by("kind", "sort_order", "pk")
    for item in items:
        sheet.append([text(item.name), AdjustmentKind(item.kind).label, (item.points, book.number)])


def row_count(export: ScorecardExport) -> int:
    """Branches in an export's workbook (its organ's, or the whole run's)."""
    results = RatingResult.objects.filter(run_id=export.run_id)
    return (results.filter(organ_id=export.organ_id) if export.organ_id else results).count()


def default_run(year: int, number: int | None = None) -> RatingRun:
    """The run the command exports: the year's published run, or run `number` of the year."""
    runs = RatingRun.objects.filter(year=year).select_related("scheme")
    if number is not None:
        run = runs.filter(number=number).first()
        if run is None:
            raise ScorecardError(f"{year}年度没有第{number}次星级评定。")
        if run.status not in FINISHED_RUNS:
            raise ScorecardError(f"{run}尚未计算完成（{run.get_status_display()}），不能导出。")
        return run
    run = runs.published().first()
    if run is None:
        raise ScorecardError(f"{year}年度没有已发布的星级评定结果；请先发布，或用 --run 指定批次。")
    return run


def download(request, export: ScorecardExport) -> FileResponse:
    """The finished file of an export the requester may open, as an attachment; the download is logged."""
    if export.status != JobStatus.DONE or not export.file:
        raise Http404("文件尚未生成。")
    try:
        handle = export.file.open("rb")
    except FileNotFoundError as exc:
        raise Http404("文件已不存在，请重新导出。") from exc
    response = FileResponse(handle, content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = content_disposition(
        download_name(export), f"scorecards-{export.run.year}-{export.pk}.xlsx"
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    record_export(request, kind=ExportKind.SCORECARDS, row_count=row_count(export), full_id_numbers=False)
    return response
