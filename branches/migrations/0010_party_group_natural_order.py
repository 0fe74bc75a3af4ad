from django.db import migrations, models

from branches.pinyin import number_in_name


def number_existing_groups(apps, schema_editor):
    PartyGroup = apps.get_model("branches", "PartyGroup")
    groups = list(PartyGroup.objects.only("pk", "name"))
    for group in groups:
        group.name_number = number_in_name(group.name)
    PartyGroup.objects.bulk_update(groups, ["name_number"], batch_size=1000)


class Migration(migrations.Migration):
    dependencies = [
        ("branches", "0009_merge_training_hours_and_rollup"),
    ]

    operations = [
        migrations.AddField(
            model_name="partygroup",
            name="name_number",
            field=models.PositiveIntegerField(blank=True, editable=False, null=True, verbose_name="名称中的序号"),
        ),
        migrations.RunPython(number_existing_groups, migrations.RunPython.noop),
        migrations.AlterModelOptions(
            name="partygroup",
            options={
                "ordering": ["branch", models.OrderBy(models.F("name_number"), nulls_last=True), "pk"],
                "verbose_name": "党小组",
                "verbose_name_plural": "党小组",
            },
        ),
    ]
