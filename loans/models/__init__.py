from loans.models.borrowers import Borrower
from loans.models.loan import Loan
from loans.models.org import Branch, User
from loans.models.policy import PolicyVersion
from loans.models.products import LoanProduct
from loans.models.records import Contract, Interview, SiteVisit

__all__ = [
    "Borrower",
    "Branch",
    "Contract",
    "Interview",
    "Loan",
    "LoanProduct",
    "PolicyVersion",
    "SiteVisit",
    "User",
]
