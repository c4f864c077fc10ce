"""The timer sweep: 100 due timers among few or very many running ones (docs/performance.md,
"The timer sweep").

For each table size the background timers are made in SQL (``generate_series``): half of them
running but not due, half stopped long ago. Then 100 timers fall due on 100 loans (a reminder and
lateness each) and one sweep handles them. Reported: the sweep's time at the large size ÷ at the
small one, and its statements per due timer.
"""

from __future__ import annotations

import statistics
import time
from datetime import timedelta

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from bench.common import Row, bench_database, execute, make_intake_loans, report, world

SCALES = {"ci": (1_000, 20_000), "full": (10_000, 1_000_000)}
DUE = 100
ROUNDS = 3
CONTROL = {"BEGIN", "COMMIT", "ROLLBACK"}


def _background(size: int, loan_type_id: int) -> None:
    """``size`` timers that are not due: half running (due in a month), half stopped."""
    execute("DELETE FROM workflow_timer WHERE scope = 'SWEEP-BG'")
    execute(
        """
        INSERT INTO workflow_timer (content_type_id, object_id, scope, kind, stage, started_at,
            remind_at, due_at, escalate_at, stopped_at, next_action_at)
        SELECT %(ct)s, 1000000000 + n, 'SWEEP-BG', 'stage', 'review', now(),
            now() + interval '28 days', now() + interval '30 days', now() + interval '31 days',
            CASE WHEN n %% 2 = 0 THEN now() - interval '1 day' END,
            CASE WHEN n %% 2 = 1 THEN now() + interval '28 days' + (n %% 1000) * interval '1 s' END
        FROM generate_series(1, %(size)s) AS n
        """,
        {"ct": loan_type_id, "size": size},
    )
    execute("ANALYZE workflow_timer")


def _due(loan_ids: list[int], loan_type_id: int) -> None:
    """A running intake timer on each loan, its reminder and due date passed."""
    execute(
        "UPDATE workflow_timer SET stopped_at = now(), next_action_at = NULL"
        " WHERE content_type_id = %s AND object_id = ANY(%s) AND stopped_at IS NULL",
        [loan_type_id, loan_ids],
    )
    execute(
        """
        INSERT INTO workflow_timer (content_type_id, object_id, scope, kind, stage, started_at,
            remind_at, due_at, escalate_at, next_action_at)
        SELECT %s, id, 'BENCH', 'stage', 'intake', now() - interval '5 days',
            now() - interval '2 days', now() - interval '1 hour', now() + interval '1 day',
            now() - interval '2 days'
        FROM unnest(%s::bigint[]) AS id
        """,
        [loan_type_id, loan_ids],
    )


def _sweep_once(loan_ids: list[int], loan_type_id: int) -> tuple[float, int, int]:
    from workflow import timers

    _due(loan_ids, loan_type_id)
    moment = timezone.now() + timedelta(seconds=1)
    with CaptureQueriesContext(connection) as captured:
        started = time.perf_counter()
        handled = timers.sweep(now=moment)
        seconds = time.perf_counter() - started
    statements = sum(1 for q in captured.captured_queries if q["sql"] not in CONTROL)
    return seconds, statements, handled


def run(scale: str) -> bool:
    small, large = SCALES[scale]
    with bench_database():
        w = world()
        loan_ids = make_intake_loans(w, DUE, tag=f"SWEEP{time.time_ns()}")
        _sweep_once(loan_ids, w.loan_type_id)  # warm: imports and caches
        results = {}
        for size in (small, large):
            made = time.perf_counter()
            _background(size, w.loan_type_id)
            made = time.perf_counter() - made
            rounds = [_sweep_once(loan_ids, w.loan_type_id) for _ in range(ROUNDS)]
            seconds = statistics.median(r[0] for r in rounds)
            statements = max(r[1] for r in rounds)
            handled = min(r[2] for r in rounds)
            results[size] = (seconds, statements, handled, made)
        execute("DELETE FROM workflow_timer WHERE scope = 'SWEEP-BG'")
    s_small, q_small, h_small, made_small = results[small]
    s_large, q_large, h_large, made_large = results[large]
    per_timer = max(q_small / max(h_small, 1), q_large / max(h_large, 1))
    ratio = s_large / s_small
    rows = [
        Row(
            f"sweep of {DUE} due, {small:,} timers (ms)",
            s_small * 1000,
            detail=f"made in {made_small:.1f} s",
        ),
        Row(
            f"sweep of {DUE} due, {large:,} timers (ms)",
            s_large * 1000,
            detail=f"made in {made_large:.1f} s",
        ),
        Row(f"{large:,} / {small:,} timers", ratio, "<= 1.30", ratio <= 1.3),
        Row(
            "statements per due timer",
            per_timer,
            "<= 3",
            per_timer <= 3,
            f"{q_large} for {h_large}",
        ),
        Row(
            "statements at both sizes equal",
            float(q_small == q_large),
            "1 = yes",
            q_small == q_large,
        ),
    ]
    return report(rows)
