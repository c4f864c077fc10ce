"""The loan page as a case file: every record in words and all of them, corrections shown, the
reader's own steps apart from other roles', destructive steps behind a confirmation, and a number
of statements that does not grow with the file."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.files.base import ContentFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from loans.choices import DocumentKind, InspectionKind, InspectionMode
from loans.journeys import EVIDENCE_PHOTO, act, advance
from loans.models import Document, Inspection, Repayment
from loans.states import LoanState
from tests import factories

pytestmark = pytest.mark.django_db


def page_of(client, loan, language="en"):
    response = client.get(
        reverse("loans:detail", args=[loan.pk]), headers={"accept-language": language}
    )
    assert response.status_code == 200
    return response


def test_the_file_shows_each_record_kind_in_words(client, cast):
    loan = advance(factories.LoanFactory(account_manager=cast.manager), LoanState.POST_LOAN, cast)
    Inspection.objects.create(
        loan=loan,
        kind=InspectionKind.FIRST,
        mode=InspectionMode.ON_SITE,
        inspector=cast.manager,
        inspected_at=timezone.now(),
        findings="Stock bought as stated; the shop is busy.",
        funds_used_as_stated=True,
    )
    Repayment.objects.create(
        loan=loan, principal=Decimal("12345.60"), paid_at=timezone.now(), recorded_by=cast.officer
    )
    client.force_login(cast.approver)

    page = page_of(client, loan).content.decode()

    assert "Borrower interviewed face to face; purpose and repayment source discussed." in page
    assert "Monthly takings checked against bank statements for six months." in page
    photo = loan.documents.filter(site_visit__isnull=False).first()
    assert reverse("loans:document-thumbnail", args=[loan.pk, photo.pk]) in page
    assert reverse("loans:document", args=[loan.pk, photo.pk]) in page
    assert "Figures consistent; repayment capacity adequate." in page  # the review's opinion
    assert "Debt-to-income" in page
    assert "Industry concentration" in page
    assert "debt_to_income" not in page
    assert ">concentration<" not in page
    assert "Within authority; approved with one condition." in page  # the approver's opinion
    assert "The guarantor signs the contract in person." in page
    assert f"C-{loan.reference}" in page  # the contract
    assert "¥80,000.00" in page  # the drawdown
    assert "Stock bought as stated; the shop is busy." in page
    assert "¥12,345.60" in page
    assert f"{loan.reference} interview" not in page  # no record reads as its database name


def test_every_record_is_shown_and_those_past_five_fold_behind_show_all(
    mid_morning, client, loan, cast
):
    for number in range(8):
        act(
            loan,
            "interview_record",
            cast.manager,
            held_at=timezone.now() - timedelta(minutes=number),
            location="Branch",
            notes=f"Interview note number {number}.",
        )
    client.force_login(cast.reviewer)

    page = page_of(client, loan).content.decode()

    for number in range(8):
        assert f"Interview note number {number}." in page
    folded = page.split('id="card-interview"')[1].split("</section>")[0]
    assert "Show all 8" in folded
    # Oldest first: the newest are the ones folded.
    assert folded.index("Interview note number 7.") < folded.index("<details")
    assert folded.index("<details") < folded.index("Interview note number 0.")


def test_corrected_and_cancelled_records_are_marked_with_their_reasons(client, loan, cast):
    kept = act(loan, "interview_record", cast.manager, held_at=timezone.now(), location="A",
               notes="First notes.")  # fmt: skip
    twice = act(loan, "interview_record", cast.manager, held_at=timezone.now(), location="A",
                notes="Entered twice.")  # fmt: skip
    act(loan, "interview_correct", cast.manager, record=kept, notes="Corrected notes.",
        reason="The borrower's income was misheard.")  # fmt: skip
    act(loan, "interview_cancel", cast.manager, record=twice, reason="Recorded twice by mistake.")
    client.force_login(cast.manager)

    page = page_of(client, loan).content.decode()

    assert "Corrected notes." in page
    assert "The borrower&#x27;s income was misheard." in page
    assert "Recorded twice by mistake." in page
    assert "record-cancelled" in page
    assert ">Corrected<" in page


def test_other_roles_steps_are_folded_and_not_buttons(client, cast):
    loan = advance(factories.LoanFactory(account_manager=cast.manager), LoanState.REVIEW, cast)
    client.force_login(cast.manager)

    response = page_of(client, loan)
    page = response.content.decode()

    assert [s.option.name for s in response.context["my_steps"]] == []
    others = {s.option.name for s in response.context["other_steps"]}
    assert {"submit_for_approval", "return_to_site_visit", "reject"} <= others
    assert "not your role" not in page
    other_steps = page.split('id="other-steps"')[1].split("</details>")[0]
    assert "Submit for approval" in other_steps
    assert "by the reviewer" in other_steps
    transition = reverse("loans:transition", args=[loan.pk, "submit_for_approval"])
    assert transition not in page  # nothing there to press


def test_the_readers_steps_come_first_and_reject_is_apart_behind_a_confirmation(client, cast):
    loan = advance(factories.LoanFactory(account_manager=cast.manager), LoanState.REVIEW, cast)
    client.force_login(cast.reviewer)

    response = page_of(client, loan)
    page = response.content.decode()

    assert [s.option.name for s in response.context["my_destructive_steps"]] == ["reject"]
    assert "reject" not in {s.option.name for s in response.context["my_steps"]}
    my_actions = page.split('id="my-actions"')[1].split("</section>")[0]
    assert my_actions.index("Submit for approval") < my_actions.index("danger-zone")
    confirm = my_actions.split('class="confirm-step"')[1]
    assert 'class="btn btn-danger step-button"' in confirm
    assert "Confirm: Reject" in confirm
    assert page.index('id="my-actions"') < page.index('id="file"')


def test_the_stepper_names_who_acts_next_and_shows_the_clock(client, cast):
    loan = advance(factories.LoanFactory(account_manager=cast.manager), LoanState.SITE_VISIT, cast)
    client.force_login(cast.reviewer)

    response = page_of(client, loan)

    stages = {stage.state: stage.status for stage in response.context["stepper"].stages}
    assert stages["intake"] == "done"
    assert stages["site_visit"] == "current"
    assert stages["review"] == "upcoming"
    actor = response.context["next_actor"]
    assert str(actor.role) == "account manager"
    assert actor.person == cast.manager.username
    assert response.context["clock"].sla_status == "on_time"
    assert 'data-testid="next-actor"' in response.content.decode()


def test_a_rejected_loan_shows_where_it_stopped(client, cast):
    loan = advance(factories.LoanFactory(account_manager=cast.manager), LoanState.REVIEW, cast)
    client.force_login(cast.reviewer)
    client.post(
        reverse("loans:transition", args=[loan.pk, "reject"]),
        {"reason": "inconsistent_figures", "comment": "Turnover does not add up."},
    )

    response = page_of(client, loan)

    stages = {stage.state: stage.status for stage in response.context["stepper"].stages}
    assert stages["review"] == "ended"
    assert stages["approval"] == "upcoming"
    assert str(response.context["stepper"].ending) == "rejected"
    assert response.context["next_actor"] is None


def test_the_approver_writes_an_opinion_with_the_step_and_it_shows_on_the_decision_card(
    client, cast
):
    loan = advance(factories.LoanFactory(account_manager=cast.manager), LoanState.APPROVAL, cast)
    client.force_login(cast.approver)

    response = page_of(client, loan)
    approve = next(s for s in response.context["my_steps"] if s.option.name == "approve")
    form = response.content.decode().split('data-transition="approve"')[1].split("</form>")[0]
    assert approve.ready
    assert approve.asks_opinion
    assert 'name="comment"' in form
    assert "required" in form
    assert "Your opinion" in form

    client.post(
        reverse("loans:transition", args=[loan.pk, "approve"]),
        {"conditions": "", "comment": "Cash flow covers the instalments twice."},
    )

    page = page_of(client, loan).content.decode()
    card = page.split('class="record" id="decision-')[1].split("</article>")[0]
    assert "Cash flow covers the instalments twice." in card
    assert cast.approver.username in card
    assert "approver" in card


def test_an_approval_posted_without_an_opinion_is_refused_as_a_deviation(client, cast):
    loan = advance(factories.LoanFactory(account_manager=cast.manager), LoanState.APPROVAL, cast)
    client.force_login(cast.approver)

    client.post(reverse("loans:transition", args=[loan.pk, "approve"]), {"conditions": ""})

    loan.refresh_from_db()
    assert loan.state == LoanState.APPROVAL
    (deviation,) = response_deviations(loan)
    assert deviation.failed_codes == ["opinion_written"]


def response_deviations(loan):
    from loans.selectors import deviations_of

    return list(deviations_of(loan))


def test_the_loan_page_reads_a_large_file_in_a_constant_number_of_statements(client, cast):
    loan = advance(factories.LoanFactory(account_manager=cast.manager), LoanState.POST_LOAN, cast)
    client.force_login(cast.approver)
    page_of(client, loan)  # warm the content-type and policy caches
    with CaptureQueriesContext(connection) as small:
        page_of(client, loan)

    visit = loan.site_visits.get()
    for number in range(12):
        factories.InterviewFactory(loan=loan, notes=f"Note {number}.")
        Inspection.objects.create(
            loan=loan,
            kind=InspectionKind.ROUTINE,
            mode=InspectionMode.OFF_SITE,
            inspector=cast.manager,
            inspected_at=timezone.now(),
            findings=f"Finding {number}.",
            funds_used_as_stated=True,
        )
        Repayment.objects.create(
            loan=loan, principal=Decimal(10), paid_at=timezone.now(), recorded_by=cast.officer
        )
        for attached in (visit, None):  # a visit's photo, and a document of the loan
            Document.objects.create(
                loan=loan,
                site_visit=attached,
                kind=DocumentKind.PHOTO,
                file=ContentFile(EVIDENCE_PHOTO, name="shop.jpg"),
                original_name=f"shop-{number}.jpg",
                size=len(EVIDENCE_PHOTO),
                uploaded_by=cast.manager,
            )
    with CaptureQueriesContext(connection) as large:
        page = page_of(client, loan).content.decode()

    assert "Finding 11." in page
    assert "Note 11." in page
    assert "shop-11.jpg" in page
    assert len(large.captured_queries) == len(small.captured_queries)


def test_the_timeline_names_each_person_not_their_user_name(client, cast):
    cast.manager.first_name, cast.manager.last_name = "Min", "Zhou"
    cast.manager.save(update_fields=["first_name", "last_name"])
    loan = advance(factories.LoanFactory(account_manager=cast.manager), LoanState.SITE_VISIT, cast)
    client.force_login(cast.approver)

    page = page_of(client, loan).content.decode()
    timeline = page[page.index("<ol", page.index('id="timeline"')) :]

    assert "Min Zhou" in timeline.split("</ol>")[0]
    assert f"· {cast.manager.username}<" not in timeline.split("</ol>")[0]
