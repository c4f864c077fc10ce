from typing import Any

from django.http import HttpRequest
from django.utils import timezone

from loans.roles import Role
from watch.selectors import sees_branch_items, watch_counts


def watch_navigation(request: HttpRequest) -> dict[str, Any]:
    """The watch-list link with its counts (open, overdue) for account managers, branch heads and
    compliance officers: one aggregate query, none for other staff."""
    user: Any = request.user
    if not user.is_authenticated or not hasattr(user, "roles"):
        return {}
    if not (sees_branch_items(user) or user.has_role(Role.ACCOUNT_MANAGER)):
        return {}
    return {"watch_counts": watch_counts(user, timezone.now())}
