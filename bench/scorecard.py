"""The account-manager scorecard as the loans grow: its page (a month and a quarter), its API and
a drill-down page at the large size ÷ the small one (server time, queries), and the time the
measurement takes (the hourly task and a year's backfill).

The insight benchmark's data (bench/data.py, bench/insight.py ``_spread``): two branches, each with
ten account managers sharing its loans, disbursed over the last twelve months, deviations of
one manager, and a watch-list item for every third loan in post-loan (a third resolved on time, a
third late, a third left open). The measurement writes one row per manager and month; the pages
read those rows, so their cost must not follow the number of loans.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import timedelta

from django.db import connection
from django.utils import timezone

from bench import data
from bench.insight import _head, _report, _spread
from bench.lists import Figure, measure
from insight.scorecard_measure import scorecard_backfill, scorecard_take
from loans.roles import Role

SIZES = {"ci": (200, 2_000), "full": (1_000, 100_000)}
REPEAT = {"ci": 2, "full": 9}
MANAGERS = 10


def _managers(cast: data.Cast) -> list[int]:
    """Ten managers in the branch (the cast's own first), sharing its loans; each loan in post-loan
    disbursed over the last year, some days after its application."""
    others = [
        data._staff(f"{cast.branch.code.lower()}-manager-{n}", Role.ACCOUNT_MANAGER, cast.branch)
        for n in range(1, MANAGERS)
    ]
    ids = [cast.manager.pk, *(user.pk for user in others)]
    with connection.cursor() as cursor:
        cursor.execute(
            """
            UPDATE loans_loan SET
                account_manager_id = (%(managers)s::bigint[])[1 + id %% %(n)s],
                disbursed_at = CASE WHEN state = 'post_loan'
                    THEN %(now)s::timestamptz - (id %% 360) * interval '1 day' END
            WHERE branch_id = %(branch)s
            """,
            {"managers": ids, "n": len(ids), "now": timezone.now(), "branch": cast.branch.pk},
        )
        cursor.execute(
            """
            UPDATE loans_loan SET created_at = disbursed_at - (5 + id %% 40) * interval '1 day'
            WHERE branch_id = %(branch)s AND disbursed_at IS NOT NULL
            """,
            {"branch": cast.branch.pk},
        )
        cursor.execute("ANALYZE loans_loan")
    return ids


def _watch_items(cast: data.Cast) -> int:
    """A watch-list item for every third loan of the branch in post-loan (so every one of the ten
    managers has some), opened when it was disbursed and due five days later: a third resolved on
    time, a third four days late, a third left open (those resolved in the future are still
    open)."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO watch_watchitem (state, signal, occurrence, episode, severity, facts,
                loan_id, branch_id, account_manager_id, opened_at, due_at, state_entered_at,
                resolved_at)
            SELECT 'resolved', 'days_past_due', 'bench:' || id, 'bench:' || id, 'high', '{}',
                id, branch_id, account_manager_id, disbursed_at,
                disbursed_at + interval '5 days', disbursed_at,
                CASE id / 3 %% 3
                    WHEN 0 THEN NULL
                    WHEN 1 THEN disbursed_at + interval '2 days'
                    ELSE disbursed_at + interval '9 days'
                END
            FROM loans_loan
            WHERE branch_id = %(branch)s AND state = 'post_loan' AND id %% 3 = 0
            """,
            {"branch": cast.branch.pk},
        )
        cursor.execute(
            """
            UPDATE watch_watchitem SET state = 'open', resolved_at = NULL
            WHERE branch_id = %(branch)s AND (resolved_at IS NULL OR resolved_at > %(now)s)
            """,
            {"branch": cast.branch.pk, "now": timezone.now()},
        )
        cursor.execute(
            "UPDATE watch_watchitem SET state_entered_at = resolved_at "
            "WHERE branch_id = %(branch)s AND resolved_at IS NOT NULL",
            {"branch": cast.branch.pk},
        )
        cursor.execute("ANALYZE watch_watchitem")
        return data.count("watch_watchitem", "branch_id", cast.branch.pk)


def _timed(label: str, work: Callable[[], int]) -> None:
    started = time.perf_counter()
    rows = work()
    print(f"{label}: {rows} rows, {time.perf_counter() - started:.2f} s", flush=True)


def run(scale: str) -> bool:
    data.use_bench_database()
    small, large = SIZES[scale]
    repeat = REPEAT[scale]
    data.reset()
    casts = {"small": data.cast("SMALL"), "large": data.cast("LARGE")}
    managers = {}
    for name, size in (("small", small), ("large", large)):
        made = data.grow_loans(casts[name], size)
        _spread(casts[name])
        managers[name] = _managers(casts[name])
        data.grow_deviations(casts[name], size // 10)
        items = _watch_items(casts[name])
        print(
            f"{size:>9,} loans in a branch ({made:.1f} s to add), {items:,} watch-list items",
            flush=True,
        )
    today = timezone.localdate()
    _timed("hourly measurement (this month and the last)", scorecard_take)
    _timed(
        "backfill of twelve months",
        lambda: scorecard_backfill(since=today - timedelta(days=365), until=today),
    )
    clients = (_head(casts["small"]), _head(casts["large"]))
    quarter = f"{today.year}-Q{(today.month - 1) // 3 + 1}"  # the page's default
    pages = (
        ("scorecard, this quarter", "/insight/scorecard/"),
        ("scorecard, this month", f"/insight/scorecard/?period={today:%Y-%m}"),
        ("scorecard API", "/api/v1/insight/scorecard/"),
        (
            "drill-down, disbursed",
            f"/insight/scorecard/behind/?period={quarter}&figure=disbursed&manager={{m}}",
        ),
        (
            "drill-down, watch-list late",
            f"/insight/scorecard/behind/?period={quarter}&figure=watch_late&manager={{m}}",
        ),
    )
    figures: list[tuple[str, Figure, Figure]] = []
    for name, url in pages:
        at_small, at_large = measure(
            (clients[0], url.format(m=managers["small"][0])),
            (clients[1], url.format(m=managers["large"][0])),
            repeat,
        )
        figures.append((name, at_small, at_large))
    return _report(figures, small, large)
