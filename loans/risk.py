"""An explainable, rules-based risk score: each factor's contribution is kept and shown.

Each factor has an intensity between 0 (no concern) and 1 (the strongest concern); its points are
``weight × intensity``, the weights coming from the policy and adding up to 100. The score is the
sum of the points: 0 is the least risky, 100 the most.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from loans.choices import CreditReportResult, GuaranteeType

DTI_AT_FULL_CONCERN = Decimal("0.7")  # debt service at 70% of income is as bad as it gets
CREDIT_INTENSITY = {
    CreditReportResult.CLEAN: Decimal(0),
    CreditReportResult.MINOR_ISSUES: Decimal("0.5"),
    CreditReportResult.SERIOUS_ISSUES: Decimal(1),
}
GUARANTEE_INTENSITY = {
    GuaranteeType.CREDIT: Decimal(1),
    GuaranteeType.JOINT_GUARANTEE: Decimal("0.6"),
    GuaranteeType.GUARANTEE: Decimal("0.5"),
    GuaranteeType.MORTGAGE: Decimal("0.2"),
    GuaranteeType.PLEDGE: Decimal("0.1"),
}


@dataclass(frozen=True)
class Factor:
    code: str
    value: str  # the input, as shown to the reader
    intensity: float
    weight: int
    points: float


def debt_to_income(monthly_debt_payments: Decimal, monthly_income: Decimal) -> Decimal:
    return (monthly_debt_payments / monthly_income).quantize(Decimal("0.001"))


def _capped(value: Decimal) -> Decimal:
    return max(Decimal(0), min(Decimal(1), value))


def score(
    *,
    dti: Decimal,
    credit_result: str,
    overdue_accounts: int,
    guarantee_type: str,
    industry_share: Decimal,
    industry_limit: Decimal,
    weights: dict[str, int],
) -> tuple[int, list[dict[str, Any]]]:
    """The score and its factors (as JSON-ready dicts), highest contribution first."""
    intensities = {
        "debt_to_income": (_capped(dti / DTI_AT_FULL_CONCERN), f"{dti:.1%}"),
        "credit_report": (
            _capped(
                CREDIT_INTENSITY[CreditReportResult(credit_result)] + overdue_accounts / Decimal(10)
            ),
            f"{credit_result}, {overdue_accounts} overdue",
        ),
        "guarantee": (GUARANTEE_INTENSITY[GuaranteeType(guarantee_type)], guarantee_type),
        "concentration": (_capped(industry_share / industry_limit), f"{industry_share:.1%}"),
    }
    factors = [
        Factor(
            code=code,
            value=shown,
            intensity=float(intensity),
            weight=weights[code],
            points=round(float(intensity) * weights[code], 1),
        )
        for code, (intensity, shown) in intensities.items()
    ]
    factors.sort(key=lambda f: -f.points)
    total = round(sum(f.points for f in factors))
    return total, [asdict(f) for f in factors]


# Each factor's name, and what it measures, as a reader of the review sees them.
FACTOR_LABELS = {
    "debt_to_income": gettext_lazy("Debt-to-income"),
    "credit_report": gettext_lazy("Credit report"),
    "guarantee": gettext_lazy("Guarantee"),
    "concentration": gettext_lazy("Industry concentration"),
}
FACTOR_MEANINGS = {
    "debt_to_income": gettext_lazy("monthly debt payments as a share of monthly income"),
    "credit_report": gettext_lazy("the credit report's result and overdue accounts"),
    "guarantee": gettext_lazy("how well the guarantee type secures the loan"),
    "concentration": gettext_lazy(
        "the industry's share of the branch's balance, against its limit"
    ),
}


@dataclass(frozen=True)
class FactorRow:
    """A risk factor in words: its name, the input, and its points out of its weight."""

    label: Any
    meaning: Any
    value: str
    points: float
    weight: int


def factor_value(code: str, value: str) -> str:
    """The factor's input in the reader's language (it is stored as computed: a percentage, or
    the credit result and overdue count, or the guarantee type's code)."""
    if code == "guarantee" and value in GuaranteeType.values:
        return str(GuaranteeType(value).label)
    if code == "credit_report":
        result, _sep, overdue = value.partition(", ")
        if result in CreditReportResult.values:
            count = int(overdue.split(" ")[0]) if overdue[:1].isdigit() else 0
            return _("%(result)s, %(count)s overdue accounts") % {
                "result": CreditReportResult(result).label,
                "count": count,
            }
    return value


def describe_factors(factors: list[dict[str, Any]]) -> list[FactorRow]:
    return [
        FactorRow(
            label=FACTOR_LABELS.get(str(item.get("code")), str(item.get("code"))),
            meaning=FACTOR_MEANINGS.get(str(item.get("code")), ""),
            value=factor_value(str(item.get("code")), str(item.get("value", ""))),
            points=float(item.get("points", 0)),
            weight=int(item.get("weight", 0)),
        )
        for item in factors
    ]
