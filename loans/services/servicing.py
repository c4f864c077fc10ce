"""Servicing writes: the schedule made at disbursement, repayments allocated to its instalments
(an early repayment makes a new schedule version), and the daily days-past-due refresh.

The schedule and the allocations are written inside the engine's step (the disburse effect and
the repayment action, loans/workflow.py); the days past due only through
``loans.services.days_past_due_update``. The arithmetic: loans/servicing/schedule_maths.py.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from django.utils import timezone

from loans.checks.entry import local_day
from loans.checks.facts import latest_contract
from loans.models import (
    Instalment,
    Loan,
    Repayment,
    RepaymentAllocation,
    RepaymentSchedule,
)
from loans.models.servicing import ScheduleReason
from loans.servicing import pricing
from loans.servicing import schedule_maths as maths
from loans.servicing.selectors import instalment_state
from loans.states import LoanState
from workflow.checks import CheckContext

logger = logging.getLogger(__name__)
ZERO = Decimal(0)


# The schedule in force and its instalments read for several loans at once (a batch of the
# core-banking feed, ``schedules_read_for``): kept on the loan as a fact of its file, so the first
# write to the file drops it with the others (``loans.checks.facts.forget``).
SCHEDULE_READ = "file_schedule_in_force"
ROWS_READ = "instalments_read"


def current_schedule(loan: Loan) -> RepaymentSchedule | None:
    if SCHEDULE_READ in loan.__dict__:
        read: RepaymentSchedule | None = loan.__dict__[SCHEDULE_READ]
        return read
    return loan.schedules.order_by("-version").first()


def _rows(schedule: RepaymentSchedule) -> list[Instalment]:
    if ROWS_READ in schedule.__dict__:
        read: list[Instalment] = schedule.__dict__[ROWS_READ]
        return read
    return list(schedule.instalments.order_by("number"))


def schedules_read_for(loans: Sequence[Loan]) -> None:
    """Read the schedules in force of ``loans`` and their instalments, two statements for all,
    and keep them on the loans for ``current_schedule`` until their files are next written."""
    latest: dict[int, RepaymentSchedule] = {}
    for schedule in RepaymentSchedule.objects.filter(loan__in=loans).order_by("loan_id", "version"):
        latest[schedule.loan_id] = schedule
    rows: dict[int, list[Instalment]] = {schedule.pk: [] for schedule in latest.values()}
    if rows:
        for row in Instalment.objects.filter(schedule__in=list(rows)).order_by(
            "schedule_id", "number"
        ):
            rows[row.schedule_id].append(row)
    for loan in loans:
        in_force = latest.get(loan.pk)
        loan.__dict__[SCHEDULE_READ] = in_force
        if in_force is not None:
            in_force.__dict__[ROWS_READ] = rows[in_force.pk]


def schedule_forget(loan: Loan) -> None:
    """Drop the schedule read with ``schedules_read_for``: the next read is the database's."""
    loan.__dict__.pop(SCHEDULE_READ, None)


def _save_version(
    loan: Loan,
    *,
    rows: list[maths.Instalment],
    previous: list[Instalment],
    reason: ScheduleReason,
    principal: Decimal,
    annual_rate: Decimal,
    start: date,
    now: datetime,
    repayment: Repayment | None = None,
    version: int | None = None,
) -> RepaymentSchedule:
    """Save ``rows`` as the loan's next schedule version (``version`` when the caller knows it),
    carrying over what was paid on instalments that keep their number and due date."""
    if version is None:
        latest = current_schedule(loan)
        version = latest.version + 1 if latest else 1
    schedule = RepaymentSchedule.objects.create(
        loan=loan,
        version=version,
        reason=reason,
        principal=principal,
        annual_rate=annual_rate,
        method=loan.repayment_method,
        start_date=start,
        created_at=now,
        repayment=repayment,
    )
    paid = {row.number: row for row in previous}
    instalments = []
    for row in rows:
        kept = paid.get(row.number)
        carried = kept is not None and kept.settled and kept.due_date == row.due_date
        instalments.append(
            Instalment(
                schedule=schedule,
                number=row.number,
                due_date=row.due_date,
                principal=row.principal,
                interest=row.interest,
                principal_paid=kept.principal_paid if carried and kept else Decimal(0),
                interest_paid=kept.interest_paid if carried and kept else Decimal(0),
                overdue_interest_charged=kept.overdue_interest_charged
                if carried and kept
                else Decimal(0),
                overdue_interest_paid=kept.overdue_interest_paid
                if carried and kept
                else Decimal(0),
                overdue_charged_to=kept.overdue_charged_to if carried and kept else None,
            )
        )
    Instalment.objects.bulk_create(instalments)
    return schedule


