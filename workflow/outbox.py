"""The transactional outbox: tasks are written with the data they concern, then relayed.

``enqueue`` writes a message in the caller's transaction, so the message exists exactly when the
change does, with the id of the request (or task) that made it: the task runs under that id.
``relay`` publishes unsent messages to the broker; while the broker is away it stops at the first
failure (after the broker's bounded socket timeout) and the messages wait.
"""

from __future__ import annotations

import logging
from typing import Any

from django.db import transaction
from django.utils import timezone
from kombu.exceptions import KombuError, OperationalError

from config.request_context import current_request_id
from workflow.models import OutboxMessage

logger = logging.getLogger(__name__)
BROKER_ERRORS = (KombuError, OperationalError, OSError, ConnectionError, TimeoutError)


def enqueue(task: str, *args: Any) -> OutboxMessage:
    return OutboxMessage.objects.create(task=task, args=list(args), request_id=current_request_id())


def enqueue_all(task: str, arg_lists: list[list[Any]]) -> list[OutboxMessage]:
    """Write one message of ``task`` per argument list, in one statement."""
    if not arg_lists:
        return []
    return OutboxMessage.objects.bulk_create(
        OutboxMessage(task=task, args=list(args)) for args in arg_lists
    )


def relay(*, limit: int = 200) -> int:
    """Publish up to ``limit`` unsent messages; return how many were sent."""
    from config.celery_app import app

    sent = 0
    with transaction.atomic():
        messages = list(
            OutboxMessage.objects.select_for_update(skip_locked=True)
            .filter(sent_at__isnull=True)
            .order_by("id")[:limit]
        )
        for message in messages:
            try:
                headers = {"request_id": message.request_id} if message.request_id else None
                app.tasks[message.task].apply_async(args=message.args, headers=headers)
            except BROKER_ERRORS as error:
                message.attempts += 1
                message.last_error = f"{type(error).__name__}: {error}"[:2000]
                message.save(update_fields=["attempts", "last_error"])
                logger.warning("Outbox relay paused, the broker is unavailable: %s", error)
                break
            message.sent_at = timezone.now()
            message.attempts += 1
            message.save(update_fields=["sent_at", "attempts"])
            sent += 1
    return sent
