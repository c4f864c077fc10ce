"""Web pages: each role's landing screen, the loan list, and a loan with its next steps."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from loans.access import get_loan_for_user
from loans.forms import TransitionForm
from loans.inbox import DUE_FIRST, above_authority, authority_limit, sort_headers
from loans.keyset import Order, bounded_counts, paginate
from loans.loan_page import case_file
from loans.models import LoanProduct, User
from loans.paging import COUNT_CAP, Count, WebPage, web_page
from loans.roles import Role
from loans.selectors import (
    SlaStatus,
    loans_visible_to,
    pending_extensions_for,
    queue_for,
    queue_order,
    with_sla_status,
)
from loans.states import OPEN_STATES, LoanState
from workflow.engine import (
    InvalidInput,
    TransitionRefused,
    UnknownTransition,
    perform_transition,
)
from workflow.models import Channel

# Where each role starts its day, in order of precedence.
LANDING = (
    (Role.ACCOUNT_MANAGER, "loans:mine"),
    (Role.REVIEWER, "loans:queue"),
    (Role.APPROVER, "loans:queue"),
    (Role.DISBURSEMENT_OFFICER, "loans:queue"),
    (Role.COMPLIANCE_OFFICER, "loans:deviations"),
    (Role.BRANCH_HEAD, "loans:overview"),
    (Role.ADMINISTRATOR, "admin:index"),
)


@login_required
def home(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    for role, page in LANDING:
        if user.has_role(role):
            return redirect(page)
    if user.is_staff and not user.roles:
        return redirect("admin:index")
    return redirect("loans:list")


# Open loans by stage: the first loans of each column, the earliest due first (overdue lead).
PIPELINE_COLUMN = 20


@login_required
def my_loans(request: HttpRequest) -> HttpResponse:
    """The account manager's pipeline: their open loans by stage, with due date and SLA.
    Each column shows its first loans and a bounded count; ``?stage=`` pages through one."""
    user: User = request.user  # type: ignore[assignment]
    if not user.has_role(Role.ACCOUNT_MANAGER):
        return HttpResponse(status=403)
    mine = loans_visible_to(user).filter(account_manager=user)
    counts = bounded_counts(mine, "state", [s.value for s in OPEN_STATES], cap=COUNT_CAP)
    now = timezone.now()
    cards, order = queue_order(with_sla_status(mine, now).select_related("borrower", "product"), "")
    stage = request.GET.get("stage", "")
    if stage in counts:
        page = web_page(request, cards.filter(state=stage), order)
        columns = [(LoanState(stage), page.rows, Count.bounded(counts[stage], COUNT_CAP), False)]
    else:
        page = WebPage(rows=[], next_url=None, previous_url=None)
        columns = []
        for state in OPEN_STATES:  # a query per stage that has loans: each reads one column
            found = counts[state.value]
            first = (
                paginate(cards.filter(state=state), order, None, size=PIPELINE_COLUMN)
                if found
                else None
            )
            rows = first.rows if first else []
            more = bool(first and first.next_cursor)
            columns.append((state, rows, Count.bounded(found, COUNT_CAP), more))
    return render(
        request,
        "loans/my_loans.html",
        {"columns": columns, "stage": stage if stage in counts else "", "page": page, "now": now},
        status=page.status,
    )


EXTENSIONS_SHOWN = 50


@login_required
def queue(request: HttpRequest) -> HttpResponse:
    """Loans waiting for the user's decision (reviewers, approvers, disbursement officers) as a
    task inbox: the earliest due first, and an approver's loans above their authority apart."""
    user: User = request.user  # type: ignore[assignment]
    rows = queue_for(user, timezone.now())
    if rows is None:
        return HttpResponse(status=403)
    sort = request.GET.get("sort", DUE_FIRST)
    filters = {
        "product": request.GET.get("product", ""),
        "sla": request.GET.get("sla", ""),
        "q": request.GET.get("q", "").strip(),
    }
    if filters["product"]:
        rows = rows.filter(product__code=filters["product"])
    if filters["sla"] in SlaStatus.CHOICES:
        rows = rows.filter(sla_status=filters["sla"])  # type: ignore[misc]
    if filters["q"]:
        rows = rows.filter(borrower__name__icontains=filters["q"])
    limit = authority_limit(user)
    within, order = queue_order(rows.exclude(above_authority(limit)), sort)
    page = web_page(request, within, order)
    above = None
    if limit is not None:  # the loans only a higher authority may approve, earliest due first
        above_rows, above_order = queue_order(rows.filter(above_authority(limit)), DUE_FIRST)
        above = web_page(request, above_rows, above_order, param="above")
    return render(
        request,
        "loans/queue.html",
        {
            "loans": page.rows,
            "page": page,
            "above": above,
            "authority_limit": limit,
            "sort": order.name.removeprefix("queue:"),
            "headers": sort_headers(request, order.name.removeprefix("queue:")),
            "filters": filters,
            "products": LoanProduct.objects.filter(active=True),
            "sla_choices": SlaStatus.LABELS,
            # Extensions (展期) of loans in post-loan management awaiting this person's role.
            "extensions": list(pending_extensions_for(user)[:EXTENSIONS_SHOWN]),
        },
        status=400 if page.error or (above and above.error) else 200,
    )


