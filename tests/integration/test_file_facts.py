"""The facts of a loan's file (loans/checks/facts.py) are the records' own values, however read:
with the loan's lock, on their own, or for a batch of loans."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import timezone

from loans.checks.facts import CONTRACT_FIELDS, VISIT_FIELDS, facts_of, read_for
from loans.journeys import advance, prepare_to_leave
from loans.models import Contract, Loan, SiteVisit
from loans.states import LoanState
from tests import factories
from workflow.engine import lock

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _policy_in_force(db):
    factories.PolicyVersionFactory()


def reads_of(loan: Loan) -> dict[str, dict[str, Any]]:
    """The facts of ``loan``'s file read each way the engine reads them."""
    batch = Loan.objects.get(pk=loan.pk)
    read_for([batch])
    return {
        "with the lock": facts_of(lock(loan, timezone.now())),
        "on their own": facts_of(Loan.objects.get(pk=loan.pk)),
        "for a batch": facts_of(batch),
    }


def test_the_latest_visit_and_contract_read_with_the_loan_are_the_records_own_values(cast, product):
    loan = factories.LoanFactory(account_manager=cast.manager, product=product)
    loan = prepare_to_leave(advance(loan, LoanState.DISBURSEMENT, cast), cast)
    visit = SiteVisit.objects.get(loan=loan)
    contract = Contract.objects.get(loan=loan)
    assert visit.co_investigator_confirmed_at is not None
    assert contract.annual_rate is not None
    assert contract.signed_face_to_face is True
    expected = {
        **{f"file_visit_{name}": getattr(visit, name) for name in VISIT_FIELDS},
        "file_visit_evidence": visit.evidence.count(),
        **{f"file_contract_{name}": getattr(contract, name) for name in CONTRACT_FIELDS},
    }
    assert expected["file_visit_evidence"] > 0

    for way, facts in reads_of(loan).items():
        read = {name: facts[name] for name in expected}
        # The same values of the same types: a Decimal to the field's places, not a float; times
        # aware, in UTC, to the microsecond.
        assert {name: repr(value) for name, value in read.items()} == {
            name: repr(value) for name, value in expected.items()
        }, way
        assert read == expected, way


def test_a_file_without_a_visit_or_a_contract_reads_none_for_each_of_their_fields(loan):
    for way, facts in reads_of(loan).items():
        assert {
            name: value
            for name, value in facts.items()
            if name.startswith(("file_visit_", "file_contract_"))
        } == {
            **{f"file_visit_{name}": None for name in VISIT_FIELDS},
            "file_visit_evidence": None,
            **{f"file_contract_{name}": None for name in CONTRACT_FIELDS},
        }, way
