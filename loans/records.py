"""The stage records of a loan's file, as the web UI and the API offer them.

The table itself (what each kind holds, who adds it in which stages, under which checks) is
``RECORDS`` in loans/workflow.py; forms and serializers are made from its fields.
"""

from __future__ import annotations

from typing import Any

from loans.models import Loan
from loans.workflow import RECORD_BY_NAME, RECORDS, RecordKind
from workflow.actions import decide_action

BY_PATH = {kind.path: kind for kind in RECORDS}

__all__ = ["BY_PATH", "RECORDS", "RECORD_BY_NAME", "RecordKind", "addable"]


def addable(user: Any, loan: Loan) -> list[RecordKind]:
    """The kinds of record ``user`` may add to ``loan`` now: their role, the loan's stage and
    the person rules (the loan's own account manager, an independent reviewer) allow it; what
    they enter is judged when they submit it."""
    return [
        kind
        for kind in RECORDS
        if user.roles & kind.roles
        and loan.state in kind.states
        and decide_action(loan, kind.add, actor=user).refusal is None
    ]
