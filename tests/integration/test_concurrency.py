"""Two people performing the same transition on the same loan at the same moment."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from loans.journeys import advance, prepare_to_leave
from loans.models import Loan
from loans.roles import Role
from loans.selectors import audit_trail_of, deviations_of
from loans.states import LoanState
from tests import factories
from workflow.audit import events_of, verify_chain
from workflow.engine import TransitionRefused, perform_transition
from workflow.models import Deviation

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

ROUNDS = 5


def race(loan_pk: int, name: str, actors: list, payload: dict | None = None) -> list:
    """Run ``name`` for every actor in its own thread, all released at once."""
    barrier = threading.Barrier(len(actors))
    outcomes: list = [None] * len(actors)

    def attempt(index: int, actor) -> None:
        try:
            stale = Loan.objects.get(pk=loan_pk)  # each user has the page open
            barrier.wait(timeout=10)
            perform_transition(stale, name, actor=actor, payload=payload)
            outcomes[index] = "performed"
        except TransitionRefused as refused:
            outcomes[index] = refused.kind
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt, args=(i, a)) for i, a in enumerate(actors)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return outcomes


def test_two_approvers_approving_at_once_have_exactly_one_winner(cast, branch, product):
    second = factories.staff(Role.APPROVER, branch=branch, username="approver4", authority_level=3)
    for _round in range(ROUNDS):
        loan = factories.LoanFactory(account_manager=cast.manager, product=product)
        loan = prepare_to_leave(advance(loan, LoanState.APPROVAL, cast), cast)

        outcomes = race(
            loan.pk,
            "approve",
            [cast.approver, second],
            {"conditions": [], "comment": "Within authority."},
        )

        assert sorted(map(str, outcomes)) == ["performed", "wrong_state"]
        assert Loan.objects.get(pk=loan.pk).state == LoanState.DISBURSEMENT
        assert [e.action for e in audit_trail_of(loan)].count("approve") == 1
        assert verify_chain(events_of(loan)).intact
        (deviation,) = deviations_of(loan)
        assert deviation.kind == Deviation.Kind.WRONG_STATE
        assert deviation.from_state == LoanState.DISBURSEMENT


def test_the_same_user_double_submitting_performs_the_transition_once(cast, product):
    loan = factories.LoanFactory(account_manager=cast.manager, product=product)
    loan = prepare_to_leave(advance(loan, LoanState.REVIEW, cast), cast)

    outcomes = race(loan.pk, "submit_for_approval", [cast.reviewer, cast.reviewer])

    # The second waits for the first, then answers with the state it reached: a retry of the
    # step the same person just performed is not an attempt against the rules.
    assert sorted(map(str, outcomes)) == ["performed", "performed"]
    assert [e.action for e in audit_trail_of(loan)].count("submit_for_approval") == 1
    assert not deviations_of(loan).exists()


def test_a_locked_loan_leaves_its_borrower_product_and_branch_free_for_other_loans(cast, product):
    """The engine's locked read joins the borrower, product, branch and account manager, but
    locks only the loan's row: two loans sharing them never wait on each other."""
    from django.db import transaction
    from django.utils import timezone

    from loans.models import Borrower, Branch, LoanProduct
    from workflow.engine import lock

    first = factories.LoanFactory(account_manager=cast.manager, product=product)
    second = factories.LoanFactory(
        account_manager=cast.manager, product=product, borrower=first.borrower
    )
    holding, release = threading.Event(), threading.Event()

    def hold_the_first() -> None:
        try:
            with transaction.atomic():
                lock(Loan(pk=first.pk), timezone.now())
                holding.set()
                release.wait(timeout=20)
        finally:
            connection.close()

    holder = threading.Thread(target=hold_the_first)
    holder.start()
    try:
        assert holding.wait(timeout=20)
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL lock_timeout = '2s'")
            assert lock(Loan(pk=second.pk), timezone.now()).pk == second.pk
            Borrower.objects.select_for_update(nowait=True).get(pk=first.borrower_id)
            LoanProduct.objects.select_for_update(nowait=True).get(pk=product.pk)
            Branch.objects.select_for_update(nowait=True).get(pk=first.branch_id)
    finally:
        release.set()
        holder.join(timeout=30)
