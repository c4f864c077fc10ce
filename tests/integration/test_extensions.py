"""Extension (展期): asked in post-loan by the account manager, reviewed and approved again under
the loan's own separation of duties and authority; the approval makes a new schedule version.
Every wrong person, an extension over the policy's limits and one after maturity are refused and
recorded as deviations."""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from loans import services
from loans.choices import ExtensionStatus, RiskClass
from loans.journeys import act, advance
from loans.models import Extension, Loan, PolicyVersion
from loans.models.servicing import ScheduleReason
from loans.roles import Role
from loans.selectors import audit_trail_of, deviations_of
from loans.services.servicing import current_schedule
from loans.servicing import schedule_maths as maths
from loans.states import LoanState
from tests import factories
from workflow.audit import events_of, verify_chain
from workflow.engine import InvalidInput, TransitionRefused
from workflow.models import Deviation

pytestmark = pytest.mark.django_db

WHY = "The harvest came late; sales will cover the loan by autumn."
OPINION = "Cash flow checked against the buyer's contract; the delay is credible."
NOTE = "Approved: the new maturity matches the buyer's payment date."


@pytest.fixture
def disbursed(loan, cast):
    return advance(loan, LoanState.POST_LOAN, cast)


def request(loan: Loan, actor, months: int = 6) -> Extension:
    return act(loan, "extension_request", actor, months=months, reason=WHY)


def review(loan: Loan, extension: Extension, actor) -> Extension:
    return act(loan, "extension_review", actor, record=extension, opinion=OPINION)


def approve(loan: Loan, extension: Extension, actor) -> Extension:
    return act(loan, "extension_approve", actor, record=extension, note=NOTE)


def refused(loan: Loan, name: str, actor, **data) -> Deviation:
    before = deviations_of(loan).count()
    with pytest.raises(TransitionRefused) as caught:
        act(loan, name, actor, **data)
    assert deviations_of(loan).count() == before + 1
    return caught.value.deviation


def failed_codes(deviation: Deviation) -> set[str]:
    return {check["code"] for check in deviation.failed_checks}


# --- the whole path -----------------------------------------------------------------------------


def test_an_extension_reviewed_and_approved_makes_a_new_schedule_and_marks_the_loan(
    disbursed, cast
):
    first = current_schedule(disbursed)
    extension = request(disbursed, cast.manager, months=6)
    assert extension.status == ExtensionStatus.REQUESTED
    assert extension.maturity_before == maths.add_months(first.start_date, 12)
    assert extension.maturity_after == maths.add_months(first.start_date, 18)

    review(disbursed, extension, cast.reviewer)
    approve(disbursed, extension, cast.approver)

    loan = Loan.objects.get(pk=disbursed.pk)
    extension.refresh_from_db()
    schedule = current_schedule(loan)
    assert (schedule.version, schedule.reason) == (2, ScheduleReason.EXTENSION)
    assert extension.schedule == schedule
    assert extension.status == ExtensionStatus.APPROVED
    assert (extension.reviewed_by, extension.decided_by) == (cast.reviewer, cast.approver)
    rows = list(schedule.instalments.order_by("number"))
    assert len(rows) == 18
    assert rows[-1].due_date == maths.add_months(first.start_date, 18)
    assert sum((row.principal for row in rows), Decimal(0)) == loan.outstanding_balance
    assert first.instalments.count() == 12  # the earlier version stays as it was
    assert (loan.extension_months, loan.extended_at is not None) == (6, True)
    assert loan.risk_class == RiskClass.NORMAL  # a signal, not a class

    events = {e.action: e for e in audit_trail_of(loan) if e.action.startswith("extension_")}
    assert {name: e.actor_role for name, e in events.items()} == {
        "extension_request": Role.ACCOUNT_MANAGER,
        "extension_review": Role.REVIEWER,
        "extension_approve": Role.APPROVER,
    }
    assert events["extension_approve"].payload["schedule"] == {"version": 2, "instalments": 18}
    assert verify_chain(events_of(loan)).intact


def test_the_extensions_add_up_within_the_limit_of_the_term(disbursed, cast):
    extension = request(disbursed, cast.manager, months=8)
    review(disbursed, extension, cast.reviewer)
    approve(disbursed, extension, cast.approver)

    deviation = refused(disbursed, "extension_request", cast.manager, months=5, reason=WHY)

    assert deviation.kind == Deviation.Kind.CHECKS_FAILED
    assert failed_codes(deviation) == {"extension_within_limits"}
    assert request(disbursed, cast.manager, months=4).months == 4  # 8 + 4 = the 12-month term


