"""`manage.py compute_ratings --year YYYY [--sync]`: start a 星级评定 run as the page button does."""

import datetime

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from accounts.models import Role, User
from assessments.choices import RunStatus
from assessments.ratings import compute_run, start_run
from core.errors import DomainError


class Command(BaseCommand):
    help = (
        "按年度考核方案计算各党支部得分、星级和等次，生成一批待发布的评定结果（同年度的待发布结果被替代）。"
        "默认交给 Celery 后台计算；--sync 在本进程中立即计算。"
    )

    def add_arguments(self, parser):
        parser.add_argument("--year", type=int, required=True, help="考核年度，如 2025")
        parser.add_argument("--sync", action="store_true", help="在本进程中立即计算，不经过 Celery")
        parser.add_argument("--as-of", help="数据截止日期 YYYY-MM-DD（默认：往年为 12 月 31 日，本年为今天）")
        parser.add_argument("--user", help="记为发起人的账号（默认：第一个机关工委账号）")

    def handle(self, *args, year, sync, as_of=None, user=None, **options):
        by = self._user(user)
        try:
            as_of_date = datetime.date.fromisoformat(as_of) if as_of else None
        except ValueError as exc:
            raise CommandError(f"日期格式应为 YYYY-MM-DD：{as_of}") from exc
        try:
            with transaction.atomic():
                run = start_run(year, by=by, as_of=as_of_date, enqueue=not sync)
        except DomainError as exc:
            raise CommandError(str(exc)) from exc
        if not sync:
            self.stdout.write(f"已提交后台计算：{run}（编号 {run.pk}）。")
            return
        run = compute_run(run.pk)
        if run.status != RunStatus.DRAFT:
            raise CommandError(f"{run}计算失败：{run.error}")
        self.stdout.write(self.style.SUCCESS(f"{run}已完成：{run.n_branches} 个党支部，待发布。"))
        if run.is_trial:
            self.stdout.write(
                self.style.WARNING(
                    f"这是试算：{run.year}年度最后一个考核期于 {run.complete_on:%Y-%m-%d} 到期，"
                    "结果不完整、不向支部展示，发布须填写提前发布的理由。"
                )
            )

    def _user(self, username: str | None) -> User:
        if username:
            found = User.objects.filter(username=username, is_active=True).first()
            if found is None:
                raise CommandError(f"账号不存在或已停用：{username}")
            return found
        found = (
            User.objects.filter(is_active=True, roles__role=Role.GONGWEI).order_by("pk").first()
            or User.objects.filter(is_active=True, is_superuser=True).order_by("pk").first()
        )
        if found is None:
            raise CommandError("没有可用的机关工委账号，请用 --user 指定。")
        return found
