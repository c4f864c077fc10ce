"""Writes of the loan domain.

Stage changes go through ``workflow.engine.perform_transition`` and every other write to a loan's
file through ``workflow.actions.perform_action``, which call the services named in
loans/workflow.py. Only writes outside any loan's file are called directly: a new borrower, a new
application (the first event of its loan's chain), the blocked list, reference-data changes, and
the system's own days past due.
"""

from loans.services.applications import blocked_borrower_add, borrower_create, loan_create
from loans.services.post_loan import days_past_due_update
from loans.services.reference import reference_change_record

__all__ = [
    "blocked_borrower_add",
    "borrower_create",
    "days_past_due_update",
    "loan_create",
    "reference_change_record",
]
