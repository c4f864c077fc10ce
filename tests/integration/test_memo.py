"""The printable approval memo and loan summary: the file, the risk factors in words, each
opinion with who gave it, in which role and when, and the conditions; only for the branch."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from loans.journeys import APPROVAL, advance
from loans.states import LoanState

pytestmark = pytest.mark.django_db


@pytest.fixture
def approved(loan, cast):
    cast.approver.first_name, cast.approver.last_name = "Zhou", "Min"
    cast.approver.save()
    return advance(loan, LoanState.DISBURSEMENT, cast)


def test_the_memo_shows_the_approver_role_time_and_conditions(client, approved, cast):
    client.force_login(cast.reviewer)

    response = client.get(reverse("loans:approval_memo", args=[approved.pk]))
    page = response.content.decode()

    assert response.status_code == 200
    decision = approved.approval_decisions.get()
    signed = [s for s in response.context["signatures"] if s.name == "Zhou Min"]
    assert [str(s.role) for s in signed] == ["approver"]
    assert str(signed[0].step) == "Approve"
    assert "Zhou Min" in page
    assert timezone.localtime(decision.decided_at).strftime("%Y-%m-%d %H:%M") in page
    assert APPROVAL["conditions"][0] in page
    assert APPROVAL["comment"] in page
    assert "reviewer1" in page  # who reviewed, as their name is known


def test_the_memo_names_the_risk_factors_in_words(client, approved, cast):
    client.force_login(cast.approver)

    page = client.get(reverse("loans:approval_memo", args=[approved.pk])).content.decode()

    assert "Debt-to-income ratio" in page
    assert "Credit report" in page
    assert "debt_to_income" not in page
    assert "concentration<" not in page


def test_the_memo_prints_in_chinese(client, approved, cast):
    client.force_login(cast.approver)

    page = client.get(
        reverse("loans:approval_memo", args=[approved.pk]), HTTP_ACCEPT_LANGUAGE="zh-hans"
    ).content.decode()

    assert '<html lang="zh-hans">' in page
    assert "Zhou Min" in page


def test_the_summary_adds_the_contract_and_balance(client, approved, cast):
    client.force_login(cast.approver)

    page = client.get(reverse("loans:loan_summary", args=[approved.pk])).content.decode()

    assert "Outstanding balance" in page
    assert "Zhou Min" in page


def test_the_memo_has_a_print_stylesheet_and_no_inline_script(client, approved, cast):
    client.force_login(cast.approver)

    page = client.get(reverse("loans:approval_memo", args=[approved.pk])).content.decode()

    assert "data-print" in page
    assert "<script>" not in page
    assert "onclick" not in page


def test_the_memo_is_not_found_for_another_branch(client, approved, outsider):
    client.force_login(outsider)

    for name in ("loans:approval_memo", "loans:loan_summary"):
        assert client.get(reverse(name, args=[approved.pk])).status_code == 404


def test_the_loan_page_links_to_the_memo_and_summary(client, loan, manager):
    client.force_login(manager)

    page = client.get(reverse("loans:detail", args=[loan.pk])).content.decode()

    assert reverse("loans:approval_memo", args=[loan.pk]) in page
    assert reverse("loans:loan_summary", args=[loan.pk]) in page


def test_the_memo_prints_a_reviewers_returned_decision_with_its_opinion_and_role(
    client, loan, cast
):
    from workflow.engine import perform_transition

    in_review = advance(loan, LoanState.REVIEW, cast)
    perform_transition(
        in_review,
        "return_to_site_visit",
        actor=cast.reviewer,
        payload={"reason": "missing_documents", "comment": "Photograph the stock room."},
    )
    client.force_login(cast.approver)

    page = client.get(reverse("loans:approval_memo", args=[loan.pk])).content.decode()
    (decision,) = [
        d.decode() if isinstance(d, bytes) else d
        for d in page.split('data-testid="memo-decision"')[1:]
    ]

    assert "Photograph the stock room." in decision
    assert "reviewer1" in decision
    assert "reviewer" in decision.split("·")[2]  # in which role
    assert "returned for revision" in decision
