# The kept 学时 table and the organ rollups of meeting completion were built side by side on 0006.

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("branches", "0007_kept_training_hours"),
        ("branches", "0008_organ_completion_rollup"),
    ]

    operations = []
