"""Demo servicing: disbursed demo loans got their schedules from the disburse step; here a few
are moved back in time so the demo shows arrears, a repayment on its due date and an early
repayment that made a new schedule version. Days past due then come from the schedules."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db.models import F, Value
from django.db.models.functions import Least
from django.utils import timezone

from loans.choices import EarlyRepaymentOption, RepaymentMethod
from loans.journeys import act
from loans.models import Loan, User
from loans.selectors import audit_trail_of
from loans.services.servicing import current_schedule, days_past_due_refresh
from loans.servicing.schedule_maths import add_months
from loans.states import LoanState

# The newest disbursed loans, newest first: days the first instalment has been past due (the
# two in arrears are those loans/demo_showcase.py classifies), then one repaid on its due date.
ARREARS_DAYS = (12, 95)
REPAID_ON_TIME_DAYS = 20
AMORTISING = (RepaymentMethod.EQUAL_INSTALMENTS, RepaymentMethod.EQUAL_PRINCIPAL)


def _noon(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(12)))


def _move_back(loan: Loan, first_due: date) -> None:
    """Move the loan's schedule back so its first instalment falls due on ``first_due``, each
    instalment keeping its months from the start (a demo-only rewrite)."""
    schedule = current_schedule(loan)
    if schedule is None:
        return
    rows = list(schedule.instalments.order_by("number"))
    offsets = [_months(schedule.start_date, row.due_date) for row in rows]
    start = add_months(first_due, -offsets[0])
    for row, offset in zip(rows, offsets, strict=True):
        row.due_date = add_months(start, offset)
        row.save(update_fields=["due_date"])
    type(schedule).objects.filter(pk=schedule.pk).update(start_date=start)
    paid = _noon(start)
    # The application came before the payment (a cycle time is never negative).
    opened = Least(F("created_at"), Value(paid - timedelta(days=14)))
    Loan.objects.filter(pk=loan.pk).update(disbursed_at=paid, created_at=opened)


def _months(start: date, due: date) -> int:
    return (due.year - start.year) * 12 + due.month - start.month


def _officer(loan: Loan) -> User | None:
    event = audit_trail_of(loan).filter(action="disburse").first()
    return event.actor if event is not None else None


def service_some_disbursed_loans() -> int:
    """Arrears, an on-time repayment and an early repayment on the newest disbursed loans; then
    the daily days-past-due refresh. Returns how many loans' days past due it set."""
    today = timezone.localdate()
    loans = list(Loan.objects.filter(state=LoanState.POST_LOAN).order_by("-pk"))
    for loan, days in zip(loans, ARREARS_DAYS, strict=False):
        _move_back(loan, today - timedelta(days=days))
    rest = loans[len(ARREARS_DAYS) :]
    if rest:
        _repay_on_time(rest.pop(0), today - timedelta(days=REPAID_ON_TIME_DAYS))
    amortising = [loan for loan in rest if loan.repayment_method in AMORTISING]
    if amortising:
        _repay_early(amortising[0], today)
    return days_past_due_refresh(on=today)


def _repay_on_time(loan: Loan, first_due: date) -> None:
    _move_back(loan, first_due)
    officer = _officer(loan)
    schedule = current_schedule(loan)
    if officer is None or schedule is None:
        return
    first = schedule.instalments.get(number=1)
    act(
        Loan.objects.get(pk=loan.pk),
        "repayment_record",
        officer,
        principal=first.total,
        paid_at=_noon(first.due_date),
    )


def _repay_early(loan: Loan, today: date) -> None:
    """A week before the first instalment falls due, it and CNY 10,000 more are paid; the term
    is shortened (a second schedule version)."""
    _move_back(loan, today + timedelta(days=7))
    officer = _officer(loan)
    schedule = current_schedule(loan)
    if officer is None or schedule is None:
        return
    first = schedule.instalments.get(number=1)
    extra = min(Decimal(10_000), loan.outstanding_balance - first.principal)
    if extra <= 0:
        return
    act(
        Loan.objects.get(pk=loan.pk),
        "repayment_record",
        officer,
        principal=first.total + extra,
        paid_at=_noon(today),
        early_repayment=EarlyRepaymentOption.SHORTEN,
    )


EXTENSION_MONTHS = 3


def extend_one_disbursed_loan() -> Loan | None:
    """One disbursed loan with nothing past due extended (展期) by the demo's people through the
    engine: asked by its account manager, reviewed by reviewer1, approved by approver3. Its
    schedule gets a second version to the new maturity. Returns it (None: no loan qualifies)."""
    candidates = Loan.objects.filter(
        state=LoanState.POST_LOAN,
        branch__code="B01",
        days_past_due=0,
        schedules__isnull=False,
        repayments__isnull=True,
        term_months__gt=EXTENSION_MONTHS,
    ).order_by("pk")
    loan = candidates.first()
    if loan is None:
        return None
    reviewer = User.objects.get(username="reviewer1")
    approver = User.objects.get(username="approver3")
    extension = act(
        loan,
        "extension_request",
        loan.account_manager,
        months=EXTENSION_MONTHS,
        reason="The borrower's main buyer pays a season late this year; sales cover it then.",
    )
    act(
        loan,
        "extension_review",
        reviewer,
        record=extension,
        opinion="The buyer's contract and the bank statements confirm the later payment date.",
    )
    act(
        loan,
        "extension_approve",
        approver,
        record=extension,
        note="Approved: three months to match the buyer's payment; no other change.",
    )
    extended: Loan = Loan.objects.get(pk=loan.pk)
    return extended
