"""Checks of a loan's rows of one core-banking file, applied in one step (``core_feed_apply``).

Each applies the rule of a single write to every row the step carries, through that write's own
check (one enforcer per rule): the repayments' dates and amounts (``post-loan.repayment``) and the
days past due (``classification.floors``). The step's payload: ``repayments``, a list of
``{"principal", "paid_at"}`` in the order they are applied, and ``days_past_due`` when the file
gives the loan a figure.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext_lazy as _

from loans.checks.classification import CLAUSE_FLOORS, days_past_due_given
from loans.checks.entry import repayment_dated, repayment_within_balance
from workflow.checks import CheckContext, CheckKind, Outcome, check, failed, passed

CLAUSE_REPAYMENT = "post-loan.repayment"
NOT_REPAYMENTS = _("Each repayment states its amount and the moment it was paid.")


def _repayments(ctx: CheckContext) -> list[Mapping[str, Any]] | None:
    """The step's repayments, or None when they are not amounts and moments."""
    given = ctx.payload.get("repayments") or []
    if not isinstance(given, list | tuple):
        return None
    for repayment in given:
        if not (
            isinstance(repayment, Mapping)
            and isinstance(repayment.get("principal"), Decimal)
            and isinstance(repayment.get("paid_at"), datetime)
        ):
            return None
    return list(given)


@check(
    code="feed_repayments_dated",
    title=_("Each repayment of the file is dated on or after the disbursement, not in the future"),
    clause=CLAUSE_REPAYMENT,
    kind=CheckKind.INPUT,
    field="repayments",
)
def feed_repayments_dated(ctx: CheckContext) -> Outcome:
    repayments = _repayments(ctx)
    if repayments is None:
        return failed(NOT_REPAYMENTS)
    for repayment in repayments:
        outcome = repayment_dated.function(replace(ctx, payload=repayment))
        if not outcome.passed:
            return outcome
    return passed()


@check(
    code="feed_repayments_within_balance",
    title=_("The repayments of the file together are at most what the loan can be repaid"),
    clause=CLAUSE_REPAYMENT,
    kind=CheckKind.INPUT,
    field="repayments",
)
def feed_repayments_within_balance(ctx: CheckContext) -> Outcome:
    """Each above zero, and together at most the balance (on a loan with a schedule, what can be
    repaid on the day of the last one), judged by ``repayment_within_balance``."""
    repayments = _repayments(ctx)
    if repayments is None:
        return failed(NOT_REPAYMENTS)
    if not repayments:
        return passed()
    for repayment in repayments:
        if repayment["principal"] <= 0:
            return repayment_within_balance.function(replace(ctx, payload=repayment))
    total = sum((repayment["principal"] for repayment in repayments), Decimal(0))
    last = max(repayment["paid_at"] for repayment in repayments)
    return repayment_within_balance.function(
        replace(ctx, payload={"principal": total, "paid_at": last})
    )


@check(
    code="feed_days_past_due_given",
    title=_("The days past due the file gives are a whole number of zero or more"),
    clause=CLAUSE_FLOORS,
    kind=CheckKind.INPUT,
    field="days_past_due",
)
def feed_days_past_due_given(ctx: CheckContext) -> Outcome:
    if "days_past_due" not in ctx.payload:
        return passed()
    return days_past_due_given.function(ctx)
