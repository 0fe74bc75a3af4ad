"""`manage.py backup [--output DIR]`: the database and every uploaded file, with a manifest."""

import datetime
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from maintenance.backup import BackupError, backup


class Command(BaseCommand):
    help = "备份数据库（PostgreSQL 用 pg_dump）和全部上传文件到一个目录，并写入行数与文件校验清单。"

    def add_arguments(self, parser):
        parser.add_argument("--output", help="备份目录（须为空或不存在；默认 backups/年月日-时分秒）")

    def handle(self, *args, output=None, **options):
        target = Path(output or f"backups/{datetime.datetime.now():%Y%m%d-%H%M%S}")
        try:
            report = backup(target)
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            self.style.SUCCESS(
                f"已备份到 {target}：{report.tables} 张表共 {report.rows} 行，上传文件 {report.files} 个。"
            )
        )
