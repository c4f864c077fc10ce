"""The daily opener run twice at the same moment (beat and run_scheduler, a duplicated tick)
opens one case per loan."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from loans import services as loan_services
from loans.journeys import advance
from loans.states import LoanState
from recovery.models import CollectionCase
from recovery.services import collection_cases_open
from workflow.audit import events_of

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_two_openers_at_once_open_one_case(loan, cast):
    disbursed = advance(loan, LoanState.POST_LOAN, cast)
    loan_services.days_past_due_update(loan=disbursed, days_past_due=120)
    barrier = threading.Barrier(2)
    opened: list[int] = []

    def run() -> None:
        try:
            barrier.wait(timeout=10)
            opened.append(len(collection_cases_open()))
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(opened) == [0, 1]
    (case,) = CollectionCase.objects.filter(loan=disbursed)
    assert [event.action for event in events_of(case)] == ["case_opened"]
