"""Decision records: each reviewer's and approver's decision with their written opinion, and the
conditions attached to an approval."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from loans.choices import ApprovalOutcome
from loans.models.base import loan_fk, staff_fk
from loans.roles import Role


class ApprovalDecision(models.Model):
    """One decision at approval (an approver's) or at review (a reviewer's return or rejection),
    with the opinion its author wrote (审批意见 / 审查意见), written by the transition it belongs
    to. The reviewer's opinion forwarding a loan is the review's (loans.Review.opinion)."""

    loan = loan_fk(_("loan"), "approval_decisions")
    approver = staff_fk(_("decided by"))
    role = models.CharField(_("role"), max_length=32, choices=Role.choices, default=Role.APPROVER)
    authority_level = models.PositiveSmallIntegerField(_("authority level"), null=True)
    outcome = models.CharField(_("outcome"), max_length=16, choices=ApprovalOutcome.choices)
    opinion = models.TextField(_("opinion"), blank=True)
    decided_at = models.DateTimeField(_("decided at"))

    class Meta:
        verbose_name = _("approval decision")
        verbose_name_plural = _("approval decisions")
        ordering = ["-decided_at", "-id"]

    def __str__(self) -> str:
        return f"{self.loan} {self.outcome} by {self.approver_id}"


class ApprovalCondition(models.Model):
    """A condition of approval that must be fulfilled before the funds are released."""

    loan = loan_fk(_("loan"), "approval_conditions")
    decision = models.ForeignKey(
        ApprovalDecision,
        verbose_name=_("decision"),
        on_delete=models.CASCADE,
        related_name="conditions",
    )
    text = models.CharField(_("condition"), max_length=255)
    fulfilled_at = models.DateTimeField(_("fulfilled at"), null=True, blank=True)
    fulfilled_by = staff_fk(_("fulfilled by"), optional=True)
    fulfilment_note = models.TextField(_("how it was fulfilled"), blank=True)

    class Meta:
        verbose_name = _("approval condition")
        verbose_name_plural = _("approval conditions")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.text

    @property
    def fulfilled(self) -> bool:
        return self.fulfilled_at is not None
