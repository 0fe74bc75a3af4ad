"""`manage.py open_year [year]`: save a year's rules in every app, as the yearly job does."""

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from portal import years


class Command(BaseCommand):
    help = (
        "生成年度规则（组织生活要求、一岗双责报告期、项目验收规则、党员积分规则），沿用最近一个较早年度的设置，"
        "没有时使用默认设置，并同步计算该年度的统计表。不指定年度时生成今年（12 月起同时生成下一年度），"
        "与每天夜间执行的定时任务相同；已生成的年度不做任何改动。"
    )

    def add_arguments(self, parser):
        parser.add_argument("year", nargs="?", type=int, help="要生成的年度（默认：今年，12 月起含下一年度）")

    def handle(self, *args, year=None, **options):
        today = timezone.localdate()
        if year is not None and not years.year_in_range(year, today):
            raise CommandError(f"年度应在 {years.FIRST_YEAR} 到 {today.year + 1} 之间。")
        for y in [year] if year is not None else years.coming_years(today):
            opened = years.open_year(y)
            if opened:
                self.stdout.write(self.style.SUCCESS(f"{y} 年度已生成：{'、'.join(opened)}。"))
            else:
                self.stdout.write(f"{y} 年度的规则均已生成，未做改动。")
