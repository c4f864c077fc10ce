"""The deviation log for compliance and the overview for branch heads."""

from __future__ import annotations

import csv
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from loans.journeys import advance
from loans.roles import Role
from loans.states import LoanState
from tests import factories
from workflow.engine import TransitionRefused, perform_transition
from workflow.models import DeviationReview

pytestmark = pytest.mark.django_db


def refuse(loan, actor, name="start_site_visit"):
    with pytest.raises(TransitionRefused) as refused:
        perform_transition(loan, name, actor=actor)
    return refused.value.deviation


@pytest.fixture
def head(branch):
    return factories.staff(Role.BRANCH_HEAD, branch=branch, username="head1")


def test_compliance_lands_on_the_deviation_log_of_its_branch(
    client, loan, manager, compliance, outsider
):
    mine = refuse(loan, manager)
    refuse(factories.LoanFactory(account_manager=outsider), outsider)
    client.force_login(compliance)

    response = client.get("/", follow=True)

    assert response.redirect_chain[-1][0] == reverse("loans:deviations")
    assert [row.pk for row in response.context["rows"]] == [mine.pk]
    assert loan.reference in response.content.decode()


def test_the_log_filters_by_kind_and_check_code(client, loan, manager, officer, compliance):
    checks = refuse(loan, manager)
    refuse(loan, officer, "disburse")  # wrong state: no checks evaluated
    client.force_login(compliance)

    by_kind = client.get(reverse("loans:deviations"), {"kind": "wrong_state"}).context["rows"]
    by_code = client.get(reverse("loans:deviations"), {"check_code": "interview_recorded"}).context[
        "rows"
    ]

    assert [row.deviation.kind for row in by_kind] == ["wrong_state"]
    assert [row.pk for row in by_code] == [checks.pk]


def test_the_log_refuses_staff_without_the_role(client, manager):
    client.force_login(manager)
    assert client.get(reverse("loans:deviations")).status_code == 403


def test_the_log_keeps_a_constant_number_of_queries(
    client, manager, compliance, product, django_assert_num_queries
):
    refuse(factories.LoanFactory(account_manager=manager, product=product), manager)
    client.force_login(compliance)
    with CaptureQueriesContext(connection) as one:
        client.get(reverse("loans:deviations"))
    for _ in range(6):
        refuse(factories.LoanFactory(account_manager=manager, product=product), manager)

    with django_assert_num_queries(len(one.captured_queries)):
        client.get(reverse("loans:deviations"))


def test_the_detail_shows_every_failed_check_in_the_readers_language(
    client, loan, manager, compliance
):
    deviation = refuse(loan, manager)
    client.force_login(compliance)

    page = client.get(
        reverse("loans:deviation", args=[deviation.pk]), headers={"accept-language": "zh-hans"}
    ).content.decode()

    assert "尚未记录与借款人的面谈。" in page
    assert "interview_recorded" in page
    assert "defaults" in page  # the policy version


def test_compliance_acknowledges_then_resolves_with_notes(client, loan, manager, compliance):
    deviation = refuse(loan, manager)
    client.force_login(compliance)
    url = reverse("loans:deviation", args=[deviation.pk])

    client.post(url, {"status": "acknowledged", "note": "Spoke to the manager."})
    client.post(url, {"status": "resolved", "note": "Interview recorded since."})
    page = client.post(
        url, {"status": "escalated", "note": "Too late."}, follow=True
    ).content.decode()

    assert list(deviation.reviews.values_list("status", flat=True)) == ["acknowledged", "resolved"]
    assert "cannot become escalated" in page


def test_a_branch_head_reads_the_log_but_cannot_work_it(client, loan, manager, head):
    deviation = refuse(loan, manager)
    client.force_login(head)

    assert client.get(reverse("loans:deviations")).status_code == 200
    response = client.post(
        reverse("loans:deviation", args=[deviation.pk]), {"status": "resolved", "note": "x"}
    )

    assert response.status_code == 403
    assert not DeviationReview.objects.exists()


def test_the_filtered_log_is_exported_as_streamed_csv(client, loan, manager, reviewer, compliance):
    refuse(loan, manager)
    refuse(loan, reviewer)
    client.force_login(compliance)

    response = client.get(reverse("loans:deviations-export"), {"kind": "checks_failed"})

    assert response.streaming
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(body)))
    assert len(rows) == 1
    assert rows[0]["Loan reference"] == loan.reference
    assert rows[0]["Failed checks"] == (
        "The borrower consented in writing to the credit-report query; "
        "A face-to-face interview is on file"
    )


def test_the_overview_shows_a_branch_head_stages_late_work_and_exceptions(client, cast, head):
    advance(factories.LoanFactory(account_manager=cast.manager), LoanState.REVIEW, cast)
    client.force_login(head)

    response = client.get("/", follow=True)

    assert response.redirect_chain[-1][0] == reverse("loans:overview")
    stages = dict(response.context["stages"])
    assert stages[LoanState.REVIEW] == 1


def test_the_overview_is_for_branch_heads_only(client, compliance):
    client.force_login(compliance)
    assert client.get(reverse("loans:overview")).status_code == 403
