"""The portfolio dashboard as the portfolio grows: the structure page, its API and a drill-down
page at the large size ÷ the small one (server time, queries), and the daily snapshot's time.

Two branches in the list benchmark's database (bench/data.py makes the loans in SQL), each with
its branch head; the loans are spread over industries, guarantee types, classes, terms and amounts
and most are put in post-loan with a balance. The snapshot is taken once (the hourly task's work);
the pages read it, so their cost must not follow the number of loans.
"""

from __future__ import annotations

import time

from django.contrib.auth.models import Group
from django.db import connection
from django.test import Client

from bench import data
from bench.lists import Figure, measure
from insight.snapshots import snapshot_take
from loans.choices import GuaranteeType, Industry
from loans.models import User
from loans.roles import Role

SIZES = {"ci": (200, 2_000), "full": (1_000, 100_000)}
REPEAT = {"ci": 2, "full": 9}
TARGET_GROWTH = 2.0  # large ÷ small, server time
PAGES = (
    ("structure page", "/insight/portfolio/"),
    ("structure API", "/api/v1/insight/portfolio/structure/"),
    ("drill-down, one industry", "/insight/portfolio/loans/?dimension=industry&key=C"),
)


def _spread(cast: data.Cast) -> None:
    """Most loans of the branch disbursed, over several industries, guarantees and classes."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            UPDATE loans_loan SET
                state = CASE WHEN id %% 10 < 8 THEN 'post_loan' ELSE state END,
                industry = (%(industries)s::text[])[1 + id %% 7],
                guarantee_type = (%(guarantees)s::text[])[1 + id %% 5],
                term_months = (ARRAY[6, 12, 24, 36, 60])[1 + id %% 5],
                amount = 20000 + (id %% 97) * 10000,
                outstanding_balance = 10000 + (id %% 97) * 9000,
                risk_class = (ARRAY[1, 1, 1, 1, 1, 1, 1, 2, 2, 3, 4, 5])[1 + id %% 12]
            WHERE branch_id = %(branch)s
            """,
            {
                "industries": [
                    Industry.F,
                    Industry.A,
                    Industry.C,
                    Industry.E,
                    Industry.H,
                    Industry.G,
                    Industry.O,
                ],
                "guarantees": list(GuaranteeType.values),
                "branch": cast.branch.pk,
            },
        )
        cursor.execute("ANALYZE loans_loan")


def _head(cast: data.Cast) -> Client:
    head, _ = User.objects.update_or_create(
        username=f"{cast.branch.code.lower()}-head", defaults={"branch": cast.branch}
    )
    head.groups.set([Group.objects.get(name=Role.BRANCH_HEAD)])
    client = Client(HTTP_HOST="localhost")
    client.force_login(head)
    return client


def run(scale: str) -> bool:
    data.use_bench_database()
    small, large = SIZES[scale]
    repeat = REPEAT[scale]
    data.reset()
    casts = {"small": data.cast("SMALL"), "large": data.cast("LARGE")}
    for name, size in (("small", small), ("large", large)):
        made = data.grow_loans(casts[name], size)
        _spread(casts[name])
        print(f"{size:>9,} loans in a branch ({made:.1f} s to add)", flush=True)
    started = time.perf_counter()
    rows = snapshot_take()
    took = time.perf_counter() - started
    print(f"snapshot of every office ({rows} rows, {small + large:,} loans): {took:.2f} s")
    clients = (_head(casts["small"]), _head(casts["large"]))
    figures: list[tuple[str, Figure, Figure]] = []
    for name, url in PAGES:
        at_small, at_large = measure((clients[0], url), (clients[1], url), repeat)
        figures.append((name, at_small, at_large))
    return _report(figures, small, large)


def _report(figures: list[tuple[str, Figure, Figure]], small: int, large: int) -> bool:
    met = True
    print(
        f"\n{'page':<26} {'ms @' + format(small, ','):>12} {'ms @' + format(large, ','):>14} "
        f"{'ratio':>6} {'queries':>9}"
    )
    for name, at_small, at_large in figures:
        growth = at_large.seconds / at_small.seconds
        ok = growth <= TARGET_GROWTH and at_large.queries == at_small.queries
        met = met and ok
        print(
            f"{name:<26} {at_small.seconds * 1000:>12.1f} {at_large.seconds * 1000:>14.1f} "
            f"{growth:>5.2f}{'' if growth <= TARGET_GROWTH else '!'} "
            f"{at_small.queries:>4}→{at_large.queries:<4}"
        )
    print(
        f"targets: time ≤ {TARGET_GROWTH}× and the same queries at {large:,} vs {small:,} loans "
        "('!' marks a miss)"
    )
    return met
