"""Unit tests for loans.validators (GB 11643-1999 and GB 32100-2015). No database."""

from __future__ import annotations

import datetime
from collections.abc import Callable

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from loans.validators import (
    is_valid_resident_id,
    is_valid_uscc,
    normalise_resident_id,
    normalise_uscc,
    resident_id_check_character,
    uscc_check_character,
    validate_resident_id,
    validate_uscc,
)

# Check characters below were worked out by hand, independently of the implementation:
# 11010519491231002 -> weighted sum 167, 167 mod 11 = 2  -> "X"
# 44030419900101001 -> weighted sum 176, 176 mod 11 = 0  -> "1"
# 32010219851231123 -> weighted sum 208, 208 mod 11 = 10 -> "2"
VALID_RESIDENT_ID_X = "11010519491231002X"
VALID_RESIDENT_ID_DIGIT = "440304199001010011"
VALID_RESIDENT_ID_DIGIT_2 = "320102198512311232"

# The same number written with full-width (U+FF10..) characters, which must be rejected.
FULL_WIDTH_RESIDENT_ID = "".join(chr(ord(char) + 0xFEE0) for char in VALID_RESIDENT_ID_X)

VALID_USCC = "91350100M000100Y43"
# Weighted sum is a multiple of 31, so c = 31 - 0 = 31, which maps to "0".
VALID_USCC_ZERO_CHECK = "914403007152672630"


def _rejection(validator: Callable[[str], None], value: str) -> ValidationError:
    with pytest.raises(ValidationError) as excinfo:
        validator(value)
    return excinfo.value


# --- resident identity number ------------------------------------------------------------


@pytest.mark.parametrize(
    "value", [VALID_RESIDENT_ID_X, VALID_RESIDENT_ID_DIGIT, VALID_RESIDENT_ID_DIGIT_2]
)
def test_valid_resident_id_is_accepted(value: str) -> None:
    validate_resident_id(value)
    assert is_valid_resident_id(value)


@pytest.mark.parametrize(
    ("first17", "expected"),
    [
        ("11010519491231002", "X"),
        ("44030419900101001", "1"),
        ("32010219851231123", "2"),
    ],
)
def test_resident_id_check_character_matches_hand_computed_value(
    first17: str, expected: str
) -> None:
    assert resident_id_check_character(first17) == expected


def test_resident_id_built_with_helper_is_accepted_for_x_and_digit_check_characters() -> None:
    x_id = "11010519491231002" + resident_id_check_character("11010519491231002")
    digit_id = "44030419900101001" + resident_id_check_character("44030419900101001")
    assert x_id.endswith("X")
    assert digit_id[-1].isdigit()
    assert is_valid_resident_id(x_id)
    assert is_valid_resident_id(digit_id)


def test_resident_id_with_lowercase_x_is_accepted() -> None:
    validate_resident_id("11010519491231002x")
    assert is_valid_resident_id("11010519491231002x")


def test_resident_id_is_normalised_by_removing_spaces_and_upper_casing() -> None:
    assert normalise_resident_id(" 110105 19491231 002x ") == VALID_RESIDENT_ID_X
    assert is_valid_resident_id(" 110105 19491231 002x ")


@pytest.mark.parametrize(
    "value",
    [
        "",
        "11010519491231002",  # 17 characters
        "11010519491231002X1",  # 19 characters
        "1101051949123100A2",  # letter among the first 17
        "X10105194912310022",  # X not in check position
        "11010519491231002Y",  # check character neither digit nor X
        FULL_WIDTH_RESIDENT_ID,  # full-width digits and X
    ],
)
def test_resident_id_with_bad_format_is_rejected(value: str) -> None:
    assert _rejection(validate_resident_id, value).code == "resident_id_format"
    assert not is_valid_resident_id(value)


@pytest.mark.parametrize("birth_date", ["19490231", "19491301", "19490000", "18991231"])
def test_resident_id_with_impossible_or_too_early_birth_date_is_rejected(birth_date: str) -> None:
    first17 = "110105" + birth_date + "002"
    value = first17 + resident_id_check_character(first17)
    error = _rejection(validate_resident_id, value)
    assert error.code == "resident_id_birth_date"
    assert error.params == {"birth_date": birth_date}


def test_resident_id_with_future_birth_date_is_rejected() -> None:
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    first17 = "110105" + tomorrow.strftime("%Y%m%d") + "002"
    value = first17 + resident_id_check_character(first17)
    assert _rejection(validate_resident_id, value).code == "resident_id_birth_date"


def test_resident_id_born_today_is_accepted() -> None:
    today = timezone.localdate()  # the bank's calendar day, as the validator uses
    first17 = "110105" + today.strftime("%Y%m%d") + "002"
    assert is_valid_resident_id(first17 + resident_id_check_character(first17))


def test_resident_id_with_wrong_check_character_is_rejected_naming_the_expected_one() -> None:
    error = _rejection(validate_resident_id, "110105194912310021")
    assert error.code == "resident_id_check_character"
    assert error.params == {"expected": "X"}
    assert not is_valid_resident_id("110105194912310021")


def test_resident_id_check_character_helper_rejects_malformed_input() -> None:
    with pytest.raises(ValueError, match="17 ASCII digits"):
        resident_id_check_character("1101051949123100")


# --- unified social credit code ----------------------------------------------------------


@pytest.mark.parametrize("value", [VALID_USCC, VALID_USCC_ZERO_CHECK, " 91350100m000100y43 "])
def test_valid_uscc_is_accepted(value: str) -> None:
    validate_uscc(value)
    assert is_valid_uscc(value)


@pytest.mark.parametrize(
    ("first17", "expected"),
    [("91350100M000100Y4", "3"), ("91440300715267263", "0")],
)
def test_uscc_check_character_matches_hand_computed_value(first17: str, expected: str) -> None:
    assert uscc_check_character(first17) == expected


def test_uscc_whose_check_value_computes_to_31_uses_zero() -> None:
    assert uscc_check_character(VALID_USCC_ZERO_CHECK[:17]) == "0"
    assert is_valid_uscc(VALID_USCC_ZERO_CHECK)


def test_uscc_is_normalised_by_removing_spaces_and_upper_casing() -> None:
    assert normalise_uscc(" 91350100m000 100y43 ") == VALID_USCC


@pytest.mark.parametrize("letter", ["I", "O", "Z", "S", "V"])
def test_uscc_with_forbidden_letter_is_rejected(letter: str) -> None:
    value = "91350100" + letter + "000100Y43"
    assert _rejection(validate_uscc, value).code == "uscc_format"
    assert not is_valid_uscc(value)


@pytest.mark.parametrize(
    "value", ["", "91350100M000100Y4", "91350100M000100Y431", "9135-100M000100Y43"]
)
def test_uscc_with_wrong_length_or_character_is_rejected(value: str) -> None:
    assert _rejection(validate_uscc, value).code == "uscc_format"


def test_uscc_with_wrong_check_character_is_rejected_naming_the_expected_one() -> None:
    error = _rejection(validate_uscc, "91350100M000100Y44")
    assert error.code == "uscc_check_character"
    assert error.params == {"expected": "3"}
    assert not is_valid_uscc("91350100M000100Y44")


def test_uscc_check_character_helper_rejects_malformed_input() -> None:
    with pytest.raises(ValueError, match="USCC alphabet"):
        uscc_check_character("91350100I000100Y4")
