"""`manage.py restore DIR`: put a backup back into an empty database and media folder, and verify it."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from maintenance.backup import BackupError, restore


class Command(BaseCommand):
    help = (
        "把 backup 生成的备份恢复到当前配置的数据库（须为新建的空数据库）和上传文件目录，"
        "并逐表核对行数、逐个核对文件校验值。"
    )

    def add_arguments(self, parser):
        parser.add_argument("source", help="备份目录")

    def handle(self, *args, source, **options):
        try:
            report = restore(Path(source))
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            self.style.SUCCESS(
                f"已恢复并核对：{report.tables} 张表共 {report.rows} 行，上传文件 {report.files} 个，与备份一致。"
            )
        )
