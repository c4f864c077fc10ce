"""A policy version that has been in force cannot be changed or deleted, in PostgreSQL itself
(workflow/db_guards.py): before it takes effect it may still be corrected or withdrawn."""

from django.db import migrations

from workflow import db_guards

GUARDED = {"loans_policyversion": "loanflow_refuse_policy_in_force"}


def install_guards(apps, schema_editor):
    db_guards.install(schema_editor, GUARDED)


def uninstall_guards(apps, schema_editor):
    db_guards.uninstall(schema_editor, list(GUARDED))


class Migration(migrations.Migration):

    dependencies = [
        ("loans", "0003_records_corrected_not_deleted"),
    ]

    operations = [migrations.RunPython(install_guards, uninstall_guards)]
