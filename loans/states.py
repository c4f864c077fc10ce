"""The vocabulary of the loan process: its states. Imports nothing of the domain, so models,
checks and the process declaration (loans/workflow.py) all read it without an import circle."""

from datetime import UTC, datetime

from django.db import models
from django.utils.translation import gettext_lazy as _

# The due date of a loan no stage timer runs for (post-loan, ended): after every deadline.
NO_DEADLINE = datetime(9999, 12, 31, tzinfo=UTC)


class LoanState(models.TextChoices):
    INTAKE = "intake", _("intake")
    SITE_VISIT = "site_visit", _("site visit")
    REVIEW = "review", _("review")
    APPROVAL = "approval", _("approval")
    DISBURSEMENT = "disbursement", _("disbursement")
    POST_LOAN = "post_loan", _("post-loan")
    CLOSED = "closed", _("closed")
    REJECTED = "rejected", _("rejected")
    WITHDRAWN = "withdrawn", _("withdrawn")


TERMINAL_STATES = frozenset({LoanState.CLOSED, LoanState.REJECTED, LoanState.WITHDRAWN})
OPEN_STATES = tuple(state for state in LoanState if state not in TERMINAL_STATES)

# The application: what the borrower asks for, complete before the loan leaves intake.
APPLICATION_FIELDS = (
    "product",
    "amount",
    "term_months",
    "purpose",
    "repayment_method",
    "guarantee_type",
    "industry",
)
# Asked with the application but not required: the spread over the loan prime rate (empty: the
# product's floor spread; loans/servicing/pricing.py).
PRICING_FIELDS = ("rate_spread_bps",)
APPLICATION_INPUT = (*APPLICATION_FIELDS, *PRICING_FIELDS)
