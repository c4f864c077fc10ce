"""Simplified Chinese number formats as banks print amounts: ¥100,000.00, grouped by thousands.

Django's own zh_Hans formats group nothing (no thousands separator), so an amount read as
¥100000 there; the other formats of the locale are Django's.
"""

from django.conf.locale.zh_Hans.formats import *  # noqa: F403

DECIMAL_SEPARATOR = "."
THOUSAND_SEPARATOR = ","
NUMBER_GROUPING = 3
