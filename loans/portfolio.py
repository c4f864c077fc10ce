"""Portfolio structure: where a new loan would leave the branch against the concentration limits."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Sum

from loans.models import Loan, PolicyVersion
from loans.states import LoanState

# Credit a branch carries: the balance of disbursed loans and the amount of loans on their way.
PIPELINE = (LoanState.REVIEW, LoanState.APPROVAL, LoanState.DISBURSEMENT)


@dataclass(frozen=True)
class Concentration:
    dimension: str  # industry, guarantee_type, group
    key: str
    share: Decimal  # after this loan
    limit: Decimal

    @property
    def breached(self) -> bool:
        return self.share > self.limit


@dataclass(frozen=True)
class Position:
    total: Decimal  # the branch's credit, this loan included
    assessed: bool  # False while the branch is below the policy's minimum for shares
    concentrations: tuple[Concentration, ...]

    @property
    def breaches(self) -> list[Concentration]:
        return [c for c in self.concentrations if c.breached] if self.assessed else []

    def as_record(self) -> dict[str, object]:
        return {
            "total": str(self.total),
            "assessed": self.assessed,
            "concentrations": [
                {
                    "dimension": c.dimension,
                    "key": c.key,
                    "share": str(c.share),
                    "limit": str(c.limit),
                }
                for c in self.concentrations
            ],
        }


def _credit(loans: object) -> Decimal:
    disbursed = loans.filter(state=LoanState.POST_LOAN).aggregate(s=Sum("outstanding_balance"))  # type: ignore[attr-defined]
    pipeline = loans.filter(state__in=PIPELINE).aggregate(s=Sum("amount"))  # type: ignore[attr-defined]
    return (disbursed["s"] or Decimal(0)) + (pipeline["s"] or Decimal(0))


def position(loan: Loan, policy: PolicyVersion) -> Position:
    """The branch's concentrations by industry, guarantee type and borrower group with ``loan``."""
    branch_loans = Loan.objects.filter(branch_id=loan.branch_id).exclude(pk=loan.pk)
    amount = loan.amount or Decimal(0)
    total = _credit(branch_loans) + amount
    dimensions = [
        (
            "industry",
            loan.industry,
            {"industry": loan.industry},
            policy.industry_concentration_limit,
        ),
        (
            "guarantee_type",
            loan.guarantee_type,
            {"guarantee_type": loan.guarantee_type},
            policy.guarantee_concentration_limit,
        ),
    ]
    if loan.borrower.group:
        dimensions.append(
            (
                "group",
                loan.borrower.group,
                {"borrower__group": loan.borrower.group},
                policy.group_concentration_limit,
            )
        )
    concentrations = tuple(
        Concentration(
            dimension=name,
            key=key,
            share=((_credit(branch_loans.filter(**same)) + amount) / total).quantize(
                Decimal("0.001")
            )
            if total
            else Decimal(0),
            limit=limit,
        )
        for name, key, same, limit in dimensions
    )
    return Position(total, total >= policy.concentration_min_portfolio, concentrations)


def borrower_credit(loan: Loan) -> Decimal:
    """The borrower's credit with the bank if this loan is granted (single-borrower limit)."""
    others = Loan.objects.filter(borrower_id=loan.borrower_id).exclude(pk=loan.pk)
    return _credit(others) + (loan.amount or Decimal(0))
