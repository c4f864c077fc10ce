"""The Reveal button of the loan page: the engine decides and records, then the value is shown."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from loans.access import get_loan_for_user
from loans.models import User
from loans.personal_data import PersonalField
from loans.reveal import reveal
from loans.views import refused_message
from workflow.engine import TransitionRefused
from workflow.models import Channel


@require_POST
@login_required
def loan_reveal(request: HttpRequest, pk: int) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    loan = get_loan_for_user(user, pk)
    field = request.POST.get("field", "")
    try:
        value = reveal(
            loan, actor=user, field=field, record_id=request.POST.get("record"), channel=Channel.WEB
        )
    except TransitionRefused as refused:
        messages.error(request, refused_message(refused.failed, recorded=True))
        return redirect("loans:detail", pk=pk)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("loans:detail", pk=pk)
    return render(
        request,
        "loans/reveal.html",
        {"loan": loan, "label": PersonalField(field).label, "value": value},
    )
