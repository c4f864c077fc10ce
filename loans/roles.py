"""Staff roles. Each is a Django group of the same name, created by a migration."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    ACCOUNT_MANAGER = "account_manager", _("account manager")
    REVIEWER = "reviewer", _("reviewer")
    APPROVER = "approver", _("approver")
    DISBURSEMENT_OFFICER = "disbursement_officer", _("disbursement officer")
    COMPLIANCE_OFFICER = "compliance_officer", _("compliance officer")
    BRANCH_HEAD = "branch_head", _("branch head")
    ADMINISTRATOR = "administrator", _("administrator")


class Capacity(models.TextChoices):
    """The part a person played in one loan, for separation of duties."""

    ACCOUNT_MANAGER = "account_manager", _("account manager")
    INVESTIGATOR = "investigator", _("site-visit investigator")
    REVIEWER = "reviewer", _("reviewer")
    APPROVER = "approver", _("approver")
    DISBURSEMENT_OFFICER = "disbursement_officer", _("disbursement officer")


class Agent(models.TextChoices):
    """Who acts when no person does: the part the audit trail records for the system's own
    steps (days past due from the daily computation, the classification floors they apply)."""

    SYSTEM = "system", _("the system")
