"""The core-banking import performs its loans' actions as engine batches (workflow/batch.py):
what a batch writes is what one action per loan writes, every loan's audit chain and seal
verify, and a loan refused in a batch refuses the whole file and is recorded as a deviation."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.utils import timezone

from loans.choices import RiskClass
from loans.feed import feed_import
from loans.journeys import advance
from loans.models import FeedImport, FeedRow, Loan, Repayment, RepaymentAllocation
from loans.services.servicing import current_schedule
from loans.states import LoanState
from tests import factories
from workflow import batch, seals
from workflow.actions import ActionStep, perform_actions
from workflow.audit import events_of, verify_chain
from workflow.models import AuditEvent, Chain, ChainSeal, Channel, Deviation, Timer
from workflow.verification import Scope, verify

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]

HEADER = "reference,date,repayment,days_past_due"
# Each loan's rows of the file: its repayments, then its days past due (5: a downgrade).
PLAN = [
    ([Decimal("100.00"), Decimal("250.50")], 5),
    ([Decimal("75.00")], 0),
    ([], 3),
]


@pytest.fixture
def loans(cast, product):
    """Two sets of the same loans: one fed by a file, one by one action per loan."""
    return [
        advance(
            factories.LoanFactory(account_manager=cast.manager, product=product),
            LoanState.POST_LOAN,
            cast,
        )
        for _ in range(2 * len(PLAN))
    ]


def later():
    """Two months after disbursement: a yuan repaid goes to the interest due."""
    return time_machine.travel(timezone.now() + timedelta(days=62), tick=False)


def file_of(loans) -> bytes:
    day = timezone.localdate().isoformat()
    lines = [HEADER]
    for loan, (repayments, days) in zip(loans, PLAN, strict=True):
        lines += [f"{loan.reference},{day},{amount}," for amount in repayments]
        lines.append(f"{loan.reference},{day},,{days}")
    return ("\n".join(lines) + "\n").encode()


def one_action_per_loan(loans, officer) -> None:
    """The same rows applied with one engine action per loan and the system's floor after it."""
    paid_at = timezone.make_aware(datetime.combine(timezone.localdate(), time(12)))
    steps = []
    for loan, (repayments, days) in zip(loans, PLAN, strict=True):
        data = {
            "feed": "by hand",
            "repayments": [{"principal": amount, "paid_at": paid_at} for amount in repayments],
            "days_past_due": days,
        }
        steps.append(ActionStep(loan, "core_feed_apply", officer, data))
        cause = {"cause": f"days_past_due={days}"}
        steps.append(ActionStep(loan, "classification_floor_apply", None, cause))
    perform_actions(steps, channel=Channel.WEB)


def servicing(loan) -> dict[str, Any]:
    stored = Loan.objects.get(pk=loan.pk)
    schedule = current_schedule(stored)
    assert schedule is not None
    assert stored.disbursed_at is not None
    inspections = Timer.objects.filter(
        object_id=stored.pk, kind=Timer.Kind.INSPECTION, stopped_at__isnull=True
    )
    return {
        "inspection_due": [timer.due_at - stored.disbursed_at for timer in inspections],
        "balance": stored.outstanding_balance,
        "days_past_due": stored.days_past_due,
        "risk_class": stored.risk_class,
        "schedule": schedule.version,
        "instalments": list(
            schedule.instalments.order_by("number").values_list(
                "number", "principal_paid", "interest_paid", "overdue_interest_paid"
            )
        ),
        "allocations": list(
            RepaymentAllocation.objects.filter(repayment__loan=stored)
            .order_by("repayment__paid_at", "repayment_id", "number")
            .values_list("number", "paid_on", "overdue_interest", "interest", "principal")
        ),
    }


