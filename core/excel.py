"""Writing list exports to Excel: one header style, formula-safe text, local times, streamed rows.

Every export of a filtered list (projects, 一岗双责 reports, the problem ledger) goes through
`workbook_bytes`, so they look alike and defuse formulas the same way.
"""

import datetime
import io
from collections.abc import Iterable, Sequence
from urllib.parse import quote

from django.http import HttpResponse
from django.utils import timezone
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# Excel and LibreOffice run a cell starting with one of these as a formula (CSV/DDE injection).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
HEADER_FILL = "B5121B"


def safe_text(value: str) -> str:
    """Text that a spreadsheet shows as text: a leading apostrophe defuses formula characters."""
    if value and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def text(value: str | None) -> str | None:
    """User-typed text for a cell, defused; empty text leaves the cell empty."""
    return safe_text(value or "") or None


def local(moment: datetime.datetime | None) -> datetime.datetime | None:
    """Excel has no time zones: write the wall-clock time people saw on the page."""
    return timezone.localtime(moment).replace(tzinfo=None) if moment else None


def _header(ws, columns: Sequence[tuple[str, int]]) -> list[WriteOnlyCell]:
    cells = []
    for label, _ in columns:
        cell = WriteOnlyCell(ws, value=label)
        cell.font = Font(bold=True, color="FFFFFF")
        cell.fill = PatternFill("solid", fgColor=HEADER_FILL)
        cell.alignment = Alignment(horizontal="center")
        cells.append(cell)
    return cells


def _cell(ws, value) -> WriteOnlyCell:
    cell = WriteOnlyCell(ws, value=value)
    if isinstance(value, datetime.datetime):
        cell.number_format = "yyyy-mm-dd hh:mm"
    elif isinstance(value, datetime.date):
        cell.number_format = "yyyy-mm-dd"
    return cell


def workbook_bytes(
    title: str, columns: Sequence[tuple[str, int]], rows: Iterable[Sequence], *, freeze: str = "A2"
) -> bytes:
    """A one-sheet workbook: `columns` as (label, width), then one row per item of `rows`.

    Written in openpyxl's write-only mode, so memory stays flat however many rows there are.
    """
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(title)
    for index, (_, width) in enumerate(columns, start=1):
        ws.column_dimensions[get_column_letter(index)].width = width
    ws.freeze_panes = freeze
    ws.append(_header(ws, columns))
    for values in rows:
        ws.append([_cell(ws, value) for value in values])
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def content_disposition(filename: str, ascii_name: str) -> str:
    """An attachment header every browser reads: old clients take the ASCII name, the others the Chinese one
    (RFC 6266/5987)."""
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}"


def xlsx_attachment(content: bytes, filename: str, ascii_name: str) -> HttpResponse:
    """An Excel download of `content` named `filename` (Chinese) or `ascii_name` for old clients."""
    response = HttpResponse(content, content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = content_disposition(filename, ascii_name)
    return response
