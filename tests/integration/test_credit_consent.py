"""The credit report is queried only with the borrower's written consent, which states its purpose
(credit reporting regulation, art. 18; docs/rules.md ``intake.credit-consent``)."""

from __future__ import annotations

import pytest
from django.utils import timezone

from loans.choices import CreditQueryPurpose
from loans.journeys import act, prepare_to_leave
from loans.states import LoanState
from workflow.engine import InvalidInput, TransitionRefused, perform_transition
from workflow.models import Deviation

pytestmark = pytest.mark.django_db


def authorise(loan, manager, **consent):
    return act(loan, "credit_authorisation_record", manager, signed_at=timezone.now(), **consent)


def test_the_authorisation_keeps_the_written_consent_and_its_purpose(loan, manager):
    authorisation = authorise(
        loan, manager, written_consent=True, purpose=CreditQueryPurpose.LOAN_APPLICATION
    )

    authorisation.refresh_from_db()
    assert authorisation.written_consent is True
    assert authorisation.purpose == CreditQueryPurpose.LOAN_APPLICATION


@pytest.mark.parametrize(
    "consent",
    [
        {"purpose": CreditQueryPurpose.LOAN_APPLICATION},  # consent not confirmed as written
        {"written_consent": False, "purpose": CreditQueryPurpose.LOAN_APPLICATION},
        {"written_consent": True},  # no purpose
    ],
)
def test_an_authorisation_without_written_consent_or_purpose_is_a_form_error(
    loan, manager, consent
):
    with pytest.raises(InvalidInput) as invalid:
        authorise(loan, manager, **consent)

    assert [r.code for r in invalid.value.decision.input_errors] == ["consent_in_writing"]
    assert not loan.credit_authorisations.exists()
    assert not Deviation.objects.exists()


def test_a_consent_for_another_purpose_does_not_authorise_the_application_query(loan, cast):
    loan = prepare_to_leave(loan, cast)
    only = loan.credit_authorisations.get()
    act(loan, "credit_authorisation_cancel", cast.manager, record=only, reason="Signed for later.")
    authorise(loan, cast.manager, written_consent=True, purpose=CreditQueryPurpose.POST_LOAN)

    with pytest.raises(TransitionRefused) as refused:
        perform_transition(loan, "start_site_visit", actor=cast.manager)

    assert refused.value.deviation.failed_codes == ["credit_authorisation_on_file"]
    assert loan.state == LoanState.INTAKE