def test_a_batch_writes_what_one_action_per_loan_writes(loans, cast):
    fed, by_hand = loans[: len(PLAN)], loans[len(PLAN) :]
    before = {loan.pk: events_of(loan).count() for loan in loans}
    with later():
        result = feed_import(content=file_of(fed), file_name="feed.csv", actor=cast.officer)
        one_action_per_loan(by_hand, cast.officer)

    assert result.imported, result.feed_import.rejections
    for mine, theirs in zip(fed, by_hand, strict=True):
        assert servicing(mine) == servicing(theirs)
        new = events_of(mine).filter(seq__gt=before[mine.pk])
        expected = events_of(theirs).filter(seq__gt=before[theirs.pk])
        assert [trail_entry(e) for e in new] == [trail_entry(e) for e in expected]
    assert Loan.objects.get(pk=fed[0].pk).risk_class == RiskClass.SPECIAL_MENTION  # downgraded
    assert Loan.objects.get(pk=fed[2].pk).risk_class == RiskClass.SPECIAL_MENTION
    assert Loan.objects.get(pk=fed[1].pk).risk_class == RiskClass.NORMAL


def trail_entry(event: AuditEvent) -> dict[str, Any]:
    payload = dict(event.payload)
    payload.pop("feed", None)
    ids = {record["id"]: n for n, record in enumerate(payload.pop("records", []))}
    if ids:
        payload["records"] = sorted(ids.values())
    if "allocated" in payload:
        payload["allocated"] = [
            {**entry, "repayment": ids[entry["repayment"]]} for entry in payload["allocated"]
        ]
    snapshot = dict(event.snapshot)
    snapshot["site_visit"] = {**snapshot["site_visit"], "visited_at": "the loan's own"}
    return {
        "action": event.action,
        "kind": event.kind,
        "actor_role": event.actor_role,
        "payload": payload,
        "snapshot": snapshot,
        "changes": event.changes,
    }


def test_every_loan_s_chain_and_seal_verify_after_batches(loans, cast, monkeypatch):
    monkeypatch.setattr(batch, "BATCH_SIZE", 2)  # three loans: two batches
    fed = loans[: len(PLAN)]
    with later():
        first = feed_import(content=file_of(fed), file_name="one.csv", actor=cast.officer)
        day = timezone.localdate().isoformat()
        again = "\n".join([HEADER, *(f"{loan.reference},{day},1.00," for loan in fed)]) + "\n"
        second = feed_import(content=again.encode(), file_name="two.csv", actor=cast.officer)

    assert first.imported
    assert second.imported
    for loan in fed:
        events = list(events_of(loan))
        assert verify_chain(events).intact
        assert [e.action for e in events].count("core_feed_apply") == 2
        sealed = ChainSeal.objects.get(
            chain=Chain.EVENTS, content_type=events[-1].content_type, object_id=loan.pk
        )
        assert (sealed.last_seq, sealed.last_hash) == (events[-1].seq, events[-1].hash)
        assert sealed.mac == seals.mac(
            seals.keys()[sealed.key_id],
            Chain.EVENTS,
            "loans.loan",
            loan.pk,
            sealed.last_seq,
            sealed.last_hash,
        )
    assert verify(Scope(objects=tuple(fed))).breaks == 0


def test_a_loan_refused_in_a_batch_refuses_the_file_and_is_recorded(loans, cast, monkeypatch):
    """A loan that leaves post-loan management between the file's judgement and its lock (a
    concurrent step) is refused under the lock: nothing of the file is written, the deviation
    is kept."""
    from loans.feed import importer

    fed = loans[: len(PLAN)]
    judged = importer._imported_keys

    def closed_meanwhile(keys):
        Loan.objects.filter(pk=fed[1].pk).update(state=LoanState.CLOSED)
        return judged(keys)

    monkeypatch.setattr(importer, "_imported_keys", closed_meanwhile)
    with later():
        result = feed_import(content=file_of(fed), file_name="feed.csv", actor=cast.officer)

    assert not result.imported
    assert result.feed_import.outcome == FeedImport.Outcome.REJECTED
    assert not Repayment.objects.filter(loan__in=fed).exists()
    assert not FeedRow.objects.exists()
    assert not AuditEvent.objects.filter(action="core_feed_apply").exists()
    assert Loan.objects.get(pk=fed[0].pk).days_past_due == 0
    deviation = Deviation.objects.get(transition="core_feed_apply")
    assert deviation.object_id == fed[1].pk
    assert deviation.kind == Deviation.Kind.WRONG_STATE
    assert deviation.actor == cast.officer
