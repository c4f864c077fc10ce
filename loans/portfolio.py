"""Portfolio structure: where a new loan would leave the branch against the concentration limits."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Q, Sum

from loans.models import Loan, PolicyVersion
from loans.states import LoanState
from workflow import reads

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


def _credit_sums(loan: Loan) -> dict[str, Decimal]:
    """The credit of the loan's branch, of its industry, guarantee type and borrower group there,
    and of its borrower, without ``loan``: one statement, shared by the checks of a step."""
    disbursed, pipeline = Q(state=LoanState.POST_LOAN), Q(state__in=PIPELINE)
    branch = Q(branch_id=loan.branch_id)
    groups = {
        "branch": branch,
        "industry": branch & Q(industry=loan.industry),
        "guarantee_type": branch & Q(guarantee_type=loan.guarantee_type),
        "borrower": Q(borrower_id=loan.borrower_id),
    }
    if loan.borrower.group:
        groups["group"] = branch & Q(borrower__group=loan.borrower.group)
    sums: dict[str, Any] = {}
    for name, where in groups.items():
        sums[f"{name}_paid"] = Sum("outstanding_balance", filter=where & disbursed)
        sums[f"{name}_pipeline"] = Sum("amount", filter=where & pipeline)

    def load() -> dict[str, Decimal]:
        others = Loan.objects.filter(branch | groups["borrower"]).exclude(pk=loan.pk)
        found = others.aggregate(**sums)
        return {
            name: (found[f"{name}_paid"] or Decimal(0)) + (found[f"{name}_pipeline"] or Decimal(0))
            for name in groups
        }

    return reads.once(("loans.credit", loan.pk, loan.amount), load)


def position(loan: Loan, policy: PolicyVersion) -> Position:
    """The branch's concentrations by industry, guarantee type and borrower group with ``loan``."""
    credit = _credit_sums(loan)
    amount = loan.amount or Decimal(0)
    total = credit["branch"] + amount
    dimensions = [
        ("industry", loan.industry, policy.industry_concentration_limit),
        ("guarantee_type", loan.guarantee_type, policy.guarantee_concentration_limit),
    ]
    if loan.borrower.group:
        dimensions.append(("group", loan.borrower.group, policy.group_concentration_limit))
    concentrations = tuple(
        Concentration(
            dimension=name,
            key=key,
            share=((credit[name] + amount) / total).quantize(Decimal("0.001"))
            if total
            else Decimal(0),
            limit=limit,
        )
        for name, key, limit in dimensions
    )
    return Position(total, total >= policy.concentration_min_portfolio, concentrations)


def borrower_credit(loan: Loan) -> Decimal:
    """The borrower's credit with the bank if this loan is granted (single-borrower limit)."""
    return _credit_sums(loan)["borrower"] + (loan.amount or Decimal(0))
