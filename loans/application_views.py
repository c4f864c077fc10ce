"""Forms an account manager fills in before a loan exists: new borrowers and applications."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from loans import services
from loans.forms import ApplicationForm, BorrowerForm, styled
from loans.models import User
from loans.roles import Role
from loans.views import attach_errors


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
            borrower = services.borrower_create(
                branch_id=user.branch_id,  # type: ignore[arg-type]
                actor=user,
                **form.cleaned_data,
            )
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
        try:
            loan = services.loan_create(borrower=data.pop("borrower"), account_manager=user, **data)
        except ValidationError as error:
            attach_errors(form, error)
        else:
            messages.success(
                request, _("Application %(reference)s opened.") % {"reference": loan.reference}
            )
            return redirect("loans:detail", pk=loan.pk)
    return render(request, "loans/form.html", {"form": form, "title": _("New application")})


def _url(name: str) -> str:
    from django.urls import reverse

    return reverse(name)
