"""Forms of the web UI."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db import models
from django.utils.translation import gettext_lazy as _

from loans.choices import ReturnReason
from loans.models import Loan, User
from loans.records import RecordKind


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


class DateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%dT%H:%M", **kwargs)


class DateInput(forms.DateInput):
    input_type = "date"


def record_form(kind: RecordKind, loan: Loan, user: User) -> type[forms.ModelForm[Any]]:
    """A form for one kind of stage record, its choices limited to this loan and branch."""
    widgets: dict[str, Any] = {}
    for name in kind.fields:
        field = kind.model._meta.get_field(name)
        if isinstance(field, models.DateTimeField):
            widgets[name] = DateTimeInput()
        elif isinstance(field, models.DateField):
            widgets[name] = DateInput()
    base = forms.modelform_factory(kind.model, fields=list(kind.fields), widgets=widgets)

    class RecordForm(base):  # type: ignore[valid-type,misc]
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            for field in self.fields.values():
                css = (
                    "form-check-input"
                    if isinstance(field.widget, forms.CheckboxInput)
                    else "form-control"
                )
                field.widget.attrs.setdefault("class", css)
            if "co_investigator" in self.fields:
                self.fields["co_investigator"].queryset = User.objects.filter(
                    branch_id=loan.branch_id, is_active=True
                ).exclude(pk=user.pk)
            if "site_visit" in self.fields:
                self.fields["site_visit"].queryset = loan.site_visits.all()

    return RecordForm