def schedule_create(ctx: CheckContext) -> None:
    """The disburse step's effect: the first schedule version, for the amount paid out, at the
    contract's rate (priced now when a contract predates pricing)."""
    loan: Loan = ctx.obj
    amount = loan.outstanding_balance
    if amount <= 0 or not loan.term_months or not loan.repayment_method:
        return
    start = local_day(ctx.now)
    contract = latest_contract(ctx)  # read with the row lock
    rate = contract.annual_rate if contract and contract.annual_rate is not None else None
    if rate is None:
        rate = pricing.price(loan, ctx.policy, start).annual_rate
    rows = maths.schedule(
        amount=amount,
        annual_rate=rate / 100,
        term_months=loan.term_months,
        method=loan.repayment_method,
        start=start,
    )
    schedule = _save_version(
        loan,
        rows=rows,
        previous=[],
        reason=ScheduleReason.DISBURSEMENT,
        principal=amount,
        annual_rate=rate,
        start=start,
        now=ctx.now,
        # A loan is disbursed once: its first schedule (the unique version refuses a second).
        version=1,
    )
    ctx.audit["schedule"] = {"version": schedule.version, "instalments": len(rows)}


INSTALMENT_PAID = (
    "principal_paid",
    "interest_paid",
    "overdue_interest_charged",
    "overdue_interest_paid",
    "overdue_charged_to",
)


def repayment_allocate(ctx: CheckContext, repayment: Repayment) -> Decimal:
    """Allocate a repayment to the schedule in force; return the principal it repaid. Without a
    schedule (a loan disbursed before schedules), all of it is principal."""
    schedule = current_schedule(ctx.obj)
    if schedule is None:
        return Decimal(repayment.principal)
    rows = _rows(schedule)
    result, allocations = _allocated(ctx, schedule, rows, repayment)
    Instalment.objects.bulk_update(rows, INSTALMENT_PAID)
    RepaymentAllocation.objects.bulk_create(allocations)
    ctx.audit["allocated"] = [_allocation_record(a) for a in allocations]
    if result.prepaid > 0:
        _remake(ctx, schedule, rows, result, repayment)
    return sum((a.principal for a in allocations), Decimal(0))


def repayments_allocate(ctx: CheckContext, repayments: list[Repayment]) -> Decimal:
    """Allocate several repayments (saved, in the order they were paid) as ``repayment_allocate``
    does one after the other, reading the schedule once and writing its instalments and the
    allocations once (again after a repayment made a new schedule version); return the principal
    they repaid together."""
    schedule = current_schedule(ctx.obj)
    if schedule is None:
        return sum((Decimal(r.principal) for r in repayments), Decimal(0))
    rows = _rows(schedule)
    pending: list[RepaymentAllocation] = []
    every: list[RepaymentAllocation] = []
    for index, repayment in enumerate(repayments):
        result, allocations = _allocated(ctx, schedule, rows, repayment)
        pending += allocations
        if result.prepaid > 0 or index == len(repayments) - 1:
            Instalment.objects.bulk_update(rows, INSTALMENT_PAID)
            RepaymentAllocation.objects.bulk_create(pending)
            every += pending
            pending = []
        if result.prepaid > 0:
            # The new version starts from the balance before this repayment: the earlier ones
            # of the batch taken off for the moment (the caller lowers the balance by them all).
            earlier = sum((a.principal for a in every if a.repayment_id != repayment.pk), ZERO)
            ctx.obj.outstanding_balance -= earlier
            _remake(ctx, schedule, rows, result, repayment)
            ctx.obj.outstanding_balance += earlier
            schedule = current_schedule(ctx.obj)
            assert schedule is not None  # noqa: S101 - just made
            rows = _rows(schedule)
    ctx.audit["allocated"] = [{"repayment": a.repayment_id, **_allocation_record(a)} for a in every]
    return sum((a.principal for a in every), Decimal(0))


