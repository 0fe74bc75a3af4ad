"""The project list in Excel: exactly the rows of the filtered list, every page."""

import datetime
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.db.models import Count, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce
from django.http import HttpResponse
from django.utils import timezone

from accounts.scope import scope_of
from core.excel import XLSX_CONTENT_TYPE, text, workbook_bytes, xlsx_attachment
from maintenance.models import ExportKind, record_export

from .filters import ProjectFilter
from .models import Project, Target
from .selectors import project_queryset

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


def filtered_projects(request, today: datetime.date) -> ProjectFilter:
    """The project list's filter over the projects the user may see, as the page and the API apply it."""
    return ProjectFilter(request.GET, queryset=project_queryset(request.user, today), user=request.user, today=today)


def project_list_export(request) -> HttpResponse:
    """Exactly the rows of the project list for the same query string, every page; the export is logged."""
    if not scope_of(request.user).is_staff_or_committee:
        raise PermissionDenied("您的账号无权导出支部项目。")
    today = timezone.localdate()
    n_targets = Target.objects.filter(project=OuterRef("pk")).order_by().values("project").annotate(c=Count("pk"))
    rows = (
        filtered_projects(request, today)
        .qs.select_related("topic", "responsible")
        .annotate(n_targets=Coalesce(Subquery(n_targets.values("c")), Value(0)))
        .order_by("-year", "branch__organ__sort_order", "branch__name", "pk")
    )
    record_export(request, kind=ExportKind.PROJECTS, row_count=rows.count(), full_id_numbers=False)
    return xlsx_attachment(export_projects(rows), f"支部项目-{today:%Y%m%d}.xlsx", f"projects-{today:%Y%m%d}.xlsx")
