"""Celery tasks: thin, id-taking and idempotent. Beat only fires the sweep and the relay."""

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
