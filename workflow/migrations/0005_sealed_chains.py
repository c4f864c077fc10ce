"""Chain deviations and their reviews and seal every chain's head (docs/security.md).

Existing deviations and reviews are chained in the order they were written, and every existing
chain is sealed with the current AUDIT_HMAC_KEY, before 0006's triggers forbid changing them.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models
from django.utils import timezone

from workflow.audit import deviation_hash, review_hash
from workflow.seals import GENESIS_HASH, mac

def _chain(rows, key, genesis, hasher):
    """Number and hash ``rows`` (in writing order) per chain; return each chain's head."""
    heads = {}
    for row in rows:
        chain = key(row)
        seq, previous = heads.get(chain, (0, None))
        row.seq = seq + 1
        row.prev_hash = previous or genesis(row)
        row.hash = hasher(row)
        heads[chain] = (row.seq, row.hash)
    return heads


def chain_and_seal(apps, schema_editor):
    AuditEvent = apps.get_model("workflow", "AuditEvent")
    Deviation = apps.get_model("workflow", "Deviation")
    DeviationReview = apps.get_model("workflow", "DeviationReview")
    ChainSeal = apps.get_model("workflow", "ChainSeal")
    ContentType = apps.get_model("contenttypes", "ContentType")
    db = schema_editor.connection.alias

    deviations = list(Deviation.objects.using(db).order_by("created_at", "id"))
    deviation_heads = _chain(
        deviations,
        key=lambda d: (d.content_type_id, d.object_id),
        genesis=lambda d: GENESIS_HASH,
        hasher=deviation_hash,
    )
    Deviation.objects.using(db).bulk_update(deviations, ["seq", "prev_hash", "hash"], batch_size=500)
    hashes = {d.pk: d.hash for d in deviations}
    reviews = list(DeviationReview.objects.using(db).order_by("created_at", "id"))
    review_heads = _chain(
        reviews,
        key=lambda r: r.deviation_id,
        genesis=lambda r: hashes[r.deviation_id],
        hasher=review_hash,
    )
    DeviationReview.objects.using(db).bulk_update(reviews, ["seq", "prev_hash", "hash"], batch_size=500)

    event_heads = {}
    for ct, oid, seq, head in AuditEvent.objects.using(db).order_by("seq").values_list(
        "content_type_id", "object_id", "seq", "hash"
    ).iterator():
        event_heads[(ct, oid)] = (seq, head)
    labels = {ct.pk: f"{ct.app_label}.{ct.model}" for ct in ContentType.objects.using(db).all()}
    deviation_type, _ = ContentType.objects.using(db).get_or_create(app_label="workflow", model="deviation")
    labels[deviation_type.pk] = "workflow.deviation"
    key = settings.AUDIT_HMAC_KEY.encode()
    now = timezone.now()
    chains = [
        *[("events", ct, oid, head) for (ct, oid), head in event_heads.items()],
        *[("deviations", ct, oid, head) for (ct, oid), head in deviation_heads.items()],
        *[("reviews", deviation_type.pk, pk, head) for pk, head in review_heads.items()],
    ]
    ChainSeal.objects.using(db).bulk_create(
        [
            ChainSeal(
                chain=chain,
                content_type_id=ct,
                object_id=oid,
                last_seq=seq,
                last_hash=head,
                key_id=settings.AUDIT_HMAC_KEY_ID,
                mac=mac(key, chain, labels[ct], oid, seq, head),
                sealed_at=now,
            )
            for chain, ct, oid, (seq, head) in chains
        ],
        batch_size=500,
    )


class Migration(migrations.Migration):

    dependencies = [
        ('contenttypes', '0002_remove_content_type_name'),
        ('workflow', '0004_exception_requests'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='ChainSeal',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('chain', models.CharField(choices=[('events', 'audit trail'), ('deviations', 'deviation log'), ('reviews', 'deviation reviews')], max_length=16)),
                ('object_id', models.PositiveBigIntegerField()),
                ('last_seq', models.PositiveIntegerField()),
                ('last_hash', models.CharField(max_length=64)),
                ('key_id', models.CharField(help_text='Which AUDIT_HMAC_KEY sealed it.', max_length=32)),
                ('mac', models.CharField(max_length=64)),
                ('sealed_at', models.DateTimeField()),
            ],
        ),
        migrations.CreateModel(
            name='VerificationRun',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('started_at', models.DateTimeField()),
                ('finished_at', models.DateTimeField()),
                ('trigger', models.CharField(choices=[('schedule', 'daily schedule'), ('command', 'command')], max_length=16)),
                ('scope_loan', models.CharField(blank=True, help_text='Empty: every object.', max_length=64)),
                ('scope_since', models.DateField(blank=True, null=True)),
                ('chains', models.PositiveIntegerField()),
                ('entries', models.PositiveIntegerField()),
                ('breaks', models.PositiveIntegerField()),
                ('break_chain', models.CharField(blank=True, choices=[('events', 'audit trail'), ('deviations', 'deviation log'), ('reviews', 'deviation reviews')], max_length=16)),
                ('break_object', models.CharField(blank=True, max_length=128)),
                ('break_seq', models.PositiveIntegerField(blank=True, null=True)),
                ('break_problem', models.CharField(blank=True, choices=[('seq_gap', 'an entry is missing or out of order'), ('prev_mismatch', 'it does not link to the entry before it'), ('hash_mismatch', 'its content does not match its hash'), ('seal_missing', 'the chain has no seal'), ('seal_forged', 'the seal was not made with the audit key'), ('truncated', 'the chain ends before its sealed head: entries were removed'), ('unsealed', 'the chain goes past its sealed head: entries were added'), ('head_mismatch', 'the last entry is not the one that was sealed'), ('orphaned', 'the deviation these reviews belong to is gone'), ('trail_missing', 'the whole chain and its seal were removed')], max_length=16)),
            ],
            options={
                'ordering': ['-finished_at', '-id'],
            },
        ),
        migrations.AddField(
            model_name='deviation',
            name='hash',
            field=models.CharField(default='', max_length=64),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name='deviation',
            name='prev_hash',
            field=models.CharField(default='', max_length=64),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name='deviation',
            name='seq',
            field=models.PositiveIntegerField(default=0, help_text="Position in this object's deviation chain."),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name='deviationreview',
            name='hash',
            field=models.CharField(default='', max_length=64),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name='deviationreview',
            name='prev_hash',
            field=models.CharField(default='', max_length=64),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name='deviationreview',
            name='seq',
            field=models.PositiveIntegerField(default=0, help_text="Position in this deviation's review chain."),
            preserve_default=False,
        ),
        migrations.AlterField(
            model_name='notification',
            name='kind',
            field=models.CharField(choices=[('reminder', 'reminder'), ('overdue', 'overdue'), ('escalation', 'escalation'), ('audit_broken', 'audit trail broken')], max_length=16),
        ),
        migrations.AddField(
            model_name='chainseal',
            name='content_type',
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='contenttypes.contenttype'),
        ),
        migrations.AddConstraint(
            model_name='chainseal',
            constraint=models.UniqueConstraint(fields=('chain', 'content_type', 'object_id'), name='chain_seal_unique_chain'),
        ),
        migrations.RunPython(chain_and_seal, migrations.RunPython.noop),
    ]
