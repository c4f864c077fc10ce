from typing import Any

from django.http import HttpRequest

from workflow.notifications import unread_count


def notifications(request: HttpRequest) -> dict[str, Any]:
    """The unread count for the navigation."""
    if not request.user.is_authenticated:
        return {}
    return {"unread_notifications": unread_count(request.user)}
