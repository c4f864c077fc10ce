"""A collection case on a loan in arrears, its contact attempts and its write-off endorsements.

The case's state machine is declared in recovery/workflow.py; every write to a case goes through
the engine (its transitions and actions), never through ``save()`` elsewhere.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from recovery.states import CaseState, ContactChannel
from recovery.workflow import CaseWorkflow


class CollectionCase(CaseWorkflow):
    loan = models.ForeignKey(
        "loans.Loan",
        verbose_name=_("loan"),
        on_delete=models.PROTECT,
        related_name="collection_cases",
    )
    # The loan's branch and account manager when the case opened: its scope and its owner.
    branch = models.ForeignKey(
        "loans.Branch",
        verbose_name=_("branch"),
        on_delete=models.PROTECT,
        related_name="collection_cases",
    )
    account_manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("account manager"),
        on_delete=models.PROTECT,
        related_name="collection_cases",
    )
    opened_at = models.DateTimeField(_("opened at"))
    days_past_due_at_opening = models.PositiveIntegerField(_("days past due at opening"))
    state_entered_at = models.DateTimeField(_("in this state since"))
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    promised_amount = models.DecimalField(
        _("promised amount (CNY)"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    promised_date = models.DateField(_("promised by"), null=True, blank=True)

    class Meta:
        verbose_name = _("collection case")
        verbose_name_plural = _("collection cases")
        ordering = ["-opened_at", "-id"]
        indexes = [
            # The branch's list, newest first (keyset paging: recovery.views.CASE_ORDER).
            models.Index(fields=["branch", "opened_at", "id"], name="case_branch_newest"),
            models.Index(fields=["branch", "state", "opened_at", "id"], name="case_state_newest"),
        ]
        constraints = [
            # The daily opener is idempotent by its lock; the database refuses a second case too.
            models.UniqueConstraint(
                fields=["loan"],
                condition=~models.Q(state=CaseState.RESOLVED),
                name="one_unresolved_case_per_loan",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.loan.reference} · {self.get_state_display()}"


class ContactAttempt(models.Model):
    """A try at reaching the borrower: needed (reached) before a promise to pay is taken."""

    case = models.ForeignKey(
        CollectionCase,
        verbose_name=_("collection case"),
        on_delete=models.PROTECT,
        related_name="contact_attempts",
    )
    made_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("made by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    contacted_at = models.DateTimeField(_("contacted at"))
    channel = models.CharField(_("channel"), max_length=16, choices=ContactChannel.choices)
    reached = models.BooleanField(_("borrower reached"), default=False)
    notes = models.TextField(_("notes"))
    created_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("contact attempt")
        verbose_name_plural = _("contact attempts")
        ordering = ["-contacted_at", "-id"]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} · {self.contacted_at:%Y-%m-%d}"


class WriteOffEndorsement(models.Model):
    """A top-level approver's agreement to a proposed write-off: two distinct ones are needed."""

    case = models.ForeignKey(
        CollectionCase,
        verbose_name=_("collection case"),
        on_delete=models.PROTECT,
        related_name="endorsements",
    )
    approver = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("approver"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    note = models.TextField(_("note"))
    created_at = models.DateTimeField(_("endorsed at"), auto_now_add=True)

    class Meta:
        verbose_name = _("write-off endorsement")
        verbose_name_plural = _("write-off endorsements")
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["case", "approver"], name="one_endorsement_per_person")
        ]

    def __str__(self) -> str:
        return str(self.approver)
