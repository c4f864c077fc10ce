"""Renewal (续贷): a new application for the same borrower, linked to the loan it renews."""

from __future__ import annotations

from loans.models import Loan
from loans.services.applications import loan_create
from loans.states import APPLICATION_FIELDS
from workflow.checks import CheckContext
from workflow.models import Channel


def loan_renew(ctx: CheckContext) -> Loan:
    """Open the renewal in intake with the renewed loan's application, account manager and risk
    class (never better: docs/rules.md ``renewal.risk-class``). It goes through every stage and
    check again; the application can be edited in intake like any other."""
    previous: Loan = ctx.obj
    renewal = loan_create(
        borrower=previous.borrower,
        account_manager=previous.account_manager,
        channel=Channel(ctx.channel) if ctx.channel else Channel.WEB,
        renewal_of=previous,
        **{name: getattr(previous, name) for name in APPLICATION_FIELDS},
    )
    ctx.audit["renewal"] = renewal.reference
    return renewal
