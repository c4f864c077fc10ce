"""Reads for the loan page's repayment schedule (templates/loans/_repayment_schedule.html)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from loans.models import Instalment, Loan, RepaymentSchedule


@dataclass(frozen=True)
class InstalmentRow:
    instalment: Instalment
    status: Promise
    tone: str  # a CSS modifier: paid, due, overdue, partial

    @property
    def outstanding(self) -> Decimal:
        return max(self.instalment.total - self.instalment.paid, Decimal(0))


def _status(row: Instalment, today: date) -> tuple[Promise, str]:
    if row.settled:
        return _("paid"), "paid"
    if row.due_date < today:
        return _("overdue"), "overdue"
    if row.paid > 0:
        return _("partly paid"), "partial"
    return _("to pay"), "due"


def repayment_schedule_of(loan: Loan, today: date | None = None) -> dict[str, Any] | None:
    """The schedule in force with each instalment's status on ``today`` (the bank's local date),
    the contract's pricing and how many versions there are; None before disbursement."""
    schedules = list(loan.schedules.order_by("-version"))
    if not schedules:
        return None
    schedule: RepaymentSchedule = schedules[0]
    day = today or timezone.localdate()
    rows = [
        InstalmentRow(row, *_status(row, day)) for row in schedule.instalments.order_by("number")
    ]
    return {
        "schedule": schedule,
        "rows": rows,
        "versions": len(schedules),
        "contract": loan.contract,
        "total_principal": sum((r.instalment.principal for r in rows), Decimal(0)),
        "total_interest": sum((r.instalment.interest for r in rows), Decimal(0)),
    }
