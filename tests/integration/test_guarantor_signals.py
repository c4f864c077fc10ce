"""The guarantor signals of watch/rules.py: a guarantor behind more open loans than the policy
allows, and borrowers guaranteeing each other (a guarantee circle). Each opens its items once,
after a guarantor step or by the daily task, never after the loan's other steps, and reads in a
fixed number of statements however many loans there are."""

from __future__ import annotations

from collections import Counter
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from config.celery_app import app
from loans.journeys import act, advance
from loans.states import LoanState
from tests import factories
from watch import tasks
from watch.models import WatchItem
from watch.rules import GUARANTOR_STEPS, SIGNAL_BY_CODE, TRIGGERING_STEPS, signals_after
from workflow import outbox
from workflow.engine import perform_transition
from workflow.models import OutboxMessage

pytestmark = pytest.mark.django_db

GUARANTOR_SIGNALS = {"guarantor_many_loans", "guarantee_circle"}


@pytest.fixture(autouse=True)
def _tasks_run_in_process():
    eager = app.conf.task_always_eager
    app.conf.update(task_always_eager=True)
    yield
    app.conf.update(task_always_eager=eager)


def relay_all() -> None:
    while outbox.relay():
        pass


def opened_since(before: set[int]) -> Counter[str]:
    return Counter(WatchItem.objects.exclude(pk__in=before).values_list("signal", flat=True))


def items() -> set[int]:
    return set(WatchItem.objects.values_list("pk", flat=True))


def evaluated_again() -> None:
    """The step's follow-ups delivered twice, and the daily task run."""
    for message in OutboxMessage.objects.filter(task="watch.tasks.evaluate_after_step"):
        tasks.evaluate_after_step(*message.args)
    tasks.evaluate_signals()


def new_loan(cast, product):
    return factories.LoanFactory(account_manager=cast.manager, product=product)


def guarantee(loan, manager, number, name="周建国"):
    return act(
        loan,
        "guarantor_record",
        manager,
        kind="person",
        name=name,
        id_number=number,
        amount=Decimal("50000.00"),
        signed_on=timezone.localdate(),
    )


# --- one guarantor behind many loans -------------------------------------------------------------


@pytest.fixture
def one_loan_each(db):
    """A policy that lets a guarantor back one open loan."""
    return factories.PolicyVersionFactory(guarantor_open_loans_limit=1)


def test_only_the_guarantor_steps_evaluate_the_guarantor_signals_and_nothing_else():
    assert GUARANTOR_STEPS <= TRIGGERING_STEPS
    for step in GUARANTOR_STEPS:
        assert {signal.code for signal in signals_after(step)} == GUARANTOR_SIGNALS
    for step in TRIGGERING_STEPS - GUARANTOR_STEPS:
        assert not {signal.code for signal in signals_after(step)} & GUARANTOR_SIGNALS


def test_a_guarantor_over_the_policys_limit_opens_one_item_on_the_step(
    cast, product, one_loan_each
):
    number = factories.valid_resident_id()
    first = new_loan(cast, product)
    guarantee(first, cast.manager, number)
    advance(first, LoanState.POST_LOAN, cast)
    relay_all()
    tasks.evaluate_signals()
    assert WatchItem.objects.count() == 0  # one open loan: within the limit
    second = new_loan(cast, product)
    before = items()

    guarantee(second, cast.manager, number)
    relay_all()

    assert opened_since(before) == Counter({"guarantor_many_loans": 1})
    item = WatchItem.objects.exclude(pk__in=before).get()
    assert (item.loan_id, item.account_manager, item.severity) == (
        second.pk,
        cast.manager,
        "medium",
    )
    assert item.facts == {"guarantor": "周建国", "loans": 2, "limit": 1}
    evaluated_again()
    assert opened_since(before) == Counter({"guarantor_many_loans": 1})


