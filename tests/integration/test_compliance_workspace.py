"""The compliance workspace: the deviation log's filters by name and local date, names instead of
codes in both languages, reviews of several deviations with one note, the escalation that tells
the branch head, who may do what, and the CSV and XLSX exports for head office."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from loans.roles import Role
from tests import factories
from workflow.engine import TransitionRefused, perform_transition
from workflow.models import DeviationReview, Notification, OutboxMessage
from workflow.verification import Scope, verify

pytestmark = pytest.mark.django_db

LOG = reverse("loans:deviations")
BULK = reverse("loans:deviations-review")
CHINESE = {"accept-language": "zh-hans"}
# 2026-03-01 23:30 and 2026-03-02 00:30 in Shanghai: two local days, one UTC day.
LATE_EVENING = datetime(2026, 3, 1, 15, 30, tzinfo=UTC)
JUST_AFTER_MIDNIGHT = datetime(2026, 3, 1, 16, 30, tzinfo=UTC)


def refuse(loan, actor, name="start_site_visit", at=None):
    """A real refusal, recorded by the engine (at ``at``, when given)."""
    moment = at or datetime.now(tz=UTC)
    with time_machine.travel(moment, tick=False), pytest.raises(TransitionRefused) as refused:
        perform_transition(loan, name, actor=actor)
    return refused.value.deviation


@pytest.fixture
def head(branch):
    return factories.staff(Role.BRANCH_HEAD, branch=branch, username="head1")


@pytest.fixture
def other_head(other_branch):
    return factories.staff(Role.BRANCH_HEAD, branch=other_branch, username="head2")


def rows_of(response):
    return [row.pk for row in response.context["rows"]]


def table_text(response) -> str:
    """What a person reads in the log's table: its cells' text, without the markup."""
    html = response.content.decode()
    body = html[html.index("<tbody>") : html.index("</tbody>")]
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", body))


def bulk(client, deviations, status="acknowledged", note="Spoke to the branch.", **extra):
    return client.post(
        BULK,
        {"deviation": [d.pk for d in deviations], "status": status, "note": note, **extra},
        follow=True,
    )


# --- filters --------------------------------------------------------------------------------------


def test_the_dates_are_local_days_picked_with_a_date_picker(client, loan, manager, compliance):
    evening = refuse(loan, manager, at=LATE_EVENING)
    midnight = refuse(loan, manager, at=JUST_AFTER_MIDNIGHT)
    client.force_login(compliance)

    first_day = client.get(LOG, {"date_from": "2026-03-01", "date_to": "2026-03-01"})
    second_day = client.get(LOG, {"date_from": "2026-03-02"})
    both = client.get(LOG, {"date_from": "2026-03-01", "date_to": "2026-03-02"})

    assert rows_of(first_day) == [evening.pk]
    assert rows_of(second_day) == [midnight.pk]
    assert sorted(rows_of(both)) == sorted([evening.pk, midnight.pk])
    page = first_day.content.decode()
    assert 'type="date"' in page
    assert 'value="2026-03-01"' in page  # the picked day stays in the form


def test_the_log_filters_by_each_field(client, product, manager, officer, compliance, branch):
    loan = factories.LoanFactory(account_manager=manager, product=product)
    other_loan = factories.LoanFactory(account_manager=manager, product=product)
    checks = refuse(loan, manager)  # checks failed: no interview, no authorisation
    wrong_state = refuse(other_loan, officer, "disburse")
    client.force_login(compliance)
    bulk(client, [wrong_state])  # acknowledged

    expected = {
        "branch": ("B01", {checks.pk, wrong_state.pk}),
        "actor": ("officer1", {wrong_state.pk}),
        "loan": (loan.reference.lower(), {checks.pk}),
        "transition": ("disburse", {wrong_state.pk}),
        "check_code": ("interview_recorded", {checks.pk}),
        "kind": ("checks_failed", {checks.pk}),
        "severity": ("high", {checks.pk, wrong_state.pk}),
        "status": ("acknowledged", {wrong_state.pk}),
    }
    for field, (value, wanted) in expected.items():
        response = client.get(LOG, {field: value})
        assert response.status_code == 200, field
        assert set(rows_of(response)) == wanted, field
    assert rows_of(client.get(LOG, {"status": "open"})) == [checks.pk]


def test_every_filter_has_its_label_and_offers_names(client, compliance):
    client.force_login(compliance)

    page = client.get(LOG).content.decode()

    assert "[invalid name]" not in page
    assert "is greater than" not in page
    assert "is less than" not in page
    for label in ("From (date)", "To (date)", "Branch", "Staff", "Loan reference"):
        assert f">{label}</label>" in page
    assert '<option value="start_site_visit">Start the site visit</option>' in page
    assert '<option value="interview_recorded">A face-to-face interview is on file</option>' in page
    assert '<option value="B01">B01 County Sub-branch</option>' in page
    assert '<option value="compliance1">compliance1</option>' in page


def test_an_invalid_date_is_shown_on_its_field(client, compliance):
    client.force_login(compliance)

    response = client.get(LOG, {"date_from": "1900-01-01"})

    assert response.context["rows"] == []
    assert "Give a date between 1970 and 2200." in response.content.decode()


# --- names, in the reader's language -----------------------------------------------------------


def test_the_log_names_steps_checks_kinds_and_statuses_in_chinese(
    client, loan, manager, compliance
):
    refuse(loan, manager)
    client.force_login(compliance)

    response = client.get(LOG, headers=CHINESE)
    text = table_text(response)

    assert "开始实地调查" in text  # Start the site visit
    assert "受理" in text  # from intake
    assert "必要检查未通过" in text  # mandatory checks failed
    assert "已有面谈记录" in text  # the interview check's title
    assert "待处理" in text  # open
    for code in ("start_site_visit", "intake", "checks_failed", "interview_recorded", "open"):
        assert code not in text
    assert f'href="{reverse("loans:detail", args=[loan.pk])}"' in response.content.decode()


def test_the_detail_names_everything_and_keeps_the_code_only_beside_its_title(
    client, loan, manager, compliance
):
    deviation = refuse(loan, manager)
    client.force_login(compliance)
    bulk(client, [deviation], note="已与客户经理沟通")

    page = client.get(
        reverse("loans:deviation", args=[deviation.pk]), headers=CHINESE
    ).content.decode()

    assert "开始实地调查" in page
    assert "客户经理" in page  # the role acted in
    assert "已确认" in page  # acknowledged, on the review
    assert "已与客户经理沟通" in page
    assert "<strong>已有面谈记录</strong>" in page
    assert "<code>interview_recorded</code>" in page
    assert "start_site_visit" not in page
    assert "checks_failed" not in page


# --- several deviations, one note ----------------------------------------------------------------


def test_bulk_acknowledge_records_a_review_for_each_deviation(client, product, manager, compliance):
    made = [
        refuse(factories.LoanFactory(account_manager=manager, product=product), manager)
        for _ in range(3)
    ]
    left_alone = refuse(factories.LoanFactory(account_manager=manager, product=product), manager)
    client.force_login(compliance)

    response = bulk(client, made, note="Interviews scheduled for all three.")

    assert "3 deviations recorded as acknowledged." in response.content.decode()
    for deviation in made:
        (review,) = deviation.reviews.all()
        assert (review.status, review.actor, review.note, review.seq) == (
            "acknowledged",
            compliance,
            "Interviews scheduled for all three.",
            1,
        )
        assert review.prev_hash == deviation.hash
    assert not left_alone.reviews.exists()
    assert verify(Scope(objects=tuple(made))).breaks == 0  # chained and sealed as one alone


def test_a_set_with_one_deviation_that_cannot_move_records_nothing(
    client, product, manager, compliance
):
    first, second = (
        refuse(factories.LoanFactory(account_manager=manager, product=product), manager)
        for _ in range(2)
    )
    client.force_login(compliance)
    client.post(
        reverse("loans:deviation", args=[second.pk]), {"status": "resolved", "note": "Done."}
    )

    page = bulk(client, [first, second]).content.decode()

    assert f"#{second.pk} is resolved and cannot become acknowledged." in page
    assert not first.reviews.exists()
    assert list(second.reviews.values_list("status", flat=True)) == ["resolved"]


def test_a_bulk_review_needs_a_note_and_a_selection(client, loan, manager, compliance):
    deviation = refuse(loan, manager)
    client.force_login(compliance)

    without_note = bulk(client, [deviation], note="  ").content.decode()
    without_rows = bulk(client, []).content.decode()

    assert "Write a note." in without_note
    assert "Select at least one deviation." in without_rows
    assert not DeviationReview.objects.exists()


def test_escalating_several_notifies_the_branch_head_of_each_loan(
    client, product, manager, compliance, head, other_head
):
    made = [
        refuse(factories.LoanFactory(account_manager=manager, product=product), manager)
        for _ in range(2)
    ]
    client.force_login(compliance)

    bulk(client, made, status="escalated", note="Second missed interview this month.")

    notes = Notification.objects.filter(kind=Notification.Kind.ESCALATION)
    assert sorted(n.deviation_id for n in notes) == sorted(d.pk for d in made)
    assert sorted(n.object_id for n in notes) == sorted(d.object_id for d in made)  # the loans
    assert {n.recipient for n in notes} == {head}  # not the other branch's head
    first = notes.get(deviation_id=made[0].pk)
    assert "escalated" in first.subject
    assert "Second missed interview this month." in first.body
    assert "Start the site visit" in first.body
    emails = OutboxMessage.objects.filter(task="workflow.tasks.email_notification")
    assert sorted(m.args[0] for m in emails) == sorted(n.pk for n in notes)
    assert [r.status for d in made for r in d.reviews.all()] == ["escalated", "escalated"]


def test_escalating_one_on_its_page_notifies_the_branch_head_too(
    client, loan, manager, compliance, head
):
    deviation = refuse(loan, manager)
    client.force_login(compliance)

    client.post(
        reverse("loans:deviation", args=[deviation.pk]),
        {"status": "escalated", "note": "Repeated."},
    )

    (notification,) = Notification.objects.filter(recipient=head)
    assert (notification.object_id, notification.deviation_id) == (loan.pk, deviation.pk)


def test_an_escalation_links_to_the_loan_page_and_to_the_deviation(
    client, loan, manager, compliance, head
):
    deviation = refuse(loan, manager)
    client.force_login(compliance)
    client.post(
        reverse("loans:deviation", args=[deviation.pk]),
        {"status": "escalated", "note": "Repeated."},
    )
    client.force_login(head)

    page = client.get(reverse("workflow:inbox")).content.decode()
    (listed,) = client.get("/api/v1/notifications/").json()["results"]

    assert f'href="{reverse("loans:detail", args=[loan.pk])}"' in page
    assert f'href="{reverse("loans:deviation", args=[deviation.pk])}"' in page
    assert (listed["loan"], listed["deviation"]) == (loan.pk, deviation.pk)


# --- who may --------------------------------------------------------------------------------------


def test_a_branch_head_reads_but_cannot_review_several(client, loan, manager, head):
    deviation = refuse(loan, manager)
    client.force_login(head)

    page = client.get(LOG).content.decode()
    response = bulk(client, [deviation])

    assert 'name="deviation"' not in page  # no selection without the right to review
    assert response.status_code == 403
    assert not DeviationReview.objects.exists()


def test_staff_without_the_role_see_nothing_of_the_workspace(client, loan, manager):
    deviation = refuse(loan, manager)
    client.force_login(manager)

    for url in (
        LOG,
        reverse("loans:deviations-export"),
        reverse("loans:deviations-export-xlsx"),
        reverse("loans:deviation", args=[deviation.pk]),
    ):
        assert client.get(url).status_code == 403, url
    assert bulk(client, [deviation]).status_code == 403
    assert not DeviationReview.objects.exists()


def test_another_branchs_deviations_are_never_seen_nor_reviewed(
    client, loan, manager, compliance, outsider
):
    mine = refuse(loan, manager)
    theirs = refuse(factories.LoanFactory(account_manager=outsider), outsider)
    client.force_login(compliance)

    listed = rows_of(client.get(LOG))
    _body, exported = _csv(client.get(reverse("loans:deviations-export")))
    response = bulk(client, [mine, theirs])

    assert listed == [mine.pk]
    assert [int(row["Deviation no."]) for row in exported] == [mine.pk]
    assert response.status_code == 403
    assert client.get(reverse("loans:deviation", args=[theirs.pk])).status_code == 404
    assert not DeviationReview.objects.exists()


# --- exports --------------------------------------------------------------------------------------


def _csv(response):
    body = b"".join(response.streaming_content)
    return body, list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))))


def test_the_csv_starts_with_a_bom_and_reads_as_head_office_needs(
    client, loan, manager, compliance
):
    manager.first_name, manager.last_name = "Wei", "Zhang"
    manager.save()
    deviation = refuse(loan, manager, at=JUST_AFTER_MIDNIGHT)
    client.force_login(compliance)
    bulk(client, [deviation], note="Checked with the manager.")

    body, rows = _csv(client.get(reverse("loans:deviations-export")))

    assert body.startswith(b"\xef\xbb\xbf")
    (row,) = rows
    assert row["When (Asia/Shanghai)"] == "2026-03-02 00:30:00"  # local, to the second
    assert row["Loan reference"] == loan.reference
    assert row["Borrower"] == loan.borrower.name
    id_number = loan.borrower.id_number
    assert row["Borrower's identity number"] == f"{id_number[:4]}{'*' * 10}{id_number[-4:]}"
    assert id_number not in body.decode("utf-8-sig")
    assert (row["Staff"], row["Staff user name"]) == ("Wei Zhang", "manager1")
    assert row["Attempted step"] == "Start the site visit"
    assert row["From stage"] == "intake"
    assert row["Kind"] == "mandatory checks failed"
    assert "A face-to-face interview is on file" in row["Failed checks"]
    assert row["Reasons"]
    assert row["Status"] == "acknowledged"
    assert row["Review notes"].endswith("compliance1 → acknowledged: Checked with the manager.")


def test_the_csv_speaks_the_readers_language(client, loan, manager, compliance):
    refuse(loan, manager)
    client.force_login(compliance)

    body, _rows = _csv(client.get(reverse("loans:deviations-export"), headers=CHINESE))
    text = body.decode("utf-8-sig")

    for name in ("开始实地调查", "受理", "必要检查未通过", "已有面谈记录", "待处理"):
        assert name in text
    for code in ("start_site_visit", "checks_failed", "interview_recorded"):
        assert code not in text


def test_the_xlsx_opens_with_local_times_and_names(client, loan, manager, compliance):
    deviation = refuse(loan, manager, at=LATE_EVENING)
    client.force_login(compliance)
    bulk(client, [deviation], status="escalated", note="升级处理")

    response = client.get(reverse("loans:deviations-export-xlsx"), headers=CHINESE)

    assert response["Content-Disposition"] == 'attachment; filename="deviations.xlsx"'
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    (header, row) = list(sheet.iter_rows(values_only=True))
    assert len(header) == len(row) == 18
    assert row[1] == datetime(2026, 3, 1, 23, 30)  # noqa: DTZ001 - local time, as Excel keeps it
    assert sheet.cell(row=2, column=2).number_format == "yyyy-mm-dd hh:mm:ss"
    assert row[3] == loan.reference
    assert (row[8], row[9], row[10]) == ("开始实地调查", "受理", "必要检查未通过")
    assert row[16] == "已升级"  # escalated
    assert "升级处理" in row[17]


def test_the_xlsx_keeps_the_filters(client, product, manager, officer, compliance):
    refuse(factories.LoanFactory(account_manager=manager, product=product), manager)
    wrong_state = refuse(
        factories.LoanFactory(account_manager=manager, product=product), officer, "disburse"
    )
    client.force_login(compliance)

    response = client.get(reverse("loans:deviations-export-xlsx"), {"kind": "wrong_state"})

    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    rows = list(sheet.iter_rows(min_row=2, values_only=True))
    assert [row[0] for row in rows] == [wrong_state.pk]


# --- queries --------------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["compliance", "head"])
def test_the_filtered_log_keeps_a_constant_number_of_queries(
    client, product, manager, compliance, head, who
):
    user = {"compliance": compliance, "head": head}[who]
    params = {"date_from": "2020-01-01", "severity": "high", "status": "open"}

    def refusals(count):
        for _ in range(count):
            refuse(factories.LoanFactory(account_manager=manager, product=product), manager)

    refusals(2)
    client.force_login(user)
    client.get(LOG, params)  # caches warmed (content types, the policy)
    with CaptureQueriesContext(connection) as few:
        client.get(LOG, params)
    refusals(6)

    with CaptureQueriesContext(connection) as many:
        response = client.get(LOG, params)
    assert len(response.context["rows"]) == 8
    assert len(many.captured_queries) == len(few.captured_queries)


def test_the_xlsx_stops_at_a_worksheets_rows_and_points_to_the_csv(
    client, product, manager, compliance, monkeypatch
):
    monkeypatch.setattr("loans.deviation_export.XLSX_ROWS", 2)
    for _ in range(3):
        refuse(factories.LoanFactory(account_manager=manager, product=product), manager)
    client.force_login(compliance)

    response = client.get(reverse("loans:deviations-export-xlsx"))

    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    rows = list(sheet.iter_rows(min_row=2, values_only=True))
    assert len(rows) == 3
    assert rows[-1][0] == "More deviations than a worksheet holds: the CSV has them all."
