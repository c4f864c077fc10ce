"""Entrusted payment is the default: a direct payment records the ground the bank consents to,
and the policy holds the limits of the grounds that have one."""

from decimal import Decimal
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('loans', '0009_core_banking_feed_imports'),
    ]

    operations = [
        # The old "entrusted payment above" amount (default 500,000) becomes the limit of direct
        # payment for business use, so versions already in force keep their figure.
        migrations.RenameField(
            model_name='policyversion',
            old_name='entrusted_payment_threshold',
            new_name='direct_payment_business_use_limit',
        ),
        migrations.AddField(
            model_name='drawdown',
            name='direct_payment_ground',
            field=models.CharField(blank=True, choices=[('unknown_counterparty', 'the counterparty cannot be known in advance'), ('no_non_cash', 'the counterparty cannot take non-cash payment'), ('business_use', 'the loan is for business use')], max_length=24, verbose_name='ground for direct payment'),
        ),
        migrations.AlterField(
            model_name='policyversion',
            name='direct_payment_business_use_limit',
            field=models.DecimalField(decimal_places=2, default=Decimal('500000'), max_digits=14, verbose_name='direct payment for business use up to (CNY)'),
        ),
        migrations.AddField(
            model_name='policyversion',
            name='direct_payment_unknown_counterparty_limit',
            field=models.DecimalField(decimal_places=2, default=Decimal('300000'), max_digits=14, verbose_name='direct payment, counterparty unknown, up to (CNY)'),
        ),
    ]
