import django_tables2 as tables
from django.utils.html import format_html, format_html_join

from .models import Branch, Member
from .rules import WARNING_KINDS

# Columns a phone can do without; the name and the essentials stay visible at 375 px.
WIDE_ONLY = {"th": {"class": "d-none d-md-table-cell"}, "td": {"class": "d-none d-md-table-cell"}}
NUMBER = {"th": {"class": "text-end"}, "td": {"class": "text-end"}}
NUMBER_WIDE_ONLY = {
    "th": {"class": "text-end d-none d-md-table-cell"},
    "td": {"class": "text-end d-none d-md-table-cell"},
}


class BranchTable(tables.Table):
    """The columns give the header, the sort links and the pagination; the rows are written out in
    `branches/_branch_rows.html` (keep the two in step), because rendering each cell through its
    column took half the page's time."""

    name = tables.Column("支部名称", attrs={"td": {"class": "text-wrap"}})
    organ = tables.Column(
        "所属机关", accessor="organ__display_short", order_by=("organ__sort_order", "organ__name"), attrs=WIDE_ONLY
    )
    kind = tables.Column("类型", attrs=WIDE_ONLY)
    n_members = tables.Column("党员", attrs=NUMBER)
    n_full = tables.Column("正式党员", attrs=NUMBER_WIDE_ONLY)
    term_ends_on = tables.Column("届满日期", attrs=WIDE_ONLY)
    warnings = tables.Column("预警", accessor="pk", orderable=False)

    class Meta:
        model = Branch
        fields = ["name", "organ", "kind", "n_members", "n_full", "term_ends_on", "warnings"]
        attrs = {"class": "table table-hover table-sm bg-white mb-0"}
        order_by = ("organ", "name")
        template_name = "branches/_branch_rows.html"

    def page_rows(self):
        """The page's branches, each with the labels of its warnings (annotated by `with_warnings`)."""
        for row in self.paginated_rows:
            branch = row.record
            yield branch, [kind.label for kind in WARNING_KINDS if getattr(branch, f"w_{kind.code}", False)]


class MemberTable(tables.Table):
    name = tables.Column("姓名", linkify=True, order_by=("name_pinyin",))
    gender = tables.Column("性别", attrs=WIDE_ONLY)
    birth_date = tables.DateColumn(verbose_name="出生日期", format="Y-m-d", attrs=WIDE_ONLY)
    branch = tables.Column("所在支部", accessor="branch__name", linkify=lambda record: record.branch.get_absolute_url())
    post = tables.Column("职务", attrs=WIDE_ONLY)
    status = tables.Column("状态")
    joined_on = tables.DateColumn(verbose_name="入党日期", format="Y-m-d", attrs=WIDE_ONLY)
    phone = tables.Column("联系电话", attrs=WIDE_ONLY)
    flags = tables.Column("标记", accessor="pk", orderable=False, empty_values=(), attrs=WIDE_ONLY)

    class Meta:
        model = Member
        fields = ["name", "gender", "birth_date", "branch", "post", "status", "joined_on", "phone", "flags"]
        attrs = {"class": "table table-hover table-sm bg-white mb-0"}

    def render_status(self, record, value):
        if record.status == "probationary":
            return format_html('<span class="badge text-bg-info">{}</span>', value)
        return value

    def render_flags(self, record):
        parts = []
        if record.is_leader:
            parts.append("班子成员")
        if record.is_party_worker:
            parts.append("党务干部")
        return format_html_join("", '<span class="badge text-bg-light border me-1">{}</span>', ((p,) for p in parts))
