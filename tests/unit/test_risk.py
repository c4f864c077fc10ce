from decimal import Decimal

import pytest

from loans import risk

WEIGHTS = {"debt_to_income": 40, "credit_report": 30, "guarantee": 20, "concentration": 10}


def score(**overrides):
    inputs = {
        "dti": Decimal("0.35"),
        "credit_result": "clean",
        "overdue_accounts": 0,
        "guarantee_type": "mortgage",
        "industry_share": Decimal("0.15"),
        "industry_limit": Decimal("0.30"),
        "weights": WEIGHTS,
    }
    return risk.score(**{**inputs, **overrides})


def test_each_factor_contributes_its_weight_times_its_intensity():
    total, factors = score()

    points = {f["code"]: f["points"] for f in factors}
    assert points == {
        "debt_to_income": 20.0,  # 0.35 / 0.7 = 0.5 of 40
        "credit_report": 0.0,
        "guarantee": 4.0,  # mortgage 0.2 of 20
        "concentration": 5.0,  # half the limit: 0.5 of 10
    }
    assert total == 29
    assert factors[0]["code"] == "debt_to_income"  # biggest contribution first


def test_the_worst_inputs_score_one_hundred():
    total, _ = score(
        dti=Decimal("0.9"),
        credit_result="serious_issues",
        overdue_accounts=3,
        guarantee_type="credit",
        industry_share=Decimal("0.6"),
    )

    assert total == 100


@pytest.mark.parametrize(("overdue", "points"), [(0, 15.0), (2, 21.0), (10, 30.0)])
def test_overdue_accounts_add_to_the_credit_report_factor(overdue, points):
    _, factors = score(credit_result="minor_issues", overdue_accounts=overdue)

    assert next(f for f in factors if f["code"] == "credit_report")["points"] == points


def test_debt_to_income_is_rounded_to_a_tenth_of_a_percent():
    assert risk.debt_to_income(Decimal(2000), Decimal(6000)) == Decimal("0.333")
