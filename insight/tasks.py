"""Celery tasks of insight: thin and idempotent."""

from __future__ import annotations

from celery import shared_task

from insight.snapshots import snapshot_take


@shared_task(name="insight.tasks.snapshot_portfolio")
def snapshot_portfolio() -> int:
    """Today's snapshot of every office (an upsert per office and local day); the rows written."""
    return snapshot_take()
