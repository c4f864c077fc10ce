"""Borrowers, the blocked-borrower list and loan applications."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from loans.models import BlockedBorrower, Borrower, Loan, LoanProduct, User
from loans.reference import reference_facts
from loans.services.reference import reference_change_record
from loans.workflow import LoanState
from workflow import timers
from workflow.models import Channel
from workflow.reference import ReferenceAction


def borrower_create(
    *, branch_id: int, kind: str, name: str, id_number: str, **fields: str
) -> Borrower:
    """Create a borrower after validating the identity number (raises ValidationError)."""
    borrower = Borrower(branch_id=branch_id, kind=kind, name=name, id_number=id_number, **fields)
    borrower.full_clean()
    borrower.save()
    return borrower


def _next_reference(now: datetime) -> str:
    year = timezone.localtime(now).year
    prefix = f"LF-{year}-"
    last = (
        Loan.objects.filter(reference__startswith=prefix)
        .order_by("-reference")
        .values_list("reference", flat=True)
        .first()
    )
    number = int(last.removeprefix(prefix)) + 1 if last else 1
    return f"{prefix}{number:06d}"


@transaction.atomic
def loan_create(
    *,
    borrower: Borrower,
    account_manager: User,
    product: LoanProduct | None = None,
    amount: Decimal | None = None,
    term_months: int | None = None,
    purpose: str = "",
    repayment_method: str = "",
    guarantee_type: str = "",
    industry: str = "",
) -> Loan:
    """Open a loan application in intake, in the account manager's branch."""
    if account_manager.branch_id is None:
        raise ValueError("An account manager without a branch cannot open loans.")
    loan: Loan = Loan.objects.create(
        reference=_next_reference(timezone.now()),
        branch_id=account_manager.branch_id,
        borrower=borrower,
        account_manager=account_manager,
        product=product,
        amount=amount,
        term_months=term_months,
        purpose=purpose,
        repayment_method=repayment_method,
        guarantee_type=guarantee_type,
        industry=industry or borrower.industry,
    )
    timers.start_initial(loan)
    return loan


# Stages in which the account manager may still change the application.
EDITABLE_STATES = frozenset({LoanState.INTAKE, LoanState.SITE_VISIT})
APPLICATION_FIELDS = (
    "product",
    "amount",
    "term_months",
    "purpose",
    "repayment_method",
    "guarantee_type",
    "industry",
)


def loan_update_application(*, loan: Loan, **changes: object) -> Loan:
    """Change application fields while the stage allows it (intake, or back at the site visit)."""
    unknown = set(changes) - set(APPLICATION_FIELDS)
    if unknown:
        raise ValueError(f"Not application fields: {', '.join(sorted(unknown))}")
    with transaction.atomic():
        locked: Loan = Loan.objects.select_for_update().get(pk=loan.pk)
        if locked.state not in EDITABLE_STATES:
            raise ValidationError(
                _("The application can only be changed at intake or during the site visit.")
            )
        for name, value in changes.items():
            setattr(locked, name, value)
        locked.full_clean(exclude=["state"])
        locked.save(update_fields=list(changes))
    return locked


@transaction.atomic
def blocked_borrower_add(
    *,
    id_number: str,
    name: str,
    reason: str,
    added_by: User,
    channel: Channel = Channel.SYSTEM,
) -> BlockedBorrower:
    """Put a person or firm on the blocked list; the addition is an audited event."""
    entry: BlockedBorrower = BlockedBorrower.objects.create(
        id_number=id_number.strip().upper(), name=name, reason=reason, added_by=added_by
    )
    reference_change_record(
        obj=entry,
        action=ReferenceAction.CREATED,
        actor=added_by,
        before={},
        after=reference_facts(entry),
        channel=channel,
    )
    return entry
