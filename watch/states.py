"""The vocabulary of the watch list (预警关注清单). Imports nothing of the domain, so the models,
the checks, the rules and the process declaration (watch/workflow.py) read it without a circle."""

from django.db import models
from django.utils.translation import pgettext_lazy


class ItemState(models.TextChoices):
    OPEN = "open", pgettext_lazy("a watch-list item", "open")
    RESOLVED = "resolved", pgettext_lazy("a watch-list item", "resolved")


class Severity(models.TextChoices):
    """How urgent a signal is: it sets the item's SLA (watch/workflow.py ``SLA_DAYS``)."""

    HIGH = "high", pgettext_lazy("early-warning severity", "high")
    MEDIUM = "medium", pgettext_lazy("early-warning severity", "medium")
    LOW = "low", pgettext_lazy("early-warning severity", "low")


TERMINAL_STATES = frozenset({ItemState.RESOLVED})
OPEN_STATES = (ItemState.OPEN,)

# The events of an item's own audit chain that are not a person's step.
OPENED = "watch_opened"
ESCALATED = "watch_escalated"
