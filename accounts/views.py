"""The account's own pages: the second factor (enrol, verify, backup codes) and API tokens."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import LoginView, PasswordResetView
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_otp import match_token

from accounts import lockout, mfa
from accounts.forms import CodeForm, StaffPasswordResetForm, TokenForm
from accounts.models import RevokedBecause
from accounts.tokens import token_issue, token_revoke, tokens_of
from config.security_log import Event, security_event
from loans.models import User


class StaffLoginView(LoginView):
    """Django's login, saying on the page whether a second factor is asked (it is optional in
    development and the demo)."""

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["second_factor_optional"] = not settings.MFA_REQUIRED_ROLES
        return context


class StaffPasswordResetView(PasswordResetView):
    form_class = StaffPasswordResetForm


def _next(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return settings.LOGIN_REDIRECT_URL


@login_required
def mfa_enrol(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    if mfa.is_pending(request) and mfa.authenticator_of(user) is not None:
        # A session that has not passed the existing factor may not replace it.
        return redirect(f"{reverse('accounts:mfa-verify')}?next={_next(request)}")
    device = mfa.enrolment_device(user)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if mfa.enrolment_confirm(device=device, code=form.cleaned_data["code"]):
            security_event(Event.MFA_ENROLLED, request=request, device="authenticator")
            codes = mfa.backup_codes_issue(user)
            mfa.passed(request, device)
            return render(
                request, "accounts/backup_codes.html", {"codes": codes, "next": _next(request)}
            )
        security_event(Event.MFA_FAILED, request=request, stage="enrolment")
        form.add_error(
            "code",
            _("That code does not match. Check that the phone's clock is right and try again."),
        )
    return render(
        request,
        "accounts/mfa_enrol.html",
        {
            "form": form,
            "qr": mfa.qr_svg(device),
            "secret": mfa.secret_text(device),
            "required": mfa.is_required_for(user),
            "next": _next(request),
        },
    )


@login_required
def mfa_verify(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    if not mfa.is_pending(request):
        return redirect(_next(request))
    if mfa.authenticator_of(user) is None:
        return redirect(f"{reverse('accounts:mfa-enrol')}?next={_next(request)}")
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        device = match_token(user, form.cleaned_data["code"])
        if device is not None:
            mfa.passed(request, device)
            return redirect(_next(request))
        security_event(Event.MFA_FAILED, request=request, stage="sign_in")
        if lockout.second_factor_failed(request, user.get_username()):
            logout(request)
            return lockout.render_locked(request)
        form.add_error(
            "code",
            _("That code is not right, or was used already. Try the next code your app shows."),
        )
    return render(request, "accounts/mfa_verify.html", {"form": form, "next": _next(request)})


@login_required
@require_POST
def mfa_backup_codes(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    if mfa.authenticator_of(user) is None:
        return redirect("accounts:security")
    codes = mfa.backup_codes_issue(user)
    return render(
        request,
        "accounts/backup_codes.html",
        {"codes": codes, "next": reverse("accounts:security")},
    )


@login_required
@require_POST
def mfa_remove(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    if mfa.is_required_for(user):
        messages.error(request, _("Your role requires a second factor: it cannot be removed."))
    else:
        mfa.factor_remove(user)
        security_event(Event.MFA_REMOVED, request=request)
        messages.success(request, _("The authenticator and the backup codes were removed."))
    return redirect("accounts:security")


@login_required
def security(request: HttpRequest) -> HttpResponse:
    """The account's security page: the second factor and the API tokens."""
    user: User = request.user  # type: ignore[assignment]
    form = TokenForm(request.POST or None)
    issued = None
    if request.method == "POST" and form.is_valid():
        issued = token_issue(
            user=user,
            name=form.cleaned_data["name"],
            lifetime_days=form.cleaned_data["lifetime_days"],
        )
        form = TokenForm()
    return render(
        request,
        "accounts/security.html",
        {
            "form": form,
            "issued": issued,
            "tokens": tokens_of(user),
            "authenticator": mfa.authenticator_of(user),
            "backup_codes_left": mfa.backup_codes_left(user),
            "mfa_required": mfa.is_required_for(user),
        },
    )


@login_required
@require_POST
def token_revoke_view(request: HttpRequest, pk: int) -> HttpResponse:
    token = get_object_or_404(tokens_of(request.user), pk=pk)  # type: ignore[arg-type]
    if token_revoke(token=token, because=RevokedBecause.OWNER):
        messages.success(request, _("The token “%(name)s” was revoked.") % {"name": token.name})
    return redirect("accounts:security")
