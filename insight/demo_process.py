"""A year of process history for the demo, so the process analytics show stage times, returns,
drop-outs, a stalled loan and a deviation heat-map with visible hot spots.

Applications are opened and moved through the engine at past moments (the clock moved with
time-machine, as in insight/demo.py); their stage visits are then derived from the stage timers
the engine stopped, as the hourly task does. Refused attempts are real refusals, recorded by the
engine as deviations: one account manager keeps submitting site visits that are not complete in
two stretches of weeks (the hot spots), others slip now and then. Then the weekly tables are
recomputed.
"""

from __future__ import annotations

import contextlib
import random
from datetime import datetime, time, timedelta
from decimal import Decimal

from django.utils import timezone

from insight.process_aggregate import process_aggregate
from insight.process_models import StageVisit
from insight.process_record import visits_record
from loans import services
from loans.choices import BorrowerKind, GuaranteeType, Industry, RepaymentMethod, ReturnReason
from loans.journeys import Cast, advance, prepare_to_leave
from loans.models import Branch, Loan, LoanProduct, User
from loans.states import LoanState as S
from loans.validators import resident_id_check_character
from workflow.engine import TransitionRefused, perform_transition
from workflow.models import Channel

SEED = 11
APPLICATIONS = 14
HISTORY_DAYS = 350
HOT_WEEKS = ((150, 4, 5), (35, 3, 4))  # (days ago the stretch starts, weeks, attempts a week)
PURPOSE = "Stock for the shop"  # marks the history's applications
NAMES = ("林志远", "黄美玲", "陈建国", "赵雪梅", "王海涛", "刘春花", "杨德明")


def _at(day: datetime, hour: int) -> datetime:
    return timezone.make_aware(datetime.combine(timezone.localdate(day), time(hour)))


def load_process_history(*, seed: int = SEED) -> int:
    """Make the history and recompute the weekly tables; 0 (changing nothing) when the history
    is there already. Returns the stage visits there are."""
    if Loan.objects.filter(purpose=PURPOSE).exists():
        return 0
    rng = random.Random(seed)  # noqa: S311 - demo data, not security
    people = {u.username: u for u in User.objects.filter(branch__isnull=False)}
    managers = [people["manager1"], people["manager2"]]
    product = next(p for p in LoanProduct.objects.filter(active=True, collateral_required=False))
    today = timezone.now()
    for n in range(APPLICATIONS):
        manager = managers[n % 2]
        cast = Cast(
            manager=manager,
            co_investigator=managers[(n + 1) % 2],
            reviewer=people["reviewer1"],
            approver=people["approver3"],
            officer=people["officer1"],
        )
        start = today - timedelta(
            days=20 + (HISTORY_DAYS - 30) * (APPLICATIONS - n) // APPLICATIONS
        )
        _journey(n, cast, product, start, rng)
    _stalled(people, managers, product, today)
    _hot_spots(people, managers, product, today, rng)
    visits_record()  # every stage the history's loans left (the hourly task's first run)
    process_aggregate()
    return StageVisit.objects.count()


def _open(n: int, manager: User, product: LoanProduct) -> Loan:
    body = f"330783{1975 + n:04d}0{n % 9 + 1}1{n % 10}{n % 9 + 1:03d}"
    borrower = services.borrower_create(
        branch_id=Branch.objects.get(code="B01").pk,
        kind=BorrowerKind.INDIVIDUAL,
        name=NAMES[n % len(NAMES)],
        id_number=body + resident_id_check_character(body),
        address="义乌市北苑街道",
        industry=Industry.F,
    )
    return services.loan_create(
        borrower=borrower,
        account_manager=manager,
        product=product,
        amount=max(Decimal(50_000), product.min_amount),
        term_months=min(12, product.max_term_months),
        purpose=PURPOSE,
        repayment_method=RepaymentMethod.EQUAL_PRINCIPAL,
        guarantee_type=GuaranteeType.CREDIT,
    )


