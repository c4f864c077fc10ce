"""Celery tasks of collections: thin and idempotent. Beat fires the opener daily."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="recovery.tasks.open_collection_cases")  # type: ignore[untyped-decorator]
def open_collection_cases() -> int:
    from recovery.services import collection_cases_open

    return len(collection_cases_open())
