"""The project list in Excel: exactly the rows of the filtered list, every page."""

from dataclasses import dataclass

from core.excel import XLSX_CONTENT_TYPE, text, workbook_bytes

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


def row_values(project: Project) -> list:
    """One project as cell values in column order. User-typed text is defused against formulas."""
    return [
        project.year,
        text(project.branch.organ.display_short),
        text(project.branch.name),
        text(project.title),
        project.get_direction_display(),
        text(project.topic.title) if project.topic else "支部自拟",
        "是" if project.is_secretary_project else "否",
        text(project.responsible.name),
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


def export_projects(queryset) -> bytes:
    """The projects of `queryset` (annotated by `with_progress` and with `n_targets`), streamed."""
    columns = [(c.label, c.width) for c in COLUMNS]
    rows = (row_values(project) for project in queryset.iterator(chunk_size=1000))
    return workbook_bytes(SHEET_TITLE, columns, rows, freeze="E2")
