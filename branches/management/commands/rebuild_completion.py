"""`manage.py rebuild_completion`: recompute the kept meeting completion (`branches.kept`) and its organ
rollups from scratch, or with `--check` compare them with a fresh computation and write nothing."""

import time

from django.core.management.base import BaseCommand, CommandError

from branches import kept
from branches.models import Branch, MeetingCompletion

FIELDS = [f.attname for f in MeetingCompletion._meta.concrete_fields if f.name != "id"]


class Command(BaseCommand):
    help = (
        "按已登记的会议、组织生活要求、豁免、党小组、支委会届次和支部成立撤销日期，重新计算全部支部各年度的"
        "组织生活完成情况统计表及按机关汇总的统计表（看板、完成情况页、日历、提醒和星级评定读取此表）。"
        "日常写入时由相应操作同步更新；本命令用于升级、恢复数据或怀疑统计有误时。"
    )

    def add_arguments(self, parser):
        parser.add_argument("--year", type=int, action="append", help="只重算指定年度（可重复）；默认全部年度")
        parser.add_argument("--check", action="store_true", help="只核对，不写入；有不一致时以非零状态退出")

    def handle(self, *args, year=None, check=False, **options):
        years = [y for y in kept.requirement_years() if not year or y in year]
        if check:
            self.check_years(years)
            return
        started = time.monotonic()
        counts = {y: kept.refresh_year(y) for y in years} if year else kept.rebuild()
        shown = "、".join(str(y) for y in counts) or "无"
        self.stdout.write(
            self.style.SUCCESS(
                f"已重新计算组织生活完成情况：年度 {shown}，共 {sum(counts.values())} 行，"
                f"用时 {time.monotonic() - started:.1f} 秒。"
            )
        )

    def check_years(self, years: list[int]) -> None:
        problems = []
        if len(years) == len(kept.requirement_years()):
            strays = MeetingCompletion.objects.exclude(year__in=years).count()
            if strays:
                problems.append(f"无组织生活要求的年度 {strays} 行")
        for y in years:
            fresh = {tuple(getattr(r, name) for name in FIELDS) for r in kept.fresh_rows(Branch.objects.all(), y)}
            stored = set(MeetingCompletion.objects.filter(year=y).values_list(*FIELDS))
            periods, firsts = kept.rollup_differences(y)
            if fresh != stored:
                problems.append(f"{y}年完成情况 {len(fresh ^ stored)} 行")
            if periods or firsts:
                problems.append(f"{y}年机关汇总 {periods + firsts} 行")
        if problems:
            raise CommandError(f"与重新计算的结果不一致：{'；'.join(problems)}。请运行 rebuild_completion 重算。")
        shown = "、".join(str(y) for y in years) or "无"
        self.stdout.write(f"组织生活完成情况及机关汇总（年度 {shown}）均与重新计算的结果一致。")
