"""What the engine compiles is kept with the connection it was compiled for
(``workflow.prepared.compiled_for``): a thread's compiled reads and writes go with its connection,
and nothing keeps a finished thread's connection object — or the database session it holds —
alive."""

from __future__ import annotations

import gc
import threading
import time
import uuid
import weakref

import pytest
from django.db import connection, connections
from django.utils import timezone

from loans.journeys import prepare_to_leave
from loans.models import Loan
from tests import factories
from workflow.engine import perform_transition
from workflow.models import Channel
from workflow.prepared import compiled_for, prepared_get, prepared_reads

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _backend_alive(pid: int) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE pid = %s", [pid])
        return bool(cursor.fetchone()[0])


def test_a_thread_that_leaves_its_connection_open_leaves_no_session_behind(cast, product):
    """A thread that performs a step and ends without closing its connection (as a thread of a
    server may): its connection object, with what it compiled, is collected with the thread, and
    the database session it held ends. Kept in the module, the compiled read held the thread's
    connection object, and its session stayed open for the life of the process (seen as a test
    database that could not be dropped: "being accessed by other users")."""
    loan = prepare_to_leave(
        factories.LoanFactory(account_manager=cast.manager, product=product), cast
    )
    seen: dict[str, object] = {}

    def work() -> None:
        perform_transition(
            Loan.objects.get(pk=loan.pk),
            "start_site_visit",
            actor=cast.manager,
            channel=Channel.SYSTEM,
        )
        # A read no other thread has compiled: this thread compiles it for sure.
        key = ("tests.thread", uuid.uuid4().hex)
        prepared_get(
            loan.pk,
            timezone.now(),
            key,
            lambda pk, _at: Loan.objects.filter(pk=pk),
            using="default",
        )
        wrapper = connections["default"]
        with wrapper.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            seen["pid"] = cursor.fetchone()[0]
        seen["compiled"] = set(prepared_reads("default"))
        seen["key"] = key
        seen["wrapper"] = weakref.ref(wrapper)

    thread = threading.Thread(target=work)
    thread.start()
    thread.join(timeout=30)
    assert "wrapper" in seen, "the thread did not finish its step"
    gc.collect()

    assert seen["wrapper"]() is None  # nothing keeps the thread's connection object
    deadline = time.monotonic() + 5
    while _backend_alive(seen["pid"]) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _backend_alive(seen["pid"])  # and its database session is gone
    assert seen["key"] in seen["compiled"]  # the thread compiled it, for its connection
    assert seen["key"] not in prepared_reads("default")  # not for this thread's


def test_each_thread_compiles_for_its_own_connection(cast, product):
    loan = prepare_to_leave(
        factories.LoanFactory(account_manager=cast.manager, product=product), cast
    )
    perform_transition(loan, "start_site_visit", actor=cast.manager, channel=Channel.SYSTEM)
    mine = compiled_for("default")
    theirs: list[dict[object, object]] = []

    def look() -> None:
        try:
            theirs.append(compiled_for("default"))
        finally:
            connections["default"].close()

    thread = threading.Thread(target=look)
    thread.start()
    thread.join(timeout=30)

    assert mine  # the step's read, its inserts and the timers' template, compiled here
    assert theirs == [{}]  # another thread's connection starts with nothing compiled
