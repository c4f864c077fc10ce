"""Forms of the collection pages: what a person types with a step or an action."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from loans.forms import DateInput, DateTimeInput
from recovery.states import ContactChannel

TOKEN = forms.CharField(widget=forms.HiddenInput, required=False, max_length=64)


class CaseStepForm(forms.Form):
    """A comment (why), and for a promise to pay its amount and date; the step's checks judge
    what it needs."""

    comment = forms.CharField(
        label=_("Comment"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )
    promised_amount = forms.DecimalField(
        label=_("Amount promised (CNY)"), max_digits=14, decimal_places=2, required=False
    )
    promised_date = forms.DateField(label=_("Promised by"), widget=DateInput, required=False)
    idempotency_key = TOKEN

    def payload(self) -> dict[str, Any]:
        data = self.cleaned_data
        payload: dict[str, Any] = {}
        if data["comment"].strip():
            payload["comment"] = data["comment"].strip()
        if data["promised_amount"] is not None:
            payload["promised_amount"] = str(data["promised_amount"])
        if data["promised_date"] is not None:
            payload["promised_date"] = data["promised_date"].isoformat()
        return payload


class ContactForm(forms.Form):
    contacted_at = forms.DateTimeField(label=_("Contacted at"), widget=DateTimeInput)
    channel = forms.ChoiceField(label=_("Channel"), choices=ContactChannel.choices)
    reached = forms.BooleanField(label=_("Borrower reached"), required=False)
    notes = forms.CharField(label=_("Notes"), widget=forms.Textarea(attrs={"rows": 2}))
    idempotency_key = TOKEN


class EndorseForm(forms.Form):
    note = forms.CharField(label=_("Note"), widget=forms.Textarea(attrs={"rows": 2}))
    idempotency_key = TOKEN


ACTION_FORMS: dict[str, type[forms.Form]] = {
    "contact_log": ContactForm,
    "write_off_endorse": EndorseForm,
}
