"""Register the job that opens the coming year's rules with celery beat's database scheduler."""

from django.db import migrations

TASK = "portal.tasks.open_coming_years"
NAME = "每晚生成年度规则（今年；12 月 1 日起含下一年度）"


def schedule(apps, schema_editor):
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    # Every night rather than only on 1 December and 1 January: a night the worker missed is made good the
    # next one, and on every other night the job finds the years open and writes nothing.
    crontab, _ = CrontabSchedule.objects.get_or_create(
        minute="10", hour="0", day_of_week="*", day_of_month="*", month_of_year="*", timezone="Asia/Shanghai"
    )
    PeriodicTask.objects.update_or_create(name=NAME, defaults={"task": TASK, "crontab": crontab, "enabled": True})


def unschedule(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(task=TASK).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("portal", "0001_open_the_years_in_use"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(schedule, unschedule)]
