"""`manage.py seed_demo`: a realistic, reproducible organisation and one demo account per role."""

import time

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.utils import timezone

from assessments.points import ensure_point_rules
from assessments.reports import ensure_periods, rebuild_filing
from branches import figures
from branches.models import Organ, OrganisationRules
from branches.orglife import ensure_requirements
from core.history import kept_models, record_unrecorded
from core.workflow import Act
from demo import organisation, orglife, projects, ratings, reports
from projects.services import ensure_config

MAX_YEARS = 10
SEEDED = Act.IMPORT.because("演示数据")


class Command(BaseCommand):
    help = (
        "生成演示数据（机关、党支部、党员、党小组、支委会届次，以及各阶段的支部项目、任务、督办和验收）和演示账号；"
        "同一随机种子生成相同数据，只能在空数据库上运行。"
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--organs", type=int, default=organisation.DEFAULT_ORGANS, help="机关数（默认 %(default)s）"
        )
        parser.add_argument(
            "--branches",
            type=int,
            default=organisation.DEFAULT_BRANCHES,
            help="党支部总数，按机关规模分配（默认 %(default)s）",
        )
        parser.add_argument(
            "--members-per-branch",
            type=int,
            default=organisation.DEFAULT_MEMBERS_PER_BRANCH,
            help="平均每个支部的党员数（默认 %(default)s）",
        )
        parser.add_argument("--seed", type=int, default=organisation.DEFAULT_SEED, help="随机种子（默认 %(default)s）")
        parser.add_argument(
            "--years",
            type=int,
            default=orglife.DEFAULT_YEARS,
            help="生成最近几年的三会一课和一岗双责报告（含今年，默认 %(default)s，最多 10）",
        )
        parser.add_argument("--if-empty", action="store_true", help="数据库中已有机关时不做任何改动")

    def handle(self, *args, organs, branches, members_per_branch, seed, years, if_empty, **options):
        if Organ.objects.exists():
            self._already_seeded(if_empty)
            return
        self._check(organs, branches, members_per_branch)
        if not 1 <= years <= MAX_YEARS:
            raise CommandError(f"--years 应在 1 到 {MAX_YEARS} 之间。")
        started = time.monotonic()
        today = timezone.localdate()
        plan = organisation.plan_demo(
            organs=organs,
            branches=branches,
            members_per_branch=members_per_branch,
            seed=seed,
            today=today,
            rules=OrganisationRules.for_year(today.year),
        )
        with transaction.atomic():
            organisation.write_demo(plan)
            organisation.create_demo_accounts(plan)
            seeded_projects = projects.seed_projects(plan, seed=seed, today=today)
            seeded_orglife = orglife.seed_orglife(plan, seed=seed, today=today, years=years)
            # The demo writes in bulk, past the services that keep completion and 学时: compute them once,
            # before the rating runs read them. Nothing after this step records meetings or trainings.
            call_command("rebuild_completion", stdout=self.stdout)
            call_command("rebuild_hours", stdout=self.stdout)
            duties = reports.seed_assessments(plan, seed=seed, today=today, years=years)
            seeded_ratings = ratings.seed_ratings(plan, seed=seed, today=today)
            # Pages never create a year's rules: the demo's year is opened here, as the yearly job opens a
            # year on a live install (the steps above opened the years they write into).
            ensure_requirements(today.year)
            ensure_periods([today.year])
            ensure_config(today.year)
            ensure_point_rules(today.year)
            # The seed writes in bulk, past the services that keep these tables; the steps above keep them for
            # the steps after them, and a last rebuild makes sure nothing written in bulk is left out.
            figures.rebuild()
            rebuild_filing()
            # The seed writes in bulk, past save() and its history: each row gets its first entry as seeded, so
            # that the first change someone makes to it shows what it was before.
            for model in kept_models():
                record_unrecorded(model, reason=SEEDED)
        if connection.vendor == "postgresql":
            # Fresh statistics after a bulk load: without them the planner picks nested loops over
            # a million attendance rows and the first pages take seconds.
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
        self._report(plan, time.monotonic() - started)
        self.stdout.write(projects.describe(seeded_projects))
        self.stdout.write(orglife.describe(seeded_orglife))
        self.stdout.write(reports.describe(duties))
        self.stdout.write(ratings.describe(seeded_ratings))

    def _already_seeded(self, if_empty: bool) -> None:
        if not if_empty:
            raise CommandError(
                "数据库中已有机关数据。seed_demo 不会改动或删除现有数据，请换用一个新建的空数据库；"
                "如只想在空库时生成，请加 --if-empty。"
            )
        self.stdout.write("数据库中已有机关数据，未生成演示数据。")
        self._print_accounts()

    def _check(self, organs: int, branches: int, members_per_branch: int) -> None:
        error = organisation.size_error(organs, branches, members_per_branch)
        if error:
            raise CommandError(error)
        taken = organisation.taken_demo_usernames()
        if taken:
            raise CommandError(f"演示账号 {'、'.join(taken)} 已存在，请换用一个新建的空数据库。")

    def _report(self, plan: organisation.DemoPlan, seconds: float) -> None:
        active = len(plan.active_branches)
        dissolved = len(plan.branches) - active
        self.stdout.write(
            self.style.SUCCESS(
                f"已生成演示数据：机关 {len(plan.organs)} 个，党支部 {active} 个（另有已撤销 {dissolved} 个），"
                f"党员 {len(plan.members)} 名，党小组 {len(plan.groups)} 个，支委会届次 {len(plan.terms)} 届，"
                f"用时 {seconds:.1f} 秒。"
            )
        )
        self._print_accounts()

    def _print_accounts(self) -> None:
        accounts = organisation.demo_accounts()
        if not accounts:
            return
        self.stdout.write("")
        self.stdout.write("演示账号（仅供演示，请勿用于生产环境）：")
        self.stdout.write(organisation.account_table(accounts))
