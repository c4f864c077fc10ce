"""The record is append-only in PostgreSQL itself, and `verify_audit` finds what a person with
database access could still do: rewrite and re-hash a chain, cut it short, delete a deviation."""

from __future__ import annotations

import re
import subprocess
import uuid
from datetime import timedelta

import psycopg
import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction
from django.urls import reverse
from django.utils import timezone

from loans.journeys import advance
from loans.roles import Role
from loans.states import LoanState
from tests import factories
from workflow import compliance as deviation_log
from workflow.audit import deviation_hash, event_hash, events_of
from workflow.engine import TransitionRefused, perform_transition
from workflow.models import (
    Chain,
    ChainSeal,
    Deviation,
    DeviationReview,
    Notification,
    OutboxMessage,
    VerificationRun,
)
from workflow.tasks import verify_audit

pytestmark = pytest.mark.postgres

PROTECTED = [
    "workflow_auditevent",
    "workflow_deviation",
    "workflow_deviationreview",
    "workflow_verificationrun",
    "loans_policyversion",
]


@pytest.fixture
def head(branch):
    return factories.staff(Role.BRANCH_HEAD, branch=branch, username="head1")


@pytest.fixture
def record(loan, cast, manager, compliance):
    """A loan with events, two deviations (one reviewed), a policy in force, a verification."""
    loan = advance(loan, LoanState.SITE_VISIT, cast)
    for _ in range(2):
        with pytest.raises(TransitionRefused):
            perform_transition(loan, "approve", actor=manager)
    first = Deviation.objects.order_by("seq").first()
    deviation_log.review(first, status="acknowledged", actor=compliance, note="Seen.")
    factories.PolicyVersionFactory()
    call_command("verify_audit")
    return loan


def _sql(statement: str, params: list[object] | None = None) -> None:
    with transaction.atomic(), connection.cursor() as cursor:
        # The test's own rows have deferred foreign-key checks pending, which PostgreSQL would
        # give as the reason to refuse a TRUNCATE before the trigger could: run them now.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute(statement, params)


def _as_a_superuser_without_triggers(statement: str, params: list[object] | None = None) -> None:
    """What someone with the database's superuser could do: switch the triggers off."""
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute(statement, params)
        cursor.execute("SET LOCAL session_replication_role = origin")


def _verify(*args: str) -> str:
    with pytest.raises(CommandError) as refused:
        call_command("verify_audit", *args)
    assert refused.value.returncode == 1
    return str(refused.value)


# --- the triggers -----------------------------------------------------------------------------


@pytest.mark.parametrize("table", PROTECTED)
def test_raw_update_delete_and_truncate_of_the_record_are_refused(record, table):
    for statement in (
        f"UPDATE {table} SET id = id",  # noqa: S608 - a fixed table name
        f"DELETE FROM {table}",  # noqa: S608
        f"TRUNCATE {table} CASCADE",
    ):
        with pytest.raises(DatabaseError, match=r"LoanFlow: .* refused"):
            _sql(statement)


def test_a_chain_seal_moves_forward_only_and_is_never_deleted(record):
    seal = ChainSeal.objects.filter(chain=Chain.EVENTS).first()

    for statement in (
        "UPDATE workflow_chainseal SET last_seq = last_seq - 1 WHERE id = %s",
        "UPDATE workflow_chainseal SET last_hash = repeat('a', 64) WHERE id = %s",
        "DELETE FROM workflow_chainseal WHERE id = %s",
    ):
        with pytest.raises(DatabaseError, match="a chain seal only moves forward"):
            _sql(statement, [seal.pk])
    with pytest.raises(DatabaseError, match="TRUNCATE refused"):
        _sql("TRUNCATE workflow_chainseal")


def test_a_policy_version_not_yet_in_force_can_still_be_corrected_in_sql(db):
    draft = factories.PolicyVersionFactory(effective_from=timezone.now() + timedelta(days=3))

    _sql("UPDATE loans_policyversion SET notes = 'corrected' WHERE id = %s", [draft.pk])
    _sql("DELETE FROM loans_policyversion WHERE id = %s", [draft.pk])


# --- verification ---------------------------------------------------------------------------


def test_an_untouched_record_verifies_and_the_run_is_recorded(record):
    call_command("verify_audit")

    run = VerificationRun.objects.order_by("-id").first()
    assert run.intact
    assert run.complete
    # events, the deviation chain and one review chain
    assert run.chains == 3
    assert run.entries == events_of(record).count() + 2 + 1


