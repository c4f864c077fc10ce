from typing import Any

from django.http import HttpRequest

from loans.feed_views import READERS as FEED_READERS
from loans.inbox import counts_for_request
from loans.roles import Role
from loans.selectors import QUEUE_STAGE


def navigation(request: HttpRequest) -> dict[str, Any]:
    """Which role screens the navigation offers the user, with the inbox counts beside them."""
    user = request.user
    if not user.is_authenticated:
        return {}
    roles: frozenset[str] = getattr(user, "roles", frozenset())
    return {
        "nav": {
            "mine": Role.ACCOUNT_MANAGER in roles,
            "queue": bool(roles & set(QUEUE_STAGE)),
            "deviations": bool(roles & {Role.COMPLIANCE_OFFICER, Role.BRANCH_HEAD}),
            "reference_changes": bool(roles & {Role.COMPLIANCE_OFFICER, Role.BRANCH_HEAD}),
            "overview": Role.BRANCH_HEAD in roles,
            "scorecard": bool(roles & {Role.ACCOUNT_MANAGER, Role.BRANCH_HEAD}),
            "feed": bool(roles & FEED_READERS),
        },
        "inbox_counts": counts_for_request(request),
    }
