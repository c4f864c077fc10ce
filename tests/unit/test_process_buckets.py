"""Process analytics' hour histograms: bounded, exact to the hour below a day, and a percentile
is nearest-rank over them."""

from collections import Counter

import pytest

from insight.process import percentile
from insight.process_aggregate import bucket


@pytest.mark.parametrize(
    ("hours", "start"),
    [(0, 0), (23, 23), (24, 24), (25, 24), (71, 70), (72, 72), (101, 96), (719, 696), (800, 672)],
)
def test_an_hour_falls_in_the_bucket_of_its_resolution(hours, start):
    assert bucket(hours) == start


def test_a_year_of_hours_needs_fewer_than_a_hundred_and_fifty_buckets():
    assert len({bucket(hours) for hours in range(24 * 365)}) < 150


def test_the_median_and_90th_percentile_are_nearest_rank():
    hours = Counter({10: 1, 20: 1, 30: 1, 40: 1, 102: 1})

    assert (percentile(hours, 0.5), percentile(hours, 0.9)) == (30, 102)
    assert percentile(Counter({24: 1, 48: 1}), 0.5) == 24
    assert percentile(Counter(), 0.5) is None
