"""The comment thread on a loan: anyone who sees the loan writes to its file through the engine
(audited in the loan's chain, refused as a deviation when its checks fail); a mentioned colleague
is notified with a link to the loan; comments are never edited; the page reads the thread in a
constant number of statements."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.test import APIClient

from loans.models import LoanComment
from loans.roles import Role
from loans.selectors import audit_trail_of, deviations_of
from tests import factories
from workflow.actions import perform_action
from workflow.engine import TransitionRefused
from workflow.models import Deviation, Notification, OutboxMessage

pytestmark = pytest.mark.django_db


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def post(loan, actor, **data):
    return perform_action(loan, "comment_post", actor=actor, data=data)


def test_a_comment_is_written_to_the_file_and_audited_in_the_loans_chain(loan, cast):
    comment = post(loan, cast.reviewer, text="  Is the lease signed?  ")

    assert (comment.author, comment.text) == (cast.reviewer, "Is the lease signed?")
    event = audit_trail_of(loan).last()
    assert event.action == "comment_post"
    assert event.payload["record"] == {"type": "loans.loancomment", "id": comment.pk}


@pytest.mark.parametrize("text", ["", "   "])
def test_an_empty_comment_is_refused_and_logged_as_a_deviation(loan, cast, text):
    with pytest.raises(TransitionRefused) as refused:
        post(loan, cast.manager, text=text)

    assert refused.value.deviation.failed_codes == ["comment_written"]
    assert not LoanComment.objects.exists()


def test_someone_of_another_branch_cannot_comment(loan, outsider):
    with pytest.raises(TransitionRefused) as refused:
        post(loan, outsider, text="Looks fine to me.")

    assert refused.value.kind == Deviation.Kind.OUT_OF_SCOPE
    assert not LoanComment.objects.exists()


def test_mentioning_a_colleague_who_cannot_see_the_loan_is_refused(loan, cast, outsider):
    with pytest.raises(TransitionRefused) as refused:
        post(loan, cast.manager, text="Can you check?", mentioned=outsider)

    assert refused.value.deviation.failed_codes == ["mention_sees_the_loan"]
    assert not Notification.objects.exists()


def test_a_mentioned_colleague_is_notified_with_a_link_to_the_loan(client, loan, cast):
    post(loan, cast.manager, text="Please look at the guarantee.", mentioned=cast.approver)

    (notice,) = Notification.objects.filter(recipient=cast.approver)
    assert notice.kind == Notification.Kind.MENTION
    assert (notice.content_type.model, notice.object_id) == ("loan", loan.pk)
    assert "Please look at the guarantee." in notice.body
    assert OutboxMessage.objects.filter(args=[notice.pk]).exists()
    client.force_login(cast.approver)
    inbox = client.get(reverse("workflow:inbox")).content.decode()
    assert f'href="{reverse("loans:detail", args=[loan.pk])}"' in inbox


def test_every_role_who_sees_the_loan_comments_in_any_stage(loan, cast, compliance, branch):
    head = factories.staff(Role.BRANCH_HEAD, branch=branch, username="head1")
    for person in (cast.officer, compliance, head):
        post(loan, person, text=f"Seen by {person.username}.")

    assert LoanComment.objects.count() == 3


def test_the_page_shows_the_thread_oldest_first_and_posts_through_the_engine(client, loan, cast):
    post(loan, cast.manager, text="First.")
    client.force_login(cast.reviewer)

    response = client.post(
        reverse("loans:action", args=[loan.pk, "comment_post"]),
        {"text": "Second, a correction of the first.", "mentioned": cast.manager.pk},
    )
    page = client.get(reverse("loans:detail", args=[loan.pk])).content.decode()

    assert response.status_code == 302
    thread = page.split('id="comments"')[1].split("</ol>")[0]
    assert thread.index("First.") < thread.index("Second, a correction of the first.")
    assert Notification.objects.filter(recipient=cast.manager).exists()


def test_an_empty_comment_posted_on_the_page_is_a_deviation(client, loan, cast):
    client.force_login(cast.reviewer)

    client.post(reverse("loans:action", args=[loan.pk, "comment_post"]), {"text": ""})

    (deviation,) = deviations_of(loan)
    assert deviation.failed_codes == ["comment_written"]


def test_the_loan_page_reads_many_comments_in_a_constant_number_of_statements(client, loan, cast):
    client.force_login(cast.reviewer)
    post(loan, cast.manager, text="One.")
    client.get(reverse("loans:detail", args=[loan.pk]))  # warm the caches
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("loans:detail", args=[loan.pk]))
    for number in range(15):
        post(loan, cast.reviewer, text=f"Comment {number}.", mentioned=cast.manager)
    with CaptureQueriesContext(connection) as many:
        page = client.get(reverse("loans:detail", args=[loan.pk])).content.decode()

    assert page.count('data-testid="comment"') == 16
    assert len(many.captured_queries) == len(few.captured_queries)


def test_the_api_lists_and_posts_comments_and_refuses_an_empty_one(loan, cast, outsider):
    created = api(cast.reviewer).post(
        f"/api/v1/loans/{loan.pk}/comments/",
        {"text": "Checked the figures.", "mentioned": cast.manager.pk},
        format="json",
    )
    empty = api(cast.reviewer).post(
        f"/api/v1/loans/{loan.pk}/comments/", {"text": " "}, format="json"
    )
    listed = api(cast.manager).get(f"/api/v1/loans/{loan.pk}/comments/").json()
    hidden = api(outsider).get(f"/api/v1/loans/{loan.pk}/comments/")

    assert created.status_code == 201
    assert created.json()["mentioned"] == cast.manager.username
    assert empty.status_code == 409
    assert empty.json()["deviation_id"]
    assert [(c["author"], c["text"]) for c in listed] == [("reviewer1", "Checked the figures.")]
    assert hidden.status_code == 404


def test_comments_are_in_the_openapi_schema_and_cannot_be_edited(client, loan, cast):
    client.force_login(cast.manager)
    schema = client.get("/api/schema/", {"format": "json"}).json()

    operations = schema["paths"]["/api/v1/loans/{id}/comments/"]
    assert set(operations) >= {"get", "post"}
    assert not {"put", "patch", "delete"} & set(operations)