def test_a_rewritten_and_rehashed_audit_trail_is_reported(record):
    events = list(events_of(record))
    target = events[1]
    target.payload = {"comment": "rewritten"}
    previous = target.prev_hash
    for event in events[1:]:  # re-hash the rest of the chain, as an attacker would
        event.prev_hash = previous
        event.hash = event_hash(event)
        previous = event.hash
        _as_a_superuser_without_triggers(
            "UPDATE workflow_auditevent SET payload = %s::jsonb, prev_hash = %s, hash = %s "
            "WHERE id = %s",
            [psycopg.types.json.Jsonb(event.payload), event.prev_hash, event.hash, event.pk],
        )

    message = _verify()

    assert f"Audit trail of {record.reference}, entry {events[-1].seq}" in message
    assert "the last entry is not the one that was sealed" in message


def test_a_truncated_audit_trail_is_reported(record):
    last = events_of(record).last()
    _as_a_superuser_without_triggers("DELETE FROM workflow_auditevent WHERE id = %s", [last.pk])

    message = _verify("--loan", record.reference)

    assert f"entry {last.seq}: the chain ends before its sealed head" in message


def test_a_deleted_deviation_is_reported(record):
    first = Deviation.objects.order_by("seq").first()
    last = Deviation.objects.order_by("seq").last()
    _as_a_superuser_without_triggers("DELETE FROM workflow_deviation WHERE id = %s", [last.pk])

    message = _verify()

    assert f"Deviation log of {record.reference}, entry {last.seq}: the chain ends" in message
    assert first.hash == deviation_hash(first)


def test_a_rewritten_review_is_reported(record):
    review = DeviationReview.objects.get()
    _as_a_superuser_without_triggers(
        "UPDATE workflow_deviationreview SET note = 'Nothing to see.' WHERE id = %s", [review.pk]
    )

    message = _verify()

    assert f"Deviation reviews of #{review.deviation_id}, entry 1" in message
    assert "its content does not match its hash" in message


def test_seals_made_without_the_key_are_reported(record, settings):
    settings.AUDIT_HMAC_KEY = "another-key-that-the-attacker-chose-0123456789"

    assert "the seal was not made with the audit key" in _verify()


def test_a_retired_key_still_verifies_the_seals_it_made(record, settings):
    old = settings.AUDIT_HMAC_KEY
    settings.AUDIT_HMAC_KEY, settings.AUDIT_HMAC_KEY_ID = "a-new-key-" + "x" * 40, "2"
    settings.AUDIT_HMAC_RETIRED_KEYS = [f"1:{old}"]

    call_command("verify_audit")


def test_since_checks_only_chains_written_to_since_that_day(record):
    tomorrow = (timezone.localdate() + timedelta(days=1)).isoformat()
    call_command("verify_audit", "--since", tomorrow)

    run = VerificationRun.objects.order_by("-id").first()
    assert (run.chains, run.intact, run.complete) == (0, True, False)


def test_bad_arguments_are_refused_in_words(db):
    with pytest.raises(CommandError, match="No loan has the reference 'LF-nope'"):
        call_command("verify_audit", "--loan", "LF-nope")
    with pytest.raises(CommandError, match="is not a date"):
        call_command("verify_audit", "--since", "yesterday")


# --- the daily task, the people told, the screens --------------------------------------------


def test_the_daily_task_records_the_break_and_notifies_compliance_and_the_branch_head(
    record, compliance, head, manager, outsider
):
    last = events_of(record).last()
    _as_a_superuser_without_triggers("DELETE FROM workflow_auditevent WHERE id = %s", [last.pk])

    assert verify_audit.apply().get() is False

    run = VerificationRun.objects.order_by("-id").first()
    assert (run.trigger, run.breaks, run.break_chain) == ("schedule", 1, Chain.EVENTS)
    assert (run.break_object, run.break_seq, run.break_problem) == (
        record.reference,
        last.seq,
        VerificationRun.Problem.TRUNCATED,
    )
    told = Notification.objects.filter(kind=Notification.Kind.AUDIT_BROKEN)
    assert {n.recipient for n in told} == {compliance, head}
    assert all(n.subject == "The audit trail failed verification" for n in told)
    assert (
        OutboxMessage.objects.filter(
            task="workflow.tasks.email_notification", args__in=[[n.pk] for n in told]
        ).count()
        == 2
    )


