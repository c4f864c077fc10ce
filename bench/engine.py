"""The engine: transitions per second against two peers, statements per step, and clients.

Measured in one run, as ratios (docs/performance.md, "The engine (transitions)"):

- the engine performing ``start_site_visit`` (lock, every check, save, timers, audit chain) ÷ raw
  psycopg doing the same writes (lock the row, update its state, stop and start the stage timer,
  insert a hash-chained audit row), one client;
- the engine ÷ a plain django-fsm-2 model logged by django-fsm-log (lock → transition → save, the
  log row written by django-fsm-log as the transition runs), the model's table made for the run by
  the schema editor and dropped after, with its log rows;
- statements per transition by name along a whole lifecycle, and per refusal;
- a loan's whole lifecycle (application to closed): time and statements;
- four client processes on disjoint loans ÷ one.

The contenders of a ratio run in turns, round after round (:func:`_rounds`), and the ratio is the
median of the rounds' ratios, printed with their range: on a shared machine a burst of load from
elsewhere then falls on one round of each rather than on the whole of one contender.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import multiprocessing
import time
from collections.abc import Callable, Iterator
from statistics import median
from typing import Any, ClassVar

from django.db import connection, models, transaction
from django.test.utils import CaptureQueriesContext
from django_fsm import FSMField, transition
from django_fsm.signals import post_transition, pre_transition
from django_fsm_log.decorators import fsm_log_by

from bench.common import (
    Row,
    World,
    bench_database,
    close_pool,
    conninfo,
    execute,
    make_intake_loans,
    report,
    timed,
    world,
)

SCALES = {
    "ci": {"loans": 60, "rounds": 2, "clients": 4, "client_rounds": 1},
    "full": {"loans": 1000, "rounds": 5, "clients": 4, "client_rounds": 3},
}
CONTROL = {"BEGIN", "COMMIT", "ROLLBACK"}


# --- the peer: a plain django-fsm-2 model logged by django-fsm-log, its table made at run time --
#
# django-fsm-log is django-fsm-2's usual transition log: its StateLog row (the content type and
# object, the user, source and target states, the transition and a time; six indexes and two
# foreign keys) is written by its SimpleBackend as the transition runs. Its app is installed
# for the benchmarks only (bench.setup), and its receivers listen to the peer's model only
# (log_peer_only): the engine keeps its own trail.


def log_peer_only() -> None:
    """Keep django-fsm-log's receivers, which its app connects to every model's transitions, on
    the peer's model only."""
    from django_fsm_log.backends import SimpleBackend

    pre_transition.disconnect(SimpleBackend.pre_transition_callback)
    post_transition.disconnect(SimpleBackend.post_transition_callback)
    post_transition.connect(SimpleBackend.post_transition_callback, sender=PeerLoan)


class PeerLoan(models.Model):
    reference = models.CharField(max_length=32)
    state = FSMField(default="intake")
    amount = models.DecimalField(max_digits=14, decimal_places=2, default=80000)
    term_months = models.PositiveSmallIntegerField(default=12)
    purpose = models.TextField(default="Restock for the season")
    account_manager_id = models.BigIntegerField()
    state_entered_at = models.DateTimeField(auto_now=True)

    objects: ClassVar[models.Manager[Any]] = models.Manager()

    class Meta:
        app_label = "bench_peer"

    def __str__(self) -> str:
        return self.reference

    @fsm_log_by  # type: ignore[untyped-decorator]  # django-fsm-log has no type hints
    @transition(field=state, source="intake", target="site_visit")
    def start_site_visit(self, by: Any = None) -> None:
        pass


