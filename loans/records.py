"""The stage records of a loan's file, as the web UI and the API offer them.

The table itself (what each kind holds, who adds it in which stages, under which checks) is
``RECORDS`` in loans/workflow.py; forms and serializers are made from its fields.
"""

from __future__ import annotations

from typing import Any

from loans.models import Loan
from loans.workflow import RECORD_BY_NAME, RECORDS, RecordKind

BY_PATH = {kind.path: kind for kind in RECORDS}

__all__ = ["BY_PATH", "RECORDS", "RECORD_BY_NAME", "RecordKind", "addable"]


def addable(user: Any, loan: Loan) -> list[RecordKind]:
    """The kinds of record ``user``'s roles may add to ``loan`` in its current stage (whether
    this person may, the engine decides when they submit)."""
    return [k for k in RECORDS if user.roles & k.roles and loan.state in k.states]
