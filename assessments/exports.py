"""The 一岗双责 overview in Excel: exactly the filtered rows, every page, streamed in write-only mode."""

import datetime

from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.utils import timezone

from accounts.scope import scope_of
from core.excel import XLSX_CONTENT_TYPE, local, text, workbook_bytes, xlsx_attachment
from maintenance.models import ExportKind, record_export

from .ledger import WORKING
from .models import DutyReportPeriod, Problem
from .reports import FILING_CHOICES
from .selectors import overview_query

CONTENT_TYPE = XLSX_CONTENT_TYPE
COLUMNS = [
    ("报告期", 14), ("机关", 20), ("支部", 20), ("姓名", 10), ("职务", 18),
    ("状态", 10), ("逾期", 6), ("首次提交时间", 18), ("审阅时间", 18), ("退回原因", 40),
]  # fmt: skip
FILING_LABELS = dict(FILING_CHOICES)


def row_values(period: DutyReportPeriod, member) -> list:
    """One leader of `roster_for(period)` as cell values in column order."""
    return [
        str(period),
        text(member.branch.organ.display_short),
        text(member.branch.name),
        text(member.name),
        text(member.post),
        FILING_LABELS[member.filing],
        "是" if member.report_late else None,
        local(member.report_submitted_at),
        local(member.report_reviewed_at),
        text(member.report_return_reason or ""),
    ]


def export_roster(period: DutyReportPeriod, rows) -> bytes:
    values = (row_values(period, member) for member in rows.iterator(chunk_size=1000))
    return workbook_bytes("一岗双责报告", COLUMNS, values, freeze="E2")


EXPORT_COLUMNS = [
    ("机关", 16), ("支部", 22), ("问题来源", 10), ("问题", 30), ("具体表现", 30), ("整改责任人", 10),
    ("整改措施", 36), ("整改时限", 12), ("状态", 12), ("逾期天数", 9), ("整改情况说明", 36),
    ("整改完成时间", 17), ("核验人", 10), ("核验时间", 17), ("登记人", 10), ("登记时间", 17),
]  # fmt: skip


def export_rows(problem: Problem, today: datetime.date) -> list:
    late = (today - problem.deadline).days if problem.status in WORKING and problem.deadline < today else None
    return [
        text(problem.branch.organ.display_short),
        text(problem.branch.name),
        problem.get_source_display(),
        text(problem.title),
        text(problem.description),
        text(problem.responsible.name),
        text(problem.measures),
        problem.deadline,
        problem.get_status_display(),
        late,
        text(problem.closing_note),
        local(problem.closed_at),
        text(str(problem.verified_by)) if problem.verified_by_id else None,
        local(problem.verified_at),
        text(str(problem.created_by)),
        local(problem.created_at),
    ]


def export_problems(queryset, today: datetime.date) -> bytes:
    rows = (export_rows(problem, today) for problem in queryset.iterator(chunk_size=1000))
    return workbook_bytes("问题整改台账", EXPORT_COLUMNS, rows, freeze="D2")


def overview_export(request) -> HttpResponse:
    """Exactly the rows of the 一岗双责 overview for the same query string, every page, as the page's export and
    the API's `?format=xlsx` both answer; the export is logged."""
    if not scope_of(request.user).is_staff_or_committee:
        raise PermissionDenied("只有支部书记、支委和上级党组织工作人员可以导出报告情况。")
    today = timezone.localdate()
    _, period, _, rows = overview_query(request, today)
    rows = rows.select_related("branch__organ").order_by(
        "branch__organ__sort_order", "branch__organ__name", "branch__name", "name_pinyin", "pk"
    )
    content = export_roster(period, rows)
    record_export(request, kind=ExportKind.DUTY_REPORTS, row_count=rows.count(), full_id_numbers=False)
    return xlsx_attachment(
        content,
        f"一岗双责报告-{period.year}-{period.half}-{today:%Y%m%d}.xlsx",
        f"duty-reports-{period.year}-{period.half}.xlsx",
    )
