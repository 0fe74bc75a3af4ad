"""Records kept for the operators: who took personal data out of the portal."""

from django.conf import settings
from django.db import models


class ExportKind(models.TextChoices):
    ROSTER = "roster", "党员名册"
    DUTY_REPORTS = "duty_reports", "一岗双责报送情况"
    PROBLEMS = "problems", "问题整改台账"
    PROJECTS = "projects", "支部项目"
    SCORECARDS = "scorecards", "年度考核结果"


class ExportSource(models.TextChoices):
    PAGE = "page", "页面"
    API = "api", "接口"


class ExportLog(models.Model):
    """One export of personal data (e.g. the member roster): who, when, what and how many rows.

    Written in the same request as the export; never edited. The 工委 reads it in the admin.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="导出人", on_delete=models.PROTECT, related_name="export_logs"
    )
    exported_at = models.DateTimeField("导出时间", auto_now_add=True, db_index=True)
    kind = models.CharField("内容", max_length=20, choices=ExportKind.choices)
    source = models.CharField("途径", max_length=10, choices=ExportSource.choices)
    filters = models.JSONField("筛选条件", default=dict, blank=True)
    row_count = models.PositiveIntegerField("行数")
    full_id_numbers = models.BooleanField("含完整身份证号", default=False)

    class Meta:
        verbose_name = "个人信息导出记录"
        verbose_name_plural = "个人信息导出记录"
        ordering = ["-exported_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.user} {self.get_kind_display()} {self.row_count} 行"


def record_export(request, *, kind: str, row_count: int, full_id_numbers: bool) -> ExportLog:
    """Log an export answered for `request`; the query string (minus the format switch) is the filter."""
    filters = {key: values if len(values) > 1 else values[0] for key, values in request.GET.lists() if key != "format"}
    source = ExportSource.API if request.path.startswith("/api/") else ExportSource.PAGE
    return ExportLog.objects.create(
        user=request.user,
        kind=kind,
        source=source,
        filters=filters,
        row_count=row_count,
        full_id_numbers=full_id_numbers,
    )