LOAN_LIST_ORDER = Order("newest", ("created_at", "id"), descending=True)


@login_required
def loan_list(request: HttpRequest) -> HttpResponse:
    """Every loan the user may see, newest first, a page at a time; the stage tabs show bounded
    counts (one query over the index on branch and stage, "1,000+" past the cap)."""
    loans = loans_visible_to(request.user)  # type: ignore[arg-type]
    state = request.GET.get("state", "")
    counts = bounded_counts(loans, "state", LoanState.values, cap=COUNT_CAP)
    if state in LoanState.values:
        loans = loans.filter(state=state)
    page = web_page(
        request, loans.select_related("borrower", "account_manager", "product"), LOAN_LIST_ORDER
    )
    stages = [(choice, Count.bounded(counts[choice.value], COUNT_CAP)) for choice in LoanState]
    total = Count(
        sum(count.value for _choice, count in stages), any(count.more for _c, count in stages)
    )
    return render(
        request,
        "loans/loan_list.html",
        {"loans": page.rows, "page": page, "stages": stages, "state": state, "total": total},
        status=page.status,
    )


@login_required
def loan_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The loan as a case file (loans/loan_page.py)."""
    loan = get_loan_for_user(request.user, pk)  # type: ignore[arg-type]
    return render(request, "loans/loan_detail.html", case_file(loan, request.user))


def attach_errors(form: Any, error: ValidationError) -> None:
    """Show the engine's input errors on the form's fields (or above it)."""
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)


def refused_message(failed: list[Any], *, recorded: bool) -> str:
    reasons = [result.reason for result in failed] or [
        _("This step is not possible for you in the loan's current stage.")
    ]
    listed = " ".join(f"✗ {reason}" for reason in reasons)
    if recorded:
        return _("Refused: %(reasons)s This attempt was recorded for compliance.") % {
            "reasons": listed
        }
    return _("Not possible for you now: %(reasons)s") % {"reasons": listed}


@login_required
@require_POST
def loan_transition(request: HttpRequest, pk: int, name: str) -> HttpResponseRedirect:
    """Perform a transition from the loan page; a refusal shows every reason."""
    loan = get_loan_for_user(request.user, pk)  # type: ignore[arg-type]
    form = TransitionForm(request.POST)
    form.is_valid()  # every field is optional; the transition's checks judge the payload
    try:
        loan = perform_transition(
            loan,
            name,
            actor=request.user,
            payload=form.payload(name),
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
            request, _("Done: the loan is now in %(stage)s.") % {"stage": loan.get_state_display()}
        )
    return HttpResponseRedirect(reverse("loans:detail", args=[pk]))