@dataclass(frozen=True)
class Allocated:
    """Repayments allocated in memory (``repayments_allocated``), for the caller to write."""

    instalments: list[Instalment]  # those whose paid amounts changed
    allocations: list[RepaymentAllocation]
    principal: Decimal  # the principal repaid


def repayments_allocated(ctx: CheckContext, repayments: list[Repayment]) -> Allocated | None:
    """What ``repayments_allocate`` writes for ``repayments`` (saved, in the order paid), computed
    without writing, so that a batch of loans writes its instalments and allocations together;
    None when one of them repays principal ahead of the schedule (a new schedule version: use
    ``repayments_allocate``, after ``schedule_forget``)."""
    schedule = current_schedule(ctx.obj)
    if schedule is None:
        return Allocated([], [], sum((Decimal(r.principal) for r in repayments), Decimal(0)))
    rows = _rows(schedule)
    before = {row.pk: [getattr(row, name) for name in INSTALMENT_PAID] for row in rows}
    every: list[RepaymentAllocation] = []
    for repayment in repayments:
        result, allocations = _allocated(ctx, schedule, rows, repayment)
        if result.prepaid > 0:
            return None
        every += allocations
    changed = [row for row in rows if [getattr(row, n) for n in INSTALMENT_PAID] != before[row.pk]]
    ctx.audit["allocated"] = [{"repayment": a.repayment_id, **_allocation_record(a)} for a in every]
    return Allocated(changed, every, sum((a.principal for a in every), Decimal(0)))


def _allocated(
    ctx: CheckContext, schedule: RepaymentSchedule, rows: list[Instalment], repayment: Repayment
) -> tuple[maths.AllocationResult, list[RepaymentAllocation]]:
    """Allocate ``repayment`` to ``rows`` (changed in memory); its allocation rows, unsaved."""
    paid_on = local_day(repayment.paid_at)
    result = maths.allocate(
        [instalment_state(row) for row in rows],
        amount=repayment.principal,
        paid_on=paid_on,
        annual_rate=schedule.rate_fraction,
        overdue_markup=ctx.policy.overdue_interest_markup,
    )
    by_number = {row.number: row for row in rows}
    for state in result.states:
        row = by_number[state.instalment.number]
        row.principal_paid, row.interest_paid = state.principal_paid, state.interest_paid
        row.overdue_interest_charged = state.overdue_interest_charged
        row.overdue_interest_paid = state.overdue_interest_paid
        row.overdue_charged_to = state.overdue_charged_to
    allocations = [
        RepaymentAllocation(
            repayment=repayment,
            instalment=by_number[a.number],
            number=a.number,
            paid_on=paid_on,
            overdue_interest=a.overdue_interest,
            interest=a.interest,
            principal=a.principal,
        )
        for a in result.allocations
    ]
    if result.prepaid > 0:
        allocations.append(
            RepaymentAllocation(
                repayment=repayment, paid_on=paid_on, principal=result.prepaid, number=None
            )
        )
    return result, allocations


def _allocation_record(allocation: RepaymentAllocation) -> dict[str, object]:
    return {
        "instalment": allocation.number,
        "overdue_interest": str(allocation.overdue_interest),
        "interest": str(allocation.interest),
        "principal": str(allocation.principal),
    }


def repayment_unallocate(repayment: Repayment) -> Decimal:
    """Undo a cancelled repayment's allocations on the instalments (the allocation rows stay as
    history; days past due no longer count them); return the principal it had repaid."""
    allocations = list(repayment.allocations.select_related("instalment"))
    if not allocations:
        return Decimal(repayment.principal)
    for allocation in allocations:
        row = allocation.instalment
        if row is None:
            continue
        row.overdue_interest_paid -= allocation.overdue_interest
        row.interest_paid -= allocation.interest
        row.principal_paid -= allocation.principal
        row.save(update_fields=["overdue_interest_paid", "interest_paid", "principal_paid"])
    return sum((a.principal for a in allocations), Decimal(0))


def most_payable(loan: Loan, on: date, policy: object) -> Decimal | None:
    """The most a repayment on ``on`` can be: what is due and the next instalment, with overdue
    interest, plus the principal left; None for a loan without a schedule."""
    schedule = current_schedule(loan)
    if schedule is None:
        return None
    result = maths.allocate(
        [instalment_state(row) for row in _rows(schedule)],
        amount=Decimal("1e12"),
        paid_on=on,
        annual_rate=schedule.rate_fraction,
        overdue_markup=getattr(policy, "overdue_interest_markup", Decimal("0.5")),
    )
    taken = sum((a.total for a in result.allocations), Decimal(0))
    return taken + sum((s.principal_due for s in result.states), Decimal(0))


