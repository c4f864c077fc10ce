"""Django's SQL as the server takes it, for statements prepared there (workflow/prepared.py)."""

from __future__ import annotations

import pytest

from workflow.prepared import numbered


def test_placeholders_are_numbered_in_order_and_doubled_percent_signs_are_single():
    sql = "SELECT a FROM t WHERE b = %s AND c LIKE '10%%' AND d IN (%s, %s)"

    assert numbered(sql) == "SELECT a FROM t WHERE b = $1 AND c LIKE '10%' AND d IN ($2, $3)"


def test_a_statement_without_parameters_is_unchanged():
    assert numbered("SELECT 1") == "SELECT 1"


@pytest.mark.parametrize("sql", ["SELECT %(name)s", "SELECT %d", "SELECT 5 %"])
def test_a_percent_sign_django_never_writes_is_refused(sql):
    with pytest.raises(ValueError, match="placeholder"):
        numbered(sql)
