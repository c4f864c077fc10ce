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


def _plan(sql: str, *settings: str) -> str:
    with connection.cursor() as cursor:
        for setting in settings:
            cursor.execute(f"SET LOCAL {setting}")
        cursor.execute(f"EXPLAIN {sql}")
        return "\n".join(row[0] for row in cursor.fetchall())


@pytest.mark.postgres
def test_a_pipeline_column_reads_along_the_managers_due_date_index(client, cast):
    now = timezone.now()
    for number, loan in enumerate(
        factories.LoanFactory.create_batch(40, account_manager=cast.manager)
    ):
        Loan.objects.filter(pk=loan.pk).update(
            state=LoanState.INTAKE, stage_due_at=now + timedelta(hours=number)
        )
    # A colleague's applications in the same branch and stage, three for each of the manager's,
    # as in a branch of several managers: the branch's due-date index then reads them too, and
    # only the manager's own index reads the column's 40 loans and nothing else. (With the
    # manager's loans alone in the branch, both indexes read the same rows and the planner may
    # take either.)
    colleague = factories.LoanFactory.create_batch(120, account_manager=cast.co_investigator)
    Loan.objects.filter(pk__in=[loan.pk for loan in colleague]).update(
        state=LoanState.INTAKE, stage_due_at=now
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE loans_loan")
    client.force_login(cast.manager)

    with CaptureQueriesContext(connection) as captured:
        response = client.get(reverse("loans:mine") + "?stage=intake")
    (page_query,) = [
        q["sql"] for q in captured.captured_queries if '"loans_loan"."stage_due_at" ASC' in q["sql"]
    ]
    plan = _plan(page_query, "enable_sort = off")

    assert len(response.context["page"].rows) == 40
    assert "loan_manager_stage_due" in plan, plan
    assert "Sort Key: loans_loan.stage_due_at" not in plan, plan


@pytest.mark.postgres
def test_the_navigation_counts_and_the_section_above_authority_read_bounded_index_ranges(
    client, cast, junior_approver
):
    """Each count stops at the cap along an index, and the few loans above an approver's authority
    are found by amount: none of them reads every loan of a stage (a sequential or bitmap scan)."""
    made = factories.LoanFactory.create_batch(60, account_manager=cast.manager)
    Loan.objects.update(state=LoanState.APPROVAL, stage_due_at=timezone.now(), amount=50_000)
    Loan.objects.filter(pk=made[0].pk).update(amount=500_000)  # the one above a junior's authority
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE loans_loan")
    for user in (cast.manager, junior_approver):
        client.force_login(user)
        with CaptureQueriesContext(connection) as captured:
            client.get(reverse("loans:queue" if user == junior_approver else "loans:mine"))
        counted = [q["sql"] for q in captured.captured_queries if "bounded_0" in q["sql"]]
        above = [  # the section's own query, not the other section's NOT (...)
            q["sql"]
            for q in captured.captured_queries
            if '"loans_loan"."amount" >' in q["sql"] and "NOT (" not in q["sql"]
        ]
        for sql in counted + above:
            plan = _plan(sql, "enable_seqscan = off", "enable_bitmapscan = off")
            assert "Seq Scan on loans_loan" not in plan, plan
            assert "Bitmap" not in plan, plan
        if user == junior_approver:
            assert above, "the section above authority was not read"
            assert "loan_stage_amount" in _plan(above[0], "enable_seqscan = off"), above[0]
