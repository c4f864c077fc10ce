"""What a database restart or a failover does to a test's connections, on the real PostgreSQL."""

from __future__ import annotations

import psycopg
from django.db import connection


def end_backends(*, spare_own: bool = False) -> int:
    """End every backend of the test database and answer how many ended.

    The control connection that does it is never ended; with ``spare_own`` neither is the test's
    own connection (a test that keeps querying while a server's connections drop).
    """
    params = connection.settings_dict
    own = connection.connection.info.backend_pid if spare_own and connection.connection else 0
    with psycopg.connect(
        host=params["HOST"] or None,
        port=params["PORT"] or None,
        user=params["USER"] or None,
        password=params["PASSWORD"] or None,
        dbname=params["NAME"],
        autocommit=True,
    ) as control:
        rows = control.execute(
            "SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid() AND pid <> %s",
            [own],
        ).fetchall()
    return sum(1 for (ended,) in rows if ended)
