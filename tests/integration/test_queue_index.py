"""The queue's default order, the due date, is read along an index: the loan keeps its running
stage timer's due date (``stage_due_at``, set by the step that starts the timer), and the index
``loan_stage_due`` (branch, state, stage_due_at, id) serves the first page without sorting."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from loans.journeys import advance
from loans.models import Loan
from loans.states import NO_DEADLINE, LoanState
from tests import factories
from workflow.models import Timer
from workflow.timers import running

pytestmark = pytest.mark.django_db


def test_the_step_into_a_stage_keeps_its_timers_due_date_on_the_loan(loan, cast):
    assert loan.stage_due_at == NO_DEADLINE  # a loan made without its opening step

    in_review = advance(loan, LoanState.REVIEW, cast)

    (timer,) = running(in_review).filter(kind=Timer.Kind.STAGE)
    assert Loan.objects.get(pk=loan.pk).stage_due_at == timer.due_at


def test_an_opened_application_carries_its_intake_due_date(cast, product):
    from loans import services

    borrower = factories.BorrowerFactory(branch=cast.manager.branch)
    opened = services.loan_create(
        borrower=borrower, account_manager=cast.manager, product=product, amount=Decimal(50_000)
    )

    (timer,) = running(opened).filter(kind=Timer.Kind.STAGE)
    assert Loan.objects.get(pk=opened.pk).stage_due_at == timer.due_at


def test_leaving_the_stages_with_an_sla_clears_the_due_date(loan, cast):
    disbursed = advance(loan, LoanState.POST_LOAN, cast)

    assert Loan.objects.get(pk=disbursed.pk).stage_due_at == NO_DEADLINE


@pytest.mark.postgres
def test_the_queues_first_page_reads_along_the_due_date_index(client, cast):
    now = timezone.now()
    made = factories.LoanFactory.create_batch(60, account_manager=cast.manager)
    states = [LoanState.REVIEW, LoanState.APPROVAL, LoanState.INTAKE]
    for number, loan in enumerate(made):
        Loan.objects.filter(pk=loan.pk).update(
            state=states[number % 3], stage_due_at=now + timedelta(hours=number)
        )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE loans_loan")
    client.force_login(cast.reviewer)

    with CaptureQueriesContext(connection) as captured:
        response = client.get(reverse("loans:queue"))
    (page_query,) = [
        q["sql"] for q in captured.captured_queries if '"loans_loan"."stage_due_at" ASC' in q["sql"]
    ]
    with connection.cursor() as cursor:
        # Sorting costs the planner as much as it can: a plan that still needs no sort is read
        # in the index's order. Without the index, the plan has a Sort on the due date.
        cursor.execute("SET LOCAL enable_sort = off")
        cursor.execute(f"EXPLAIN {page_query}")
        plan = "\n".join(row[0] for row in cursor.fetchall())

    assert [loan.state for loan in response.context["loans"]] == [LoanState.REVIEW] * 20
    assert "loan_stage_due" in plan, plan
    assert "Sort Key: loans_loan.stage_due_at" not in plan, plan