def test_a_declined_extension_changes_nothing_and_cannot_be_approved(disbursed, cast):
    extension = request(disbursed, cast.manager)
    act(disbursed, "extension_decline", cast.reviewer, record=extension, note=NOTE)

    deviation = refused(disbursed, "extension_approve", cast.approver, record=extension, note=NOTE)

    assert failed_codes(deviation) == {"extension_awaiting_approval"}
    loan = Loan.objects.get(pk=disbursed.pk)
    assert (loan.extension_months, current_schedule(loan).version) == (0, 1)
    assert request(disbursed, cast.manager).status == ExtensionStatus.REQUESTED  # ask again


# --- the wrong person ---------------------------------------------------------------------------


def test_the_account_manager_who_also_reviews_may_not_review_their_loans_extension(
    cast, product, branch
):
    dual = factories.staff(Role.ACCOUNT_MANAGER, Role.REVIEWER, branch=branch, username="dual")
    loan = advance(
        factories.LoanFactory(account_manager=dual, product=product),
        LoanState.POST_LOAN,
        dataclasses.replace(cast, manager=dual),
    )
    extension = request(loan, dual)

    deviation = refused(loan, "extension_review", dual, record=extension, opinion=OPINION)

    assert deviation.kind == Deviation.Kind.WRONG_PERSON
    assert "reviewer_independent" in failed_codes(deviation)


def test_the_extensions_reviewer_may_not_approve_it(disbursed, cast, branch):
    both = factories.staff(
        Role.REVIEWER, Role.APPROVER, branch=branch, username="both", authority_level=3
    )
    extension = request(disbursed, cast.manager)
    review(disbursed, extension, both)

    deviation = refused(disbursed, "extension_approve", both, record=extension, note=NOTE)

    assert deviation.kind == Deviation.Kind.WRONG_PERSON
    assert "approver_independent" in failed_codes(deviation)


def test_the_account_manager_may_not_review_or_approve_and_a_reviewer_may_not_approve(
    disbursed, cast
):
    extension = request(disbursed, cast.manager)
    for name, actor, data in (
        ("extension_review", cast.manager, {"opinion": OPINION}),
        ("extension_approve", cast.manager, {"note": NOTE}),
        ("extension_approve", cast.reviewer, {"note": NOTE}),
        ("extension_request", cast.reviewer, {"months": 3, "reason": WHY}),
    ):
        deviation = refused(disbursed, name, actor, record=extension, **data)
        assert deviation.kind == Deviation.Kind.WRONG_ROLE


def test_an_approver_without_the_loans_authority_is_refused(cast, product, junior_approver):
    loan = advance(
        factories.LoanFactory(account_manager=cast.manager, product=product, amount=200_000),
        LoanState.POST_LOAN,
        cast,
    )
    extension = request(loan, cast.manager)
    review(loan, extension, cast.reviewer)

    deviation = refused(loan, "extension_approve", junior_approver, record=extension, note=NOTE)

    assert deviation.kind == Deviation.Kind.WRONG_PERSON
    assert failed_codes(deviation) == {"extension_approver_authority"}
    assert approve(loan, extension, cast.approver).status == ExtensionStatus.APPROVED


def test_above_the_top_tier_one_approver_endorses_and_another_approves(disbursed, cast, branch):
    PolicyVersion.objects.create(
        version="low-tiers",
        effective_from=timezone.now() - timedelta(minutes=1),
        authority_tier_1=Decimal(10_000),
        authority_tier_2=Decimal(20_000),
        authority_tier_3=Decimal(50_000),  # the loan's CNY 80,000 is above the top tier now
    )
    second = factories.staff(Role.APPROVER, branch=branch, username="approver4", authority_level=3)
    extension = request(disbursed, cast.manager)
    review(disbursed, extension, cast.reviewer)

    alone = refused(disbursed, "extension_approve", cast.approver, record=extension, note=NOTE)
    act(disbursed, "extension_endorse", second, record=extension)
    again = refused(disbursed, "extension_approve", second, record=extension, note=NOTE)

    assert alone.kind == again.kind == Deviation.Kind.WRONG_PERSON
    assert failed_codes(alone) == failed_codes(again) == {"extension_approver_authority"}
    assert approve(disbursed, extension, cast.approver).endorsed_by == second


def test_an_approval_before_review_is_refused_as_skipping_it(disbursed, cast):
    extension = request(disbursed, cast.manager)

    deviation = refused(disbursed, "extension_approve", cast.approver, record=extension, note=NOTE)

    assert deviation.kind == Deviation.Kind.CHECKS_FAILED
    assert failed_codes(deviation) == {"extension_awaiting_approval"}


def test_another_branch_may_not_ask(disbursed, outsider):
    deviation = refused(disbursed, "extension_request", outsider, months=3, reason=WHY)

    assert deviation.kind == Deviation.Kind.OUT_OF_SCOPE


# --- over the limit, after maturity, in arrears, twice -----------------------------------------


