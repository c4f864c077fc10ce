from workflow.models.base import (
    AppendOnlyError,
    AppendOnlyModel,
    AppendOnlyQuerySet,
    StateMachine,
)
from workflow.models.integrity import Chain, ChainSeal, VerificationRun
from workflow.models.records import (
    AuditEvent,
    Channel,
    Deviation,
    DeviationReview,
    ExceptionRequest,
    IdempotencyKey,
    PolicyException,
)
from workflow.models.time import Holiday, Notification, OutboxMessage, Timer

__all__ = [
    "AppendOnlyError",
    "AppendOnlyModel",
    "AppendOnlyQuerySet",
    "AuditEvent",
    "Chain",
    "ChainSeal",
    "Channel",
    "Deviation",
    "DeviationReview",
    "ExceptionRequest",
    "Holiday",
    "IdempotencyKey",
    "Notification",
    "OutboxMessage",
    "PolicyException",
    "StateMachine",
    "Timer",
    "VerificationRun",
]
