"""The daily days-past-due refresh run twice at the same moment (a duplicated beat tick, the
demo's scheduler beside a worker) leaves the same result as one run."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import connection

from loans.choices import RiskClass
from loans.journeys import advance
from loans.models import Loan
from loans.selectors import audit_trail_of
from loans.services.servicing import current_schedule, days_past_due_refresh
from loans.states import LoanState
from tests import factories
from workflow.audit import events_of, verify_chain

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_two_refreshes_at_once_write_each_figure_once(cast, product):
    loans = [
        advance(
            factories.LoanFactory(account_manager=cast.manager, product=product),
            LoanState.POST_LOAN,
            cast,
        )
        for _ in range(3)
    ]
    day = current_schedule(loans[0]).instalments.get(number=1).due_date + timedelta(days=95)
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def run() -> None:
        try:
            barrier.wait(timeout=10)
            days_past_due_refresh(on=day)
        except BaseException as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    for loan in loans:
        stored = Loan.objects.get(pk=loan.pk)
        assert stored.days_past_due == 95
        assert stored.risk_class == RiskClass.SUBSTANDARD
        assert audit_trail_of(stored).filter(action="classification_floor_apply").count() == 1
        assert verify_chain(events_of(stored)).intact
    assert days_past_due_refresh(on=day) == 0
