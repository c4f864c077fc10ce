"""Django's PostgreSQL backend (psycopg 3, its connection pool), with a pool that checks well.

With ``CONN_HEALTH_CHECKS`` Django gives the pool psycopg_pool's ``check_connection``: a connection
is verified (an empty query) as a request takes it, and a dead one is discarded. But the pool waits
between one failed check and the next attempt (1 s, 2 s, 4 s, ...), and after a restart or a
failover every idle connection is dead: taking them one by one outlasts the pool's timeout, and
the request answers 500. Here the first dead connection makes the pool check every idle one at
once (``ConnectionPool.check``, which replaces the dead ones); the next attempt, about a second
later, gets a new connection. Django always passes ``check`` itself, so it cannot be given in
``OPTIONS["pool"]`` (a TypeError): it is set on the pool Django builds.
"""

from __future__ import annotations

from typing import Any

from django.db.backends.postgresql import base
from psycopg_pool import ConnectionPool


def check_pooled_connection(conn: Any) -> None:
    """Verify a connection taken from the pool; if it is dead, clear every dead one out."""
    try:
        ConnectionPool.check_connection(conn)
    except Exception:
        pool = getattr(conn, "_pool", None)  # set by the pool as it hands the connection out
        if isinstance(pool, ConnectionPool):
            pool.check()
        raise


class DatabaseWrapper(base.DatabaseWrapper):
    @property
    def pool(self) -> ConnectionPool | None:
        pool: ConnectionPool | None = super().pool  # type: ignore[misc]  # not in django-stubs
        if pool is not None and self.settings_dict["CONN_HEALTH_CHECKS"]:
            pool._check = check_pooled_connection
        return pool
