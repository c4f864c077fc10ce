"""Reads of the loan domain."""

from __future__ import annotations

from collections import defaultdict

from django.contrib.contenttypes.models import ContentType
from django.db.models import QuerySet

from loans.models import Loan, User
from loans.roles import Capacity
from workflow.models import AuditEvent, Deviation

# The role a transition was performed in, read from the audit trail, is the capacity it gave.
_CAPACITY_OF_ROLE = {capacity.value: capacity for capacity in Capacity}


def loan_participants(loan: Loan) -> dict[int, set[Capacity]]:
    """Everyone involved in ``loan`` so far, with the capacities they were involved in."""
    involved: dict[int, set[Capacity]] = defaultdict(set)
    involved[loan.account_manager_id].add(Capacity.ACCOUNT_MANAGER)
    for lead, co in loan.site_visits.values_list("lead_investigator_id", "co_investigator_id"):
        for person in (lead, co):
            if person is not None:
                involved[person].add(Capacity.INVESTIGATOR)
    events = AuditEvent.objects.filter(
        content_type=ContentType.objects.get_for_model(Loan), object_id=loan.pk
    ).values_list("actor_id", "actor_role")
    for actor_id, role in events:
        if role in _CAPACITY_OF_ROLE:
            involved[actor_id].add(_CAPACITY_OF_ROLE[role])
    return dict(involved)


def loans_visible_to(user: User) -> QuerySet[Loan]:
    """Loans of the branches the user may see (none for a user without a branch)."""
    visible: QuerySet[Loan] = Loan.objects.filter(branch_id__in=user.visible_branch_ids)
    return visible


def deviations_of(loan: Loan) -> QuerySet[Deviation]:
    return Deviation.objects.filter(
        content_type=ContentType.objects.get_for_model(Loan), object_id=loan.pk
    )


def audit_trail_of(loan: Loan) -> QuerySet[AuditEvent]:
    return (
        AuditEvent.objects.filter(
            content_type=ContentType.objects.get_for_model(Loan), object_id=loan.pk
        )
        .select_related("actor")
        .order_by("seq")
    )
