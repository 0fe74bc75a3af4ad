"""Rewrite every kept 一岗双责 filing state from the rosters and the reports."""

from django.core.management.base import BaseCommand, CommandError

from assessments import reports


class Command(BaseCommand):
    help = (
        "重算各报告期一岗双责报送情况（应报人员及其未提交、已提交、逾期、退回、已审阅状态），统计看板和报告情况页据此计数。"
        "数据经由系统页面、接口或导入修改时会自动更新；直接改动数据库或恢复数据后运行本命令。"
    )

    def add_arguments(self, parser):
        parser.add_argument("--check", action="store_true", help="只核对，不写入；有不一致时以非零状态退出")

    def handle(self, *args, check: bool, **options):
        if check:
            wrong = reports.filing_differences()
            if wrong:
                raise CommandError(f"{len(wrong)} 条报送情况与重新计算的结果不一致（报告期, 党员）：{wrong[:10]}。")
            self.stdout.write("各报告期的报送情况均与重新计算的结果一致。")
            return
        n = reports.rebuild_filing()
        self.stdout.write(self.style.SUCCESS(f"已重算 {n} 条一岗双责报送情况。"))
