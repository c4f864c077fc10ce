"""Reads for the loan page's repayment schedule (templates/loans/_repayment_schedule.html) and
the API's schedule endpoint: each instalment's status, the overdue interest accrued to a date and
what is due on it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from loans.models import Instalment, Loan, RepaymentSchedule
from loans.servicing import schedule_maths as maths

ZERO = Decimal(0)


def instalment_state(row: Instalment) -> maths.InstalmentState:
    """An instalment row as the schedule arithmetic sees it."""
    return maths.InstalmentState(
        maths.Instalment(row.number, row.due_date, row.principal, row.interest),
        principal_paid=row.principal_paid,
        interest_paid=row.interest_paid,
        overdue_interest_charged=row.overdue_interest_charged,
        overdue_interest_paid=row.overdue_interest_paid,
        overdue_charged_to=row.overdue_charged_to,
    )


@dataclass(frozen=True)
class InstalmentRow:
    instalment: Instalment
    status: Promise
    tone: str  # a CSS modifier: paid, due, overdue, partial
    overdue_interest: Decimal = ZERO  # accrued to the day shown and not paid

    @property
    def outstanding(self) -> Decimal:
        return max(self.instalment.total - self.instalment.paid, ZERO)


@dataclass(frozen=True)
class DueNow:
    """What is due on a day: principal and interest of the instalments due by then, unpaid, and
    the overdue interest accrued on them to that day and unpaid."""

    on: date
    principal: Decimal
    interest: Decimal
    overdue_interest: Decimal

    @property
    def total(self) -> Decimal:
        return self.principal + self.interest + self.overdue_interest


def overdue_interest_to(
    schedule: RepaymentSchedule, rows: list[Instalment], day: date, markup: Decimal
) -> dict[int, Decimal]:
    """Each instalment's overdue interest accrued to ``day`` (charged or not yet) and unpaid."""
    found = {}
    for row in rows:
        state = instalment_state(row).charged(day, schedule.rate_fraction, markup)
        found[row.number] = max(state.overdue_interest_charged - state.overdue_interest_paid, ZERO)
    return found


def due_on(rows: list[InstalmentRow], day: date) -> DueNow:
    due = [row for row in rows if row.instalment.due_date <= day]
    return DueNow(
        on=day,
        principal=sum(
            (max(r.instalment.principal - r.instalment.principal_paid, ZERO) for r in due), ZERO
        ),
        interest=sum(
            (max(r.instalment.interest - r.instalment.interest_paid, ZERO) for r in due), ZERO
        ),
        overdue_interest=sum((r.overdue_interest for r in rows), ZERO),
    )


def _status(row: Instalment, today: date) -> tuple[Promise, str]:
    if row.settled:
        return _("paid"), "paid"
    if row.due_date < today:
        return _("overdue"), "overdue"
    if row.paid > 0:
        return _("partly paid"), "partial"
    return _("to pay"), "due"


def instalment_rows(
    schedule: RepaymentSchedule, rows: list[Instalment], day: date, markup: Decimal
) -> list[InstalmentRow]:
    overdue = overdue_interest_to(schedule, rows, day, markup)
    return [InstalmentRow(row, *_status(row, day), overdue[row.number]) for row in rows]


def overdue_markup() -> Decimal:
    """The overdue-interest markup of the policy in force."""
    from loans.policy import current_policy

    return Decimal(current_policy().overdue_interest_markup)


def repayment_schedule_of(loan: Loan, today: date | None = None) -> dict[str, Any] | None:
    """The schedule in force with each instalment's status and overdue interest accrued on
    ``today`` (the bank's local date), what is due on it, the contract's pricing and how many
    versions there are; None before disbursement."""
    schedules = list(loan.schedules.order_by("-version"))
    if not schedules:
        return None
    schedule: RepaymentSchedule = schedules[0]
    day = today or timezone.localdate()
    markup = overdue_markup()
    rows = instalment_rows(schedule, list(schedule.instalments.order_by("number")), day, markup)
    return {
        "schedule": schedule,
        "rows": rows,
        "versions": len(schedules),
        "contract": loan.contract,
        "total_principal": sum((r.instalment.principal for r in rows), ZERO),
        "total_interest": sum((r.instalment.interest for r in rows), ZERO),
        "total_overdue_interest": sum((r.overdue_interest for r in rows), ZERO),
        "due": due_on(rows, day),
        "overdue_rate": schedule.annual_rate * (1 + markup),  # percent a year
        "overdue_markup": markup * 100,  # percent above the contract rate
    }


def schedule_today(schedule: RepaymentSchedule) -> dict[str, Any]:
    """For the API: the overdue interest accrued to today on each instalment and what is due
    today, when ``schedule`` is the one in force (empty for an earlier version)."""
    if RepaymentSchedule.objects.filter(
        loan_id=schedule.loan_id, version__gt=schedule.version
    ).exists():
        return {}
    day = timezone.localdate()
    rows = instalment_rows(schedule, list(schedule.instalments.all()), day, overdue_markup())
    return {
        "overdue_interest": {row.instalment.number: row.overdue_interest for row in rows},
        "due_now": due_on(rows, day),
    }
