from loans.models.approval import ApprovalCondition, ApprovalDecision
from loans.models.borrowers import Borrower
from loans.models.comments import LoanComment
from loans.models.disbursement import Contract, Drawdown
from loans.models.documents import Document
from loans.models.extension import Extension, ExtensionStatus
from loans.models.feed import FeedImport, FeedRow
from loans.models.intake import BlockedBorrower, CreditAuthorisation, Interview
from loans.models.loan import Loan
from loans.models.org import Branch, User
from loans.models.ownership import Delegation
from loans.models.policy import PolicyVersion
from loans.models.post_loan import Inspection, Repayment
from loans.models.products import LoanProduct
from loans.models.review import CreditReport, Review
from loans.models.servicing import Instalment, RepaymentAllocation, RepaymentSchedule
from loans.models.site_visit import CollateralValuation, Guarantor, SiteVisit

__all__ = [
    "ApprovalCondition",
    "ApprovalDecision",
    "BlockedBorrower",
    "Borrower",
    "Branch",
    "CollateralValuation",
    "Contract",
    "CreditAuthorisation",
    "CreditReport",
    "Delegation",
    "Document",
    "Drawdown",
    "Extension",
    "ExtensionStatus",
    "FeedImport",
    "FeedRow",
    "Guarantor",
    "Inspection",
    "Instalment",
    "Interview",
    "Loan",
    "LoanComment",
    "LoanProduct",
    "PolicyVersion",
    "Repayment",
    "RepaymentAllocation",
    "RepaymentSchedule",
    "Review",
    "SiteVisit",
    "User",
]
