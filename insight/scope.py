"""Who may read the portfolio dashboards, and of which offices: the one access check of insight.

Branch heads and compliance officers read them (nothing on them writes); a branch head the
offices of their tree, a compliance officer their own office. An office outside the reader's
branches does not exist for them (404), whatever they ask.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.http import Http404

from loans.models import Branch, User
from loans.roles import Role

READERS = frozenset({Role.BRANCH_HEAD, Role.COMPLIANCE_OFFICER})


@dataclass(frozen=True)
class Scope:
    office: Branch
    tree: bool  # the office and every office under it
    offices: list[Branch]  # the offices measured
    choices: list[Branch]  # every office the reader may choose

    @property
    def branch_ids(self) -> list[int]:
        return [office.pk for office in self.offices]


def may_read(user: User) -> bool:
    return bool(user.roles & READERS)


def scope_for(user: User, *, office_id: int | None = None, tree: bool = True) -> Scope:
    """The offices ``user`` asks to read: ``office_id`` (their own by default), with its sub-offices
    when ``tree``. Raises PermissionDenied for a role that may not read, Http404 for an office
    outside the user's branches."""
    if not may_read(user):
        raise PermissionDenied
    visible = user.visible_branch_ids
    office_id = office_id or user.branch_id
    if office_id is None or office_id not in visible:
        raise Http404
    choices = list(Branch.objects.filter(pk__in=visible).order_by("code"))
    by_id = {branch.pk: branch for branch in choices}
    measured = {office_id}
    if tree:
        frontier = [office_id]
        while frontier:
            frontier = [b.pk for b in choices if b.parent_id in frontier and b.pk not in measured]
            measured.update(frontier)
    return Scope(
        office=by_id[office_id],
        tree=tree,
        offices=[branch for branch in choices if branch.pk in measured],
        choices=choices,
    )
