"""Celery tasks of the watch list: thin and idempotent. Beat fires the evaluation daily; the
outbox carries the evaluations after a loan's steps and the escalations to record."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="watch.tasks.evaluate_signals")  # type: ignore[untyped-decorator]
def evaluate_signals() -> int:
    """Every early-warning signal on every loan; the items opened."""
    from watch.services import signals_evaluate

    return len(signals_evaluate())


@shared_task(name="watch.tasks.evaluate_after_step")  # type: ignore[untyped-decorator]
def evaluate_after_step(loan_id: int, step: str) -> int:
    """The signals a loan's ``step`` can raise, on that loan; the items opened."""
    from watch.rules import signals_after
    from watch.services import signals_evaluate

    return len(signals_evaluate(signals=signals_after(step), loan_ids=[loan_id]))


@shared_task(name="watch.tasks.record_escalation")  # type: ignore[untyped-decorator]
def record_escalation(item_id: int, step: str) -> bool:
    from watch.services import item_escalation_record

    return item_escalation_record(item_id=item_id)
