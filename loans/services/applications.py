"""Borrowers, the blocked-borrower list and loan applications."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from loans import checks
from loans.choices import RiskClass
from loans.models import BlockedBorrower, Borrower, Delegation, Loan, User
from loans.reference import reference_facts
from loans.roles import Role
from loans.services.personal_data import identity_reuse_record
from loans.services.reference import reference_change_record
from loans.states import APPLICATION_INPUT
from workflow import timers
from workflow.checks import CheckContext
from workflow.engine import record_event
from workflow.models import Channel
from workflow.reference import ReferenceAction
from workflow.registry import process_for

IDENTITY_IN_USE = _lazy(
    "This identity number cannot be used for a new borrower. If the person is already a "
    "customer of your branch, choose them in the application form; otherwise ask your branch "
    "head or the compliance officer."
)


def borrower_create(
    *,
    branch_id: int,
    kind: str,
    name: str,
    id_number: str,
    actor: User | None = None,
    channel: Channel = Channel.WEB,
    **fields: str,
) -> Borrower:
    """Create a borrower after validating the identity number (raises ValidationError).

    A number already registered is refused with the same words wherever its borrower is: a
    manager of another branch must not learn that the person borrows there. The attempt is a
    deviation on the registered borrower, which tells compliance who tried and from where.
    """
    borrower = Borrower(branch_id=branch_id, kind=kind, name=name, id_number=id_number, **fields)
    try:
        borrower.full_clean()
    except ValidationError as error:
        registered = _registered_with(borrower, error)
        if registered is None:
            raise
        identity_reuse_record(registered=registered, attempt=borrower, actor=actor, channel=channel)
        raise ValidationError(
            {"id_number": ValidationError(IDENTITY_IN_USE, code="identity_number_in_use")}
        ) from None
    borrower.save()
    return borrower


def _registered_with(borrower: Borrower, error: ValidationError) -> Borrower | None:
    """The borrower already registered with ``borrower``'s number, when that is the error."""
    codes = [e.code for e in getattr(error, "error_dict", {}).get("id_number", [])]
    if "unique" not in codes:
        return None
    return Borrower.objects.filter(id_number=borrower.id_number).select_related("branch").first()


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


def loan_create(
    *,
    borrower: Borrower,
    account_manager: User,
    channel: Channel = Channel.WEB,
    renewal_of: Loan | None = None,
    **application: Any,
) -> Loan:
    """Open a loan application in intake, in the account manager's branch.

    The application's values are judged by the same input checks as an edit of it; the opening
    is the first event of the loan's audit chain. A renewal (``renewal_of``, only through the
    ``loan_renew`` action) is linked to the loan it renews and starts at its risk class.
    """
    if account_manager.branch_id is None:
        raise ValueError("An account manager without a branch cannot open loans.")
    unknown = set(application) - set(APPLICATION_INPUT)
    if unknown:
        raise ValueError(f"Not application fields: {', '.join(sorted(unknown))}")
    if not application.get("industry"):
        application["industry"] = borrower.industry
    now = timezone.now()
    with transaction.atomic():
        loan: Loan = Loan(
            reference=_next_reference(now),
            branch_id=account_manager.branch_id,
            borrower=borrower,
            account_manager=account_manager,
            renewal_of=renewal_of,
            risk_class=renewal_of.risk_class if renewal_of else RiskClass.NORMAL,
            **{name: value for name, value in application.items() if value is not None},
        )
        _judge_entry(loan, account_manager, application, now)
        loan.full_clean(exclude=["state", "reference"])
        process_for(Loan).on_entered(loan, loan.state, now)  # the stage's due date, as its timer's
        loan.save()
        timers.start_initial(loan, now=now)
        record_event(
            loan,
            "application_opened",
            actor=account_manager,
            payload={"borrower": borrower.pk, **application, **_renewal_facts(loan)},
            channel=channel,
            role=Role.ACCOUNT_MANAGER,
            now=now,
        )
    return loan


def _renewal_facts(loan: Loan) -> dict[str, Any]:
    if loan.renewal_of is None:
        return {}
    return {"renewal_of": loan.renewal_of.reference, "risk_class": loan.risk_class}


def _judge_entry(loan: Loan, actor: User, values: dict[str, Any], now: Any) -> None:
    """Raise the input errors of the application's values, as an edit of it would."""
    context = CheckContext(obj=loan, actor=actor, payload=values, policy=None, now=now)
    results = [check.evaluate(context) for check in ENTRY_CHECKS]
    errors: dict[str, list[ValidationError]] = {}
    for result in results:
        if not result.passed:
            errors.setdefault(result.field, []).append(
                ValidationError(result.reason, code=result.code)
            )
    if errors:
        raise ValidationError(errors)


ENTRY_CHECKS = (checks.amount_within_product, checks.term_within_product)


def application_edit(ctx: CheckContext) -> Loan:
    """Change the application (intake only: a loan further on is returned to intake first)."""
    loan: Loan = ctx.obj
    changes = {k: v for k, v in ctx.payload.items() if k in APPLICATION_INPUT}
    if not changes:
        raise ValidationError(_("Nothing was changed."), code="nothing_changed")
    for name, value in changes.items():
        setattr(loan, name, value)
    loan.full_clean(exclude=["state"])
    loan.save(update_fields=list(changes))
    loan.refresh_from_db(fields=list(changes))  # as stored: what the audit snapshot compares
    return loan


def loan_reassign(ctx: CheckContext) -> Loan:
    loan: Loan = ctx.obj
    ctx.audit["previous_account_manager"] = loan.account_manager_id
    loan.account_manager = ctx.payload["account_manager"]
    loan.save(update_fields=["account_manager"])
    return loan


def delegate_assign(ctx: CheckContext) -> Delegation:
    return Delegation.objects.create(
        loan=ctx.obj, delegate=ctx.payload["delegate"], granted_by=ctx.actor, granted_at=ctx.now
    )


def delegate_revoke(ctx: CheckContext) -> Delegation:
    delegation: Delegation = ctx.payload["delegation"]
    delegation.revoked_by = ctx.actor
    delegation.revoked_at = ctx.now
    delegation.save(update_fields=["revoked_by", "revoked_at"])
    return delegation


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
