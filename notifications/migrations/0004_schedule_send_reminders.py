"""One daily reminder job for everything that falls due; it includes the milestone checks."""

from django.db import migrations

TASK = "notifications.tasks.send_reminders_task"
NAME = "每日发送到期提醒（项目节点、一岗双责报告、换届、整改问题、组织生活）"
MILESTONE_TASK = "projects.tasks.check_milestones"


def schedule(apps, schema_editor):
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    # 06:30 Beijing time: reminders are waiting when people arrive at work.
    crontab, _ = CrontabSchedule.objects.get_or_create(
        minute="30", hour="6", day_of_week="*", day_of_month="*", month_of_year="*", timezone="Asia/Shanghai"
    )
    PeriodicTask.objects.update_or_create(name=NAME, defaults={"task": TASK, "crontab": crontab, "enabled": True})
    # The engine runs the milestone checks itself; the separate entry would only repeat them.
    PeriodicTask.objects.filter(task=MILESTONE_TASK).update(enabled=False)


def unschedule(apps, schema_editor):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTask.objects.filter(task=TASK).delete()
    PeriodicTask.objects.filter(task=MILESTONE_TASK).update(enabled=True)


class Migration(migrations.Migration):
    dependencies = [
        ("notifications", "0003_reminder_rules"),
        ("projects", "0002_schedule_milestone_reminders"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(schedule, unschedule)]
