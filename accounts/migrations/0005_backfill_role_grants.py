"""Start the role history with the roles held at the upgrade: one grant row each, by the system, dated when
the role was granted. The words of the scope follow `accounts.models.scope_label` (a historical model has no
methods)."""

from django.db import migrations


def scope_words(assignment) -> str:
    if assignment.branch_id is not None:
        organ = assignment.branch.organ
        return f"{organ.short_name or organ.name} {assignment.branch.name}"
    if assignment.organ_id is not None:
        return assignment.organ.name
    return "分配给本人的验收项目" if assignment.role == "expert" else "全部机关"


def backfill(apps, schema_editor):
    RoleAssignment = apps.get_model("accounts", "RoleAssignment")
    RoleChange = apps.get_model("accounts", "RoleChange")
    held = RoleAssignment.objects.select_related("organ", "branch__organ").order_by("pk")
    RoleChange.objects.bulk_create(
        (
            RoleChange(
                user_id=a.user_id,
                action="grant",
                role=a.role,
                organ_id=a.organ_id,
                branch_id=a.branch_id,
                scope=scope_words(a),
                by=None,
                at=a.granted_at,
            )
            for a in held.iterator(chunk_size=2000)
        ),
        batch_size=2000,
    )


class Migration(migrations.Migration):
    dependencies = [("accounts", "0004_expert_role_and_role_history")]

    # Going back leaves the rows: they are true history, and going back further drops the table.
    operations = [migrations.RunPython(backfill, migrations.RunPython.noop)]
