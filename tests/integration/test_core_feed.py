"""The core-banking feed: a CSV of repayments and days past due, imported all or nothing, once,
every write through the engine; the classification floors it drives at their boundaries."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from loans.choices import RiskClass
from loans.feed import feed_import
from loans.journeys import act, advance
from loans.models import FeedImport, Loan, Repayment
from loans.policy import policy_in_force
from loans.roles import Role
from loans.selectors import audit_trail_of, next_inspection_due
from loans.services.servicing import days_past_due_refresh
from loans.states import LoanState
from tests import factories
from workflow import timers
from workflow.audit import events_of, verify_chain
from workflow.models import AuditEvent, Timer

pytestmark = pytest.mark.django_db

HEADER = "reference,date,repayment,days_past_due"


def today(days: int = 0) -> str:
    return (timezone.localdate() + timedelta(days=days)).isoformat()


def feed(*rows: str, header: str = HEADER) -> bytes:
    return ("\n".join([header, *rows]) + "\n").encode()


def run(officer, content: bytes, name: str = "feed.csv"):
    return feed_import(content=content, file_name=name, actor=officer)


def fed_days(loan, officer, days: int):
    """Import one row giving ``loan`` ``days`` days past due as of today."""
    result = run(officer, feed(f"{loan.reference},{today()},,{days}"), f"dpd-{days}.csv")
    assert result.imported, result.feed_import.rejections
    return Loan.objects.get(pk=loan.pk)


@pytest.fixture
def disbursed(loan, cast):
    return advance(loan, LoanState.POST_LOAN, cast)


# --- classification driven by imported days past due ---------------------------------------


@pytest.mark.parametrize(
    ("below", "above", "floor_below", "floor_above"),
    [
        (0, 1, RiskClass.NORMAL, RiskClass.SPECIAL_MENTION),
        (90, 91, RiskClass.SPECIAL_MENTION, RiskClass.SUBSTANDARD),
        (270, 271, RiskClass.SUBSTANDARD, RiskClass.DOUBTFUL),
        (360, 361, RiskClass.DOUBTFUL, RiskClass.LOSS),
    ],
)
def test_imported_days_past_due_apply_each_floor_at_its_boundary(
    disbursed, cast, below, above, floor_below, floor_above
):
    assert fed_days(disbursed, cast.officer, below).risk_class == floor_below
    assert fed_days(disbursed, cast.officer, above).risk_class == floor_above

    floors = [e for e in audit_trail_of(disbursed) if e.action == "classification_floor_apply"]
    assert floors[-1].payload["classified"]["to"] == floor_above.name.lower()
    assert (floors[-1].actor, floors[-1].actor_role) == (None, "system")
    assert verify_chain(events_of(disbursed)).intact


def test_a_downgrade_reschedules_the_inspection_monthly(disbursed, cast):
    inspection = act(
        disbursed,
        "inspection_record",
        cast.manager,
        kind="first",
        mode="on_site",
        inspected_at=timezone.now(),
        findings="Shop trading.",
        funds_used_as_stated=True,
    )
    timer = timers.running(disbursed).get(kind=Timer.Kind.INSPECTION)
    assert timer.due_at == inspection.inspected_at + timedelta(days=90)

    loan = fed_days(disbursed, cast.officer, 1)

    timer = timers.running(loan).get(kind=Timer.Kind.INSPECTION)
    assert timer.due_at == inspection.inspected_at + timedelta(days=30)
    # The closing check reads the same date as the timer.
    assert next_inspection_due(loan, policy_in_force()) == timer.due_at


def test_the_same_days_past_due_again_write_no_event(disbursed, cast):
    fed_days(disbursed, cast.officer, 12)
    before = events_of(disbursed).count()

    # Another row (the core system's next transaction) with the same figure, and a repayment.
    result = run(
        cast.officer,
        feed(
            f"{disbursed.reference},{today()},,12,T-2",
            f"{disbursed.reference},{today()},1.00,,T-3",
            header=f"{HEADER},transaction",
        ),
    )

    assert result.feed_import.days_past_due == 1
    (event,) = events_of(disbursed)[before:]
    assert event.action == "core_feed_apply"
    assert "days_past_due_before" not in event.payload  # the repayment only


# --- the import ---------------------------------------------------------------------------


def test_repayments_and_days_past_due_are_recorded_by_the_engine(disbursed, cast):
    content = feed(
        f"{disbursed.reference},{today()},1000.00,",
        f'{disbursed.reference},{today()},"2,500.50",3',
    )

    result = run(cast.officer, content)

    assert result.imported
    assert (result.feed_import.repayments, result.feed_import.days_past_due) == (2, 1)
    loan = Loan.objects.get(pk=disbursed.pk)
    assert loan.outstanding_balance == Decimal("76499.50")
    assert (loan.days_past_due, loan.risk_class) == (3, RiskClass.SPECIAL_MENTION)
    # One event for the loan's rows of the file, then the system's downgrade.
    actions = [e.action for e in audit_trail_of(loan)][-2:]
    assert actions == ["core_feed_apply", "classification_floor_apply"]
    applied = audit_trail_of(loan).get(action="core_feed_apply")
    assert (applied.actor, applied.payload["feed"]) == (cast.officer, result.feed_import.file_hash)
    assert [r["principal"] for r in applied.payload["repayments"]] == ["1000.00", "2500.50"]
    assert applied.payload["days_past_due_before"] == 0
    assert len(applied.payload["records"]) == 2  # the repayments written
    assert sorted(Repayment.objects.filter(loan=loan).values_list("principal", flat=True)) == [
        Decimal("1000.00"),
        Decimal("2500.50"),
    ]
    assert verify_chain(events_of(loan)).intact


def test_each_kind_of_bad_row_is_refused_with_its_row_column_and_reason(
    disbursed, cast, other_branch
):
    elsewhere = factories.LoanFactory(
        account_manager=factories.staff(Role.ACCOUNT_MANAGER, branch=other_branch),
        branch=other_branch,
    )
    ref = disbursed.reference
    content = feed(
        f"{ref},{today()},100.00,",  # 2: good
        f"LF-NOBODY,{today()},100.00,",  # 3: unknown reference
        f"{elsewhere.reference},{today()},100.00,",  # 4: other branch
        f"{ref},{today()},-5.00,",  # 5: negative amount
        f"{ref},{today(1)},100.00,",  # 6: date in the future
        f"{ref},{today()},100.00,",  # 7: duplicate of row 2
        f"{ref},31/12/2025,100.00,",  # 8: malformed date
        f"{ref},{today()},12.345,",  # 9: malformed amount
        f"{ref},{today()}",  # 10: too few fields
        f"{ref},{today()},,-2",  # 11: negative days past due
    )

    result = run(cast.officer, content)

    assert not result.imported
    found = {(r["row"], r["column"], r["code"]) for r in result.feed_import.rejections}
    assert found == {
        (3, "reference", "unknown_reference"),
        (4, "reference", "other_branch"),
        (5, "repayment", "negative"),
        (6, "date", "future_date"),
        (7, "", "duplicate_row"),
        (8, "date", "not_a_date"),
        (9, "repayment", "not_an_amount"),
        (10, "", "field_count"),
        (11, "days_past_due", "negative"),
    }
    first = result.feed_import.rejections[0]
    assert set(first["reason"]) == {"en", "zh-hans"}
    assert first["reason"]["en"] == "No loan has the reference LF-NOBODY."
    # All or nothing: the good row was not imported either.
    assert not Repayment.objects.filter(loan=disbursed).exists()
    assert Loan.objects.get(pk=disbursed.pk).outstanding_balance == Decimal(80_000)


def test_a_file_refused_by_its_last_row_imports_none_of_the_others(disbursed, cast):
    content = feed(
        f"{disbursed.reference},{today()},100.00,4",
        f"{disbursed.reference},{today()},80000.00,",  # with the first: above the balance
    )

    result = run(cast.officer, content)

    (rejection,) = result.feed_import.rejections
    assert (rejection["row"], rejection["code"]) == (3, "above_balance")
    loan = Loan.objects.get(pk=disbursed.pk)
    assert (loan.outstanding_balance, loan.days_past_due) == (Decimal(80_000), 0)
    assert not audit_trail_of(loan).filter(action="repayment_record").exists()


def test_a_loan_not_in_post_loan_management_is_refused(loan, cast):
    result = run(cast.officer, feed(f"{loan.reference},{today()},,5"))

    (rejection,) = result.feed_import.rejections
    assert rejection["code"] == "not_in_post_loan"
    assert "intake" in rejection["reason"]["en"]


def test_importing_the_same_file_twice_changes_nothing(disbursed, cast):
    content = feed(f"{disbursed.reference},{today()},500.00,7")
    first = run(cast.officer, content)
    events = events_of(disbursed).count()

    again = run(cast.officer, content, "renamed.csv")

    assert again.repeated
    assert again.feed_import == first.feed_import
    assert events_of(disbursed).count() == events
    assert Loan.objects.get(pk=disbursed.pk).outstanding_balance == Decimal("79500.00")
    assert FeedImport.objects.count() == 1


def test_a_row_imported_in_an_earlier_file_is_skipped(disbursed, cast):
    row = f"{disbursed.reference},{today()},500.00,"
    run(cast.officer, feed(row))

    result = run(cast.officer, feed(row, f"{disbursed.reference},{today()},250.00,"))

    assert (result.feed_import.already_imported, result.feed_import.repayments) == (1, 1)
    assert Loan.objects.get(pk=disbursed.pk).outstanding_balance == Decimal("79250.00")


def test_rows_with_a_transaction_column_are_keyed_by_it(disbursed, cast):
    header = f"{HEADER},transaction"
    content = feed(
        f"{disbursed.reference},{today()},100.00,,T-1",
        f"{disbursed.reference},{today()},100.00,,T-2",  # same content, another transaction
        header=header,
    )

    result = run(cast.officer, content)

    assert result.feed_import.repayments == 2


def test_the_command_imports_and_reports_refused_rows_in_both_languages(
    disbursed, cast, tmp_path, capsys
):
    good = tmp_path / "good.csv"
    good.write_bytes(feed(f"{disbursed.reference},{today()},100.00,2"))
    bad = tmp_path / "bad.csv"
    bad.write_bytes(feed(f"LF-NOBODY,{today()},100.00,"))

    call_command("import_core_feed", str(good), "--as", cast.officer.username)
    assert "1 repayments" in capsys.readouterr().out
    with pytest.raises(CommandError) as refused:
        call_command("import_core_feed", str(bad), "--as", cast.officer.username)

    assert refused.value.returncode == 1
    assert "row 2 reference: No loan has the reference LF-NOBODY." in capsys.readouterr().err
    assert Loan.objects.get(pk=disbursed.pk).days_past_due == 2
    event = audit_trail_of(disbursed).get(action="core_feed_apply")
    assert event.channel == AuditEvent._meta.get_field("channel").choices[3][0]  # system


def test_the_command_is_for_disbursement_officers(cast, tmp_path):
    path = tmp_path / "feed.csv"
    path.write_bytes(feed())

    with pytest.raises(CommandError, match="not an active disbursement officer"):
        call_command("import_core_feed", str(path), "--as", cast.manager.username)


# --- the upload page ------------------------------------------------------------------------


def test_the_navigation_offers_the_import_to_officers_and_heads_only(client, cast, branch):
    head = factories.staff(Role.BRANCH_HEAD, branch=branch, username="head1")
    upload = f'href="{reverse("loans:feed-upload")}"'
    for user, offered in ((cast.officer, True), (head, True), (cast.manager, False)):
        client.force_login(user)
        assert (upload in client.get(reverse("loans:list")).content.decode()) is offered


def test_an_officer_uploads_a_file_and_reads_its_report(client, disbursed, cast):
    client.force_login(cast.officer)
    upload = _upload(feed(f"{disbursed.reference},{today()},300.00,"), "day.csv")

    response = client.post(reverse("loans:feed-upload"), {"file": upload})

    done = FeedImport.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("loans:feed-report", args=[done.pk])
    page = client.get(response["Location"])
    assert page.status_code == 200
    assert page.context["feed_import"].repayments == 1


def test_the_report_lists_refused_rows_in_the_reader_s_language(client, disbursed, cast):
    client.force_login(cast.officer)
    client.post(
        reverse("loans:feed-upload"), {"file": _upload(feed(f"LF-NOBODY,{today()},1.00,"), "x.csv")}
    )
    done = FeedImport.objects.get()

    page = client.get(reverse("loans:feed-report", args=[done.pk]))

    assert done.outcome == FeedImport.Outcome.REJECTED
    (row,) = page.context["rejections"]
    assert (row["row"], row["column"], row["text"]) == (
        2,
        "reference",
        "No loan has the reference LF-NOBODY.",
    )


def test_only_disbursement_officers_import_and_other_branches_see_no_report(
    client, disbursed, cast, outsider
):
    client.force_login(cast.manager)
    response = client.post(
        reverse("loans:feed-upload"), {"file": _upload(feed(f"{disbursed.reference},{today()},,1"))}
    )
    assert response.status_code == 403
    assert not FeedImport.objects.exists()

    done = run(cast.officer, feed(f"{disbursed.reference},{today()},,1")).feed_import
    client.force_login(outsider)
    assert client.get(reverse("loans:feed-report", args=[done.pk])).status_code == 403
    head = factories.staff(Role.BRANCH_HEAD, branch=outsider.branch, username="head-elsewhere")
    client.force_login(head)
    assert client.get(reverse("loans:feed-report", args=[done.pk])).status_code == 404


def _upload(content: bytes, name: str = "feed.csv"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, content, content_type="text/csv")


def test_the_daily_refresh_leaves_a_loan_the_feed_reports_on_to_the_feed(disbursed, cast):
    """The schedule says nothing is due yet; the core system, the record, says 40 days."""
    fed_days(disbursed, cast.officer, 40)

    assert days_past_due_refresh() == 0
    assert Loan.objects.get(pk=disbursed.pk).days_past_due == 40


# --- one action per loan allocates as the repayments one by one would ------------------------


def _at_noon(day):
    return timezone.make_aware(timezone.datetime(day.year, day.month, day.day, 12))


def _servicing_state(loan):
    from loans.models import RepaymentAllocation
    from loans.services.servicing import current_schedule

    schedule = current_schedule(loan)
    rows = schedule.instalments.order_by("number").values_list(
        "number",
        "principal",
        "interest",
        "principal_paid",
        "interest_paid",
        "overdue_interest_paid",
    )
    allocations = (
        RepaymentAllocation.objects.filter(repayment__loan=loan)
        .order_by("repayment__paid_at", "pk")
        .values_list("number", "paid_on", "overdue_interest", "interest", "principal")
    )
    balance = Loan.objects.get(pk=loan.pk).outstanding_balance
    return balance, schedule.version, list(rows), list(allocations)


def test_a_file_s_repayments_allocate_as_the_same_repayments_recorded_one_by_one(cast, product):
    import time_machine

    from loans.services.servicing import current_schedule

    fed, typed = (
        advance(
            factories.LoanFactory(account_manager=cast.manager, product=product),
            LoanState.POST_LOAN,
            cast,
        )
        for _ in range(2)
    )
    due = current_schedule(fed).instalments.get(number=1).due_date
    # Part of the first instalment early, the rest of it late (overdue interest), then
    # principal ahead of the schedule (a new schedule version).
    paid = [
        (due - timedelta(days=2), Decimal("100.00")),
        (due + timedelta(days=3), Decimal("6000.00")),
        (due + timedelta(days=5), Decimal("20000.00")),
    ]
    for day, amount in paid:
        with time_machine.travel(_at_noon(day), tick=False):
            act(typed, "repayment_record", cast.officer, principal=amount, paid_at=_at_noon(day))
    rows = [f"{fed.reference},{day.isoformat()},{amount}," for day, amount in paid]
    with time_machine.travel(_at_noon(paid[-1][0]), tick=False):
        result = run(cast.officer, feed(*rows))

    assert result.imported, result.feed_import.rejections
    assert _servicing_state(fed) == _servicing_state(typed)
    assert _servicing_state(fed)[1] == 2  # the early repayment's version
    assert audit_trail_of(fed).filter(action="core_feed_apply").count() == 1
    assert verify_chain(events_of(fed)).intact
