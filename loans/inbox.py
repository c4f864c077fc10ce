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

from django.contrib.contenttypes.models import ContentType
from django.db.models import Count, Exists, OuterRef, Q
from django.http import HttpRequest
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from loans.models import Loan, User
from loans.policy import policy_in_force
from loans.roles import Role
from loans.selectors import QUEUE_STAGE, loans_visible_to
from loans.states import OPEN_STATES, LoanState
from workflow.models import Timer

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


@dataclass(frozen=True)
class InboxCounts:
    """What the navigation shows beside "My queue" and "My loans"."""

    waiting: int = 0
    waiting_overdue: int = 0
    mine: int = 0
    mine_overdue: int = 0


def _overdue(now: datetime) -> Exists:
    return Exists(
        Timer.objects.filter(
            content_type=ContentType.objects.get_for_model(Loan),
            object_id=OuterRef("pk"),
            kind=Timer.Kind.STAGE,
            stopped_at__isnull=True,
            due_at__lt=now,
        )
    )


def inbox_counts(user: User, now: datetime) -> InboxCounts:
    """The loans waiting for ``user``'s decision and their own open loans, each with how many are
    overdue: one aggregate query (none for a user with neither)."""
    stages = [stage for role, stage in QUEUE_STAGE.items() if user.has_role(role)]
    manages = user.has_role(Role.ACCOUNT_MANAGER)
    if not stages and not manages:
        return InboxCounts()
    waiting = Q(state__in=stages) if stages else NO_LOAN
    mine = Q(account_manager=user, state__in=OPEN_STATES) if manages else NO_LOAN
    totals = (
        loans_visible_to(user)
        .filter(waiting | mine)
        .annotate(late=_overdue(now))
        .aggregate(
            waiting=Count("pk", filter=waiting),
            waiting_overdue=Count("pk", filter=waiting & Q(late=True)),
            mine=Count("pk", filter=mine),
            mine_overdue=Count("pk", filter=mine & Q(late=True)),
        )
    )
    return InboxCounts(**totals)


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
