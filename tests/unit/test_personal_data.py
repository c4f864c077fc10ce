"""Masking rules: what stays readable of each personal fact."""

from __future__ import annotations

import pytest

from loans.personal_data import PersonalField, mask, mask_facts


@pytest.mark.parametrize(
    ("field", "value", "shown"),
    [
        (PersonalField.ID_NUMBER, "411424199001010466", "4114**********0466"),
        (PersonalField.ID_NUMBER, "11010519491231002X", "1101**********002X"),
        (PersonalField.PHONE, "13812345678", "138****5678"),
        (PersonalField.ACCOUNT, "6222000000001234", "6222********1234"),
        (PersonalField.ADDRESS, "城关镇人民路12号", "城关镇****"),
        (PersonalField.PHONE, "12345", "*****"),  # too short to keep its ends: all hidden
        (PersonalField.ID_NUMBER, "", ""),
        (PersonalField.PHONE, None, ""),
    ],
)
def test_each_personal_fact_keeps_only_its_ends(field, value, shown):
    assert mask(value, field) == shown


def test_a_payload_is_masked_by_key_and_nested_changes_too():
    payload = {
        "counterparty_account": "6222000000001234",
        "amount": "10000",
        "corrected": {
            "changes": {"counterparty_account": ["6222000000001234", "6222000000005678"]}
        },
    }
    masked = mask_facts(payload)
    assert masked["counterparty_account"] == "6222********1234"
    assert masked["amount"] == "10000"
    assert masked["corrected"]["changes"]["counterparty_account"] == [
        "6222********1234",
        "6222********5678",
    ]
