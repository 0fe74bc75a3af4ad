"""`manage.py rebuild_hours [--check]`: recompute the kept 学时 (`branches.hours`) from the records."""

import time

from django.core.management.base import BaseCommand, CommandError

from branches import hours


class Command(BaseCommand):
    help = (
        "按出席会议记录（出席且登记了学时的会议）和培训学时记录，重新计算每名党员各年度的学时统计表"
        "（党员学时页、党员详情、接口和星级评定的学时达标率读取此表）。"
        "数据经由系统页面、接口或导入修改时会自动更新；直接改动数据库或恢复数据后运行本命令。"
    )

    def add_arguments(self, parser):
        parser.add_argument("--check", action="store_true", help="只核对，不写入；有不一致时以非零状态退出")

    def handle(self, *args, check: bool, **options):
        if check:
            wrong = hours.differences()
            if wrong:
                shown = "、".join(f"{member_id}（{year}年）" for member_id, year in wrong[:20])
                raise CommandError(f"{len(wrong)} 条党员学时统计与重新计算的结果不一致（党员编号：{shown}）。")
            self.stdout.write("党员学时统计均与重新计算的结果一致。")
            return
        started = time.monotonic()
        n = hours.rebuild()
        self.stdout.write(
            self.style.SUCCESS(f"已重新计算党员学时统计：共 {n} 条，用时 {time.monotonic() - started:.1f} 秒。")
        )
