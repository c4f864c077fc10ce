"""Web pages of collections: the branch's cases, and a case with its steps and actions as forms.
Thin: forms parse, the engine decides and writes, selectors read."""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from loans.keyset import Order
from loans.paging import web_page
from loans.timeline import refused_attempts, timeline
from loans.views import attach_errors, refused_message
from recovery.forms import ACTION_FORMS, CaseStepForm, ContactForm, EndorseForm
from recovery.selectors import audit_trail_of, cases_visible_to, deviations_of, get_case_for_user
from recovery.states import CaseState
from workflow.actions import action_options, perform_action
from workflow.engine import (
    InvalidInput,
    TransitionRefused,
    UnknownTransition,
    perform_transition,
    preflight,
)
from workflow.models import Channel
from workflow.registry import process_for

CASE_ORDER = Order("newest", ("opened_at", "id"), descending=True)
# Steps that ask for the promise's amount and date; every other step may carry a comment.
PROMISE_STEPS = {"take_promise"}


@login_required
def case_list(request: HttpRequest) -> HttpResponse:
    """The collection cases of the user's branches, newest first, a page at a time."""
    cases = cases_visible_to(request.user)  # type: ignore[arg-type]
    state = request.GET.get("state", "")
    if state in CaseState.values:
        cases = cases.filter(state=state)
    page = web_page(request, cases.select_related("loan__borrower", "account_manager"), CASE_ORDER)
    return render(
        request,
        "recovery/case_list.html",
        {"cases": page.rows, "page": page, "states": CaseState.choices, "state": state},
        status=page.status,
    )


@login_required
def case_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _case_page(request, pk)


def _case_page(
    request: HttpRequest, pk: int, *, bound: dict[str, Any] | None = None, status: int = 200
) -> HttpResponse:
    case = get_case_for_user(request.user, pk)  # type: ignore[arg-type]
    definition = process_for(case).definition
    actions = {option.name: option for option in action_options(case, actor=request.user)}
    forms = {"contact_log": ContactForm(), "write_off_endorse": EndorseForm(), **(bound or {})}
    return render(
        request,
        "recovery/case_detail.html",
        {
            "case": case,
            "loan": case.loan,
            "options": preflight(case, actor=request.user),
            "promise_steps": PROMISE_STEPS,
            "step_form": CaseStepForm(),
            "contact": actions.get("contact_log"),
            "endorse": actions.get("write_off_endorse"),
            "contact_form": forms["contact_log"],
            "endorse_form": forms["write_off_endorse"],
            "contacts": case.contact_attempts.select_related("made_by"),
            "endorsements": case.endorsements.select_related("approver"),
            "events": timeline(audit_trail_of(case), definition),
            "deviations": refused_attempts(
                deviations_of(case).select_related("actor")[:50], definition
            ),
            "token": uuid.uuid4().hex,
        },
        status=status,
    )


def _back(pk: int) -> HttpResponseRedirect:
    return HttpResponseRedirect(reverse("recovery:detail", args=[pk]))


@login_required
@require_POST
def case_transition(request: HttpRequest, pk: int, name: str) -> HttpResponse:
    """Perform a step of the case; a refusal shows every reason."""
    case = get_case_for_user(request.user, pk)  # type: ignore[arg-type]
    form = CaseStepForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(str(m) for ms in form.errors.values() for m in ms))
        return _back(pk)
    try:
        case = perform_transition(
            case,
            name,
            actor=request.user,
            payload=form.payload(),
            channel=Channel.WEB,
            idempotency_key=form.cleaned_data.get("idempotency_key", ""),
        )
    except UnknownTransition:
        messages.error(request, _("There is no such step."))
    except InvalidInput as invalid:
        messages.error(request, " ".join(invalid.messages))
    except TransitionRefused as refused:
        messages.error(request, refused_message(refused.failed, recorded=True))
    else:
        messages.success(
            request, _("Done: the case is now %(state)s.") % {"state": case.get_state_display()}
        )
    return _back(pk)


@login_required
@require_POST
def case_action(request: HttpRequest, pk: int, name: str) -> HttpResponse:
    """Log a contact attempt or endorse a write-off; an invalid form comes back with its errors."""
    case = get_case_for_user(request.user, pk)  # type: ignore[arg-type]
    form_class = ACTION_FORMS.get(name)
    if form_class is None:
        messages.error(request, _("There is no such step."))
        return _back(pk)
    form = form_class(request.POST)
    if not form.is_valid():
        return _case_page(request, pk, bound={name: form}, status=400)
    data = {k: v for k, v in form.cleaned_data.items() if k != "idempotency_key"}
    try:
        perform_action(
            case,
            name,
            actor=request.user,
            data=data,
            channel=Channel.WEB,
            idempotency_key=form.cleaned_data.get("idempotency_key", ""),
        )
    except ValidationError as invalid:
        attach_errors(form, invalid)
        return _case_page(request, pk, bound={name: form}, status=400)
    except TransitionRefused as refused:
        messages.error(request, refused_message(refused.failed, recorded=True))
    else:
        messages.success(request, _("Recorded."))
    return _back(pk)
