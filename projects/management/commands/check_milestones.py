"""`manage.py check_milestones`: run the daily milestone reminders now, in this process."""

import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from projects.reminders import DUBAN_OVERDUE, DUE_SOON, ESCALATED, OVERDUE, run_milestone_reminders

STAGE_LABELS = {
    DUE_SOON: "节点即将到期提醒",
    OVERDUE: "节点逾期提醒",
    ESCALATED: "逾期上报机关党委",
    DUBAN_OVERDUE: "督办逾期未答复提醒",
}


class Command(BaseCommand):
    help = (
        "检查项目节点与督办：即将到期、已逾期、逾期上报机关党委、督办逾期未答复，并发送提醒。"
        "已发送过的提醒不会重复发送；每日由 celery beat 自动运行，也可手动补跑某一天。"
    )

    def add_arguments(self, parser):
        parser.add_argument("--date", help="按哪一天检查，格式 YYYY-MM-DD（默认今天）")

    def handle(self, *args, date=None, **options):
        today = self._parse(date) if date else timezone.localdate()
        counts = run_milestone_reminders(today)
        total = sum(counts.values())
        self.stdout.write(self.style.SUCCESS(f"{today:%Y-%m-%d} 节点检查完成，新发送提醒 {total} 条。"))
        for stage, label in STAGE_LABELS.items():
            self.stdout.write(f"  {label}：{counts.get(stage, 0)} 条")

    @staticmethod
    def _parse(value: str) -> datetime.date:
        try:
            return datetime.date.fromisoformat(value)
        except ValueError:
            raise CommandError(f"日期格式不正确：{value}，应为 YYYY-MM-DD，例如 2026-11-22。") from None
