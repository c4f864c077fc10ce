"""The account-manager scorecard: figures of a hand-built month, the ranking under the default
weights and under the policy in force at the period, who sees which cards."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test.utils import CaptureQueriesContext

from insight.scorecard import Period, scorecard
from insight.scorecard_measure import scorecard_backfill, scorecard_take
from insight.scorecard_models import ScorecardMonth
from insight.scorecard_scope import scorecard_scope
from loans.choices import ReturnReason
from loans.models import Loan
from loans.models.policy import default_scorecard_weights
from loans.roles import Role
from loans.states import LoanState
from tests import factories
from tests.integration.insight.data import held
from tests.integration.insight.scorecard_data import (
    LOCAL,
    MEASURED_AT,
    build_month,
    disbursed,
    watch_item,
)
from watch.models import WatchItem
from watch.states import ItemState
from workflow.engine import perform_transition
from workflow.models import Timer
from workflow.timers import sweep

pytestmark = pytest.mark.django_db
D = Decimal
SEPTEMBER = Period(date(2026, 9, 1), 1)


@pytest.fixture
def careful(branch):
    return factories.staff(Role.ACCOUNT_MANAGER, branch=branch, username="careful")


@pytest.fixture
def month(manager, careful, product):
    with time_machine.travel(MEASURED_AT, tick=False):
        loans = build_month(manager, careful, product)
        scorecard_take()
    return loans


def _card(card_set, user):
    return next(card for card in card_set.cards if card.manager == user)


def test_the_month_is_measured_from_the_records(manager, careful, month):
    busy = ScorecardMonth.objects.get(manager=manager, month=SEPTEMBER.start)
    other = ScorecardMonth.objects.get(manager=careful, month=SEPTEMBER.start)

    assert (busy.disbursed_count, busy.disbursed_amount) == (4, D(2_000_000))
    assert busy.cycle_days == [10, 12, 14, 20]
    assert (busy.handled_count, busy.deviations_high, busy.downgrades) == (4, 2, 2)
    assert (busy.book_count, busy.book_balance, busy.non_performing_balance) == (
        4,
        D(1_600_000),
        D(800_000),
    )
    assert (other.disbursed_count, other.disbursed_amount, other.cycle_days) == (
        2,
        D(800_000),
        [8, 10],
    )
    assert (other.deviations_high, other.downgrades, other.non_performing_balance) == (0, 0, 0)


def test_the_high_volume_manager_with_bad_loans_ranks_below_the_careful_one(
    head, manager, careful, month
):
    with time_machine.travel(MEASURED_AT, tick=False):
        cards = scorecard(scorecard_scope(head), SEPTEMBER)

    busy, other = _card(cards, manager), _card(cards, careful)
    assert [card.manager for card in cards.cards] == [careful, manager]
    assert busy.totals.median_cycle_days == 13
    assert busy.totals.non_performing_share == D("0.5")
    assert busy.factor("volume").contribution == D(20)  # the most volume: all of its weight
    assert other.factor("volume").contribution == D(8)  # 800,000 of 2,000,000
    assert busy.factor("non_performing").contribution == 0
    assert busy.factor("deviations").contribution == D("7.50")  # 2 high on 4 loans
    assert busy.composite == D("68.46")
    assert other.composite == D(88)
    assert cards.weights == default_scorecard_weights()


def test_the_weights_are_those_of_the_policy_in_force_at_the_period(head, manager, careful, month):
    volume_only = dict.fromkeys(default_scorecard_weights(), 0) | {"volume": 100}
    factories.PolicyVersionFactory(
        version="volume-from-october",
        effective_from=datetime(2026, 10, 1, tzinfo=LOCAL),
        scorecard_weights=volume_only,
    )
    with time_machine.travel(datetime(2026, 10, 2, 12, tzinfo=LOCAL), tick=False):
        september = scorecard(scorecard_scope(head), SEPTEMBER)
        quarter = scorecard(scorecard_scope(head), Period(SEPTEMBER.start.replace(month=7), 3))
        october = scorecard(scorecard_scope(head), Period(date(2026, 10, 1), 1))

    assert september.policy.version != "volume-from-october"
    assert [c.manager for c in september.cards] == [careful, manager]
    assert [c.manager for c in quarter.cards] == [careful, manager]  # Q3 ends before October
    assert october.policy.version == "volume-from-october"


def test_a_manager_sees_only_their_own_card(manager, careful, month):
    with time_machine.travel(MEASURED_AT, tick=False):
        own = scorecard(scorecard_scope(manager), SEPTEMBER)

    assert [card.manager for card in own.cards] == [manager]
    # Still scored against the whole office: the volume of the best manager is theirs.
    assert own.cards[0].composite == D("68.46")


def test_the_backfill_reproduces_the_live_month(manager, careful, month):
    live = {row.manager_id: row for row in ScorecardMonth.objects.filter(month=SEPTEMBER.start)}
    ScorecardMonth.objects.all().delete()
    with time_machine.travel(MEASURED_AT, tick=False):
        scorecard_backfill(since=SEPTEMBER.start, until=SEPTEMBER.start)

    for row in ScorecardMonth.objects.filter(month=SEPTEMBER.start):
        before = live[row.manager_id]
        for name in (
            "disbursed_amount",
            "cycle_days",
            "deviations_high",
            "downgrades",
            "book_count",
            "book_balance",
            "non_performing_balance",
            "watch_open",
            "watch_overdue",
            "watch_resolved",
            "watch_resolved_late",
        ):
            assert getattr(row, name) == getattr(before, name), name


def test_a_manager_with_nothing_to_measure_scores_nothing(head, branch, manager, careful, month):
    idle = factories.staff(Role.ACCOUNT_MANAGER, branch=branch, username="idle")
    with time_machine.travel(MEASURED_AT, tick=False):
        scorecard_take()
        cards = scorecard(scorecard_scope(head), SEPTEMBER)

    assert cards.cards[-1].manager == idle
    assert cards.cards[-1].composite == 0


def test_returns_sla_breaches_and_inspections_are_counted(manager, reviewer, product):
    loan_type = ContentType.objects.get_for_model(Loan)
    with time_machine.travel(MEASURED_AT, tick=False):
        returned = held(manager, product, state=LoanState.REVIEW)
        perform_transition(
            returned,
            "return_to_site_visit",
            actor=reviewer,
            payload={"reason": ReturnReason.values[0], "comment": "Two photos missing."},
        )
        Loan.objects.filter(pk=returned.pk).update(
            state=LoanState.POST_LOAN, disbursed_at=MEASURED_AT - timedelta(hours=1)
        )
        kept = disbursed(manager, product, on_day=10, cycle_days=5, amount=90_000, balance=90_000)

        def timer(kind, stage, due_day, **fields):
            due = datetime(2026, 9, due_day, 9, tzinfo=LOCAL)
            return Timer.objects.create(
                content_type=loan_type,
                object_id=kept.pk,
                kind=kind,
                stage=stage,
                started_at=due - timedelta(days=10),
                due_at=due,
                **fields,
            )

        timer(
            Timer.Kind.STAGE, "site_visit", 11, next_action_at=datetime(2026, 9, 11, tzinfo=LOCAL)
        )
        timer(
            Timer.Kind.INSPECTION, "post_loan", 20, stopped_at=datetime(2026, 9, 18, tzinfo=LOCAL)
        )
        timer(
            Timer.Kind.INSPECTION,
            "post_loan",
            22,
            next_action_at=datetime(2026, 9, 22, tzinfo=LOCAL),
        )
        timer(Timer.Kind.INSPECTION, "post_loan", 29)  # not yet due
        sweep()
        scorecard_take()

    row = ScorecardMonth.objects.get(manager=manager, month=SEPTEMBER.start)
    assert (row.disbursed_count, row.returned_count) == (2, 1)
    assert row.sla_breaches == 1
    assert (row.inspections_due, row.inspections_on_time) == (2, 1)
    assert (row.deviations_high, row.deviations_medium) == (0, 0)  # lateness is counted apart


def test_the_hourly_task_is_scheduled_and_measures(settings, manager):
    from insight.tasks import measure_scorecard

    entry = settings.CELERY_BEAT_SCHEDULE["measure-scorecard"]
    assert entry["task"] == measure_scorecard.name
    assert measure_scorecard.name in settings.SCHEDULER_PERIODIC_TASKS
    assert measure_scorecard() == ScorecardMonth.objects.count() >= 1


# --- the watch-list ------------------------------------------------------------------------------


def test_the_watch_list_items_are_counted_as_they_stood_at_the_months_end(manager, careful, month):
    busy = ScorecardMonth.objects.get(manager=manager, month=SEPTEMBER.start)
    other = ScorecardMonth.objects.get(manager=careful, month=SEPTEMBER.start)

    # open, of them overdue; resolved in the month, of them after their due
    assert (busy.watch_open, busy.watch_overdue) == (1, 1)
    assert (busy.watch_resolved, busy.watch_resolved_late) == (1, 1)
    assert (other.watch_open, other.watch_overdue) == (0, 0)
    assert (other.watch_resolved, other.watch_resolved_late) == (1, 0)
    overdue = WatchItem.objects.filter(
        account_manager=manager, state=ItemState.OPEN, due_at__lt=MEASURED_AT
    )
    assert busy.watch_overdue == overdue.count()


def test_a_manager_with_an_overdue_watch_list_item_scores_lower_on_it(
    head, manager, careful, month
):
    with time_machine.travel(MEASURED_AT, tick=False):
        cards = scorecard(scorecard_scope(head), SEPTEMBER)

    busy, other = (
        _card(cards, manager).factor("watch_list"),
        _card(cards, careful).factor("watch_list"),
    )
    assert (busy.score, busy.contribution) == (0, 0)  # none of two answered by its due
    assert (other.score, other.weight, other.contribution) == (1, 5, D(5))
    assert busy.figure == "watch_late"


def test_one_overdue_item_is_all_a_manager_answering_nothing_else_scores_on_the_watch_list(
    head, branch, manager, careful, product, month
):
    late, clean = (
        factories.staff(Role.ACCOUNT_MANAGER, branch=branch, username=name)
        for name in ("late", "clean")
    )
    with time_machine.travel(MEASURED_AT, tick=False):
        for who in (late, clean):
            disbursed(who, product, on_day=4, cycle_days=9, amount=100_000, balance=90_000)
        watch_item(held(late, product), "funds_not_as_stated", opened_day=10)
        scorecard_take()
        cards = scorecard(scorecard_scope(head), SEPTEMBER)

    assert _card(cards, late).factor("watch_list").score == 0
    assert _card(cards, clean).factor("watch_list").score == 1
    assert _card(cards, late).composite == _card(cards, clean).composite - 5


def test_an_item_resolved_after_the_month_still_counts_open_at_its_end(manager, careful, month):
    (left_open,) = WatchItem.objects.filter(account_manager=manager, state=ItemState.OPEN)
    with time_machine.travel(datetime(2026, 10, 1, 9, tzinfo=LOCAL), tick=False):
        perform_transition(
            left_open, "resolve", actor=manager, payload={"note": "Arrears plan signed."}
        )
    with time_machine.travel(datetime(2026, 10, 2, 12, tzinfo=LOCAL), tick=False):
        scorecard_take()  # October under way, September measured again
        quarter = scorecard(scorecard_scope(manager), Period(date(2026, 7, 1), 3))

    september = ScorecardMonth.objects.get(manager=manager, month=SEPTEMBER.start)
    october = ScorecardMonth.objects.get(manager=manager, month=date(2026, 10, 1))
    assert (september.watch_open, september.watch_overdue, september.watch_resolved) == (1, 1, 1)
    assert (october.watch_open, october.watch_resolved, october.watch_resolved_late) == (0, 1, 1)
    # a quarter: the items open at its end, and those resolved in its months
    assert (quarter.cards[0].totals.watch_overdue, quarter.cards[0].totals.watch_late) == (1, 2)


def test_the_backfill_reproduces_the_watch_list_figures_of_the_hourly_task(manager, careful, month):
    with time_machine.travel(datetime(2026, 10, 2, 12, tzinfo=LOCAL), tick=False):
        scorecard_take()
    fields = ("watch_open", "watch_overdue", "watch_resolved", "watch_resolved_late")
    live = {(r.manager_id, r.month): r for r in ScorecardMonth.objects.all()}
    ScorecardMonth.objects.all().delete()
    with time_machine.travel(datetime(2026, 10, 2, 12, tzinfo=LOCAL), tick=False):
        scorecard_backfill(since=SEPTEMBER.start, until=date(2026, 10, 2))

    rebuilt = {(r.manager_id, r.month): r for r in ScorecardMonth.objects.all()}
    assert set(rebuilt) == set(live)
    for key, row in rebuilt.items():
        assert [getattr(row, f) for f in fields] == [getattr(live[key], f) for f in fields], key


def test_a_version_written_before_the_watch_list_weighs_it_nothing(head, manager, careful, month):
    before = {k: v for k, v in default_scorecard_weights().items() if k != "watch_list"}
    before["cycle_time"] = 10  # the defaults of that time
    factories.PolicyVersionFactory(
        version="2026.0",
        effective_from=datetime(2026, 8, 1, tzinfo=LOCAL),
        scorecard_weights=before,
    )
    with time_machine.travel(MEASURED_AT, tick=False):
        cards = scorecard(scorecard_scope(head), SEPTEMBER)

    assert cards.policy.version == "2026.0"
    assert cards.weights["watch_list"] == 0
    assert _card(cards, manager).factor("watch_list").contribution == 0
    assert _card(cards, manager).composite == D("71.92")  # as it read under that version


def _measuring(now) -> int:
    with time_machine.travel(now, tick=False), CaptureQueriesContext(connection) as queries:
        scorecard_take()
    return len(queries)


def test_the_measurement_reads_a_constant_number_of_statements(
    branch, manager, careful, product, month
):
    before = _measuring(MEASURED_AT)
    with time_machine.travel(MEASURED_AT, tick=False):
        for n in range(3):
            more = factories.staff(Role.ACCOUNT_MANAGER, branch=branch, username=f"more{n}")
            loans = [
                disbursed(more, product, on_day=d, cycle_days=d, amount=100_000, balance=90_000)
                for d in (4, 8)
            ]
            watch_item(loans[0], "funds_not_as_stated", opened_day=10)
            watch_item(loans[1], "days_past_due", opened_day=12, resolved_day=13)

    assert _measuring(MEASURED_AT) == before