def test_the_compliance_screen_shows_the_last_verification(client, record, compliance):
    client.force_login(compliance)
    assert "intact" in client.get(reverse("loans:deviations")).content.decode()

    last = events_of(record).last()
    _as_a_superuser_without_triggers("DELETE FROM workflow_auditevent WHERE id = %s", [last.pk])
    verify_audit.apply()
    page = client.get(reverse("loans:deviations")).content.decode()

    assert "1 break" in page
    assert f"Audit trail of {record.reference}, entry {last.seq}" in page


def test_readyz_reports_the_age_of_the_last_verification(client, record):
    checks = client.get("/readyz").json()["checks"]

    assert checks["audit_verification"] == {"status": "ok", "detail": "0.0 hours ago: intact"}


def test_the_event_seal_is_an_upsert_sent_with_its_event(loan, cast):
    from django.test.utils import CaptureQueriesContext

    loan = advance(loan, LoanState.SITE_VISIT, cast)
    with CaptureQueriesContext(connection) as queries:
        advance(loan, LoanState.REVIEW, cast)
    seals = [q["sql"] for q in queries.captured_queries if "workflow_chainseal" in q["sql"]]
    assert seals
    # Never read or updated apart: an INSERT … ON CONFLICT, on PostgreSQL in the event's statement.
    assert all(sql.startswith(("INSERT", "WITH write_0 AS (")) for sql in seals), seals
    assert all('INSERT INTO "workflow_chainseal"' in sql for sql in seals), seals
    assert not any(re.search(r'(UPDATE|FROM) "workflow_chainseal"', sql) for sql in seals), seals
    if connection.vendor == "postgresql":
        assert all('INSERT INTO "workflow_auditevent"' in sql for sql in seals), seals


# --- the application's role ------------------------------------------------------------------


@pytest.fixture
def application_role(transactional_db):
    """A login role with the privileges deploy/postgres/application-role.sql grants."""
    role = f"loanflow_app_{uuid.uuid4().hex[:8]}"
    settings = connection.settings_dict
    with connection.cursor() as cursor:
        cursor.execute(f'CREATE ROLE "{role}" LOGIN')
    subprocess.run(
        [  # noqa: S607 - psql from PATH, as an operator runs the file
            "psql",
            "-h",
            settings["HOST"] or "127.0.0.1",
            "-p",
            str(settings["PORT"] or 5432),
            "-U",
            settings["USER"],
            "-d",
            settings["NAME"],
            "-v",
            f"app_role={role}",
            "-q",
            "-f",
            "deploy/postgres/application-role.sql",
        ],
        check=True,
        capture_output=True,
    )
    try:
        yield psycopg.connect(
            host=settings["HOST"] or "127.0.0.1",
            port=settings["PORT"] or 5432,
            dbname=settings["NAME"],
            user=role,
            autocommit=True,
        )
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f'DROP OWNED BY "{role}"')
            cursor.execute(f'DROP ROLE "{role}"')


@pytest.mark.django_db(transaction=True)
def test_the_application_role_cannot_change_the_record_nor_switch_the_triggers_off(
    application_role,
):
    with application_role as app:
        app.execute("SELECT count(*) FROM workflow_auditevent")
        app.execute("SELECT count(*) FROM workflow_chainseal")
        for statement in (
            "UPDATE workflow_auditevent SET action = 'x'",
            "DELETE FROM workflow_deviation",
            "UPDATE workflow_deviationreview SET note = ''",
            "DELETE FROM workflow_chainseal",
            "TRUNCATE workflow_auditevent",
            "SET session_replication_role = replica",
            "ALTER TABLE workflow_auditevent DISABLE TRIGGER USER",
        ):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                app.execute(statement)


def test_a_loan_whose_whole_trail_and_seal_were_deleted_is_reported(record):
    _as_a_superuser_without_triggers(
        "DELETE FROM workflow_auditevent WHERE object_id = %s; "
        "DELETE FROM workflow_chainseal WHERE chain = 'events' AND object_id = %s",
        [record.pk, record.pk],
    )

    message = _verify()

    assert (
        f"Audit trail of {record.reference}: the whole chain and its seal were removed" in message
    )
