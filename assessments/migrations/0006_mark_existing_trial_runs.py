"""Mark the runs computed before this release that were 试算: requested before their year's last assessed
period was due (or cut off before the year ended).

Without this, a current year's run published in December would stay every secretary's result. The rule is
`assessments.trial.completion` as of this migration, on the historical models: the year, and the year's
一岗双责 report periods when the run's scheme computes report timeliness (the 组织生活 periods all end with
the year). The gaps of those runs were not recorded; the run says so. A trial that was already published
keeps its publication, with a reason saying that none was recorded, and is no longer shown to branches.
"""

import datetime

from django.db import migrations
from django.utils import timezone

REPORT_TIMELINESS = "report_timeliness"
NO_REASON = "本次试算在试算规则启用前发布，未记录提前发布理由。"


def mark(apps, schema_editor):
    RatingRun = apps.get_model("assessments", "RatingRun")
    Indicator = apps.get_model("assessments", "Indicator")
    DutyReportPeriod = apps.get_model("assessments", "DutyReportPeriod")
    for run in RatingRun.objects.all().iterator():
        last_day = datetime.date(run.year, 12, 31)
        last_end = complete_on = last_day
        if Indicator.objects.filter(scheme_id=run.scheme_id, metric=REPORT_TIMELINESS).exists():
            for ends_on, due_on in DutyReportPeriod.objects.filter(year=run.year).values_list("ends_on", "due_on"):
                last_end, complete_on = max(last_end, ends_on), max(complete_on, due_on)
        run.complete_on = complete_on
        fields = ["complete_on"]
        if run.as_of < last_end or timezone.localdate(run.created_at) < complete_on:
            run.is_trial = True
            run.gaps = [
                {
                    "kind": "period",
                    "label": f"本次评定在试算规则启用前计算，未记录尚缺事项；年度最后一个考核期于 {complete_on:%Y-%m-%d} 到期",
                    "unit": "",
                    "organs": None,
                }
            ]
            fields += ["is_trial", "gaps"]
            if run.published_at is not None:
                run.trial_reason = NO_REASON
                fields.append("trial_reason")
        run.save(update_fields=fields)


class Migration(migrations.Migration):
    dependencies = [
        ("assessments", "0005_rating_run_trials"),
    ]

    operations = [
        migrations.RunPython(mark, migrations.RunPython.noop),
    ]
