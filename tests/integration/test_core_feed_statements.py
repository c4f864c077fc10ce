"""What importing a core-banking file costs the database: a fixed number of statements per batch
of loans, whatever the number of loans in the batch or of their rows (docs/performance.md, "The
core-banking import").

Counted are the statements that do work; the transaction's own (BEGIN, COMMIT, savepoints) are
not. Each loan's rows are applied by one engine action; the loans of a batch are locked together
and their repayments, allocations, balances, events and seals written together
(workflow/batch.py). The file is imported two months after the
disbursement, so a yuan repaid goes to the interest due (a repayment of principal ahead of the
schedule makes a new schedule version, and costs that version's statements).
"""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from loans.feed import feed_import
from loans.journeys import advance
from loans.models import Repayment
from loans.states import LoanState
from tests import factories
from workflow import batch
from workflow.models import AuditEvent

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]

TRANSACTION_CONTROL = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE SAVEPOINT")
# The file: its earlier import looked up, its loans and its row keys read, the transaction's
# setting (no JIT compilation), the import and its row keys inserted.
FIXED = 6
# Each batch of loans: the lock of them all (with the facts of their files and their chains'
# heads), their schedules and instalments, the repayments, the instalments paid, the
# allocations, the balances and days past due, the facts for the audit snapshots, the audit
# events with their seals. The system's floor finds nothing to raise: it is not performed.
PER_BATCH = 9


def statements(captured: CaptureQueriesContext) -> list[str]:
    return [
        query["sql"]
        for query in captured.captured_queries
        if not query["sql"].startswith(TRANSACTION_CONTROL)
    ]


def content(loans, rows: int, tag: str) -> bytes:
    """Each loan ``rows`` rows: ``rows - 1`` repayments of a yuan and its days past due (0)."""
    day = timezone.localdate().isoformat()
    lines = ["reference,date,repayment,days_past_due,transaction"]
    for loan in loans:
        lines += [f"{loan.reference},{day},1.00,,{tag}-{loan.pk}-{k}" for k in range(rows - 1)]
        lines.append(f"{loan.reference},{day},,0,{tag}-{loan.pk}-d")
    return ("\n".join(lines) + "\n").encode()


def counted(officer, loans, rows: int, tag: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        result = feed_import(content=content(loans, rows, tag), file_name=tag, actor=officer)
    assert result.imported, result.feed_import.rejections
    return len(statements(captured))


@pytest.fixture
def disbursed(cast, product):
    return [
        advance(
            factories.LoanFactory(account_manager=cast.manager, product=product),
            LoanState.POST_LOAN,
            cast,
        )
        for _ in range(3)
    ]


def test_a_batch_of_loans_costs_a_fixed_number_of_statements_whatever_its_loans_and_rows(
    disbursed, cast
):
    officer = cast.officer
    assert officer.roles  # read before counting, as a request does
    with time_machine.travel(timezone.now() + timedelta(days=62), tick=False):
        counted(officer, disbursed, 2, "warm")  # the process's statements compiled once

        one_loan_two_rows = counted(officer, disbursed[:1], 2, "a")
        three_loans_two_rows = counted(officer, disbursed, 2, "b")
        three_loans_eight_rows = counted(officer, disbursed, 8, "c")

    assert one_loan_two_rows == FIXED + PER_BATCH
    assert three_loans_two_rows == one_loan_two_rows  # loans of a batch cost nothing more
    assert three_loans_eight_rows == one_loan_two_rows  # nor do their rows
    # One audit event per loan and file: the warm-up's, then a, b and c.
    for loan in disbursed:
        applied = AuditEvent.objects.filter(object_id=loan.pk, action="core_feed_apply")
        assert applied.count() == (4 if loan == disbursed[0] else 3)
    assert Repayment.objects.filter(loan=disbursed[1]).count() == 1 + 1 + 7


def test_the_statements_grow_with_the_batches_not_the_loans(disbursed, cast, monkeypatch):
    officer = cast.officer
    assert officer.roles
    monkeypatch.setattr(batch, "BATCH_SIZE", 2)
    with time_machine.travel(timezone.now() + timedelta(days=62), tick=False):
        counted(officer, disbursed, 2, "warm")

        two_loans = counted(officer, disbursed[:2], 2, "a")  # one batch
        three_loans = counted(officer, disbursed, 2, "b")  # two batches: 2 loans, then 1

    assert two_loans == FIXED + PER_BATCH
    assert three_loans == FIXED + 2 * PER_BATCH