def _step(loan: Loan, target: S, cast: Cast, moment: datetime) -> Loan:
    import time_machine  # a development dependency, like the demo itself

    with time_machine.travel(_at(moment, 10), tick=True):
        return advance(loan, target, cast)


def _journey(n: int, cast: Cast, product: LoanProduct, start: datetime, rng: random.Random) -> None:
    """An application moved stage by stage a few days apart; some returned once, a few rejected
    or withdrawn, most disbursed."""
    import time_machine

    with time_machine.travel(_at(start, 9), tick=True):
        loan = _open(n, cast.manager, product)
    moment = start
    for target in (S.SITE_VISIT, S.REVIEW, S.APPROVAL, S.DISBURSEMENT, S.POST_LOAN):
        moment += timedelta(days=rng.choice((1, 2, 2, 3, 4, 6)))
        if target == S.APPROVAL and n % 4 == 1:  # the reviewer returns it for documents
            with time_machine.travel(_at(moment, 15), tick=True):
                loan = _return(loan, cast)
            moment += timedelta(days=2)
            loan = _step(loan, S.REVIEW, cast, moment)
            moment += timedelta(days=1)
        if target == S.APPROVAL and n % 7 == 3:
            with time_machine.travel(_at(moment, 11), tick=True):
                _end(loan, "reject", cast.reviewer)
            return
        if target == S.REVIEW and n % 7 == 5:
            with time_machine.travel(_at(moment, 11), tick=True):
                _end(loan, "withdraw", cast.manager)
            return
        loan = _step(loan, target, cast, moment)


def _return(loan: Loan, cast: Cast) -> Loan:
    loan = prepare_to_leave(loan, cast)
    return perform_transition(
        loan,
        "return_to_site_visit",
        actor=cast.reviewer,
        payload={"reason": ReturnReason.MISSING_DOCUMENTS, "comment": "Photos of the stock."},
        channel=Channel.SYSTEM,
    )


def _end(loan: Loan, name: str, actor: User) -> None:
    perform_transition(
        loan,
        name,
        actor=actor,
        payload={"reason": ReturnReason.OTHER, "comment": "The borrower's plans changed."},
        channel=Channel.SYSTEM,
    )


def _stalled(
    people: dict[str, User], managers: list[User], product: LoanProduct, today: datetime
) -> None:
    """An application in review for twelve days: past its three business days."""
    cast = Cast(
        managers[0], managers[1], people["reviewer1"], people["approver3"], people["officer1"]
    )
    import time_machine

    start = today - timedelta(days=16)
    with time_machine.travel(_at(start, 9), tick=True):
        loan = _open(APPLICATIONS, cast.manager, product)
    _step(loan, S.REVIEW, cast, today - timedelta(days=12))


def _hot_spots(
    people: dict[str, User],
    managers: list[User],
    product: LoanProduct,
    today: datetime,
    rng: random.Random,
) -> None:
    """manager2 submits incomplete site visits week after week in two stretches; now and then
    others slip (a reviewer tries the manager's step)."""
    import time_machine

    culprit = managers[1]
    cast = Cast(culprit, managers[0], people["reviewer1"], people["approver3"], people["officer1"])
    with time_machine.travel(_at(today - timedelta(days=HISTORY_DAYS), 9), tick=True):
        loan = _open(APPLICATIONS + 1, culprit, product)
    loan = _step(loan, S.SITE_VISIT, cast, today - timedelta(days=HISTORY_DAYS - 1))
    attempts = [
        (today - timedelta(days=days_ago - 7 * week - day), culprit)
        for days_ago, weeks, per_week in HOT_WEEKS
        for week in range(weeks)
        for day in range(per_week)
    ]
    attempts += [
        (today - timedelta(days=rng.randrange(10, HISTORY_DAYS - 10)), people["reviewer1"])
        for _ in range(8)
    ]
    for moment, actor in attempts:
        # Refused and recorded as a deviation: the point of the attempt.
        with (
            time_machine.travel(_at(moment, 14), tick=True),
            contextlib.suppress(TransitionRefused),
        ):
            perform_transition(loan, "submit_for_review", actor=actor, channel=Channel.SYSTEM)
