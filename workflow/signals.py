"""What the engine tells observers once it is committed: metrics, the security event log.

Receivers observe; they never write to the object's file (the engine writes deviations and
audit events itself). Both are sent after the commit, robustly: a failing receiver is logged
and changes nothing of the step.

``transition_performed``: sender is the model class; ``obj``, ``name``, ``source``, ``target``,
``actor``, ``channel``.
``deviation_recorded``: sender is :class:`~workflow.models.Deviation`; ``deviation`` and the
``decision`` it records (a refused transition or action, or lateness found by the sweep).
"""

from functools import partial
from typing import Any

from django.db import transaction
from django.dispatch import Signal

transition_performed = Signal()
deviation_recorded = Signal()


def send_on_commit(signal: Signal, sender: Any, **kwargs: Any) -> None:
    """Send ``signal`` once the current transaction commits (never, if it rolls back)."""
    transaction.on_commit(partial(signal.send, sender, **kwargs), robust=True)
