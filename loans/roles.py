"""Staff roles. Each is a Django group of the same name, created by a migration and made again
after every ``migrate`` or ``flush`` that finds one missing (:func:`ensure_role_groups`)."""

from typing import Any

from django.apps import apps as global_apps
from django.db import DEFAULT_DB_ALIAS, models
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


def ensure_role_groups(
    using: str = DEFAULT_DB_ALIAS, apps: Any = global_apps, **kwargs: Any
) -> None:
    """Create the group of every role that has none (``post_migrate``, as Django makes its
    permissions): ``manage.py flush`` empties the groups table, and an installation without its
    roles' groups can give no one a role. The admin never lets a role's group be renamed or
    deleted (loans/admin.py), so nothing else removes one."""
    try:
        group = apps.get_model("auth", "Group")
    except LookupError:  # auth not migrated yet
        return
    existing = set(group.objects.using(using).values_list("name", flat=True))
    missing = [group(name=role.value) for role in Role if role.value not in existing]
    if missing:
        group.objects.using(using).bulk_create(missing)
