"""Validators for Chinese identity numbers used by LoanFlow applicants.

* GB 11643-1999 resident identity number (natural persons), 18 characters:
  6-digit region code, 8-digit birth date YYYYMMDD, 3-digit sequence, check
  character. Check (ISO 7064 MOD 11-2): weight the first 17 digits, sum, take
  mod 11 and map remainders 0..10 to ``1 0 X 9 8 7 6 5 4 3 2``.
* GB 32100-2015 unified social credit code (organisations), 18 characters from
  a 31-character alphabet without I, O, S, V, Z. Check: weight each of the first
  17 characters' alphabet index, sum, ``c = 31 - (sum mod 31)`` with 31 -> 0;
  the 18th character is the alphabet's c-th.

``validate_*`` raise ``ValidationError`` with a distinct ``code`` per failure;
``is_valid_*`` return a bool. Input is normalised (whitespace removed, upper-cased).
"""

from __future__ import annotations

import datetime

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

RESIDENT_ID_WEIGHTS: tuple[int, ...] = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
RESIDENT_ID_CHECK_CHARACTERS = "10X98765432"
RESIDENT_ID_EARLIEST_BIRTH_DATE = datetime.date(1900, 1, 1)

USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS: tuple[int, ...] = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def normalise_resident_id(value: str) -> str:
    """Remove all whitespace and upper-case (so a trailing ``x`` becomes ``X``)."""
    return "".join(value.split()).upper()


def resident_id_check_character(first17: str) -> str:
    """Return the GB 11643-1999 check character for the first 17 digits."""
    if len(first17) != 17 or not (first17.isascii() and first17.isdigit()):
        raise ValueError("first17 must be exactly 17 ASCII digits")
    total = sum(
        int(digit) * weight for digit, weight in zip(first17, RESIDENT_ID_WEIGHTS, strict=True)
    )
    return RESIDENT_ID_CHECK_CHARACTERS[total % 11]


def validate_resident_id(value: str) -> None:
    """Validate an 18-character resident identity number (GB 11643-1999)."""
    number = normalise_resident_id(value)
    body, check = number[:17], number[17:]
    if len(number) != 18 or not (body.isascii() and body.isdigit()) or check not in "0123456789X":
        raise ValidationError(
            _("Enter an 18-character resident identity number: 17 digits then a digit or X."),
            code="resident_id_format",
        )
    try:
        birth_date = datetime.date(int(body[6:10]), int(body[10:12]), int(body[12:14]))
    except ValueError:
        birth_date = None
    today = timezone.localdate()
    if birth_date is None or not (RESIDENT_ID_EARLIEST_BIRTH_DATE <= birth_date <= today):
        raise ValidationError(
            _("The birth date %(birth_date)s in the resident identity number is not valid."),
            code="resident_id_birth_date",
            params={"birth_date": body[6:14]},
        )
    expected = resident_id_check_character(body)
    if check != expected:
        raise ValidationError(
            _("The check character should be %(expected)s."),
            code="resident_id_check_character",
            params={"expected": expected},
        )


def is_valid_resident_id(value: str) -> bool:
    """Return True if ``value`` is a valid resident identity number."""
    try:
        validate_resident_id(value)
    except ValidationError:
        return False
    return True


def normalise_uscc(value: str) -> str:
    """Remove all whitespace and upper-case."""
    return "".join(value.split()).upper()


def uscc_check_character(first17: str) -> str:
    """Return the GB 32100-2015 check character for the first 17 characters."""
    if len(first17) != 17 or any(char not in USCC_ALPHABET for char in first17):
        raise ValueError("first17 must be exactly 17 characters of the USCC alphabet")
    total = sum(
        USCC_ALPHABET.index(char) * weight
        for char, weight in zip(first17, USCC_WEIGHTS, strict=True)
    )
    return USCC_ALPHABET[(31 - total % 31) % 31]


def validate_uscc(value: str) -> None:
    """Validate an 18-character unified social credit code (GB 32100-2015)."""
    code = normalise_uscc(value)
    if len(code) != 18 or any(char not in USCC_ALPHABET for char in code):
        raise ValidationError(
            _(
                "Enter an 18-character unified social credit code using digits and "
                "capital letters other than I, O, S, V and Z."
            ),
            code="uscc_format",
        )
    expected = uscc_check_character(code[:17])
    if code[17] != expected:
        raise ValidationError(
            _("The check character should be %(expected)s."),
            code="uscc_check_character",
            params={"expected": expected},
        )


def is_valid_uscc(value: str) -> bool:
    """Return True if ``value`` is a valid unified social credit code."""
    try:
        validate_uscc(value)
    except ValidationError:
        return False
    return True
