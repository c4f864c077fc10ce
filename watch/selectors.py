"""Reads of the watch list: who sees which items (a manager their own, a branch head and
compliance every item of the branches they see), the navigation's counts, a loan's items."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.contrib.contenttypes.models import ContentType
from django.db.models import F, Q, QuerySet
from django.http import Http404

from loans.inbox import NONE
from loans.keyset import bounded_counts_of
from loans.models import Loan, User
from loans.paging import COUNT_CAP
from loans.paging import Count as Shown
from loans.roles import Role
from watch.models import WatchItem
from watch.states import ItemState
from workflow.models import AuditEvent

OVERSEERS = frozenset({Role.BRANCH_HEAD, Role.COMPLIANCE_OFFICER})


def sees_branch_items(user: User) -> bool:
    return bool(user.roles & OVERSEERS)


def items_visible_to(user: User) -> QuerySet[WatchItem]:
    """A branch head's and a compliance officer's: every item of the branches they see; an
    account manager's: their own; anybody else's: none."""
    items: QuerySet[WatchItem] = WatchItem.objects.all()
    if sees_branch_items(user):
        return items.filter(branch_id__in=user.visible_branch_ids)
    if user.has_role(Role.ACCOUNT_MANAGER):
        return items.filter(account_manager=user, branch_id__in=user.visible_branch_ids)
    return items.none()


def get_item_for_user(user: User, pk: int) -> WatchItem:
    """The item ``pk`` if ``user`` may see it; 404 otherwise (existence is not disclosed)."""
    try:
        return (
            items_visible_to(user)
            .select_related("loan__borrower", "branch", "account_manager")
            .get(pk=pk)
        )
    except WatchItem.DoesNotExist:
        raise Http404("No such watch-list item.") from None


def items_of_loan(loan: Loan, user: User) -> QuerySet[WatchItem]:
    return items_visible_to(user).filter(loan=loan).select_related("account_manager")


@dataclass(frozen=True)
class WatchCounts:
    """What the navigation shows beside "Watch-list": open items, and how many are overdue
    (bounded counts, "1,000+", like the loans' beside "My queue")."""

    open: Shown = NONE
    overdue: Shown = NONE


def watch_counts(user: User, now: datetime) -> WatchCounts:
    """One query of two bounded counts over the items the user sees (the account manager's own)."""
    if not (sees_branch_items(user) or user.has_role(Role.ACCOUNT_MANAGER)):
        return WatchCounts()
    items = items_visible_to(user).filter(state=ItemState.OPEN)
    found = bounded_counts_of(
        {"open": items, "overdue": items.filter(due_at__lt=now)}, cap=COUNT_CAP
    )
    return WatchCounts(**{name: Shown.bounded(value, COUNT_CAP) for name, value in found.items()})


# --- an item's state at a past moment, from its own moments (items are never reopened) -------


def open_at(moment: datetime) -> Q:
    """Items open at ``moment``: opened before it and not resolved by then."""
    return Q(opened_at__lt=moment) & (Q(resolved_at__isnull=True) | Q(resolved_at__gte=moment))


def overdue_at(moment: datetime) -> Q:
    """Items open at ``moment`` and past their due (as the navigation counts them now)."""
    return open_at(moment) & Q(due_at__lt=moment)


def resolved_between(start: datetime, end: datetime) -> Q:
    return Q(resolved_at__gte=start, resolved_at__lt=end)


RESOLVED_LATE = Q(resolved_at__gt=F("due_at"))


def audit_trail_of(item: WatchItem) -> QuerySet[AuditEvent]:
    return (
        AuditEvent.objects.filter(
            content_type=ContentType.objects.get_for_model(WatchItem), object_id=item.pk
        )
        .select_related("actor")
        .order_by("seq")
    )
