"""Create a Django group for every staff role; roles exist in every installation, not only demos."""

from django.db import migrations

ROLES = [
    "account_manager",
    "reviewer",
    "approver",
    "disbursement_officer",
    "compliance_officer",
    "branch_head",
    "administrator",
]


def create_role_groups(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    for name in ROLES:
        Group.objects.get_or_create(name=name)


class Migration(migrations.Migration):
    dependencies = [
        ("loans", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [migrations.RunPython(create_role_groups, migrations.RunPython.noop)]
