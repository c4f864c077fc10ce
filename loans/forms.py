"""Forms of the web UI."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from loans.choices import ReturnReason


class TransitionForm(forms.Form):
    """What a person adds to a transition: a reason and comment, or an approval's conditions."""

    reason = forms.ChoiceField(
        label=_("Reason"), choices=[("", "—"), *ReturnReason.choices], required=False
    )
    comment = forms.CharField(
        label=_("Comment"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )
    conditions = forms.CharField(
        label=_("Conditions of approval, one per line"),
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
    )

    def payload(self, name: str) -> dict[str, Any]:
        data = self.cleaned_data
        payload: dict[str, Any] = {}
        if data["reason"]:
            payload["reason"] = data["reason"]
        if data["comment"].strip():
            payload["comment"] = data["comment"].strip()
        if name == "approve":
            payload["conditions"] = [
                line.strip() for line in data["conditions"].splitlines() if line.strip()
            ]
        return payload
