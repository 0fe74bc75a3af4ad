"""Open the years an existing install uses, now that pages no longer create a year's rules on first read.

Before this, a page created a year's 组织生活要求, 一岗双责报告期, 项目年度规则 and 党员积分规则 the first time it
read them; from now on only an explicit act or the yearly job does (`portal.years`). So that an upgraded
install loses nothing, this opens, in each app, this year (and from 1 December the next, as the job would),
and every earlier year that already has data (meetings; report periods; projects or topic lists) but not yet
its rules. A new, empty database is left alone: the yearly job, `manage.py open_year` or seed_demo open it.

The rule rows are written with the historical models, each with its history record, by the same functions
that derive a year's rules for the pages (they take the model to build). The kept tables that follow
(meeting completion, report filings) are then computed by the current code, as the migration that created
them does: the rows are the ones that code reads. Should a later migration change a model those read so that
this fails on an old database, skip the kept tables here and run `manage.py rebuild_completion` and
`manage.py rebuild_filing` after migrating.
"""

from django.db import migrations
from django.utils import timezone


def _save(apps, label: str, name: str, objs, reason: str) -> list:
    """Insert `objs` of the historical model and the history record each would have had."""
    History = apps.get_model(label, f"Historical{name}")
    model = apps.get_model(label, name)
    now = timezone.now()
    for obj in objs:
        obj.save()
        values = {f.attname: getattr(obj, f.attname) for f in model._meta.concrete_fields}
        History.objects.create(**values, history_date=now, history_type="+", history_change_reason=reason)
    return list(objs)


def _years(dates) -> set[int]:
    return {day.year for day in dates}


def open_years_in_use(apps, schema_editor):
    if not apps.get_model("branches", "Organ").objects.exists():
        return  # a new database: nothing in use yet

    from assessments import points, reports
    from branches import kept, orglife
    from portal.years import coming_years
    from projects import services

    coming = set(coming_years(timezone.localdate()))
    Requirement = apps.get_model("branches", "MeetingRequirement")
    Period = apps.get_model("assessments", "DutyReportPeriod")
    Config = apps.get_model("projects", "ProjectYearConfig")
    PointRule = apps.get_model("assessments", "PointRule")

    # Oldest first: a year opened copies the latest earlier year, which may be one opened just before it.
    meeting_years = _years(apps.get_model("branches", "Meeting").objects.dates("held_on", "year"))
    opened_requirements = []
    for year in sorted(coming | meeting_years):
        if not Requirement.objects.filter(year=year).exists():
            rows, reason = orglife.carried_over(year, model=Requirement)
            _save(apps, "branches", "MeetingRequirement", rows, reason)
            opened_requirements.append(year)

    new_periods = []
    for year in sorted(coming | set(Period.objects.values_list("year", flat=True))):
        have = set(Period.objects.filter(year=year).values_list("half", flat=True))
        missing = [p for p in reports.default_periods(year, model=Period) if p.half not in have]
        new_periods += _save(apps, "assessments", "DutyReportPeriod", missing, "按默认日期生成报告期")

    project_years = set(apps.get_model("projects", "Project").objects.values_list("year", flat=True))
    project_years |= set(apps.get_model("projects", "TopicList").objects.values_list("year", flat=True))
    for year in sorted(coming | project_years):
        if not Config.objects.filter(year=year).exists():
            config, rubric = services.carried_over(year, config_model=Config)
            (config,) = _save(apps, "projects", "ProjectYearConfig", [config], "生成年度规则")
            Criterion = apps.get_model("projects", "RubricCriterion")
            criteria = [
                Criterion(config=config, name=name, max_points=most, description=text, order=i)
                for i, (name, most, text) in enumerate(rubric)
            ]
            _save(apps, "projects", "RubricCriterion", criteria, "生成年度规则")

    for year in sorted(coming):
        if not PointRule.objects.filter(year=year).exists():
            rules, reason = points.carried_over(year, model=PointRule)
            _save(apps, "assessments", "PointRule", rules, reason)

    for year in opened_requirements:
        kept.refresh_year(year)
    if new_periods:
        reports.refresh_filing(periods=[p.pk for p in new_periods])


class Migration(migrations.Migration):
    dependencies = [
        ("branches", "0005_merge_kept_figures_and_completion"),
        ("projects", "0003_history_of_year_rules_and_marks"),
        ("assessments", "0004_duty_filings"),
    ]

    # No reverse: the rows are what the code before this would have created itself on the first page that
    # read the year, and later rows (reports, marks, entries) may refer to them.
    operations = [migrations.RunPython(open_years_in_use, migrations.RunPython.noop)]
