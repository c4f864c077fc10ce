"""Celery tasks: thin, id-taking and idempotent. Beat fires the sweep, the relay and the daily
verification of the record."""

from __future__ import annotations

from celery import shared_task

from workflow import notifications, outbox, timers


@shared_task(name="workflow.tasks.sweep_timers")
def sweep_timers() -> int:
    handled = timers.sweep()
    outbox.relay()
    return handled


@shared_task(name="workflow.tasks.relay_outbox")
def relay_outbox() -> int:
    return outbox.relay()


@shared_task(name="workflow.tasks.email_notification")
def email_notification(notification_id: int) -> bool:
    return notifications.email(notification_id)


@shared_task(name="workflow.tasks.verify_audit")
def verify_audit() -> bool:
    """The daily verification of every chain; a break is recorded and notified. Returns
    whether the record verified."""
    from workflow.models import VerificationRun
    from workflow.verification import verify_and_record

    return verify_and_record(trigger=VerificationRun.Trigger.SCHEDULE).intact
