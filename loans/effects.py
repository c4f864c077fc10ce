"""Writes that belong to a transition, run by the engine inside the transition's transaction."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from loans.checks.facts import CONTRACT
from loans.choices import ApprovalOutcome
from loans.roles import Role
from workflow.checks import CheckContext
from workflow.definition import keeps_facts, reads_facts


def record_decision(
    outcome: ApprovalOutcome, role: Role = Role.APPROVER
) -> Callable[[CheckContext], None]:
    """An effect that records the acting approver's (or reviewer's) decision with the opinion
    they wrote (the payload's ``comment``), and any conditions stated."""

    def effect(ctx: CheckContext) -> None:
        from loans.models import ApprovalCondition, ApprovalDecision

        decision = ApprovalDecision.objects.create(
            loan=ctx.obj,
            approver=ctx.actor,
            role=role,
            authority_level=ctx.actor.authority_level if role == Role.APPROVER else None,
            outcome=outcome,
            opinion=str(ctx.payload.get("comment", "")).strip(),
            decided_at=ctx.now,
        )
        if outcome == ApprovalOutcome.APPROVED:
            ApprovalCondition.objects.bulk_create(
                ApprovalCondition(loan=ctx.obj, decision=decision, text=text.strip())
                for text in ctx.payload.get("conditions", [])
            )

    effect.__name__ = f"record_{role}_{outcome}_decision"
    return effect


@keeps_facts
def pay_drawdowns(ctx: CheckContext) -> None:
    """Pay the pending drawdowns; the loan's balance becomes what has been paid out (saved with
    the loan by the engine). The drawdowns are those the step's checks read under the lock."""
    from loans.checks.disbursement import drawdowns

    loan = ctx.obj
    records = drawdowns(ctx)
    loan.drawdowns.filter(pk__in=[d.pk for d in records if d.paid_at is None]).update(
        paid_at=ctx.now
    )
    loan.outstanding_balance = sum((d.amount for d in records), Decimal(0))


@keeps_facts
@reads_facts(CONTRACT)
def make_schedule(ctx: CheckContext) -> None:
    """Make the loan's first repayment schedule from the amount paid out (after
    ``pay_drawdowns``), its term and repayment method, and the contract's rate."""
    from loans.services.servicing import schedule_create

    schedule_create(ctx)
