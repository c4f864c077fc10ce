"""Writes that belong to a transition of the collection process, run in its transaction."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from workflow.checks import CheckContext


def promise_keep(ctx: CheckContext) -> None:
    """Keep the promise's amount and date on the case (its input checks passed)."""
    ctx.obj.promised_amount = Decimal(str(ctx.payload["promised_amount"]))
    ctx.obj.promised_date = date.fromisoformat(str(ctx.payload["promised_date"]))
