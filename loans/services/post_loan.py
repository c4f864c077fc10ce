"""Post-loan writes: inspections, repayments, days past due, and the five-class classification.

Every change of class is appended to the loan's audit chain, with what caused it. A class worse
than the loan's applies at once; a better one (an upgrade) proposed by an inspection waits for a
reviewer or approver other than the inspector to confirm it.
"""

from __future__ import annotations

from datetime import datetime

from django.db.models import Max

from loans.checks.facts import BORROWER_CLAIMS, borrower_floor
from loans.choices import EarlyRepaymentOption, RiskClass
from loans.classification import effective_floor
from loans.models import Inspection, Loan, Repayment, User
from loans.schedule import inspection_plan
from loans.services.records import validated
from loans.services.servicing import repayment_allocate
from workflow import timers
from workflow.actions import ActionStep, perform_actions
from workflow.checks import CheckContext
from workflow.definition import reads_facts
from workflow.models import Channel, Timer

CLASSIFIED = ["risk_class", "classified_with_borrower"]


def classify(
    loan: Loan, new: RiskClass, *, cause: str, by_borrower: bool = False, save: bool = True
) -> dict[str, str] | None:
    """Set the class (call holding the row lock); return the change for the audit event.
    ``by_borrower``: only the borrower's other claims set it (classification.non-retail-share);
    such a class does not count among the borrower's claims non-performing on their own.
    ``save`` False: the caller saves ``CLASSIFIED`` (with other loans')."""
    if new == loan.risk_class:
        return None
    old = RiskClass(loan.risk_class)
    loan.risk_class = new
    loan.classified_with_borrower = by_borrower
    if save:
        loan.save(update_fields=CLASSIFIED)
    return {"from": old.name.lower(), "to": new.name.lower(), "cause": cause}


def days_past_due_update(*, loan: Loan, days_past_due: int, actor: User | None = None) -> Loan:
    """Record the days past due (the core banking system's or the daily computation's figure)
    through the engine, and apply the classification floor they set, in one transaction.

    ``actor`` None is the system. The same figure again changes nothing and writes no event. Raises
    ``InvalidInput`` (a ``ValidationError``) for a negative figure and ``TransitionRefused``
    (a deviation recorded) when the loan is not in post-loan management.
    """
    perform_actions(days_past_due_steps(loan, days_past_due, actor=actor), channel=Channel.SYSTEM)
    fed: Loan = Loan.objects.get(pk=loan.pk)
    return fed


def days_past_due_steps(loan: Loan, days_past_due: int, *, actor: User | None) -> list[ActionStep]:
    """The engine's steps that feed one loan its days past due: the figure, then the system's
    classification floor (loans/workflow.py)."""
    return [
        ActionStep(loan, "days_past_due_update", actor, {"days_past_due": days_past_due}),
        ActionStep(
            loan, "classification_floor_apply", None, {"cause": f"days_past_due={days_past_due}"}
        ),
    ]


@reads_facts(*BORROWER_CLAIMS)
def inspection_record(ctx: CheckContext) -> Inspection:
    """Record an inspection; a worse class applies now, a better one waits for confirmation."""
    loan, data = ctx.obj, ctx.payload
    inspection = validated(
        Inspection(
            loan=loan,
            inspector=ctx.actor,
            kind=data["kind"],
            mode=data["mode"],
            inspected_at=data["inspected_at"],
            findings=data["findings"],
            funds_used_as_stated=data["funds_used_as_stated"],
            proposed_class=data.get("proposed_class"),
        )
    )
    proposed = data.get("proposed_class")
    own = max(
        proposed or loan.risk_class, loan.risk_class, effective_floor(loan, ctx.policy, ctx.now)
    )
    by_borrower = borrower_floor(ctx)
    new = RiskClass(max(own, by_borrower))
    ctx.audit["classified"] = classify(
        loan, new, cause=f"inspection={inspection.pk}", by_borrower=by_borrower > own
    )
    if proposed is not None and proposed < loan.risk_class:
        ctx.audit["upgrade_proposed"] = RiskClass(proposed).name.lower()
    reschedule_inspection(loan)
    return inspection


def classification_upgrade_confirm(ctx: CheckContext) -> Inspection:
    inspection: Inspection = ctx.payload["record"]
    inspection.upgrade_confirmed_by = ctx.actor
    inspection.upgrade_confirmed_at = ctx.now
    inspection.save(update_fields=["upgrade_confirmed_by", "upgrade_confirmed_at"])
    assert inspection.proposed_class is not None  # noqa: S101 - checked by the action
    ctx.audit["classified"] = classify(
        ctx.obj, RiskClass(inspection.proposed_class), cause=f"inspection={inspection.pk}"
    )
    reschedule_inspection(ctx.obj)
    return inspection


def reschedule_inspection(loan: Loan) -> None:
    """The next inspection follows the latest one in force, at the interval of the loan's class."""
    last = loan.inspections.order_by("-inspected_at").first()
    plan = inspection_plan(loan, last_inspected_at=last.inspected_at if last else None)
    timers.restart(loan, Timer.Kind.INSPECTION, plan)


def inspections_reschedule(loans: list[Loan], now: datetime) -> None:
    """``reschedule_inspection`` for several loans: their latest inspections read in one
    statement, their inspection timers replaced in another."""
    if not loans:
        return
    latest = dict(
        Inspection._default_manager.filter(loan__in=loans)
        .values("loan_id")
        .annotate(last=Max("inspected_at"))
        .values_list("loan_id", "last")
    )
    plans = [inspection_plan(loan, last_inspected_at=latest.get(loan.pk)) for loan in loans]
    timers.restart_many(list(loans), Timer.Kind.INSPECTION, plans, now)


def repayment_record(ctx: CheckContext) -> Repayment:
    loan = ctx.obj
    repayment = validated(
        Repayment(
            loan=loan,
            principal=ctx.payload["principal"],
            paid_at=ctx.payload.get("paid_at") or ctx.now,
            early_repayment=ctx.payload.get("early_repayment") or EarlyRepaymentOption.REAMORTISE,
            recorded_by=ctx.actor,
        )
    )
    # Allocated to the schedule's instalments: only the principal part lowers the balance.
    loan.outstanding_balance -= repayment_allocate(ctx, repayment)
    loan.save(update_fields=["outstanding_balance"])
    return repayment
