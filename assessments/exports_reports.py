"""The 一岗双责 overview in Excel: exactly the filtered rows, every page, streamed in write-only mode."""

import io

from django.utils import timezone
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from branches.roster import XLSX_CONTENT_TYPE, safe_text

from .models import DutyReportPeriod
from .reports import FILING_CHOICES

CONTENT_TYPE = XLSX_CONTENT_TYPE
COLUMNS = [
    ("报告期", 14), ("机关", 20), ("支部", 20), ("姓名", 10), ("职务", 18),
    ("状态", 10), ("逾期", 6), ("首次提交时间", 18), ("审阅时间", 18), ("退回原因", 40),
]  # fmt: skip
FILING_LABELS = dict(FILING_CHOICES)


def _text(value: str) -> str | None:
    # Names, posts and reasons are typed by people: a leading "=" must stay text in Excel.
    return safe_text(value) or None


def _local(value):
    """openpyxl cannot store aware datetimes; the sheet shows the portal's local time."""
    return timezone.localtime(value).replace(tzinfo=None) if value else None


def row_values(period: DutyReportPeriod, member) -> list:
    """One leader of `roster_for(period)` as cell values in column order."""
    return [
        str(period),
        _text(member.branch.organ.display_short),
        _text(member.branch.name),
        _text(member.name),
        _text(member.post),
        FILING_LABELS[member.filing],
        "是" if member.report_late else None,
        _local(member.report_submitted_at),
        _local(member.report_reviewed_at),
        _text(member.report_return_reason or ""),
    ]


def export_roster(period: DutyReportPeriod, rows) -> bytes:
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("一岗双责报告")
    for index, (_, width) in enumerate(COLUMNS, start=1):
        ws.column_dimensions[get_column_letter(index)].width = width
    ws.freeze_panes = "E2"
    header = []
    for label, _ in COLUMNS:
        cell = WriteOnlyCell(ws, value=label)
        cell.font = Font(bold=True, color="FFFFFF")
        cell.fill = PatternFill("solid", fgColor="B5121B")
        cell.alignment = Alignment(horizontal="center")
        header.append(cell)
    ws.append(header)
    for member in rows.iterator(chunk_size=1000):
        cells = []
        for value in row_values(period, member):
            cell = WriteOnlyCell(ws, value=value)
            if hasattr(value, "isoformat"):
                cell.number_format = "yyyy-mm-dd hh:mm"
            cells.append(cell)
        ws.append(cells)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()
