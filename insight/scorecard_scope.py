"""Who reads which scorecards: an account manager their own, a branch head every manager of the
offices of their tree. Anyone else is refused (403); an office outside the reader's branches does
not exist for them (404). A manager's volume and speed are scored against the managers of their
own office, so the comparison reads the whole office even when one card is shown.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied

from insight.scope import Scope, scope_for
from loans.models import User
from loans.roles import Role


@dataclass(frozen=True)
class ScorecardScope:
    scope: Scope
    own: int | None  # an account manager's own id: the one card they see

    @property
    def comparison_branch_ids(self) -> list[int]:
        return self.scope.branch_ids

    def shows(self, manager_id: int) -> bool:
        return self.own is None or manager_id == self.own


def scorecard_scope(
    user: User, *, office_id: int | None = None, tree: bool = True
) -> ScorecardScope:
    roles = user.roles
    if Role.BRANCH_HEAD in roles:
        return ScorecardScope(scope_for(user, office_id=office_id, tree=tree), own=None)
    if Role.ACCOUNT_MANAGER not in roles or user.branch is None:
        raise PermissionDenied
    office = user.branch
    return ScorecardScope(
        Scope(office=office, tree=False, offices=[office], choices=[office]), own=user.pk
    )


def may_read_manager(scope: ScorecardScope, manager: User) -> bool:
    """Whether the reader may see the figures behind ``manager``'s card."""
    return scope.shows(manager.pk) and manager.branch_id in scope.comparison_branch_ids