def test_an_extension_over_the_policys_limit_is_refused_and_logged(disbursed, cast):
    deviation = refused(disbursed, "extension_request", cast.manager, months=13, reason=WHY)

    assert deviation.kind == Deviation.Kind.CHECKS_FAILED
    assert failed_codes(deviation) == {"extension_within_limits"}
    assert not Extension.objects.filter(loan=disbursed).exists()


def test_an_extension_asked_after_maturity_is_refused_and_logged(disbursed, cast):
    maturity = current_schedule(disbursed).instalments.order_by("-number").first().due_date
    with time_machine.travel(maturity + timedelta(days=1)):
        deviation = refused(disbursed, "extension_request", cast.manager, months=3, reason=WHY)

    assert failed_codes(deviation) == {"extension_before_maturity"}


def test_an_extension_still_undecided_at_maturity_can_no_longer_be_approved(disbursed, cast):
    extension = request(disbursed, cast.manager)
    review(disbursed, extension, cast.reviewer)

    with time_machine.travel(extension.maturity_before + timedelta(days=1)):
        deviation = refused(
            disbursed, "extension_approve", cast.approver, record=extension, note=NOTE
        )

    assert failed_codes(deviation) == {"extension_before_maturity"}


def test_a_loan_in_arrears_is_not_extended(disbursed, cast):
    services.days_past_due_update(loan=disbursed, days_past_due=5)

    deviation = refused(disbursed, "extension_request", cast.manager, months=3, reason=WHY)

    assert failed_codes(deviation) == {"extension_not_in_arrears"}


def test_one_extension_at_a_time(disbursed, cast):
    request(disbursed, cast.manager)

    deviation = refused(disbursed, "extension_request", cast.manager, months=2, reason=WHY)

    assert failed_codes(deviation) == {"extension_not_pending"}


def test_a_request_without_a_reason_is_an_input_error_not_a_deviation(disbursed, cast):
    with pytest.raises(InvalidInput):
        act(disbursed, "extension_request", cast.manager, months=3, reason="later")

    assert deviations_of(disbursed).count() == 0


# --- statements ----------------------------------------------------------------------------------


def approval_statements(loan: Loan, cast) -> int:
    extension = request(loan, cast.manager, months=6)
    review(loan, extension, cast.reviewer)
    with CaptureQueriesContext(connection) as captured:
        approve(loan, extension, cast.approver)
    return len(captured.captured_queries)


def test_the_approval_takes_as_many_statements_whatever_the_schedules_length(cast, product):
    def disbursed_over(months: int) -> Loan:
        made = factories.LoanFactory(account_manager=cast.manager, product=product)
        made.term_months = months
        made.save(update_fields=["term_months"])
        return advance(made, LoanState.POST_LOAN, cast)

    approval_statements(disbursed_over(6), cast)  # warm the caches
    short, long = disbursed_over(6), disbursed_over(36)

    assert approval_statements(short, cast) == approval_statements(long, cast)


# --- on the web -----------------------------------------------------------------------------------


def test_the_path_on_the_loan_page_and_the_queues(client, disbursed, cast):
    page = reverse("loans:detail", args=[disbursed.pk])
    client.force_login(cast.manager)
    asked = reverse("loans:action", args=[disbursed.pk, "extension_request"])
    assert asked in client.get(page).content.decode()
    client.post(asked, {"months": "6", "reason": WHY})
    extension = Extension.objects.get(loan=disbursed)

    client.force_login(cast.reviewer)
    queue = client.get(reverse("loans:queue")).content.decode()
    assert 'data-testid="pending-extensions"' in queue
    assert disbursed.reference in queue
    reviewed = reverse("loans:record-action", args=[disbursed.pk, "extension_review", extension.pk])
    assert reviewed in client.get(page).content.decode()
    client.post(reviewed, {"opinion": OPINION})

    client.force_login(cast.approver)
    assert disbursed.reference in client.get(reverse("loans:queue")).content.decode()
    approved = reverse(
        "loans:record-action", args=[disbursed.pk, "extension_approve", extension.pk]
    )
    client.post(approved, {"note": NOTE})

    extension.refresh_from_db()
    assert extension.status == ExtensionStatus.APPROVED
    shown = client.get(page).content.decode()
    assert 'data-testid="extended"' in shown
    assert 'data-testid="extension-approved"' in shown
    assert (
        'data-testid="pending-extensions"'
        not in client.get(reverse("loans:queue")).content.decode()
    )


def test_the_reviewer_is_offered_no_step_on_a_loan_they_sold(client, disbursed, cast):
    request(disbursed, cast.manager)
    client.force_login(cast.manager)

    shown = client.get(reverse("loans:detail", args=[disbursed.pk])).content.decode()

    assert "extension_review" not in shown
    assert 'data-testid="extension-requested"' in shown
