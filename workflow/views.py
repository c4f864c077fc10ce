"""The notification inbox: newest first a page at a time, each notification a link to what it is
about, marked read one by one or all at once (POST, with the CSRF token)."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.decorators import login_required
from django.contrib.contenttypes.models import ContentType
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

# The keyset paging of every list page (a generic helper that happens to live with the loans).
from loans.keyset import Order
from loans.paging import web_page
from workflow.models import Notification
from workflow.registry import process_for

NEWEST_FIRST = Order("notifications", ("created_at", "id"), descending=True)


@dataclass(frozen=True)
class NotificationRow:
    notification: Notification
    url: str | None  # the page of what it is about (a loan's), if that has one
    deviation_url: str | None = None  # the deviation it names too, if any


def link_of(notification: Notification) -> str | None:
    """The page of the object ``notification`` is about (a loan's page), without reading it: the
    model's ``get_absolute_url`` needs only the primary key."""
    model = ContentType.objects.get_for_id(notification.content_type_id).model_class()
    if model is None or not hasattr(model, "get_absolute_url"):
        return None
    url: str = model(pk=notification.object_id).get_absolute_url()  # type: ignore[attr-defined]
    return url


def deviation_link(notification: Notification) -> str | None:
    """The page of the deviation ``notification`` names (an escalation), from the process of
    the object it is about; without reading either."""
    if notification.deviation_id is None:
        return None
    model = ContentType.objects.get_for_id(notification.content_type_id).model_class()
    try:
        process = process_for(model) if model is not None else None
    except LookupError:
        return None
    return process.deviation_url(notification.deviation_id) if process else None


def row_of(notification: Notification) -> NotificationRow:
    return NotificationRow(notification, link_of(notification), deviation_link(notification))


@login_required
def inbox(request: HttpRequest) -> HttpResponse:
    mine = Notification.objects.filter(recipient_id=request.user.pk)
    page = web_page(request, mine, NEWEST_FIRST)
    rows = [row_of(n) for n in page.rows]
    return render(request, "workflow/inbox.html", {"rows": rows, "page": page}, status=page.status)


@login_required
@require_POST
def mark_read(request: HttpRequest, pk: int) -> HttpResponse:
    """Mark one of the user's own notifications read (another's is not found)."""
    notification = get_object_or_404(Notification, pk=pk, recipient_id=request.user.pk)
    if notification.read_at is None:
        Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(
            read_at=timezone.now()
        )
    return redirect("workflow:inbox")


@login_required
@require_POST
def mark_all_read(request: HttpRequest) -> HttpResponse:
    Notification.objects.filter(recipient_id=request.user.pk, read_at__isnull=True).update(
        read_at=timezone.now()
    )
    return redirect("workflow:inbox")