def test_a_correction_naming_the_same_guarantor_again_opens_nothing_more(
    cast, product, one_loan_each
):
    number = factories.valid_resident_id()
    first = new_loan(cast, product)
    guarantee(first, cast.manager, number)
    advance(first, LoanState.POST_LOAN, cast)
    second = new_loan(cast, product)
    guarantor = guarantee(second, cast.manager, number)
    relay_all()
    before = items()

    act(
        second,
        "guarantor_correct",
        cast.manager,
        record=guarantor,
        amount=Decimal("40000.00"),
        reason="The contract guarantees forty thousand.",
    )
    relay_all()
    evaluated_again()

    assert opened_since(before) == Counter()


def test_a_correction_that_names_a_busy_guarantor_opens_the_item(cast, product, one_loan_each):
    number = factories.valid_resident_id()
    first = new_loan(cast, product)
    guarantee(first, cast.manager, number)
    advance(first, LoanState.POST_LOAN, cast)
    second = new_loan(cast, product)
    guarantor = guarantee(second, cast.manager, factories.valid_resident_id())
    relay_all()
    before = items()

    act(
        second,
        "guarantor_correct",
        cast.manager,
        record=guarantor,
        id_number=number,
        reason="Typed from the wrong page of the file.",
    )
    relay_all()

    assert opened_since(before) == Counter({"guarantor_many_loans": 1})


def test_the_daily_task_finds_the_other_loans_once_the_application_is_disbursed(
    cast, product, one_loan_each
):
    number = factories.valid_resident_id()
    first = new_loan(cast, product)
    guarantee(first, cast.manager, number)
    first = advance(first, LoanState.POST_LOAN, cast)
    second = new_loan(cast, product)
    guarantee(second, cast.manager, number)
    relay_all()
    before = items()

    advance(second, LoanState.POST_LOAN, cast)  # its steps evaluate no guarantor signal
    relay_all()
    assert opened_since(before) == Counter()
    tasks.evaluate_signals()

    opened = WatchItem.objects.exclude(pk__in=before).get()
    assert (opened.signal, opened.loan_id, opened.facts["loans"]) == (
        "guarantor_many_loans",
        first.pk,
        2,
    )


def test_a_withdrawn_loan_and_a_cancelled_guarantor_count_for_nothing(cast, product, one_loan_each):
    number = factories.valid_resident_id()
    withdrawn = new_loan(cast, product)
    guarantee(withdrawn, cast.manager, number)
    perform_transition(
        withdrawn,
        "withdraw",
        actor=cast.manager,
        payload={"reason": "other", "comment": "The borrower no longer needs it."},
    )
    cancelled = new_loan(cast, product)
    record = guarantee(cancelled, cast.manager, number)
    act(cancelled, "guarantor_cancel", cast.manager, record=record, reason="He withdrew.")
    advance(cancelled, LoanState.POST_LOAN, cast)

    guarantee(new_loan(cast, product), cast.manager, number)
    relay_all()
    tasks.evaluate_signals()

    assert WatchItem.objects.filter(signal="guarantor_many_loans").count() == 0


def test_a_guarantor_in_another_branch_tree_counts_apart(cast, product, one_loan_each, outsider):
    number = factories.valid_resident_id()
    elsewhere = factories.LoanFactory(account_manager=outsider, product=product)
    guarantee(elsewhere, outsider, number)
    advance(elsewhere, LoanState.POST_LOAN, _cast_of(outsider))

    guarantee(new_loan(cast, product), cast.manager, number)
    relay_all()
    tasks.evaluate_signals()

    assert WatchItem.objects.filter(signal="guarantor_many_loans").count() == 0


def _cast_of(manager):
    """Staff of the manager's branch for every part of the journey."""
    from loans.journeys import Cast
    from loans.roles import Role

    branch = manager.branch
    return Cast(
        manager=manager,
        co_investigator=factories.staff(Role.ACCOUNT_MANAGER, branch=branch),
        reviewer=factories.staff(Role.REVIEWER, branch=branch),
        approver=factories.staff(Role.APPROVER, branch=branch, authority_level=3),
        officer=factories.staff(Role.DISBURSEMENT_OFFICER, branch=branch),
    )


# --- a guarantee circle --------------------------------------------------------------------------


