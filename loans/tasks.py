"""Celery tasks of the loan domain: thin and idempotent."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="loans.tasks.refresh_days_past_due")  # type: ignore[untyped-decorator]
def refresh_days_past_due() -> int:
    """Each scheduled loan's days past due on today's local date, written through
    ``loans.services.days_past_due_update`` when changed. A second run changes nothing."""
    from loans.services.servicing import days_past_due_refresh

    return days_past_due_refresh()


@shared_task(name="loans.tasks.apply_borrower_floors")  # type: ignore[untyped-decorator]
def apply_borrower_floors() -> int:
    """Each performing loan of a non-retail borrower more than 10 % of whose claims are
    non-performing raised to substandard through the engine's ``classification_floor_apply``.
    Runs after the days past due are refreshed; a second run changes nothing."""
    from loans.services.classification import borrower_floors_apply

    return borrower_floors_apply()
