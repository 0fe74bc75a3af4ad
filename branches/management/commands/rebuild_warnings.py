"""Rewrite every branch's kept figures (the organisation warnings' counts) from the members and terms."""

from django.core.management.base import BaseCommand, CommandError

from branches import figures
from branches.models import Branch


class Command(BaseCommand):
    help = (
        "重算全部支部的统计数（党员数、正式党员数、当前届次、班子人数、是否配备书记），组织设置预警据此判断。"
        "数据经由系统页面、接口或导入修改时会自动更新；直接改动数据库或恢复数据后运行本命令。"
    )

    def add_arguments(self, parser):
        parser.add_argument("--check", action="store_true", help="只核对，不写入；有不一致时以非零状态退出")

    def handle(self, *args, check: bool, **options):
        if check:
            branches = Branch.objects.all()
            fresh, kept = figures.fresh(branches), figures.kept(branches)
            wrong = sorted(pk for pk, values in fresh.items() if kept.get(pk) != values)
            if wrong:
                shown = "、".join(str(pk) for pk in wrong[:20])
                raise CommandError(f"{len(wrong)} 个支部的统计数与重新计算的结果不一致（支部编号：{shown}）。")
            self.stdout.write(f"{len(fresh)} 个支部的统计数均与重新计算的结果一致。")
            return
        n = figures.rebuild()
        self.stdout.write(self.style.SUCCESS(f"已重算 {n} 个支部的统计数。"))