def test_a_mutual_guarantee_opens_one_item_on_each_loan_when_the_pair_closes(cast, product):
    a, b = new_loan(cast, product), new_loan(cast, product)
    guarantee(a, cast.manager, b.borrower.id_number, name=b.borrower.name)
    relay_all()
    assert WatchItem.objects.count() == 0  # one way only: no circle yet
    before = items()

    guarantee(b, cast.manager, a.borrower.id_number, name=a.borrower.name)
    relay_all()

    assert opened_since(before) == Counter({"guarantee_circle": 2})
    opened = WatchItem.objects.exclude(pk__in=before)
    assert {item.loan_id for item in opened} == {a.pk, b.pk}
    assert {item.severity for item in opened} == {"high"}
    assert sorted(opened.get(loan=a).facts["borrowers"]) == sorted(
        [a.borrower.name, b.borrower.name]
    )
    evaluated_again()
    assert opened_since(before) == Counter({"guarantee_circle": 2})


def test_a_circle_of_three_is_found_and_an_open_chain_is_not(cast, product):
    a, b, c = (new_loan(cast, product) for _ in range(3))
    guarantee(a, cast.manager, b.borrower.id_number)  # b guarantees a
    guarantee(b, cast.manager, c.borrower.id_number)  # c guarantees b
    relay_all()
    tasks.evaluate_signals()
    assert WatchItem.objects.count() == 0  # a chain, not a circle
    before = items()

    guarantee(c, cast.manager, a.borrower.id_number)  # a guarantees c: back to a
    relay_all()

    assert opened_since(before) == Counter({"guarantee_circle": 3})
    evaluated_again()
    assert opened_since(before) == Counter({"guarantee_circle": 3})


def test_the_loans_other_steps_never_raise_a_circle_the_daily_task_finds_it(cast, product):
    a, b = new_loan(cast, product), new_loan(cast, product)
    guarantee(a, cast.manager, b.borrower.id_number)
    guarantee(b, cast.manager, a.borrower.id_number)
    OutboxMessage.objects.all().delete()  # the guarantor steps' evaluations never delivered

    advance(a, LoanState.SITE_VISIT, cast)
    advance(b, LoanState.SITE_VISIT, cast)
    relay_all()
    assert WatchItem.objects.count() == 0
    tasks.evaluate_signals()

    assert Counter(WatchItem.objects.values_list("signal", flat=True)) == Counter(
        {"guarantee_circle": 2}
    )


def test_a_closed_circle_broken_by_a_cancellation_opens_nothing(cast, product):
    a, b = new_loan(cast, product), new_loan(cast, product)
    record = guarantee(a, cast.manager, b.borrower.id_number)
    act(a, "guarantor_cancel", cast.manager, record=record, reason="Guarantee not signed.")

    guarantee(b, cast.manager, a.borrower.id_number)
    relay_all()
    tasks.evaluate_signals()

    assert WatchItem.objects.count() == 0


# --- statements ----------------------------------------------------------------------------------


def _statements(code: str, loan_ids) -> int:
    signal = SIGNAL_BY_CODE[code]
    with CaptureQueriesContext(connection) as captured:
        found = signal.find(loan_ids, timezone.now())
    assert found, f"{code} found nothing to measure"
    return len(captured)


@pytest.mark.parametrize("code", sorted(GUARANTOR_SIGNALS))
def test_each_finder_reads_a_fixed_number_of_statements_however_many_loans(code, cast, product):
    factories.PolicyVersionFactory(guarantor_open_loans_limit=0)  # every guaranteed loan warns
    shared = factories.valid_resident_id()

    def add_pairs(count):
        loans = []
        for _ in range(count):
            a, b = new_loan(cast, product), new_loan(cast, product)
            guarantee(a, cast.manager, b.borrower.id_number)
            guarantee(b, cast.manager, a.borrower.id_number)
            guarantee(a, cast.manager, shared)
            loans += [a.pk, b.pk]
        return loans

    few = add_pairs(1)
    small = (_statements(code, None), _statements(code, few))
    many = add_pairs(5)
    large = (_statements(code, None), _statements(code, many))

    assert small == large
    assert max(large) <= 3
