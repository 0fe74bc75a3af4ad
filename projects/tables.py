import django_tables2 as tables
from django.utils.html import format_html

from branches.tables import NUMBER, WIDE_ONLY

from .choices import ProjectStatus
from .models import Project

STATUS_BADGES = {
    ProjectStatus.DRAFT: "text-bg-light border",
    ProjectStatus.SUBMITTED: "text-bg-warning",
    ProjectStatus.RETURNED: "text-bg-danger",
    ProjectStatus.APPROVED: "text-bg-info",
    ProjectStatus.FILED: "text-bg-primary",
    ProjectStatus.ACCEPTANCE_REQUESTED: "text-bg-warning",
    ProjectStatus.ACCEPTED: "text-bg-success",
}


def status_badge(status: str, label: str) -> str:
    return format_html('<span class="badge {}">{}</span>', STATUS_BADGES.get(status, "text-bg-secondary"), label)


class ProjectTable(tables.Table):
    title = tables.Column("项目名称", linkify=True, attrs={"td": {"class": "text-wrap"}})
    branch = tables.Column("支部", accessor="branch__name", order_by=("branch__name",))
    organ = tables.Column(
        "机关", accessor="branch__organ__display_short", order_by=("branch__organ__sort_order",), attrs=WIDE_ONLY
    )
    year = tables.Column("年度", attrs=WIDE_ONLY)
    direction = tables.Column("方向", attrs=WIDE_ONLY)
    status = tables.Column("状态")
    progress = tables.Column("进度", attrs=NUMBER)
    n_overdue = tables.Column(
        "逾期节点",
        attrs={"th": {"class": "text-end d-none d-md-table-cell"}, "td": {"class": "text-end d-none d-md-table-cell"}},
    )

    class Meta:
        model = Project
        fields = ["title", "branch", "organ", "year", "direction", "status", "progress", "n_overdue"]
        attrs = {"class": "table table-hover table-sm bg-white mb-0"}
        order_by = ("organ", "branch")
        empty_text = "没有符合条件的项目。"

    def render_title(self, record, value):
        if record.is_secretary_project:
            return format_html('{} <span class="badge text-bg-light border">书记项目</span>', value)
        return value

    def render_status(self, record, value):
        return status_badge(record.status, value)

    def render_progress(self, value):
        return f"{value:.0f}%"

    def render_n_overdue(self, value):
        if value:
            return format_html('<span class="badge text-bg-danger">{}</span>', value)
        return "—"
