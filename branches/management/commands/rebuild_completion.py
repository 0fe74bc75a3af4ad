"""`manage.py rebuild_completion`: recompute the kept meeting completion (`branches.kept`) from scratch."""

import time

from django.core.management.base import BaseCommand

from branches import kept


class Command(BaseCommand):
    help = (
        "按已登记的会议、组织生活要求、豁免、党小组、支委会届次和支部成立撤销日期，重新计算全部支部各年度的"
        "组织生活完成情况统计表（看板、完成情况页、日历、提醒和星级评定读取此表）。"
        "日常写入时由相应操作同步更新；本命令用于升级、恢复数据或怀疑统计有误时。"
    )

    def add_arguments(self, parser):
        parser.add_argument("--year", type=int, action="append", help="只重算指定年度（可重复）；默认全部年度")

    def handle(self, *args, year=None, **options):
        started = time.monotonic()
        if year:
            counts = {y: kept.refresh_year(y) for y in sorted(set(year)) if y in kept.requirement_years()}
        else:
            counts = kept.rebuild()
        years = "、".join(str(y) for y in counts) or "无"
        self.stdout.write(
            self.style.SUCCESS(
                f"已重新计算组织生活完成情况：年度 {years}，共 {sum(counts.values())} 行，"
                f"用时 {time.monotonic() - started:.1f} 秒。"
            )
        )
