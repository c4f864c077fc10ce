"""Post-loan writes: inspections, repayments, days past due, and the five-class classification.

Every change of class is appended to the loan's audit chain, with what caused it.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from loans.choices import RiskClass
from loans.classification import floor_for
from loans.models import Inspection, Loan, Repayment, User
from loans.schedule import inspection_plan
from loans.workflow import LoanState
from workflow import timers
from workflow.engine import record_event
from workflow.models import Channel, Timer


def _locked_post_loan(loan: Loan) -> Loan:
    locked: Loan = Loan.objects.select_for_update().get(pk=loan.pk)
    if locked.state != LoanState.POST_LOAN:
        raise ValidationError(_("Only a disbursed loan in post-loan management can be changed."))
    return locked


def _classify(loan: Loan, new: RiskClass, *, actor: User | None, cause: str) -> None:
    """Set the class, and audit the change (call holding the row lock)."""
    if new == loan.risk_class:
        return
    old = RiskClass(loan.risk_class)
    loan.risk_class = new
    loan.save(update_fields=["risk_class"])
    record_event(
        loan,
        "classified",
        actor=actor,
        payload={"from": old.name.lower(), "to": new.name.lower(), "cause": cause},
        channel=Channel.SYSTEM if actor is None else Channel.WEB,
    )


def days_past_due_update(*, loan: Loan, days_past_due: int, actor: User | None = None) -> Loan:
    """Record the days past due (e.g. from the core banking feed); the class never stays better
    than its floor."""
    if days_past_due < 0:
        raise ValidationError({"days_past_due": _("Days past due cannot be negative.")})
    with transaction.atomic():
        locked = _locked_post_loan(loan)
        locked.days_past_due = days_past_due
        locked.save(update_fields=["days_past_due"])
        floor = floor_for(days_past_due)
        if floor > locked.risk_class:
            _classify(locked, floor, actor=actor, cause=f"days_past_due={days_past_due}")
    return locked


def inspection_record(
    *,
    loan: Loan,
    inspector: User,
    kind: str,
    mode: str,
    inspected_at: datetime,
    findings: str,
    funds_used_as_stated: bool,
    proposed_class: RiskClass | None = None,
) -> Inspection:
    """Record an inspection; a proposed class may be worse than the floor, never better."""
    with transaction.atomic():
        locked = _locked_post_loan(loan)
        floor = floor_for(locked.days_past_due)
        if proposed_class is not None and proposed_class < floor:
            raise ValidationError(
                {
                    "proposed_class": _(
                        "With %(days)s days past due the class is at least %(floor)s."
                    )
                    % {"days": locked.days_past_due, "floor": floor.label}
                }
            )
        inspection = Inspection(
            loan=locked,
            inspector=inspector,
            kind=kind,
            mode=mode,
            inspected_at=inspected_at,
            findings=findings,
            funds_used_as_stated=funds_used_as_stated,
            proposed_class=proposed_class,
        )
        inspection.full_clean()
        inspection.save()
        new = RiskClass(max(proposed_class or locked.risk_class, floor))
        _classify(locked, new, actor=inspector, cause=f"inspection={inspection.pk}")
        plan = inspection_plan(locked, last_inspected_at=inspection.inspected_at)
        timers.restart(locked, Timer.Kind.INSPECTION, plan)
    return inspection


def repayment_record(
    *, loan: Loan, principal: Decimal, recorded_by: User, paid_at: datetime | None = None
) -> Repayment:
    with transaction.atomic():
        locked = _locked_post_loan(loan)
        if principal <= 0 or principal > locked.outstanding_balance:
            raise ValidationError(
                {"principal": _("Repay more than zero and at most the outstanding balance.")}
            )
        repayment = Repayment.objects.create(
            loan=locked,
            principal=principal,
            paid_at=paid_at or timezone.now(),
            recorded_by=recorded_by,
        )
        locked.outstanding_balance -= principal
        locked.save(update_fields=["outstanding_balance"])
    return repayment
