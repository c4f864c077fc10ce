"""Renewal (续贷): from post-loan or closed, the loan's account manager opens a new application
linked to the loan it renews, carrying its application and risk class (docs/rules.md, renewal)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from loans import services
from loans.choices import RiskClass
from loans.journeys import act, advance
from loans.models import Loan
from loans.states import APPLICATION_FIELDS, LoanState
from tests import factories
from tests.api.test_api import api
from workflow.audit import events_of
from workflow.engine import TransitionRefused, perform_transition
from workflow.models import Deviation

pytestmark = pytest.mark.django_db


@pytest.fixture
def closed(loan, cast):
    return advance(loan, LoanState.CLOSED, cast)


@pytest.fixture
def repaying(loan, cast):
    return advance(loan, LoanState.POST_LOAN, cast)


def renew(loan, actor) -> Loan:
    return act(loan, "loan_renew", actor)


def refused(loan, actor) -> Deviation:
    with pytest.raises(TransitionRefused) as refusal:
        renew(loan, actor)
    return refusal.value.deviation


def test_a_closed_loan_is_renewed_as_a_new_application_linked_to_it(closed, manager):
    renewal = renew(closed, manager)

    assert renewal.pk != closed.pk
    assert renewal.state == LoanState.INTAKE
    assert renewal.renewal_of == closed
    assert list(closed.renewals.all()) == [renewal]
    assert (renewal.borrower, renewal.account_manager) == (closed.borrower, closed.account_manager)
    for name in APPLICATION_FIELDS:
        assert getattr(renewal, name) == getattr(closed, name)


def test_the_renewal_is_in_both_audit_trails(closed, manager):
    renewal = renew(closed, manager)

    event = next(e for e in events_of(closed) if e.action == "loan_renew")
    assert event.payload["record"] == {"type": "loans.loan", "id": renewal.pk}
    assert event.payload["renewal"] == renewal.reference
    (opened,) = events_of(renewal)
    assert opened.action == "application_opened"
    assert opened.payload["renewal_of"] == closed.reference


def test_a_renewal_starts_at_the_renewed_loans_risk_class(repaying, manager):
    repaying = services.days_past_due_update(loan=repaying, days_past_due=5)
    services.days_past_due_update(loan=repaying, days_past_due=0)  # the arrears are cleared
    repaying.refresh_from_db()
    assert repaying.risk_class == RiskClass.SPECIAL_MENTION  # a class is not improved by itself

    renewal = renew(repaying, manager)

    assert renewal.risk_class == RiskClass.SPECIAL_MENTION
    assert events_of(renewal)[0].payload["risk_class"] == RiskClass.SPECIAL_MENTION


def test_a_loan_in_arrears_is_not_renewed(repaying, manager):
    repaying = services.days_past_due_update(loan=repaying, days_past_due=3)

    deviation = refused(repaying, manager)

    assert deviation.failed_codes == ["renewal_not_in_arrears"]
    assert deviation.failed_checks[0]["clause"] == "renewal.no-arrears"
    assert not repaying.renewals.exists()


def test_a_loan_in_arrears_is_renewed_where_the_policy_allows_it(repaying, manager):
    factories.PolicyVersionFactory(
        renewal_in_arrears_allowed=True, effective_from=timezone.now() - timedelta(days=1)
    )
    repaying = services.days_past_due_update(loan=repaying, days_past_due=3)

    renewal = renew(repaying, manager)

    assert renewal.risk_class == RiskClass.SPECIAL_MENTION


def test_a_second_renewal_waits_until_the_first_ends_without_a_loan(closed, manager):
    first = renew(closed, manager)

    assert refused(closed, manager).failed_codes == ["renewal_not_yet_opened"]

    perform_transition(
        first,
        "withdraw",
        actor=manager,
        payload={"reason": "other", "comment": "The borrower no longer needs it."},
    )
    assert renew(closed, manager).renewal_of == closed


def test_only_a_repaying_or_closed_loan_is_renewed(loan, manager):
    assert refused(loan, manager).kind == Deviation.Kind.WRONG_STATE


def test_another_account_manager_may_not_renew_the_loan(closed, co_investigator):
    assert refused(closed, co_investigator).kind == Deviation.Kind.WRONG_PERSON


def test_the_loan_pages_link_the_renewal_and_the_renewed_loan(client, closed, manager):
    client.force_login(manager)
    offered = client.get(reverse("loans:detail", args=[closed.pk])).content.decode()
    assert reverse("loans:action", args=[closed.pk, "loan_renew"]) in offered

    answer = client.post(reverse("loans:action", args=[closed.pk, "loan_renew"]), {})
    assert answer.status_code == 302
    renewal = closed.renewals.get()

    old_page = client.get(reverse("loans:detail", args=[closed.pk])).content.decode()
    new_page = client.get(reverse("loans:detail", args=[renewal.pk])).content.decode()
    assert f'href="{reverse("loans:detail", args=[renewal.pk])}" data-testid="renewed-by"' in (
        old_page
    )
    assert f'href="{reverse("loans:detail", args=[closed.pk])}" data-testid="renewal-of"' in (
        new_page
    )


def test_the_api_renews_through_the_action_and_shows_the_link_both_ways(closed, manager):
    client = api(manager)

    answer = client.post(f"/api/v1/loans/{closed.pk}/actions/loan_renew/", {}, format="json")

    assert answer.status_code == 200, answer.content
    renewal_id = answer.json()["record"]
    assert answer.json()["loan"]["renewed_by"] == renewal_id
    renewal = client.get(f"/api/v1/loans/{renewal_id}/").json()
    assert (renewal["renewal_of"], renewal["state"]) == (closed.pk, "intake")
    assert client.get(f"/api/v1/loans/{closed.pk}/").json()["renewed_by"] == renewal_id
