"""Process analytics computed from a hand-built process whose answer is known: stage times
(median and 90th percentile), a stalled loan, the funnel with its drop-outs, returns, the
deviation heat-map; and stage visits derived from the engine's record, live and backfilled."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from insight.process import process_figures
from insight.process_aggregate import process_aggregate, process_refresh, week_of
from insight.process_filters import Filters
from insight.process_models import Outcome, StageVisit
from insight.process_record import visits_backfill
from insight.scope import scope_for
from loans.choices import ReturnReason
from loans.journeys import advance
from loans.roles import Role
from loans.states import LoanState
from tests import factories
from workflow import timers
from workflow.models import Deviation

pytestmark = pytest.mark.django_db
S = LoanState


def figures_for(head, **filters):
    today = timezone.localdate()
    period = Filters(since=today - timedelta(days=20), until=today, **filters)
    return process_figures(scope_for(head), period)


def by_stage(figures):
    return {figure.stage: figure for figure in figures.stages}


def test_median_and_90th_percentile_per_stage_are_nearest_rank_hours(head, known):
    stages = by_stage(figures_for(head))

    review = stages[S.REVIEW]
    assert (review.visits, review.median_hours, review.p90_hours) == (5, 30, 102)
    assert (review.overdue, review.returned) == (1, 1)
    assert str(review.return_rate) == "0.2000"
    intake = stages[S.INTAKE]
    assert (intake.visits, intake.median_hours, intake.p90_hours) == (3, 24, 48)
    assert stages[S.APPROVAL].visits == 0
    assert stages[S.APPROVAL].median_hours is None


def test_the_stalled_loan_appears_with_the_role_it_waits_for(head, known):
    figures = figures_for(head)

    assert figures.stalled_count == 1
    (stalled,) = figures.stalled
    assert stalled.loan == known["stalled"]
    assert stalled.days_late == 3
    assert stalled.holder == "account manager"
    holders = {holder.role: holder for holder in figures.holders}
    assert (holders[Role.ACCOUNT_MANAGER].waiting, holders[Role.ACCOUNT_MANAGER].stalled) == (1, 1)
    assert (holders[Role.REVIEWER].waiting, holders[Role.REVIEWER].stalled) == (1, 0)
    # Reviews held 202 hours of the 281 the stages took.
    assert holders[Role.REVIEWER].hours == 202
    assert str(holders[Role.REVIEWER].share) == "0.7189"


def test_the_funnel_counts_how_far_applications_went_and_where_they_dropped_out(head, known):
    figures = figures_for(head)
    funnel = {step.key: step for step in figures.funnel}

    assert figures.opened == 5
    assert [funnel[s].loans for s in (S.INTAKE, S.SITE_VISIT, S.REVIEW, S.APPROVAL)] == [5, 4, 3, 1]
    assert funnel["disbursed"].loans == 1
    assert (funnel[S.REVIEW].rejected, funnel[S.INTAKE].withdrawn) == (1, 1)
    assert funnel[S.REVIEW].withdrawn == 0


def test_returns_are_counted_by_stage_and_reason(head, known):
    (returned,) = figures_for(head).returns

    assert (returned.stage, returned.reason, returned.returns) == (
        S.REVIEW,
        ReturnReason.MISSING_DOCUMENTS,
        1,
    )
    assert str(returned.rate) == "0.2000"


def test_the_heat_map_has_a_cell_per_check_person_and_week(head, known, manager, reviewer):
    heat = figures_for(head).heat
    this_week, last_week = week_of(timezone.now()), week_of(timezone.now() - timedelta(days=7))
    cells = {
        (row.check, row.person): dict(zip(heat.weeks, row.counts, strict=True)) for row in heat.rows
    }

    assert cells[("two_investigators", manager.pk)][last_week] == 3
    assert cells[("two_investigators", manager.pk)][this_week] == 1
    assert cells[(Deviation.Kind.WRONG_ROLE, reviewer.pk)][this_week] == 2
    assert sum(row.total for row in heat.rows) == 6
    assert [trend.check for trend in heat.trend] == ["two_investigators", "wrong_role"]
    assert heat.rows[0].person_label == manager.username


def test_a_person_filter_keeps_their_stages_and_their_deviations(head, known, reviewer):
    figures = figures_for(head, person=reviewer.pk)

    assert by_stage(figures)[S.REVIEW].visits == 5
    assert by_stage(figures)[S.INTAKE].visits == 0
    assert {row.person for row in figures.heat.rows} == {reviewer.pk}
    assert figures.opened == 0  # the reviewer manages no loan


def test_another_product_shows_nothing(head, known):
    other = factories.LoanProductFactory(code="OTHER")
    figures = figures_for(head, product=other.pk)

    assert by_stage(figures)[S.REVIEW].visits == 0
    assert figures.stalled_count == 0
    assert figures.opened == 0


def test_aggregating_twice_writes_the_same_rows(known):
    from insight.process_models import DeviationWeek, FunnelWeek, StageNow, StageWeek

    def rows():
        return [
            sorted(m.objects.values_list(*fields))
            for m, fields in (
                (StageWeek, ("week", "stage", "outcome", "visits", "overdue")),
                (FunnelWeek, ("week", "opened", "disbursed")),
                (DeviationWeek, ("week", "check_code", "count")),
                (StageNow, ("stage", "product_key", "person_key", "waiting", "stalled")),
            )
        ]

    before = rows()
    process_aggregate()
    process_aggregate(since=timezone.localdate() - timedelta(days=14))
    assert rows() == before


FIELDS = ("loan_id", "stage", "entered_at", "left_at", "hours", "due_at", "outcome", "reason")


def test_stages_left_through_the_engine_become_visits_which_the_backfill_rebuilds(cast, product):
    factories.PolicyVersionFactory()
    loan = factories.LoanFactory(account_manager=cast.manager, product=product)
    timers.start_initial(loan)  # as opening an application does (loans/services)
    advance(loan, S.REVIEW, cast)
    assert not StageVisit.objects.exists()  # a transition pays nothing for analytics

    assert process_refresh() > 0  # the hourly task
    live = list(StageVisit.objects.order_by("left_at").values_list(*FIELDS))
    assert [(row[1], row[6]) for row in live] == [
        (S.INTAKE, Outcome.FORWARD),
        (S.SITE_VISIT, Outcome.FORWARD),
    ]
    site_visit = StageVisit.objects.get(stage=S.SITE_VISIT)
    assert site_visit.actor == cast.manager
    assert site_visit.due_at is not None

    StageVisit.objects.all().delete()
    visits_backfill()
    assert list(StageVisit.objects.order_by("left_at").values_list(*FIELDS)) == live


def test_the_hourly_task_writes_a_stage_left_since_its_last_run_once(cast, product):
    factories.PolicyVersionFactory()
    loan = factories.LoanFactory(account_manager=cast.manager, product=product)
    timers.start_initial(loan)
    loan = advance(loan, S.SITE_VISIT, cast)
    process_refresh()
    advance(loan, S.REVIEW, cast)
    process_refresh()
    process_refresh()

    assert list(StageVisit.objects.order_by("left_at").values_list("stage", flat=True)) == [
        S.INTAKE,
        S.SITE_VISIT,
    ]
    assert (
        by_stage(
            process_figures(
                scope_for(factories.staff(Role.BRANCH_HEAD, branch=loan.branch)),
                Filters(since=timezone.localdate(), until=timezone.localdate()),
            )
        )[S.SITE_VISIT].visits
        == 1
    )
