"""Send again the rating runs and scorecard exports left queued while the broker was down."""

from django.core.management.base import BaseCommand

from assessments.tasks import REQUEUE_AFTER, requeue_queued_jobs


class Command(BaseCommand):
    help = "重新发送仍在排队的星级评定和评分表导出任务（消息队列恢复后使用；celery beat 每 5 分钟自动执行）。"

    def add_arguments(self, parser):
        parser.add_argument(
            "--older-than",
            type=int,
            default=int(REQUEUE_AFTER.total_seconds()),
            help="只重发排队超过该秒数的任务（默认 300）。",
        )

    def handle(self, *args, older_than: int, **options):
        sent = requeue_queued_jobs(older_than_seconds=older_than)
        self.stdout.write(f"已重新发送 {sent} 个排队任务。")
