"""Celery tasks of insight: thin and idempotent."""

from __future__ import annotations

from celery import shared_task

from insight.snapshots import snapshot_take


# The snapshot reads every loan in the portfolio once: 24 s for 100,000 here (docs/performance.md),
# so it has limits of its own, still under CELERY_VISIBILITY_TIMEOUT.
@shared_task(name="insight.tasks.snapshot_portfolio", soft_time_limit=900, time_limit=1200)
def snapshot_portfolio() -> int:
    """Today's snapshot of every office (an upsert per office and local day); the rows written."""
    return snapshot_take()


@shared_task(name="insight.tasks.measure_scorecard", soft_time_limit=900, time_limit=1200)
def measure_scorecard() -> int:
    """The account managers' figures of this month and the last (an upsert per manager and
    month); the rows written."""
    from insight.scorecard_measure import scorecard_take

    return scorecard_take()


@shared_task(name="insight.tasks.refresh_process", soft_time_limit=900, time_limit=1200)
def refresh_process() -> int:
    """Process analytics' weekly tables: the recent weeks and the funnel (docs/insight.md)."""
    from insight.process_aggregate import process_refresh

    return process_refresh()
