"""The 一岗双责 overview in Excel: exactly the filtered rows, every page, streamed in write-only mode."""

from core.excel import XLSX_CONTENT_TYPE, local, text, workbook_bytes

from .models import DutyReportPeriod
from .reports import FILING_CHOICES

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
