"""A credit-report authorisation stores the borrower's written consent and its purpose.

Authorisations recorded before were the borrower's signed form for the application: they are
kept as written consents to query for reviewing the loan application."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("loans", "0010_direct_payment_grounds_and_limits"),
    ]

    operations = [
        migrations.AddField(
            model_name="creditauthorisation",
            name="written_consent",
            field=models.BooleanField(
                default=True,
                help_text="A consent given orally or by a third party does not authorise a query.",
                verbose_name="the borrower consented in writing",
            ),
            preserve_default=False,
        ),
        migrations.AlterField(
            model_name="creditauthorisation",
            name="written_consent",
            field=models.BooleanField(
                default=False,
                help_text="A consent given orally or by a third party does not authorise a query.",
                verbose_name="the borrower consented in writing",
            ),
        ),
        migrations.AddField(
            model_name="creditauthorisation",
            name="purpose",
            field=models.CharField(
                choices=[
                    ("loan_application", "reviewing this loan application"),
                    ("guarantor", "reviewing the borrower as a guarantor"),
                    ("post_loan", "post-loan risk management"),
                ],
                default="loan_application",
                max_length=24,
                verbose_name="purpose",
            ),
            preserve_default=False,
        ),
    ]
