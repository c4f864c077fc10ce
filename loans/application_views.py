"""Forms an account manager and a disbursement officer fill in outside the stage records:
new borrowers and applications, the contract, the conditions of approval."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from loans import services
from loans.access import get_loan_for_user
from loans.forms import ApplicationForm, BorrowerForm, ContractForm, styled
from loans.models import User
from loans.roles import Role
from loans.workflow import LoanState


def _staff_with(request: HttpRequest, role: Role) -> User:
    user: User = request.user  # type: ignore[assignment]
    if not user.has_role(role) or user.branch_id is None:
        raise PermissionDenied
    return user


@login_required
def borrower_add(request: HttpRequest) -> HttpResponse:
    user = _staff_with(request, Role.ACCOUNT_MANAGER)
    form = styled(BorrowerForm(request.POST or None))
    if request.method == "POST" and form.is_valid():
        try:
            borrower = services.borrower_create(branch_id=user.branch_id, **form.cleaned_data)  # type: ignore[arg-type]
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Borrower %(name)s added.") % {"name": borrower.name})
            return redirect(f"{_url('loans:application-add')}?borrower={borrower.pk}")
    return render(request, "loans/form.html", {"form": form, "title": _("New borrower")})


@login_required
def application_add(request: HttpRequest) -> HttpResponse:
    user = _staff_with(request, Role.ACCOUNT_MANAGER)
    initial = {"borrower": request.GET.get("borrower")}
    form = styled(ApplicationForm(request.POST or None, initial=initial, user=user))
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        loan = services.loan_create(borrower=data.pop("borrower"), account_manager=user, **data)
        messages.success(
            request, _("Application %(reference)s opened.") % {"reference": loan.reference}
        )
        return redirect("loans:detail", pk=loan.pk)
    return render(request, "loans/form.html", {"form": form, "title": _("New application")})


@login_required
def contract_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user = _staff_with(request, Role.DISBURSEMENT_OFFICER)
    loan = get_loan_for_user(user, pk)
    if loan.state != LoanState.DISBURSEMENT:
        messages.error(request, _("The contract is recorded in the disbursement stage."))
        return redirect("loans:detail", pk=pk)
    current = getattr(loan, "contract", None)
    form = styled(ContractForm(request.POST or None, instance=current, loan=loan))
    if request.method == "POST" and form.is_valid():
        services.contract_record(loan=loan, **form.cleaned_data)
        messages.success(request, _("Contract recorded."))
        return redirect("loans:detail", pk=pk)
    return render(request, "loans/form.html", {"form": form, "title": _("Contract"), "loan": loan})


@login_required
@require_POST
def condition_fulfil(request: HttpRequest, pk: int, condition_id: int) -> HttpResponse:
    user = _staff_with(request, Role.DISBURSEMENT_OFFICER)
    loan = get_loan_for_user(user, pk)
    condition = get_object_or_404(loan.approval_conditions, pk=condition_id)
    try:
        services.condition_fulfil(condition=condition, by=user, note=request.POST.get("note", ""))
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Condition fulfilled."))
    return redirect("loans:detail", pk=pk)


def _url(name: str) -> str:
    from django.urls import reverse

    return reverse(name)
