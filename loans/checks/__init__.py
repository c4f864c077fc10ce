"""The mandatory checks of the loan process, by stage. Which transition runs which: workflow.py.

Each check is a pure function of the context (loan, actor, payload, policy, time). Clauses cite the
section of the lending rules (DOMAIN.md) that the check enforces.
"""

from loans.checks.approval import approval_conditions_stated
from loans.checks.common import reason_given
from loans.checks.disbursement import (
    approval_not_expired,
    conditions_fulfilled,
    contract_signed,
    drawdowns_ready,
    entrusted_payment,
    no_split_drawdowns,
)
from loans.checks.intake import (
    application_complete,
    borrower_not_blocked,
    credit_authorisation_on_file,
    identity_valid,
    interview_recorded,
    within_product_limits,
)
from loans.checks.people import (
    approver_authority,
    approver_independent,
    disbursement_officer_independent,
    endorsement_allowed,
    reviewer_independent,
)
from loans.checks.post_loan import balance_repaid, no_inspection_overdue
from loans.checks.review import (
    credit_report_checked,
    portfolio_limits,
    review_written,
    single_borrower_limit,
)
from loans.checks.site_visit import (
    collateral_valued,
    evidence_collected,
    report_sections_complete,
    two_investigators,
    visit_date_valid,
)

__all__ = [
    "application_complete",
    "approval_conditions_stated",
    "approval_not_expired",
    "approver_authority",
    "approver_independent",
    "balance_repaid",
    "borrower_not_blocked",
    "collateral_valued",
    "conditions_fulfilled",
    "contract_signed",
    "credit_authorisation_on_file",
    "credit_report_checked",
    "disbursement_officer_independent",
    "drawdowns_ready",
    "endorsement_allowed",
    "entrusted_payment",
    "evidence_collected",
    "identity_valid",
    "interview_recorded",
    "no_inspection_overdue",
    "no_split_drawdowns",
    "portfolio_limits",
    "reason_given",
    "report_sections_complete",
    "review_written",
    "reviewer_independent",
    "single_borrower_limit",
    "two_investigators",
    "visit_date_valid",
    "within_product_limits",
]
