"""The term and amount buckets of the portfolio structure: fixed bands, labelled for people."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Band:
    """Values above ``low`` up to and including ``high`` (None: no upper end)."""

    key: str
    low: Decimal
    high: Decimal | None
    label: Promise

    def holds(self, value: Decimal) -> bool:
        return value > self.low and (self.high is None or value <= self.high)


TERM_BANDS = (
    Band("upto12", Decimal(0), Decimal(12), _("up to 12 months")),
    Band("13to36", Decimal(12), Decimal(36), _("13 to 36 months")),
    Band("37to60", Decimal(36), Decimal(60), _("37 to 60 months")),
    Band("over60", Decimal(60), None, _("over 60 months")),
)

AMOUNT_BANDS = (
    Band("upto100k", Decimal(0), Decimal(100_000), _("up to ¥100,000")),
    Band("100kto500k", Decimal(100_000), Decimal(500_000), _("¥100,000 to ¥500,000")),
    Band("500kto1m", Decimal(500_000), Decimal(1_000_000), _("¥500,000 to ¥1,000,000")),
    Band("1mto3m", Decimal(1_000_000), Decimal(3_000_000), _("¥1,000,000 to ¥3,000,000")),
    Band("over3m", Decimal(3_000_000), None, _("over ¥3,000,000")),
)
UNKNOWN = ""  # a loan without the figure (never after intake; kept so no loan is lost)


def band_of(bands: tuple[Band, ...], value: Decimal | int | None) -> str:
    if value is None:
        return UNKNOWN
    for band in bands:
        if band.holds(Decimal(value)):
            return band.key
    return UNKNOWN


def band_named(bands: tuple[Band, ...], key: str) -> Band | None:
    return next((band for band in bands if band.key == key), None)
