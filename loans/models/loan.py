"""The loan: its application fields, and the state machine declared in loans/workflow.py."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from loans.choices import GuaranteeType, Industry, RepaymentMethod, RiskClass
from loans.models.disbursement import Contract
from loans.states import NO_DEADLINE
from loans.workflow import LoanWorkflow


class Loan(LoanWorkflow):
    reference = models.CharField(_("reference"), max_length=32, unique=True)
    # Every step updates the loan's state, so each of its indexes takes an entry per step: none
    # that another covers. The branch and the account manager lead indexes of their own (Meta).
    branch = models.ForeignKey(
        "loans.Branch",
        verbose_name=_("branch"),
        on_delete=models.PROTECT,
        related_name="loans",
        db_index=False,
    )
    borrower = models.ForeignKey(
        "loans.Borrower", verbose_name=_("borrower"), on_delete=models.PROTECT, related_name="loans"
    )
    account_manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("account manager"),
        on_delete=models.PROTECT,
        related_name="managed_loans",
        db_index=False,
    )
    # The application. Blank until the account manager completes it; a check insists before
    # the loan leaves intake.
    product = models.ForeignKey(
        "loans.LoanProduct",
        verbose_name=_("product"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="loans",
    )
    amount = models.DecimalField(
        _("amount (CNY)"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    term_months = models.PositiveSmallIntegerField(_("term (months)"), null=True, blank=True)
    purpose = models.TextField(_("purpose"), blank=True)
    repayment_method = models.CharField(
        _("repayment method"), max_length=32, choices=RepaymentMethod.choices, blank=True
    )
    guarantee_type = models.CharField(
        _("guarantee type"), max_length=32, choices=GuaranteeType.choices, blank=True
    )
    industry = models.CharField(_("industry"), max_length=1, choices=Industry.choices, blank=True)
    # Pricing: the rate proposed is the LPR plus this spread (loans/servicing/pricing.py)
    rate_spread_bps = models.SmallIntegerField(
        _("spread over the LPR (basis points)"),
        null=True,
        blank=True,
        help_text=_("Empty: the product's floor spread."),
    )

    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    state_entered_at = models.DateTimeField(_("in this stage since"), auto_now_add=True)
    # The running stage timer's due date, kept on the loan by the engine's step that starts the
    # timer (LoanProcess.on_entered), so the queue's default order pages along an index.
    stage_due_at = models.DateTimeField(
        _("stage due at"), default=NO_DEADLINE, db_default=NO_DEADLINE
    )
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)
    disbursed_at = models.DateTimeField(_("disbursed at"), null=True, blank=True)
    # Post-loan
    outstanding_balance = models.DecimalField(
        _("outstanding balance (CNY)"), max_digits=14, decimal_places=2, default=Decimal(0)
    )
    days_past_due = models.PositiveIntegerField(_("days past due"), default=0)
    risk_class = models.PositiveSmallIntegerField(
        _("classification"), choices=RiskClass.choices, default=RiskClass.NORMAL
    )
    # A reviewer marked the current overdue as technical (the bank's own doing): its days past
    # due set no floor. The mark ends with the overdue (days past due back to zero).
    overdue_technical = models.BooleanField(_("technical overdue"), default=False)
    # The system raised the class to substandard because more than 10 % of a non-retail
    # borrower's other claims are non-performing (loans/classification.py): such a loan does not
    # count among the claims non-performing on their own. Any other change of class clears it.
    classified_with_borrower = models.BooleanField(
        _("non-performing with the borrower's other claims"), default=False
    )
    # A restructured loan stays at least special mention while observed (loans/classification.py);
    # the observation restarts when it falls into arrears again.
    restructured_at = models.DateTimeField(_("restructured at"), null=True, blank=True)
    observed_since = models.DateTimeField(_("observed since"), null=True, blank=True)
    # An extension (展期) moved the maturity later: the months all approved extensions added, and
    # when the latest was approved (loans/models/extension.py). Shown as a signal, not a class.
    extension_months = models.PositiveSmallIntegerField(
        _("months extended"), default=0, db_default=0
    )
    extended_at = models.DateTimeField(_("extended at"), null=True, blank=True)
    # A renewal (续贷) is a new application for the same borrower, linked to the loan it renews.
    renewal_of = models.ForeignKey(
        "self",
        verbose_name=_("renewal of"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="renewals",
    )

    class Meta:
        verbose_name = _("loan")
        verbose_name_plural = _("loans")
        ordering = ["-created_at", "-id"]
        # Each list's order, after its filters, ends with the id: keyset paging reads a page along
        # one of these (loans.keyset). The stage counts read the (branch, state) prefix.
        indexes = [
            # The state alone (the state field has no index of its own: no text pattern index).
            models.Index(fields=["state"], name="loan_state"),
            models.Index(fields=["branch", "created_at", "id"], name="loan_branch_newest"),
            models.Index(fields=["branch", "state", "created_at", "id"], name="loan_stage_newest"),
            models.Index(
                fields=["branch", "state", "state_entered_at", "id"], name="loan_stage_waiting"
            ),
            # A manager's loans of a stage, the earliest due first: the pipeline's columns and the
            # navigation's counts of their open and overdue loans (loans/inbox.py).
            models.Index(
                fields=["account_manager", "state", "stage_due_at", "id"],
                name="loan_manager_stage_due",
            ),
            # A manager's loans disbursed in a period, the latest first: the scorecard's drill-downs
            # (one page along it) and its measurement.
            models.Index(
                fields=["account_manager", "disbursed_at", "id"], name="loan_manager_disbursed"
            ),
            models.Index(fields=["branch", "state", "stage_due_at", "id"], name="loan_stage_due"),
            # An approver's loans above their authority (loans/inbox.py): few, found by amount.
            models.Index(fields=["branch", "state", "amount"], name="loan_stage_amount"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(amount__isnull=True) | models.Q(amount__gt=0),
                name="loan_amount_positive",
            ),
        ]

    def __str__(self) -> str:
        return self.reference

    def get_absolute_url(self) -> str:
        """The loan's page (a notification about the loan links to it)."""
        return reverse("loans:detail", args=[self.pk])

    @property
    def contract(self) -> Contract | None:
        """The contract in force: the latest version recorded."""
        return self.contracts.order_by("-version").first()
