"""`manage.py send_reminders`: run the daily reminder job now, in this process."""

import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from notifications.reminders import send_reminders

# "source.stage" of send_reminders, in the order and words the command reports them.
LABELS = {
    "milestones.due_soon": "项目节点即将到期",
    "milestones.overdue": "项目节点逾期",
    "milestones.escalated": "项目节点逾期上报机关党委",
    "milestones.duban_overdue": "督办逾期未答复",
    "reports.before": "一岗双责报告即将到期",
    "reports.due": "一岗双责报告到期未交",
    "reports.escalated": "一岗双责报告逾期上报机关党委",
    "terms.notice": "支委会换届提醒",
    "problems.before": "整改问题即将到期",
    "problems.due": "整改问题到期未完成",
    "problems.escalated": "整改问题逾期上报机关党委",
    "meetings.missing": "组织生活未达要求",
    "meetings.escalated": "组织生活未达要求上报机关党委",
}


class Command(BaseCommand):
    help = (
        "发送到期提醒：项目节点与督办、一岗双责报告、支委会换届、问题整改时限、组织生活未达要求；"
        "到期前、到期日提醒责任人，逾期超过宽限期上报机关党委。已发送过的提醒不会重复发送；"
        "每日由 celery beat 自动运行，也可手动补跑某一天。"
    )

    def add_arguments(self, parser):
        parser.add_argument("--date", help="按哪一天发送，格式 YYYY-MM-DD（默认今天）")

    def handle(self, *args, date=None, **options):
        today = self._parse(date) if date else timezone.localdate()
        counts = send_reminders(today)
        total = sum(counts.values())
        self.stdout.write(self.style.SUCCESS(f"{today:%Y-%m-%d} 提醒检查完成，新发送提醒 {total} 条。"))
        for key, label in LABELS.items():
            self.stdout.write(f"  {label}：{counts.get(key, 0)} 条")
        for key in sorted(set(counts) - set(LABELS)):
            self.stdout.write(f"  {key}：{counts[key]} 条")

    @staticmethod
    def _parse(value: str) -> datetime.date:
        try:
            return datetime.date.fromisoformat(value)
        except ValueError:
            raise CommandError(f"日期格式不正确：{value}，应为 YYYY-MM-DD，例如 2026-11-22。") from None
