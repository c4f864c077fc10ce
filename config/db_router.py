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
every query goes to ``default``, and ``reads_from_replica`` changes nothing.

A streaming response (the CSV export) is iterated after its view returns: its queryset must be
bound to the replica while the view runs, with :func:`bound_to_read_database`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, TypeVar

from celery.signals import task_prerun
from django.core.signals import request_started
from django.db import DEFAULT_DB_ALIAS, connections, router
from django.db.models import Model, QuerySet

REPLICA = "replica"

# True inside reads_from_replica(): reads may be served by the replica.
_replica_reads: ContextVar[bool] = ContextVar("loanflow_replica_reads", default=False)
# True once the current request or task has written to the primary.
_wrote: ContextVar[bool] = ContextVar("loanflow_wrote_to_primary", default=False)

Q = TypeVar("Q", bound=QuerySet[Any])


def replica_configured() -> bool:
    return REPLICA in connections.settings


@contextmanager
def reads_from_replica() -> Iterator[None]:
    """Let the reads inside (a reporting view, a selector) be served by the replica.

    Also a decorator: ``@reads_from_replica()``.
    """
    token = _replica_reads.set(True)
    try:
        yield
    finally:
        _replica_reads.reset(token)


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
    ):
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