@contextlib.contextmanager
def _peer_loans(w: World, count: int) -> Iterator[list[int]]:
    """The peer's table, made for the run, with ``count`` loans at intake; dropped after, with
    their log rows."""
    from django.contrib.contenttypes.models import ContentType
    from django_fsm_log.models import StateLog

    with connection.schema_editor() as editor:
        editor.create_model(PeerLoan)
    try:
        execute(
            "INSERT INTO bench_peer_peerloan (reference, state, amount, term_months, purpose,"
            " account_manager_id, state_entered_at)"
            " SELECT 'P-' || n, 'intake', 80000, 12, 'Restock', %s, now()"
            " FROM generate_series(1, %s) AS n",
            [w.manager.pk, count],
        )
        yield list(PeerLoan.objects.order_by("pk").values_list("pk", flat=True))
    finally:
        StateLog.objects.filter(content_type=ContentType.objects.get_for_model(PeerLoan)).delete()
        with connection.schema_editor() as editor:
            editor.delete_model(PeerLoan)


def _peer(w: World, ids: list[int]) -> tuple[int, float]:
    def run() -> int:
        for pk in ids:
            with transaction.atomic():
                loan = PeerLoan.objects.select_for_update().get(pk=pk)
                loan.start_site_visit(by=w.manager)  # django-fsm-log writes the log row
                loan.save()
        return len(ids)

    return timed(run)


# --- raw psycopg doing the engine's writes -------------------------------------------------------


def _raw(w: World, ids: list[int]) -> tuple[int, float]:
    import psycopg

    with psycopg.connect(conninfo()) as raw:

        def run() -> int:
            for pk in ids:
                with raw.transaction(), raw.cursor() as cur:
                    cur.execute("SELECT id, state FROM loans_loan WHERE id = %s FOR UPDATE", [pk])
                    cur.execute(
                        "UPDATE loans_loan SET state = 'site_visit', state_entered_at = now()"
                        " WHERE id = %s",
                        [pk],
                    )
                    cur.execute(
                        "UPDATE workflow_timer SET stopped_at = now(), next_action_at = NULL"
                        " WHERE content_type_id = %s AND object_id = %s AND stopped_at IS NULL",
                        [w.loan_type_id, pk],
                    )
                    cur.execute(
                        "INSERT INTO workflow_timer (content_type_id, object_id, scope, kind,"
                        " stage, started_at, remind_at, due_at, escalate_at, next_action_at)"
                        " VALUES (%s, %s, 'BENCH', 'stage', 'site_visit', now(),"
                        " now() + interval '3 days', now() + interval '5 days',"
                        " now() + interval '6 days', now() + interval '3 days')",
                        [w.loan_type_id, pk],
                    )
                    content = json.dumps({"loan": pk, "action": "start_site_visit"})
                    digest = hashlib.sha256(content.encode()).hexdigest()
                    cur.execute(
                        "INSERT INTO workflow_auditevent (content_type_id, object_id, seq, kind,"
                        " action, source_state, target_state, actor_id, actor_role, payload,"
                        " snapshot, changes, channel, policy_version, scope, created_at,"
                        " prev_hash, hash) VALUES (%s, %s, 1, 'transitioned',"
                        " 'start_site_visit', 'intake', 'site_visit', %s, 'account_manager',"
                        " '{}', %s, '{}', 'system', 'bench', 'BENCH', now(), %s, %s)",
                        [w.loan_type_id, pk, w.manager.pk, content, "0" * 64, digest],
                    )
            return len(ids)

        return timed(run)


# --- the engine ------------------------------------------------------------------------------


def _engine(w: World, ids: list[int]) -> tuple[int, float]:
    from loans.models import Loan
    from workflow.engine import perform_transition
    from workflow.models import Channel

    def run() -> int:
        for pk in ids:
            perform_transition(
                Loan(pk=pk), "start_site_visit", actor=w.manager, channel=Channel.SYSTEM
            )
        return len(ids)

    return timed(run)


def _client(ids: list[int], start: Any, results: Any) -> None:
    """One client process: wait for the start signal, then transition its own loans."""
    import django

    django.setup()
    w = world()
    start.wait()
    done, seconds = _engine(w, ids)
    results.put((done, seconds))


