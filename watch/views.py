"""Web pages of the watch list: the items a person sees (a manager their own, the branch head
all, with filters), an item with its notes and timeline, and its steps as forms. Thin: forms
parse, the engine decides and writes, selectors read."""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from loans.keyset import Order
from loans.paging import web_page
from loans.timeline import timeline
from loans.views import refused_message
from watch.forms import NoteForm, WatchFilterForm
from watch.models import WatchItem
from watch.rules import reason_of, signal_title
from watch.selectors import audit_trail_of, get_item_for_user, items_visible_to, sees_branch_items
from watch.states import ItemState
from workflow.actions import action_options, perform_action
from workflow.engine import InvalidInput, TransitionRefused, perform_transition, preflight
from workflow.models import Channel
from workflow.registry import process_for

DUE_FIRST = Order("due", ("due_at", "id"))


def _filtered(request: HttpRequest, items: QuerySet[WatchItem]) -> tuple[Any, QuerySet[WatchItem]]:
    managers = [
        (pk, f"{first} {last}".strip() or username)
        for pk, username, first, last in items.values_list(
            "account_manager_id",
            "account_manager__username",
            "account_manager__first_name",
            "account_manager__last_name",
        )
        .order_by("account_manager__username")
        .distinct()
    ]
    data = request.GET.copy()
    data.setdefault("state", ItemState.OPEN)  # the open items unless another state is asked
    form = WatchFilterForm(data, managers=managers)
    if not form.is_valid():
        return form, items.filter(state=ItemState.OPEN)
    chosen: dict[str, Any] = form.cleaned_data
    for name in ("state", "signal", "severity"):
        if chosen[name]:
            items = items.filter(**{name: chosen[name]})
    if chosen["manager"]:
        items = items.filter(account_manager_id=int(chosen["manager"]))
    if chosen["overdue"]:
        items = items.filter(state=ItemState.OPEN, due_at__lt=timezone.now())
    return form, items


@login_required
def watch_list(request: HttpRequest) -> HttpResponse:
    """The items the user sees, the earliest due first (the overdue lead), a page at a time."""
    visible = items_visible_to(request.user)  # type: ignore[arg-type]
    form, items = _filtered(request, visible)
    page = web_page(request, items.select_related("loan__borrower", "account_manager"), DUE_FIRST)
    now = timezone.now()
    rows = [
        {
            "item": item,
            "title": signal_title(item.signal),
            "reason": reason_of(item.signal, item.facts),
            "overdue": item.is_open and item.due_at < now,
        }
        for item in page.rows
    ]
    return render(
        request,
        "watch/watch_list.html",
        {
            "rows": rows,
            "page": page,
            "form": form,
            "branch_wide": sees_branch_items(request.user),  # type: ignore[arg-type]
        },
        status=page.status,
    )


@login_required
def item_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _item_page(request, pk)


def _item_page(
    request: HttpRequest, pk: int, *, form: NoteForm | None = None, status: int = 200
) -> HttpResponse:
    item = get_item_for_user(request.user, pk)  # type: ignore[arg-type]
    definition = process_for(item).definition
    notes = {option.name: option for option in action_options(item, actor=request.user)}
    return render(
        request,
        "watch/item_detail.html",
        {
            "item": item,
            "loan": item.loan,
            "title": signal_title(item.signal),
            "reason": reason_of(item.signal, item.facts),
            "overdue": item.is_open and item.due_at < timezone.now(),
            "options": preflight(item, actor=request.user),
            "note_action": notes.get("watch_note"),
            "form": form or NoteForm(),
            "notes": item.notes.select_related("author"),
            "events": timeline(audit_trail_of(item), definition),
            "token": uuid.uuid4().hex,
        },
        status=status,
    )


def _back(pk: int) -> HttpResponseRedirect:
    return HttpResponseRedirect(reverse("watch:detail", args=[pk]))


@login_required
@require_POST
def item_resolve(request: HttpRequest, pk: int) -> HttpResponse:
    """Resolve the item with the note of what was done; a refusal shows every reason."""
    item = get_item_for_user(request.user, pk)  # type: ignore[arg-type]
    form = NoteForm(request.POST)
    form.is_valid()
    note = form.cleaned_data.get("note", "").strip()
    try:
        perform_transition(
            item,
            "resolve",
            actor=request.user,
            payload={"note": note} if note else {},
            channel=Channel.WEB,
            idempotency_key=form.cleaned_data.get("idempotency_key", ""),
        )
    except InvalidInput as invalid:
        messages.error(request, " ".join(invalid.messages))
    except TransitionRefused as refused:
        messages.error(request, refused_message(refused.failed, recorded=True))
    else:
        messages.success(request, _("Resolved."))
    return _back(pk)


@login_required
@require_POST
def item_note(request: HttpRequest, pk: int) -> HttpResponse:
    """Add an action note; an invalid one comes back with its error."""
    item = get_item_for_user(request.user, pk)  # type: ignore[arg-type]
    form = NoteForm(request.POST)
    form.is_valid()
    try:
        perform_action(
            item,
            "watch_note",
            actor=request.user,
            data={"note": form.cleaned_data.get("note", "")},
            channel=Channel.WEB,
            idempotency_key=form.cleaned_data.get("idempotency_key", ""),
        )
    except ValidationError as invalid:
        form.add_error("note", invalid.messages)
        return _item_page(request, pk, form=form, status=400)
    except TransitionRefused as refused:
        messages.error(request, refused_message(refused.failed, recorded=True))
    else:
        messages.success(request, _("Recorded."))
    return _back(pk)
