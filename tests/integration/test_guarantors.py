"""Guarantors (保证人) in the loan's file: added, corrected and cancelled only through the engine,
with the borrower as their own guarantor and an outsider refused and recorded as deviations."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from loans.journeys import act, advance
from loans.models import Guarantor
from loans.states import LoanState
from tests import factories
from workflow.audit import events_of
from workflow.engine import InvalidInput, TransitionRefused
from workflow.models import Deviation

pytestmark = pytest.mark.django_db

COMPANY_CODE = "91350100M000100Y43"  # a valid unified social credit code (DOMAIN.md §8)


def guarantee(loan, actor, **fields):
    data = {
        "kind": "person",
        "name": "周建国",
        "id_number": factories.valid_resident_id(),
        "phone": "13912345678",
        "amount": Decimal("80000.00"),
        "signed_on": timezone.localdate(),
        **fields,
    }
    return act(loan, "guarantor_record", actor, **data)


def test_the_account_manager_records_a_guarantor_in_intake(loan, manager):
    number = factories.valid_resident_id()

    guarantor = guarantee(loan, manager, id_number=number[:-1] + number[-1].lower())

    assert guarantor.id_number == number.upper()
    assert (guarantor.loan, guarantor.recorded_by, guarantor.kind) == (loan, manager, "person")
    assert list(loan.guarantors.all()) == [guarantor]
    event = list(events_of(loan))[-1]
    assert (event.action, event.actor) == ("guarantor_record", manager)


def test_a_guarantor_may_be_recorded_in_the_site_visit_but_not_after_it(loan, cast):
    loan = advance(loan, LoanState.SITE_VISIT, cast)
    guarantee(loan, cast.manager)
    loan = advance(loan, LoanState.REVIEW, cast)

    with pytest.raises(TransitionRefused):
        guarantee(loan, cast.manager)

    assert Deviation.objects.get().kind == Deviation.Kind.WRONG_STATE
    assert loan.guarantors.count() == 1


def test_a_company_guarantor_gives_a_valid_unified_social_credit_code(loan, manager):
    with pytest.raises(InvalidInput) as invalid:
        guarantee(loan, manager, kind="company", id_number=COMPANY_CODE[:-1] + "0")
    assert "id_number" in invalid.value.message_dict

    company = guarantee(loan, manager, kind="company", id_number=COMPANY_CODE.lower())

    assert company.id_number == COMPANY_CODE
    assert Deviation.objects.count() == 0  # a typing error is answered, not recorded


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("id_number", "110105194912310021"),  # wrong check character
        ("amount", Decimal(0)),
        ("signed_on", timezone.localdate() + timedelta(days=1)),
    ],
)
def test_a_bad_identity_amount_or_date_is_a_form_error_not_a_deviation(loan, manager, field, value):
    with pytest.raises(InvalidInput) as invalid:
        guarantee(loan, manager, **{field: value})

    assert field in invalid.value.message_dict
    assert Guarantor.all_objects.count() == 0
    assert Deviation.objects.count() == 0


def test_the_borrower_as_their_own_guarantor_is_refused_and_logged(loan, manager):
    with pytest.raises(TransitionRefused) as refused:
        guarantee(loan, manager, id_number=loan.borrower.id_number)

    deviation = refused.value.deviation
    assert deviation.kind == Deviation.Kind.CHECKS_FAILED
    assert deviation.failed_codes == ["guarantor_not_borrower"]
    assert Guarantor.all_objects.count() == 0


def test_an_outsider_is_refused_and_logged(loan, outsider):
    with pytest.raises(TransitionRefused) as refused:
        guarantee(loan, outsider)

    assert refused.value.deviation.kind == Deviation.Kind.OUT_OF_SCOPE
    assert Guarantor.all_objects.count() == 0


def test_a_colleague_who_does_not_hold_the_loan_is_refused_and_logged(loan, co_investigator):
    with pytest.raises(TransitionRefused) as refused:
        guarantee(loan, co_investigator)

    assert refused.value.deviation.kind == Deviation.Kind.WRONG_PERSON
    assert refused.value.deviation.failed_codes == ["loan_owner"]


def test_a_correction_keeps_the_reason_and_the_values_before_and_after(loan, manager):
    guarantor = guarantee(loan, manager)

    act(
        loan,
        "guarantor_correct",
        manager,
        record=guarantor,
        amount=Decimal("50000.00"),
        reason="The contract guarantees fifty thousand.",
    )

    guarantor.refresh_from_db()
    assert guarantor.amount == Decimal("50000.00")
    corrected = list(events_of(loan))[-1].payload["corrected"]
    assert corrected["changes"] == {"amount": ["80000.00", "50000.00"]}


def test_a_correction_to_the_borrowers_own_number_is_refused_and_logged(loan, manager):
    guarantor = guarantee(loan, manager)

    with pytest.raises(TransitionRefused) as refused:
        act(
            loan,
            "guarantor_correct",
            manager,
            record=guarantor,
            id_number=loan.borrower.id_number,
            reason="Typed from the wrong page of the file.",
        )

    assert refused.value.deviation.failed_codes == ["guarantor_not_borrower"]
    guarantor.refresh_from_db()
    assert guarantor.id_number != loan.borrower.id_number


def test_a_cancelled_guarantor_stays_in_the_file_but_counts_for_nothing(loan, manager):
    guarantor = guarantee(loan, manager)

    act(loan, "guarantor_cancel", manager, record=guarantor, reason="The guarantor withdrew.")

    assert loan.guarantors.count() == 0
    assert Guarantor.all_objects.get().cancelled_at is not None


def test_the_loan_page_the_memo_and_the_api_show_the_guarantor_masked(client, loan, manager):
    guarantor = guarantee(loan, manager, name="周建国")
    masked = guarantor.id_number[:4] + "*" * 10 + guarantor.id_number[-4:]
    client.force_login(manager)

    page = client.get(reverse("loans:detail", args=[loan.pk]))
    memo = client.get(reverse("loans:approval_memo", args=[loan.pk]))
    api = APIClient()
    api.force_authenticate(manager)
    listed = api.get(f"/api/v1/loans/{loan.pk}/guarantors/").json()

    card = next(card for card in page.context["cards"] if card.name == "guarantor")
    facts = {fact.label: fact.value for fact in card.records[0].facts}
    assert facts["Identity number"] == masked
    assert facts["Amount guaranteed (cny)"] == "¥80,000.00"
    for body in (page.content.decode(), memo.content.decode()):
        assert "周建国" in body
        assert masked in body
        assert guarantor.id_number not in body
    rows = listed["results"] if isinstance(listed, dict) else listed
    assert [(row["name"], row["id_number"]) for row in rows] == [("周建国", masked)]
