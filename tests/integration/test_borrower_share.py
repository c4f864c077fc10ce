"""A non-retail borrower more than 10 % of whose claims at the bank are non-performing has all of
its loans at least substandard (classification.non-retail-share): the system's floor, applied
daily through the engine and audited; a loan so raised does not hold the others down."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from loans import services
from loans.choices import BorrowerKind, RiskClass
from loans.journeys import act, advance
from loans.models import Borrower, Loan
from loans.selectors import audit_trail_of
from loans.services.classification import BORROWER_SHARE_CAUSE, borrower_floors_apply
from loans.states import LoanState
from loans.tasks import apply_borrower_floors
from loans.validators import uscc_check_character
from tests import factories

pytestmark = pytest.mark.django_db


def borrower_of(kind: str, branch) -> Borrower:
    if kind == BorrowerKind.INDIVIDUAL:
        return factories.BorrowerFactory(branch=branch)
    body = "91350100M000100Y4"
    return factories.BorrowerFactory(
        branch=branch, kind=kind, id_number=body + uscc_check_character(body)
    )


def book(kind: str, amounts: list[int], cast, manager, product) -> list[Loan]:
    """Loans of one borrower in post-loan management, the first non-performing (95 days)."""
    borrower = borrower_of(kind, manager.branch)
    loans = [
        advance(
            factories.LoanFactory(
                account_manager=manager, product=product, borrower=borrower, amount=Decimal(n)
            ),
            LoanState.POST_LOAN,
            cast,
        )
        for n in amounts
    ]
    services.days_past_due_update(loan=loans[0], days_past_due=95)
    return loans


def classes(loans: list[Loan]) -> list[RiskClass]:
    return [Loan.objects.get(pk=loan.pk).risk_class for loan in loans]


def inspect(loan: Loan, manager, proposed: RiskClass):
    return act(
        loan,
        "inspection_record",
        manager,
        kind="routine",
        mode="on_site",
        inspected_at=timezone.now(),
        findings="Trading again.",
        funds_used_as_stated=True,
        proposed_class=proposed,
    )


def test_it_raises_every_loan_when_more_than_ten_percent_is_non_performing(cast, manager, product):
    # 30,000 non-performing of 230,000: 13 %.
    loans = book(BorrowerKind.ENTERPRISE, [30_000, 100_000, 100_000], cast, manager, product)

    assert apply_borrower_floors() == 2

    assert classes(loans) == [RiskClass.SUBSTANDARD] * 3
    for loan in loans[1:]:
        stored = Loan.objects.get(pk=loan.pk)
        assert stored.classified_with_borrower
        event = audit_trail_of(stored).filter(action="classification_floor_apply").get()
        assert (event.actor, event.payload["classified"]) == (
            None,
            {"from": "normal", "to": "substandard", "cause": BORROWER_SHARE_CAUSE},
        )
        assert event.snapshot["classified_with_borrower"] is True
    assert apply_borrower_floors() == 0  # a second run changes nothing


def test_ten_percent_or_less_raises_nothing(cast, manager, product):
    # 20,000 non-performing of 220,000: 9 %.
    loans = book(BorrowerKind.ENTERPRISE, [20_000, 100_000, 100_000], cast, manager, product)

    assert borrower_floors_apply() == 0

    assert classes(loans) == [RiskClass.SUBSTANDARD, RiskClass.NORMAL, RiskClass.NORMAL]


def test_an_individual_borrower_s_other_loans_are_not_raised(cast, manager, product):
    loans = book(BorrowerKind.INDIVIDUAL, [30_000, 100_000], cast, manager, product)

    assert borrower_floors_apply() == 0

    assert classes(loans) == [RiskClass.SUBSTANDARD, RiskClass.NORMAL]


def test_a_raised_loan_is_not_proposed_better_and_does_not_hold_the_first(cast, manager, product):
    loans = book(BorrowerKind.ENTERPRISE, [30_000, 100_000], cast, manager, product)
    borrower_floors_apply()

    with pytest.raises(ValidationError, match="claims at the bank are non-performing"):
        inspect(loans[1], manager, RiskClass.SPECIAL_MENTION)

    services.days_past_due_update(loan=loans[0], days_past_due=0)
    inspect(loans[0], manager, RiskClass.SPECIAL_MENTION)  # not held by the raised loan
    event = audit_trail_of(loans[0]).filter(action="inspection_record").last()
    assert event.payload["upgrade_proposed"] == "special_mention"
