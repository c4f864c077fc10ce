"""Personal data: what is masked, how, and the one way a full value is read back.

Every page, API response, export and admin screen shows identity numbers, phone numbers, addresses
and account numbers through :func:`mask` (the template filter ``masked``, the serializer field
``loans.api.fields.MaskedField`` and the admin's columns call it). The full value is read only by
:func:`full_value`, after the engine has allowed and audited the action ``personal_data_reveal``
(loans/workflow.py). The rules and why: docs/security.md, "Personal data: masking, reveal and
retention".
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _

MASK = "*"


class PersonalField(models.TextChoices):
    """The personal facts LoanFlow masks, by the name they carry in models and payloads."""

    ID_NUMBER = "id_number", _("identity number")
    PHONE = "phone", _("phone")
    ADDRESS = "address", _("address")
    ACCOUNT = "counterparty_account", _("counterparty account")


@dataclass(frozen=True)
class Rule:
    """How much of a value stays readable: ``head`` characters in front, ``tail`` at the end."""

    head: int
    tail: int
    stars: int | None = None  # a fixed number of stars (an address does not tell its length)


RULES: dict[str, Rule] = {
    PersonalField.ID_NUMBER: Rule(head=4, tail=4),  # 4114**********0466: region and check
    PersonalField.PHONE: Rule(head=3, tail=4),  # 138****5678
    PersonalField.ADDRESS: Rule(head=3, tail=0, stars=4),  # the town, not the street
    PersonalField.ACCOUNT: Rule(head=4, tail=4),  # bank and last digits, as on a receipt
}


def mask(value: Any, field: str) -> str:
    """``value`` as a person without the right to the full value reads it."""
    text = "" if value is None else str(value).strip()
    rule = RULES.get(field)
    if not text or rule is None:
        return text
    hidden = len(text) - rule.head - rule.tail
    if hidden * 3 < len(text):  # too short to keep its ends readable: hide it all
        return MASK * (rule.stars or len(text))
    return text[: rule.head] + MASK * (rule.stars or hidden) + text[len(text) - rule.tail :]


def mask_facts(facts: Any) -> Any:
    """A payload, snapshot or list of facts with every personal field masked (nested too)."""
    if isinstance(facts, Mapping):
        return {
            key: _masked_value(value, key) if key in RULES else mask_facts(value)
            for key, value in facts.items()
        }
    if isinstance(facts, list | tuple):
        return [mask_facts(item) for item in facts]
    return facts


def _masked_value(value: Any, field: str) -> Any:
    if isinstance(value, list | tuple):  # a change kept as [before, after]
        return [mask(item, field) if item not in (None, "") else item for item in value]
    return mask(value, field) if value not in (None, "") else value


# --- the reveal -------------------------------------------------------------------------------

# What a reveal names: the borrower's facts, or one drawdown's counterparty account.
BORROWER_FIELDS = (PersonalField.ID_NUMBER, PersonalField.PHONE, PersonalField.ADDRESS)
RECORD_FIELDS: dict[str, str] = {PersonalField.ACCOUNT: "loans.Drawdown"}


def full_value(loan: Any, field: str, record: Any = None) -> str | None:
    """The full value of ``field`` on ``loan`` (on ``record`` for a record's field); None when
    the loan has no such fact. Call it only for a reveal the engine has allowed."""
    if field in BORROWER_FIELDS:
        return str(getattr(loan.borrower, field))
    if field in RECORD_FIELDS:
        if record is None or record._meta.label != RECORD_FIELDS[field]:
            return None
        if record.loan_id != loan.pk:
            return None
        return str(getattr(record, field))
    return None
