"""The vocabulary of the collection process. Imports nothing of the domain, so the models, the
checks and the process declaration (recovery/workflow.py) read it without an import circle."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class CaseState(models.TextChoices):
    OPEN = "open", pgettext_lazy("a collection case", "open")
    CONTACTED = "contacted", _("contacted")
    PROMISE_TO_PAY = "promise_to_pay", _("promise to pay")
    RESTRUCTURING_PROPOSED = "restructuring_proposed", _("restructuring proposed")
    LEGAL_ACTION = "legal_action", _("legal action")
    WRITE_OFF_PROPOSED = "write_off_proposed", _("write-off proposed")
    RESOLVED = "resolved", _("resolved")
    WRITTEN_OFF = "written_off", _("written off")


TERMINAL_STATES = frozenset({CaseState.RESOLVED, CaseState.WRITTEN_OFF})
OPEN_STATES = tuple(state for state in CaseState if state not in TERMINAL_STATES)
# A loan with a case in one of these has its collection under way (or written off): the daily
# opener leaves it alone. Only a resolved case lets a loan that falls into arrears again reopen.
BLOCKING_STATES = tuple(state for state in CaseState if state != CaseState.RESOLVED)


class ContactChannel(models.TextChoices):
    PHONE = "phone", _("phone call")
    VISIT = "visit", _("visit")
    LETTER = "letter", _("letter")
    MESSAGE = "message", _("text message")
