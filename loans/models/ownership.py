"""Who may act for a loan's account manager: delegates named by a branch head."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from loans.models.base import loan_fk, staff_fk


class Delegation(models.Model):
    """A branch head lets another account manager take the account manager's steps on a loan
    (leave, a heavy caseload). Granted and revoked through the engine, so both are audited."""

    loan = loan_fk(_("loan"), "delegations")
    delegate = staff_fk(_("delegate"))
    granted_by = staff_fk(_("granted by"))
    granted_at = models.DateTimeField(_("granted at"))
    revoked_by = staff_fk(_("revoked by"), optional=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    class Meta:
        verbose_name = _("delegation")
        verbose_name_plural = _("delegations")
        ordering = ["-granted_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["loan", "delegate"],
                condition=models.Q(revoked_at__isnull=True),
                name="one_active_delegation_per_person",
            )
        ]

    def __str__(self) -> str:
        return f"{self.loan} → {self.delegate}"
