"""Answering from the committed state when the connection dies after a commit.

A step that committed has happened: a 500 would tell the client it failed, and a client that
then tries again sends a step the rules now refuse (recorded as a deviation) unless it repeats
its ``Idempotency-Key``. After a failover, the connection that carried the commit can be dead by
the time the view reads the result back to answer. ``answer_after_commit`` runs that read; if the
connection dies under it, it drops the connection and reads once more on a fresh one from the
pool (which checks connections as it hands them out).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TypeVar

from django.db import InterfaceError, OperationalError, connection

logger = logging.getLogger(__name__)

T = TypeVar("T")


def answer_after_commit(read: Callable[[], T]) -> T:
    """``read()``, run a second time on a fresh connection if the first one's connection died.

    Only outside a transaction: inside one, the work is not committed and a new connection would
    not see it, so the error is the caller's to handle.
    """
    try:
        return read()
    except (OperationalError, InterfaceError) as error:
        if connection.in_atomic_block:
            raise
        logger.warning("The connection died after a commit; reading again on a new one: %s", error)
        connection.close()
        return read()
