"""Insight's fixtures: a branch head and a hand-built portfolio whose figures are known."""

from __future__ import annotations

from decimal import Decimal

import pytest

from loans.choices import GuaranteeType, Industry, RiskClass
from loans.roles import Role
from loans.states import LoanState
from tests import factories
from tests.integration.insight.data import held
from tests.integration.insight.process_data import known  # noqa: F401 - process analytics

D = Decimal


@pytest.fixture
def head(branch):
    return factories.staff(Role.BRANCH_HEAD, branch=branch, username="head1")


@pytest.fixture
def policy():
    return factories.PolicyVersionFactory(
        industry_concentration_limit=D("0.700"),
        guarantee_concentration_limit=D("0.500"),
        group_concentration_limit=D("0.300"),
        concentration_min_portfolio=D(500_000),
    )


@pytest.fixture
def portfolio(manager, product, policy):
    """¥1,000,000 outstanding: industry F 65 %, C 20 %, A 15 %; guarantee 60 %; one group 20 %;
    substandard 20 % + loss 15 % non-performing, special mention 25 %."""
    held(
        manager,
        product,
        industry=Industry.F,
        guarantee_type=GuaranteeType.GUARANTEE,
        outstanding_balance=D(400_000),
        amount=D(600_000),
        term_months=12,
    )
    held(
        manager,
        product,
        industry=Industry.F,
        guarantee_type=GuaranteeType.MORTGAGE,
        outstanding_balance=D(250_000),
        amount=D(300_000),
        term_months=24,
        risk_class=RiskClass.SPECIAL_MENTION,
    )
    held(
        manager,
        product,
        industry=Industry.C,
        guarantee_type=GuaranteeType.GUARANTEE,
        outstanding_balance=D(200_000),
        amount=D(200_000),
        term_months=36,
        risk_class=RiskClass.SUBSTANDARD,
        group="Chen family",
    )
    held(
        manager,
        product,
        industry=Industry.A,
        guarantee_type=GuaranteeType.CREDIT,
        outstanding_balance=D(150_000),
        amount=D(150_000),
        term_months=12,
        risk_class=RiskClass.LOSS,
    )
    # Neither in the portfolio: an application and a loan repaid and closed.
    held(manager, product, state=LoanState.INTAKE, industry=Industry.A, amount=D(1_000_000))
    held(manager, product, state=LoanState.CLOSED, industry=Industry.A, outstanding_balance=0)
