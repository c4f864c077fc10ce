"""Which database a query goes to: the primary, or the read replica for reporting.

With ``DATABASE_REPLICA_URL`` set, the database alias ``replica`` is a PostgreSQL streaming
replica of ``default`` (the primary). Reads go to it only where the code says so, with
:func:`reads_from_replica` around a reporting view or selector (the branch overview, the deviation
log and its export, the reference-data changes): pages that only read, that nobody acts on from
the same request, and that may be a moment behind. Everything else reads from the primary, and
so does a query under ``reads_from_replica`` when

- it runs inside a transaction on the primary (the engine's: its row lock, its re-read, its
  checks; a write's own reads), or
- the same request or task has already written to the primary (read your own writes).

Writes always go to the primary, and migrations never run on the replica. Without a replica
every query goes to ``default``, and ``reads_from_replica`` changes nothing. When the replica does
not answer, a view marked ``@reads_from_replica()`` is answered from the primary.

A streaming response (the CSV export) is iterated after its view returns: its queryset must be
bound to the replica while the view runs, with :func:`bound_to_read_database`.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from contextvars import ContextVar, Token
from functools import wraps
from typing import Any, TypeVar

from celery.signals import task_prerun
from django.core.signals import request_started
from django.db import DEFAULT_DB_ALIAS, OperationalError, connections, router
from django.db.models import Model, QuerySet

REPLICA = "replica"
# After the replica failed to answer, how long reporting reads go to the primary instead.
REPLICA_RETRY_SECONDS = 30.0
logger = logging.getLogger(__name__)

# True inside reads_from_replica(): reads may be served by the replica.
_replica_reads: ContextVar[bool] = ContextVar("loanflow_replica_reads", default=False)
# True once the current request or task has written to the primary.
_wrote: ContextVar[bool] = ContextVar("loanflow_wrote_to_primary", default=False)
# True once a read was sent to the replica in the current reporting view.
_replica_used: ContextVar[bool] = ContextVar("loanflow_replica_used", default=False)
_replica_down_until = 0.0  # time.monotonic() until which the replica is left alone

F = TypeVar("F", bound=Callable[..., Any])

Q = TypeVar("Q", bound=QuerySet[Any])


def replica_configured() -> bool:
    return REPLICA in connections.settings


class reads_from_replica:  # noqa: N801 - used as a context manager and decorator: reads as one
    """Let the reads inside (a reporting view, a selector) be served by the replica.

    As a view decorator, ``@reads_from_replica()`` also answers when the replica does not: a
    database error in a view that used the replica marks the replica down for
    ``REPLICA_RETRY_SECONDS`` and runs the view again on the primary (a reporting view only reads,
    so running it again is safe).
    """

    def __init__(self) -> None:
        self._tokens: list[Token[bool]] = []

    def __enter__(self) -> None:
        self._tokens.append(_replica_reads.set(True))

    def __exit__(self, *exc: object) -> None:
        _replica_reads.reset(self._tokens.pop())

    def __call__(self, view: F) -> F:
        @wraps(view)
        def reading(*args: Any, **kwargs: Any) -> Any:
            used = _replica_used.set(False)
            try:
                with reads_from_replica():
                    return view(*args, **kwargs)
            except OperationalError:
                if not _replica_used.get():
                    raise
                mark_replica_down()
                return view(*args, **kwargs)
            finally:
                _replica_used.reset(used)

        return reading  # type: ignore[return-value]


def mark_replica_down() -> None:
    """Read from the primary for ``REPLICA_RETRY_SECONDS``: the replica did not answer."""
    global _replica_down_until  # one process-wide fact
    _replica_down_until = time.monotonic() + REPLICA_RETRY_SECONDS
    logger.warning(
        "The read replica did not answer: reporting reads go to the primary for %s s.",
        REPLICA_RETRY_SECONDS,
    )


def forget_writes(**_kwargs: Any) -> None:
    """A new request or task starts: what the previous one wrote no longer pins its reads."""
    _wrote.set(False)


request_started.connect(forget_writes, dispatch_uid="loanflow_db_router_forget_writes")
task_prerun.connect(forget_writes, dispatch_uid="loanflow_db_router_forget_writes")


def read_database() -> str:
    """The alias the reads here go to: ``replica`` or ``default``."""
    if (
        _replica_reads.get()
        and not _wrote.get()
        and replica_configured()
        and not connections[DEFAULT_DB_ALIAS].in_atomic_block
        and time.monotonic() >= _replica_down_until
    ):
        _replica_used.set(True)
        return REPLICA
    return DEFAULT_DB_ALIAS


def bound_to_read_database(queryset: Q) -> Q:
    """``queryset`` fixed to the database chosen here and now, for iterating it later (a
    streaming response is read after its view returned, outside ``reads_from_replica``)."""
    return queryset.using(router.db_for_read(queryset.model))


class PrimaryReplicaRouter:
    """``DATABASE_ROUTERS`` entry: always an explicit alias, so that an object read from the
    replica is saved, and its relations read, according to these rules rather than by where
    the object came from (Django's fallback)."""

    def db_for_read(self, model: type[Model], **hints: Any) -> str:
        return read_database()

    def db_for_write(self, model: type[Model], **hints: Any) -> str:
        _wrote.set(True)
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1: Model, obj2: Model, **hints: Any) -> bool:
        return True  # one database, two copies of it

    def allow_migrate(self, db: str, app_label: str, **hints: Any) -> bool:
        return db != REPLICA
