"""Import a roster workbook from the command line, with the same checks as the import page."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from accounts.scope import scope_of
from branches import roster


class Command(BaseCommand):
    help = "从 Excel 名册（.xlsx）导入党员。先校验全部行；有任何错误时列出错误所在行并不写入任何数据。"

    def add_arguments(self, parser):
        parser.add_argument("file", help="名册文件路径（.xlsx，按导入模板填写）")
        parser.add_argument("--dry-run", action="store_true", help="只校验，不写入")
        parser.add_argument(
            "--user",
            help="以该账号的权限导入，并记入修改历史；不指定时以工委权限导入所有支部，历史中不记录操作人",
        )

    def handle(self, *args, file, dry_run, user, **options):
        actor = None
        if user:
            try:
                actor = get_user_model().objects.get(username=user)
            except get_user_model().DoesNotExist:
                raise CommandError(f"账号“{user}”不存在。") from None
            if not scope_of(actor).is_staff_or_committee:
                raise CommandError(f"账号“{user}”无权导入党员名册。")
        try:
            with open(file, "rb") as fh:
                preview = roster.parse_roster(fh, user=actor)
        except OSError as exc:
            raise CommandError(f"无法打开文件 {file}：{exc.strerror or exc}") from exc
        except roster.RosterFileError as exc:
            raise CommandError(str(exc)) from exc

        for row, label, message in preview.errors:
            self.stderr.write(f"第 {row} 行" + (f"【{label}】" if label else "") + f"：{message}")
        if preview.has_errors:
            raise CommandError(
                f"共 {len(preview.errors)} 处错误（涉及 {len(preview.error_rows)} 行），"
                "未导入任何数据。请修改后重新导入。"
            )
        summary = f"新增 {preview.n_create} 人，更新 {preview.n_update} 人，无变化 {preview.n_unchanged} 人"
        if dry_run:
            self.stdout.write(f"校验通过（试运行，未写入）：{summary}。")
            return
        try:
            result = roster.import_roster(preview, user=actor)
        except roster.RosterImportError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(self.style.SUCCESS(f"导入完成：{result}。"))
