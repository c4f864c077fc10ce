"""Writes of the loan domain. Stage changes go through workflow.engine.perform_transition only."""

from loans.services.applications import (
    blocked_borrower_add,
    borrower_create,
    loan_create,
    loan_update_application,
)
from loans.services.post_loan import (
    days_past_due_update,
    inspection_record,
    repayment_record,
)
from loans.services.records import (
    collateral_valuation_record,
    condition_fulfil,
    contract_record,
    credit_authorisation_record,
    credit_report_record,
    document_upload,
    drawdown_request,
    interview_record,
    review_write,
    site_visit_record,
)
from loans.services.reference import reference_change_record

__all__ = [
    "blocked_borrower_add",
    "borrower_create",
    "collateral_valuation_record",
    "condition_fulfil",
    "contract_record",
    "credit_authorisation_record",
    "credit_report_record",
    "days_past_due_update",
    "document_upload",
    "drawdown_request",
    "inspection_record",
    "interview_record",
    "loan_create",
    "loan_update_application",
    "reference_change_record",
    "repayment_record",
    "review_write",
    "site_visit_record",
]
