"""`manage.py export_scorecards --year YYYY --output FILE.xlsx`: the year-end scorecard workbook, here and now."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from assessments.scorecards import ScorecardError, default_run, write_scorecards
from branches.models import Organ


class Command(BaseCommand):
    help = (
        "导出年度党支部考核结果 Excel（汇总表、各单位指标明细表、考核方案）。"
        "默认导出该年度已发布的星级评定；--run 指定批次号，--organ 只导出一个单位。"
    )

    def add_arguments(self, parser):
        parser.add_argument("--year", type=int, required=True, help="考核年度，如 2025")
        parser.add_argument("--output", required=True, help="输出文件，如 考核结果2025.xlsx")
        parser.add_argument("--organ", type=int, help="只导出该单位（机关编号）")
        parser.add_argument("--run", type=int, dest="number", help="评定批次号（默认：该年度已发布的批次）")

    def handle(self, *args, year, output, organ=None, number=None, **options):
        try:
            run = default_run(year, number)
        except ScorecardError as exc:
            raise CommandError(str(exc)) from exc
        organ_ids = None
        if organ is not None:
            found = Organ.objects.filter(pk=organ).first()
            if found is None:
                raise CommandError(f"单位不存在：编号 {organ}。")
            organ_ids = [found.pk]
        path = Path(output)
        if path.suffix.lower() != ".xlsx":
            raise CommandError(f"输出文件应以 .xlsx 结尾：{output}")
        if not path.parent.exists():
            raise CommandError(f"目录不存在：{path.parent}")

        def report(done: int, total: int) -> None:
            self.stdout.write(f"  已写入 {done}/{total} 个党支部")

        n = write_scorecards(run, str(path), organ_ids=organ_ids, progress=report if options["verbosity"] > 1 else None)
        if n == 0:
            self.stderr.write(self.style.WARNING(f"{run}没有符合条件的党支部结果，只导出了考核方案。"))
        self.stdout.write(self.style.SUCCESS(f"已导出{run}：{n} 个党支部 → {path}"))