def _remake(
    ctx: CheckContext,
    schedule: RepaymentSchedule,
    rows: list[Instalment],
    result: maths.AllocationResult,
    repayment: Repayment,
) -> None:
    new_rows = maths.remade(
        result.states,
        prepaid=result.prepaid,
        annual_rate=schedule.rate_fraction,
        method=schedule.method,
        mode=repayment.early_repayment,
        start=schedule.start_date,
    )
    balance = ctx.obj.outstanding_balance - sum(
        (a.principal for a in result.allocations), Decimal(0)
    )
    new = _save_version(
        ctx.obj,
        rows=new_rows,
        previous=rows,
        reason=ScheduleReason.EARLY_REPAYMENT,
        principal=balance - result.prepaid,
        annual_rate=schedule.annual_rate,
        start=schedule.start_date,
        now=ctx.now,
        repayment=repayment,
    )
    ctx.audit["schedule"] = {"version": new.version, "instalments": len(new_rows)}


def schedule_extend(ctx: CheckContext, *, months: int) -> tuple[RepaymentSchedule, date]:
    """A new schedule version over the term extended by ``months`` (an approved extension):
    settled instalments kept, the principal still due re-amortised to the new maturity with the
    loan's repayment method, at the rate in force. Returns it and the new maturity."""
    from loans.servicing import extension

    loan: Loan = ctx.obj
    schedule = current_schedule(loan)
    if schedule is None:  # the extension's checks require a schedule
        raise ValueError("the loan has no repayment schedule")
    rows = _rows(schedule)
    new_rows = extension.extended(
        [instalment_state(row) for row in rows],
        months=months,
        annual_rate=schedule.rate_fraction,
        method=schedule.method,
        start=schedule.start_date,
    )
    principal = sum((row.principal_due for row in map(instalment_state, rows)), Decimal(0))
    new = _save_version(
        loan,
        rows=new_rows,
        previous=rows,
        reason=ScheduleReason.EXTENSION,
        principal=principal,
        annual_rate=schedule.annual_rate,
        start=schedule.start_date,
        now=ctx.now,
    )
    ctx.audit["schedule"] = {"version": new.version, "instalments": len(new_rows)}
    return new, max(row.due_date for row in new_rows)


# --- days past due -------------------------------------------------------------------------------


def loan_days_past_due(loan: Loan, on: date) -> int | None:
    """The days past due of ``loan`` on the local date ``on``, from its schedule in force and the
    allocations of its repayments in force; None for a loan without a schedule."""
    schedule = current_schedule(loan)
    if schedule is None:
        return None
    instalments = [
        maths.Instalment(row.number, row.due_date, row.principal, row.interest)
        for row in _rows(schedule)
    ]
    paid = [
        maths.Paid(a.number or 0, a.paid_on, a.interest, a.principal)
        for a in RepaymentAllocation.objects.filter(
            repayment__loan=loan, repayment__cancelled_at__isnull=True, number__isnull=False
        )
    ]
    return maths.days_past_due(instalments, paid, on)


def days_past_due_refresh(*, on: date | None = None) -> int:
    """Compute each scheduled loan's days past due on the local date ``on`` (today) and write
    the changed ones through ``days_past_due_update``. Idempotent: a second run writes nothing.
    A loan the core-banking feed reports on is left to the feed, the bank's system of record for
    it. Returns how many loans changed."""
    from loans.models import FeedRow
    from loans.services import days_past_due_update

    day = on or timezone.localdate()
    changed = 0
    loans = (
        Loan.objects.filter(state=LoanState.POST_LOAN, schedules__isnull=False)
        .exclude(pk__in=FeedRow.objects.values("loan_id"))
        .distinct()
    )
    for loan in loans.iterator(chunk_size=500):
        figure = loan_days_past_due(loan, day)
        if figure is None or figure == loan.days_past_due:
            continue
        days_past_due_update(loan=loan, days_past_due=figure, actor=None)  # its own transaction
        changed += 1
    if changed:
        logger.info("days past due refreshed", extra={"loans": changed, "on": day.isoformat()})
    return changed