def _clients(ids: list[int], clients: int) -> tuple[int, float]:
    """The transitions of ``clients`` processes sharing ``ids`` (disjoint loans), and the seconds
    from their start to the last one's end."""
    close_pool()
    context = multiprocessing.get_context("fork")
    start, results = context.Event(), context.Queue()
    shares = [ids[index::clients] for index in range(clients)]
    workers = [context.Process(target=_client, args=(share, start, results)) for share in shares]
    for worker in workers:
        worker.start()
    time.sleep(1.0)  # every client set up and waiting
    began = time.perf_counter()
    start.set()
    done = sum(results.get(timeout=600)[0] for _ in workers)
    elapsed = time.perf_counter() - began
    for worker in workers:
        worker.join()
    return done, elapsed


# --- statements along a lifecycle --------------------------------------------------------------


def _statements(captured: CaptureQueriesContext) -> int:
    return sum(1 for query in captured.captured_queries if query["sql"] not in CONTROL)


def _lifecycle(w: World) -> tuple[dict[str, int], int, float, int]:
    """Statements of each forward transition, of the whole life of one loan, its time, and the
    statements of a refusal."""
    from loans.journeys import Cast, forward_step, prepare_to_leave
    from loans.models import Loan, User
    from loans.roles import Role
    from loans.states import LoanState
    from workflow.engine import TransitionRefused, perform_transition
    from workflow.models import Channel

    def person(name: str, role: Role, **extra: Any) -> User:
        from django.contrib.auth.models import Group

        user, created = User.objects.get_or_create(
            username=f"bench-{name}", defaults={"branch_id": w.branch_id, **extra}
        )
        if created:
            user.groups.add(Group.objects.get_or_create(name=role)[0])
        return User.objects.get(pk=user.pk)

    cast = Cast(
        manager=w.manager,
        co_investigator=person("co", Role.ACCOUNT_MANAGER),
        reviewer=person("reviewer", Role.REVIEWER),
        approver=person("approver", Role.APPROVER, authority_level=3),
        officer=person("officer", Role.DISBURSEMENT_OFFICER),
    )
    # Its borrower is its own (make_intake_loans): the kept database holds the earlier runs'
    # direct payments, which the split-drawdown check would add up for one shared borrower.
    [pk] = make_intake_loans(w, 1, tag=f"LIFE-{time.time_ns()}")
    loan = Loan.objects.get(pk=pk)
    per_step: dict[str, int] = {}
    started = time.perf_counter()
    with CaptureQueriesContext(connection) as whole:
        while loan.state != LoanState.CLOSED:
            name, part, payload = forward_step(loan)
            loan = prepare_to_leave(loan, cast)
            with CaptureQueriesContext(connection) as step:
                loan = perform_transition(
                    loan, name, actor=getattr(cast, part), payload=payload, channel=Channel.SYSTEM
                )
            per_step[name] = _statements(step)
    seconds = time.perf_counter() - started
    [other] = make_intake_loans(w, 1, tag=f"REFUSED-{time.time_ns()}")
    execute("DELETE FROM loans_interview WHERE loan_id = %s", [other])  # a check fails
    with CaptureQueriesContext(connection) as refused, contextlib.suppress(TransitionRefused):
        perform_transition(Loan(pk=other), "start_site_visit", actor=w.manager)
    return per_step, _statements(whole), seconds, _statements(refused)


