import pytest

from loans.choices import RiskClass
from loans.classification import floor_for


@pytest.mark.parametrize(
    ("days", "floor"),
    [
        (0, RiskClass.NORMAL),
        (1, RiskClass.SPECIAL_MENTION),
        (90, RiskClass.SPECIAL_MENTION),
        (91, RiskClass.SUBSTANDARD),
        (270, RiskClass.SUBSTANDARD),
        (271, RiskClass.DOUBTFUL),
        (360, RiskClass.DOUBTFUL),
        (361, RiskClass.LOSS),
    ],
)
def test_days_past_due_floors_at_their_boundaries(days, floor):
    assert floor_for(days) == floor
