"""How far behind a streaming replica is on this machine: ``python -m bench replica``.

Starts a primary and its replica of its own (``tests/postgres_pair.py``: ``initdb``,
``pg_basebackup -R``, free ports; the shared server is not touched), commits single-row inserts
on the primary one after another and times how long each takes to be replayed on the replica.
The reporting pages that read from a replica (docs/scaling.md) are behind by that much. Both
scales do the same (it takes under a minute); the suite has no target.
"""

from __future__ import annotations

import statistics
import time

from tests.postgres_pair import missing_binaries, started_pair

COMMITS = 300


def run(scale: str) -> bool:
    missing = missing_binaries()
    if missing:
        print(f"   skipped: {missing}")
        return True
    started = time.perf_counter()
    with started_pair(None) as pair:
        print(f"   primary and replica streaming after {time.perf_counter() - started:.1f} s")
        with pair.primary() as primary, pair.replica() as replica:
            primary.execute(
                "CREATE TABLE lag (id serial PRIMARY KEY, at timestamptz DEFAULT now())"
            )
            lags = []
            for _ in range(COMMITS):
                primary.execute("INSERT INTO lag DEFAULT VALUES")
                row = primary.execute("SELECT pg_current_wal_lsn()").fetchone()
                committed = time.perf_counter()
                while not replica.execute(
                    "SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", [row[0] if row else None]
                ).fetchone()[0]:  # type: ignore[index]
                    pass
                lags.append(time.perf_counter() - committed)
    lags.sort()
    print(
        f"   commit on the primary to replayed on the replica, {COMMITS} commits: "
        f"median {statistics.median(lags) * 1000:.1f} ms, "
        f"95th percentile {lags[int(COMMITS * 0.95)] * 1000:.1f} ms, "
        f"longest {lags[-1] * 1000:.1f} ms"
    )
    return True
