"""Reads shared by one step: what several checks, the timers and the audit event need is read once.

The engine opens a scope around each step (:func:`shared`); inside it :func:`once` returns the
value a key was first loaded with, so the policy in force, the holiday calendar and the facts of
the object's file that several checks consult are read once per step, not once per check. Outside
a scope :func:`once` simply loads. A scope holds only reads made before the step writes anything
(its checks) and facts no step changes (the policy, the calendar): the audit snapshot is always
read afresh after the writes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, TypeVar

T = TypeVar("T")

_scope: ContextVar[dict[Any, Any] | None] = ContextVar("workflow_shared_reads", default=None)


@contextmanager
def shared() -> Iterator[dict[Any, Any]]:
    """Share reads until the block ends (a nested scope joins the one already open)."""
    current = _scope.get()
    if current is not None:
        yield current
        return
    reads: dict[Any, Any] = {}
    token = _scope.set(reads)
    try:
        yield reads
    finally:
        _scope.reset(token)


def once(key: Any, load: Callable[[], T]) -> T:
    """The value of ``key`` in the open scope, loaded with ``load`` the first time."""
    reads = _scope.get()
    if reads is None:
        return load()
    if key not in reads:
        reads[key] = load()
    value: T = reads[key]
    return value


def peek(key: Any) -> Any:
    """The value ``key`` holds in the open scope, or None."""
    reads = _scope.get()
    return None if reads is None else reads.get(key)


def keep(key: Any, value: Any) -> None:
    """Remember ``value`` for ``key`` in the open scope (nothing outside one)."""
    reads = _scope.get()
    if reads is not None:
        reads[key] = value


def forget(key: Any) -> None:
    """Drop ``key`` from the open scope: the next :func:`once` reads it again."""
    reads = _scope.get()
    if reads is not None:
        reads.pop(key, None)
