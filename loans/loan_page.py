"""What the loan page offers besides the next steps: the people on the loan and the actions on
it that are neither a record nor a step (editing the application, reassigning, delegating,
confirming an upgrade of the risk class), each offered only when the engine would allow it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.urls import reverse

from loans.action_forms import TARGETS
from loans.models import Inspection, Loan
from workflow.actions import action_options, decide_action

# Actions on the loan as a whole, offered as links to their form.
GENERAL_ACTIONS = (
    "application_edit",
    "loan_renew",
    "loan_reassign",
    "delegate_assign",
    "overdue_mark_technical",
    "restructuring_record",
)


@dataclass(frozen=True)
class Offer:
    label: Any
    url: str
    about: Any = None  # the record it acts on, if any


def general_offers(loan: Loan, user: Any) -> list[Offer]:
    options = action_options(loan, actor=user, names=set(GENERAL_ACTIONS))
    return [
        Offer(option.label, reverse("loans:action", args=[loan.pk, option.name]))
        for option in sorted(options, key=lambda o: GENERAL_ACTIONS.index(o.name))
        if option.allowed
    ]


def record_offers(loan: Loan, user: Any, name: str, records: Any) -> list[Offer]:
    """Action ``name`` on each of ``records`` that ``user`` may perform on it now."""
    offers = []
    for record in records:
        decision = decide_action(loan, name, actor=user, payload={TARGETS[name][1]: record})
        if decision.refusal is None:
            url = reverse("loans:record-action", args=[loan.pk, name, record.pk])
            offers.append(Offer(decision.spec.label if decision.spec else name, url, record))
    return offers


def awaiting_upgrade(loan: Loan) -> list[Inspection]:
    """Inspections proposing a better class than the loan's, not confirmed yet."""
    pending = loan.inspections.filter(
        proposed_class__lt=loan.risk_class, upgrade_confirmed_at__isnull=True
    )
    return list(pending)


def loan_page_offers(loan: Loan, user: Any) -> dict[str, Any]:
    delegations = list(loan.delegations.filter(revoked_at__isnull=True).select_related("delegate"))
    upgrades = awaiting_upgrade(loan)
    return {
        "general_offers": general_offers(loan, user),
        "delegations": delegations,
        "revoke_offers": record_offers(loan, user, "delegate_revoke", delegations),
        # The visit shown on the page, when this person is its co-investigator and it awaits them.
        "confirm_visit": bool(
            record_offers(loan, user, "site_visit_confirm", loan.site_visits.all()[:1])
        ),
        "upgrades": upgrades,
        "upgrade_offers": record_offers(loan, user, "classification_upgrade_confirm", upgrades),
        # A Reveal button by each masked personal fact, for the people who need the full value.
        "may_reveal": decide_action(loan, "personal_data_reveal", actor=user).refusal is None,
        # A renewal and the loan it renews link to each other.
        "renewal_of": loan.renewal_of,
        "renewed_by": list(loan.renewals.all()),
    }
