"""The task inbox: the loans waiting for a person, due date first (so overdue ones lead), the
approver's loans above their authority apart, and the counts the navigation shows.

The due date is the running stage timer's (workflow/timers.py, the SLA of loans/workflow.py); a
loan no stage timer runs for sorts after every deadline.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from loans.keyset import bounded_counts_of
from loans.models import Loan, User
from loans.paging import COUNT_CAP, Count
from loans.policy import policy_in_force
from loans.roles import Role
from loans.selectors import QUEUE_STAGE, loans_visible_to
from loans.states import OPEN_STATES, LoanState

# Every inbox list's order unless the user sorts otherwise: the earliest due date first (the
# overdue loans lead), a loan without a running stage timer last (loans/selectors.py QUEUE_ORDER).
DUE_FIRST = "sla"
# A condition no loan meets (unlike ``pk__in=[]``, it can stand inside an aggregate's filter).
NO_LOAN = Q(pk__isnull=True)


def authority_limit(user: User) -> Decimal | None:
    """The largest amount ``user`` may approve alone (None: not an approver)."""
    if not user.has_role(Role.APPROVER) or not user.authority_level:
        return None
    policy = policy_in_force()
    tiers = (policy.authority_tier_1, policy.authority_tier_2, policy.authority_tier_3)
    return Decimal(tiers[min(user.authority_level, 3) - 1])


def above_authority(limit: Decimal | None) -> Q:
    """Loans waiting for approval whose amount is above ``limit`` (none without a limit)."""
    if limit is None:
        return NO_LOAN
    return Q(state=LoanState.APPROVAL, amount__gt=limit)


NONE = Count(0, more=False)


@dataclass(frozen=True)
class InboxCounts:
    """What the navigation shows beside "My queue" and "My loans": bounded counts ("1,000+")."""

    waiting: Count = NONE
    waiting_overdue: Count = NONE
    mine: Count = NONE
    mine_overdue: Count = NONE


def inbox_counts(user: User, now: datetime) -> InboxCounts:
    """The loans waiting for ``user``'s decision and their own open loans, each with how many are
    overdue (past their stage's due date, the copy the loan keeps of its running stage timer's):
    one query of four bounded counts, each along an index, so it costs the same with a thousand
    loans or a million (none for a user with neither)."""
    stages = [stage for role, stage in QUEUE_STAGE.items() if user.has_role(role)]
    parts: dict[str, QuerySet[Loan]] = {}
    if stages:  # along loan_stage_due (branch, state, stage_due_at)
        waiting = loans_visible_to(user).filter(state__in=stages)
        parts.update(waiting=waiting, waiting_overdue=waiting.filter(stage_due_at__lt=now))
    if user.has_role(Role.ACCOUNT_MANAGER):  # along loan_manager_stage_due
        mine = loans_visible_to(user).filter(account_manager=user, state__in=OPEN_STATES)
        parts.update(mine=mine, mine_overdue=mine.filter(stage_due_at__lt=now))
    found = bounded_counts_of(parts, cap=COUNT_CAP)
    return InboxCounts(**{name: Count.bounded(value, COUNT_CAP) for name, value in found.items()})


def counts_for_request(request: HttpRequest) -> InboxCounts:
    """:func:`inbox_counts` of the signed-in user, computed once per request."""
    cached: Any = getattr(request, "_inbox_counts", None)
    if cached is None:
        cached = inbox_counts(request.user, timezone.now())  # type: ignore[arg-type]
        request._inbox_counts = cached  # type: ignore[attr-defined]
    return cached  # type: ignore[no-any-return]


@dataclass(frozen=True)
class SortHeader:
    """A sortable column's header: its link, and ``aria-sort`` when the list is sorted by it."""

    label: Promise
    url: str
    aria_sort: str | None


# The queue's sortable columns: the sort key and the direction a first click sorts in.
QUEUE_COLUMNS: tuple[tuple[str, Promise, str], ...] = (
    ("borrower", _("Borrower"), ""),
    ("product", _("Product"), ""),
    ("amount", _("Amount (CNY)"), "-"),
    ("risk", _("Risk score"), "-"),
    ("waiting", _("In stage"), ""),
    (DUE_FIRST, _("Due"), ""),
)


def sort_headers(request: HttpRequest, sort: str) -> dict[str, SortHeader]:
    """Each sortable column's header for the list sorted by ``sort``, the filters kept; a click
    on the column sorted by reverses it."""
    key, descending = sort.removeprefix("-"), sort.startswith("-")
    headers = {}
    for column, label, first in QUEUE_COLUMNS:
        current = column == key
        query = request.GET.copy()
        query.pop("cursor", None)
        query.pop("above", None)
        query["sort"] = ("" if descending else "-") + column if current else first + column
        headers[column] = SortHeader(
            label=label,
            url=f"?{query.urlencode()}",
            aria_sort=("descending" if descending else "ascending") if current else None,
        )
    return headers
