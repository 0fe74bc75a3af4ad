"""`manage.py record_history`: a first history entry for every row written in bulk without one."""

from django.core.management.base import BaseCommand
from django.db import transaction

from core.history import kept_models, record_unrecorded
from core.workflow import Act

REASON = Act.IMPORT.because("批量写入的数据补记首条变更记录")


class Command(BaseCommand):
    help = (
        "为批量写入、尚无变更记录的数据（如早先生成的演示数据）补记首条变更记录，"
        "使其此后的每次修改都能显示修改前后的内容。可重复运行，已有记录的数据不受影响。"
    )

    def handle(self, *args, **options):
        with transaction.atomic():
            counts = {model._meta.verbose_name: record_unrecorded(model, reason=REASON) for model in kept_models()}
        total = sum(counts.values())
        details = "，".join(f"{name} {n} 条" for name, n in counts.items() if n)
        self.stdout.write(self.style.SUCCESS(f"已补记 {total} 条变更记录" + (f"：{details}。" if details else "。")))
