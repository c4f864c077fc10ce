"""Make the record append-only in PostgreSQL itself (workflow/db_guards.py, docs/security.md).

The unique sequence numbers come here, after 0005 numbered the existing rows (a table with
pending trigger events from that data migration could not be altered in the same transaction).
"""

from django.db import migrations, models

from workflow import db_guards

GUARDED = {
    "workflow_auditevent": "loanflow_refuse_change",
    "workflow_deviation": "loanflow_refuse_change",
    "workflow_deviationreview": "loanflow_refuse_change",
    "workflow_verificationrun": "loanflow_refuse_change",
    "workflow_chainseal": "loanflow_seal_forward_only",
}


def install_guards(apps, schema_editor):
    db_guards.install(schema_editor, GUARDED)


def uninstall_guards(apps, schema_editor):
    db_guards.uninstall(schema_editor, list(GUARDED))



class Migration(migrations.Migration):

    dependencies = [
        ('workflow', '0005_sealed_chains'),
    ]

    operations = [
        migrations.AddConstraint(
            model_name='deviation',
            constraint=models.UniqueConstraint(fields=('content_type', 'object_id', 'seq'), name='deviation_unique_seq'),
        ),
        migrations.AddConstraint(
            model_name='deviationreview',
            constraint=models.UniqueConstraint(fields=('deviation', 'seq'), name='deviation_review_unique_seq'),
        ),
        migrations.RunPython(install_guards, uninstall_guards),
    ]
