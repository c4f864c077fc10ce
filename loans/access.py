"""The one way views fetch a loan for a user: branch scoping in one place."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404

from loans.models import Document, Loan, User
from loans.roles import Role
from loans.selectors import loans_visible_to


def get_loan_for_user(user: User, pk: int) -> Loan:
    """The loan ``pk`` if ``user`` may see it; 404 otherwise (existence is not disclosed)."""
    try:
        return loans_visible_to(user).select_related("borrower", "branch", "product").get(pk=pk)
    except Loan.DoesNotExist:
        raise Http404("No such loan.") from None


# Who reads a loan's documents and photos: the people who work or oversee the file. (An
# administrator manages staff and policy, not customers' papers.)
DOCUMENT_READERS = frozenset(
    {
        Role.ACCOUNT_MANAGER,
        Role.REVIEWER,
        Role.APPROVER,
        Role.DISBURSEMENT_OFFICER,
        Role.COMPLIANCE_OFFICER,
        Role.BRANCH_HEAD,
    }
)


def get_document_for_user(user: User, loan_pk: int, document_pk: int) -> Document:
    """Document ``document_pk`` of loan ``loan_pk``: 404 when the loan is not the user's to see
    or the document not the loan's, 403 when the user's roles do not read documents."""
    loan = get_loan_for_user(user, loan_pk)
    if not user.roles & DOCUMENT_READERS:
        raise PermissionDenied
    try:  # a cancelled document is still evidence of what was on file
        return Document.all_objects.get(loan=loan, pk=document_pk)
    except Document.DoesNotExist:
        raise Http404("No such document.") from None
