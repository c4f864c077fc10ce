"""Two imports of the same core-banking file at the same moment: one imports it, the other finds
it imported, and every loan is changed once."""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest
from django.db import connection
from django.utils import timezone

from loans.feed import feed_import
from loans.journeys import advance
from loans.models import FeedImport, FeedRow, Loan, User
from loans.selectors import audit_trail_of
from loans.states import LoanState
from tests import factories
from workflow.audit import events_of, verify_chain

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_two_imports_of_the_same_file_at_once_import_it_once(cast, product):
    loans = [
        advance(
            factories.LoanFactory(account_manager=cast.manager, product=product),
            LoanState.POST_LOAN,
            cast,
        )
        for _ in range(2)
    ]
    day = timezone.localdate().isoformat()
    rows = [f"{loan.reference},{day},1000.00,{n + 1}" for n, loan in enumerate(loans)]
    content = ("reference,date,repayment,days_past_due\n" + "\n".join(rows) + "\n").encode()
    barrier = threading.Barrier(2)
    outcomes: list = [None, None]

    def attempt(index: int) -> None:
        try:
            officer = User.objects.get(pk=cast.officer.pk)
            barrier.wait(timeout=10)
            result = feed_import(content=content, file_name=f"copy{index}.csv", actor=officer)
            outcomes[index] = "repeated" if result.repeated else result.feed_import.outcome
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sorted(outcomes) == ["imported", "repeated"]
    assert FeedImport.objects.count() == 1
    assert FeedRow.objects.count() == 2
    for n, loan in enumerate(loans):
        fresh = Loan.objects.get(pk=loan.pk)
        assert (fresh.outstanding_balance, fresh.days_past_due) == (Decimal(79_000), n + 1)
        assert [e.action for e in audit_trail_of(loan)].count("core_feed_apply") == 1
        assert verify_chain(events_of(loan)).intact
