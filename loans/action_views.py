"""One page for every action of the loan process: its form, then the engine decides."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from loans.access import get_loan_for_user
from loans.action_forms import form_for, payload_of, target_of
from loans.models import User
from loans.records import BY_PATH
from loans.views import attach_errors, refused_message
from workflow.actions import decide_action, perform_action
from workflow.engine import TransitionRefused, UnknownTransition
from workflow.models import Channel, Deviation
from workflow.registry import process_for


@login_required
def loan_action(
    request: HttpRequest, pk: int, name: str, record_id: int | None = None
) -> HttpResponse:
    """Show the form of action ``name`` on the loan, and perform it when it is submitted."""
    user: User = request.user  # type: ignore[assignment]
    loan = get_loan_for_user(user, pk)
    declared = process_for(loan).definition.action(name)
    if declared is None:
        raise Http404("No such action.")
    target = target_of(name, loan, record_id)
    record = target[1] if target else None
    posted = request.method == "POST"
    form = form_for(
        name, loan, user, record, request.POST if posted else None, request.FILES or None
    )
    if form is None:
        raise Http404("This action has no form.")
    if not posted:
        form.initial.update({k: v for k, v in request.GET.items() if k in form.fields})
        decision = decide_action(loan, name, actor=user)
        if decision.refusal == Deviation.Kind.WRONG_ROLE:
            raise PermissionDenied
        if decision.refusal == Deviation.Kind.WRONG_STATE:
            messages.error(request, _("This cannot be done in the loan's current stage."))
            return redirect("loans:detail", pk=pk)
        if decision.refusal is not None:  # say why before anyone fills the form in
            messages.warning(request, refused_message(decision.failed, recorded=False))
    elif form.is_valid():
        data, token = payload_of(form)
        if target:
            data[target[0]] = record
        try:
            perform_action(
                loan, name, actor=user, data=data, channel=Channel.WEB, idempotency_key=token
            )
        except ValidationError as error:
            attach_errors(form, error)
        except (TransitionRefused, UnknownTransition) as refused:
            failed = getattr(refused, "failed", [])
            messages.error(request, refused_message(failed, recorded=True))
            return redirect("loans:detail", pk=pk)
        else:
            messages.success(request, _("%(action)s: done.") % {"action": declared.label})
            return redirect("loans:detail", pk=pk)
    title = declared.label if record is None else f"{declared.label}: {record}"
    return render(request, "loans/form.html", {"form": form, "title": title, "loan": loan})


@login_required
def record_add(request: HttpRequest, pk: int, path: str) -> HttpResponse:
    """The form that adds a stage record of the kind at ``path``."""
    kind = BY_PATH.get(path)
    if kind is None:
        raise Http404
    return loan_action(request, pk, kind.add)
