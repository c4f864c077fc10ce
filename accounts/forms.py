from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth.forms import PasswordResetForm
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from loans.roles import Role


class CodeForm(forms.Form):
    code = forms.CharField(
        label=_("Code"),
        max_length=20,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}
        ),
    )

    def clean_code(self) -> str:
        code = "".join(self.cleaned_data["code"].split()).replace("-", "")
        if not code.isdigit():
            raise forms.ValidationError(_("Type the digits only."))
        return code


LIFETIME_CHOICES = [
    (30, _("30 days")),
    (90, _("90 days")),
    (180, _("180 days")),
    (365, _("one year")),
]


class TokenForm(forms.Form):
    name = forms.CharField(
        label=_("What the token is for"),
        max_length=64,
        help_text=_("For example the name of the program or machine that will use it."),
    )
    lifetime_days = forms.TypedChoiceField(
        label=_("Valid for"), choices=LIFETIME_CHOICES, coerce=int, initial=90
    )

    def clean_lifetime_days(self) -> int:
        days: int = self.cleaned_data["lifetime_days"]
        return min(days, settings.API_TOKEN_MAX_LIFETIME_DAYS)


class StaffPasswordResetForm(PasswordResetForm):
    """Password reset by e-mail, never for privileged staff: an approver's, compliance officer's,
    branch head's or administrator's mailbox must not be a way into their account. The page
    answers the same whoever was asked for, so it tells nobody which users exist."""

    def get_users(self, email: str) -> Iterator[Any]:
        privileged = Q(groups__name__in=settings.PRIVILEGED_ROLES) | Q(is_superuser=True)
        if Role.ADMINISTRATOR in settings.PRIVILEGED_ROLES:
            privileged |= Q(is_staff=True)
        for user in super().get_users(email):
            if not type(user).objects.filter(pk=user.pk).filter(privileged).exists():
                yield user
