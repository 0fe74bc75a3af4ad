"""The project list in Excel: exactly the rows of the filtered list, every page."""

import io
from dataclasses import dataclass

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from branches.roster import XLSX_CONTENT_TYPE, safe_text

from .models import Project

SHEET_TITLE = "支部项目"
CONTENT_TYPE = XLSX_CONTENT_TYPE


@dataclass(frozen=True)
class Column:
    label: str
    width: int


COLUMNS = [
    Column("年度", 7), Column("机关", 20), Column("支部", 20), Column("项目名称", 30), Column("方向", 16),
    Column("题目", 30), Column("书记项目", 9), Column("负责支委", 10), Column("状态", 14), Column("开始日期", 12),
    Column("结束日期", 12), Column("指标数", 8), Column("进度（%）", 10), Column("逾期节点", 9),
    Column("验收得分", 10), Column("验收等次", 10), Column("十佳", 6),
]  # fmt: skip


def _text(value: str) -> str | None:
    return safe_text(value) or None


def row_values(project: Project) -> list:
    """One project as cell values in column order. User-typed text is defused against formulas."""
    return [
        project.year,
        _text(project.branch.organ.display_short),
        _text(project.branch.name),
        _text(project.title),
        project.get_direction_display(),
        _text(project.topic.title) if project.topic else "支部自拟",
        "是" if project.is_secretary_project else "否",
        _text(project.responsible.name),
        project.get_status_display(),
        project.start_on,
        project.end_on,
        project.n_targets,
        project.progress,
        project.n_overdue,
        float(project.score) if project.score is not None else None,
        project.get_grade_display() or None,
        "是" if project.is_top_ten else None,
    ]


def _header(ws) -> list[WriteOnlyCell]:
    cells = []
    for column in COLUMNS:
        cell = WriteOnlyCell(ws, value=column.label)
        cell.font = Font(bold=True, color="FFFFFF")
        cell.fill = PatternFill("solid", fgColor="B5121B")
        cell.alignment = Alignment(horizontal="center")
        cells.append(cell)
    return cells


def export_projects(queryset) -> bytes:
    """The projects of `queryset` (annotated by `with_progress` and with `n_targets`), streamed."""
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(SHEET_TITLE)
    for index, column in enumerate(COLUMNS, start=1):
        ws.column_dimensions[get_column_letter(index)].width = column.width
    ws.freeze_panes = "E2"
    ws.append(_header(ws))
    for project in queryset.iterator(chunk_size=1000):
        values = row_values(project)
        cells = []
        for value in values:
            cell = WriteOnlyCell(ws, value=value)
            if hasattr(value, "isoformat"):
                cell.number_format = "yyyy-mm-dd"
            cells.append(cell)
        ws.append(cells)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()
