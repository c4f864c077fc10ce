"""The reveal of a full personal value, as the web page and the API ask for it.

The engine decides and records it (the action ``personal_data_reveal`` in loans/workflow.py, under
the loan's row lock, an audit event in the loan's chain; a refusal is a deviation). Only then is
the value read. No idempotency key: each reveal is its own audited event.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from config.security_log import Event, security_event
from loans.models import Loan, User
from loans.personal_data import RECORD_FIELDS, PersonalField, full_value
from workflow.actions import perform_action
from workflow.engine import TransitionRefused
from workflow.models import Channel

REVEAL = "personal_data_reveal"


def reveal(loan: Loan, *, actor: User, field: str, record_id: Any = None, channel: Channel) -> str:
    """The full value of ``field`` (of the drawdown ``record_id`` for a record's field).

    Raises :class:`~workflow.engine.TransitionRefused` (recorded as a deviation) or
    ``ValidationError`` for a fact the loan does not have.
    """
    if field not in PersonalField.values:
        raise ValidationError({"field": _("Choose the fact to show.")}, code="reveal_named")
    record = None
    if field in RECORD_FIELDS:
        record = loan.drawdowns.filter(pk=_whole(record_id)).first()
        if record is None:
            raise ValidationError({"record": _("Choose a record of this loan.")}, code="record")
    facts: dict[str, Any] = {
        "loan_id": loan.pk,
        "loan_reference": loan.reference,
        "field": field,
        "record_id": record.pk if record is not None else None,
        "channel": str(channel),
    }  # which fact of which loan: never the value
    try:
        perform_action(
            loan, REVEAL, actor=actor, data={"field": field, "record": record}, channel=channel
        )
    except TransitionRefused as refused:
        security_event(
            Event.PERSONAL_DATA_REVEAL_REFUSED,
            user=actor,
            refusal=refused.kind,
            deviation_id=refused.deviation.pk,
            **facts,
        )
        raise
    security_event(Event.PERSONAL_DATA_REVEALED, user=actor, **facts)
    value = full_value(loan, field, record)
    assert value is not None  # noqa: S101 - the action refuses a fact the loan lacks
    return value


def _whole(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0