def _rounds(
    contenders: dict[str, Callable[[list[int]], tuple[int, float]]],
    ids: dict[str, list[int]],
    rounds: int,
) -> tuple[dict[str, float], dict[str, list[float]]]:
    """Each contender's rate over all its steps, and its rate in each round.

    The contenders take turns, round after round, each on its next share of its loans, the one
    that goes first changing every round: a burst of load from elsewhere on a shared machine
    falls on all of them, and the ratios are read from rounds run side by side (docs/
    performance.md)."""
    done = dict.fromkeys(contenders, 0)
    seconds = dict.fromkeys(contenders, 0.0)
    per_round: dict[str, list[float]] = {name: [] for name in contenders}
    names = list(contenders)
    for index in range(rounds):
        turn = names[index % len(names) :] + names[: index % len(names)]
        for name in turn:
            share = ids[name][index::rounds]
            count, elapsed = contenders[name](share)
            done[name] += count
            seconds[name] += elapsed
            per_round[name].append(count / elapsed)
    return {name: done[name] / seconds[name] for name in contenders}, per_round


def _ratio(per_round: dict[str, list[float]], of: str, to: str) -> tuple[float, str]:
    """The median of the rounds' ratios ``of`` ÷ ``to``, and their range as text."""
    ratios = [a / b for a, b in zip(per_round[of], per_round[to], strict=True)]
    if len(ratios) == 1:
        return ratios[0], "one round"
    return median(ratios), f"median of {len(ratios)} rounds, {min(ratios):.2f}–{max(ratios):.2f}"


def run(scale: str) -> bool:
    size = SCALES[scale]
    count, rounds = size["loans"], size["rounds"]
    with bench_database():
        w = world()
        tag = f"E{time.time_ns()}"
        engine_ids = make_intake_loans(w, count, tag=f"{tag}-engine")
        raw_ids = make_intake_loans(w, count, tag=f"{tag}-raw")
        warm = make_intake_loans(w, 20, tag=f"{tag}-warm")
        _engine(w, warm)  # imports, caches and the pool warmed before timing
        with _peer_loans(w, count) as peer_ids:
            rates, per_round = _rounds(
                {
                    "engine": lambda ids: _engine(w, ids),
                    "raw": lambda ids: _raw(w, ids),
                    "peer": lambda ids: _peer(w, ids),
                },
                {"engine": engine_ids, "raw": raw_ids, "peer": peer_ids},
                rounds,
            )
        to_raw, raw_spread = _ratio(per_round, "engine", "raw")
        to_peer, peer_spread = _ratio(per_round, "engine", "peer")
        per_step, life_statements, life_s, refusal = _lifecycle(w)
        one_ids = make_intake_loans(w, count, tag=f"{tag}-one")
        many_ids = make_intake_loans(w, count * 2, tag=f"{tag}-many")
        clients = size["clients"]
        _, by_clients = _rounds(
            {"one": lambda ids: _clients(ids, 1), "many": lambda ids: _clients(ids, clients)},
            {"one": one_ids, "many": many_ids},
            size["client_rounds"],
        )
        scaling, scaling_spread = _ratio(by_clients, "many", "one")
        worst = max(per_step.values())
        rows = [
            Row("engine transitions/s", rates["engine"], detail=f"{count} x start_site_visit"),
            Row("raw psycopg, same writes/s", rates["raw"]),
            Row("django-fsm-2 + django-fsm-log/s", rates["peer"]),
            Row("engine / raw psycopg", to_raw, ">= 0.40", to_raw >= 0.4, raw_spread),
            Row("engine / django-fsm-2 peer", to_peer, ">= 1.00", to_peer >= 1.0, peer_spread),
            *(Row(f"statements: {name}", value) for name, value in per_step.items()),
            Row("statements: worst transition", worst, "<= 10", worst <= 10),
            Row("statements: refusal", refusal, "<= 6", refusal <= 6),
            Row("lifecycle statements per loan", life_statements, detail="application to closed"),
            Row("lifecycle seconds per loan", life_s),
            Row("1 client transitions/s", median(by_clients["one"])),
            Row(f"{clients} clients transitions/s", median(by_clients["many"])),
            Row(
                f"{clients} clients / 1 client",
                scaling,
                ">= 1.60",
                scaling >= 1.6,
                scaling_spread,
            ),
        ]
        return report(rows)
