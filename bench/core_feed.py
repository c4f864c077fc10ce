"""The core-banking import: a file of repayments and days past due through the engine
(docs/performance.md, "The core-banking import").

Loans in post-loan management are made in SQL, each of a borrower of its own; the file gives
each loan four repayments and its days past due (one loan in ten falls 5 days past due, a
downgrade; the others stay current, which writes nothing). The import reads and judges the rows
in sets, then performs each loan's step through the engine in batches of loans, all in one
transaction. Reported: the whole import's time against the target (100,000 rows under a minute
at full scale), its phases, and statements per row.
"""

from __future__ import annotations

import dataclasses
import os
import time
from collections.abc import Callable
from typing import Any

from django.db import connection
from django.utils import timezone

from bench.common import Row, World, bench_database, execute, new_borrowers, report, world

# (loans, rows per loan): 5 rows a loan, four repayments and one days past due.
SCALES = {"ci": (400, 5), "full": (20_000, 5)}
# BENCH_IMPORT_ROWS=10000 runs another size (a multiple of 5) at either scale.
ROWS = "BENCH_IMPORT_ROWS"
TARGET_SECONDS = 60.0
CONTROL = {"BEGIN", "COMMIT", "ROLLBACK"}


class _Counter:
    """Counts the statements run (a query log would cap them and slow each one)."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, execute: Callable[..., Any], sql: str, *args: Any) -> Any:
        if sql not in CONTROL:
            self.count += 1
        return execute(sql, *args)


def _feed_world(w: World) -> World:
    """The benchmark's world with a branch of its own for the import's loans: the 100,000 rows'
    loans, all of one industry and kept in the database, would otherwise be most of the shared
    branch's credit, and its concentration limits would refuse the other suites' disbursements."""
    from loans.models import Branch

    branch, _ = Branch.objects.get_or_create(
        code="BENCH-FEED", defaults={"name": "Bench branch (core-banking import)"}
    )
    return dataclasses.replace(w, branch_id=branch.pk)


def _officer(w: World):  # type: ignore[no-untyped-def]
    from django.contrib.auth.models import Group

    from loans.models import User
    from loans.roles import Role

    officer, created = User.objects.get_or_create(
        username="bench-feed-officer", defaults={"branch_id": w.branch_id}
    )
    if created:
        officer.groups.add(Group.objects.get_or_create(name=Role.DISBURSEMENT_OFFICER)[0])
    return User.objects.get(pk=officer.pk)


def _post_loan_loans(w: World, count: int, tag: str) -> list[str]:
    """``count`` disbursed loans (balance CNY 1,000,000, a month ago), made in SQL, each of a
    borrower of its own (as a retail portfolio is: one borrower holding every loan would make
    each loan's facts of the borrower's claims sum all of them)."""
    execute(
        """
        INSERT INTO loans_loan (state, reference, branch_id, borrower_id, account_manager_id,
            product_id, amount, term_months, purpose, repayment_method, guarantee_type, industry,
            created_at, state_entered_at, approved_at, disbursed_at, outstanding_balance,
            days_past_due, risk_class, overdue_technical, classified_with_borrower)
        SELECT 'post_loan', %(tag)s || '-' || n, %(branch)s, (%(borrowers)s::bigint[])[n],
            %(manager)s, %(product)s, 1000000, 12, 'Restock for the season', 'equal_instalments',
            'guarantee', 'F', now() - interval '40 days', now() - interval '30 days',
            now() - interval '35 days', now() - interval '30 days', 1000000, 0, 1, false, false
        FROM generate_series(1, %(count)s) AS n
        """,
        {
            "tag": tag,
            "branch": w.branch_id,
            "borrowers": new_borrowers(w, count),
            "manager": w.manager.pk,
            "product": w.product_id,
            "count": count,
        },
    )
    return [f"{tag}-{n}" for n in range(1, count + 1)]


def _file(references: list[str], tag: str) -> bytes:
    day = timezone.localdate().isoformat()
    lines = ["reference,date,repayment,days_past_due,transaction"]
    for n, reference in enumerate(references):
        lines.extend(f"{reference},{day},{100 + k}.00,,{tag}-{n}-{k}" for k in range(4))
        lines.append(f"{reference},{day},,{5 if n % 10 == 0 else 0},{tag}-{n}-d")
    return ("\n".join(lines) + "\n").encode()


def _phases(content: bytes, officer) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    """Seconds to read the rows, and to judge them against the loans (no writes)."""
    from loans.feed import importer, rows

    started = time.perf_counter()
    lines, _rejections = rows.read(content)
    read = time.perf_counter() - started
    started = time.perf_counter()
    loans = importer._loans_of(lines)  # the phase measured on its own
    importer._judged(lines, loans, officer)
    importer._imported_keys(line.key for line in lines)
    return read, time.perf_counter() - started


def run(scale: str) -> bool:
    from loans.feed import feed_import

    count, per_loan = SCALES[scale]
    if os.environ.get(ROWS):
        count = int(os.environ[ROWS]) // per_loan
    with bench_database():
        w = _feed_world(world())
        officer = _officer(w)
        warm_tag = f"FEEDW{time.time_ns()}"
        feed_import(
            content=_file(_post_loan_loans(w, 5, warm_tag), warm_tag),
            file_name="warm.csv",
            actor=officer,
        )  # imports and caches
        tag = f"FEED{time.time_ns()}"
        references = _post_loan_loans(w, count, tag)
        execute("ANALYZE loans_loan")
        content = _file(references, tag)
        rows = count * per_loan
        read, judge = _phases(content, officer)
        counter = _Counter()
        with connection.execute_wrapper(counter):
            started = time.perf_counter()
            result = feed_import(content=content, file_name="bench.csv", actor=officer)
            seconds = time.perf_counter() - started
        statements = counter.count
    done = result.feed_import
    assert result.imported, done.rejections[:3]  # noqa: S101 - the bench's own file
    scaled = seconds * (100_000 / rows)
    return report(
        [
            Row(
                f"import of {rows:,} rows, {count:,} loans (s)",
                seconds,
                f"<= {TARGET_SECONDS:.0f}" if scale == "full" else "",
                seconds <= TARGET_SECONDS if scale == "full" else None,
                f"{done.repayments:,} repayments, {done.days_past_due:,} days past due",
            ),
            Row("rows per second", rows / seconds),
            Row("100,000 rows at this rate (s)", scaled),
            Row("read the rows (s)", read),
            Row("judge them against the loans (s)", judge),
            Row("statements per row", statements / rows, detail=f"{statements:,} in all"),
        ]
    )
