"""Forms of the web UI."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from loans.checks.entry import validate_record_day
from loans.choices import ReturnReason
from loans.models import Borrower, Contract, Loan, LoanProduct, User
from loans.records import RecordKind
from loans.roles import Role
from loans.states import APPLICATION_INPUT


class TransitionForm(forms.Form):
    """What a person adds to a transition: a reason and comment, or an approval's conditions.
    At review and approval the comment is the decision's written opinion (``opinion_label``)."""

    opinion_label = _("Your opinion (kept with the decision and printed on the memo)")

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
    # A one-time token rendered with the form: a double submit performs the step once.
    idempotency_key = forms.CharField(widget=forms.HiddenInput, required=False, max_length=64)

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


def record_form(
    kind: RecordKind, loan: Loan, user: User, fields: tuple[str, ...] | None = None
) -> Any:
    """A form for one kind of stage record (or ``fields`` of it), its choices limited to this
    loan and branch."""
    fields = fields or kind.fields
    widgets: dict[str, Any] = {}
    for name in fields:
        field = kind.model._meta.get_field(name)
        if isinstance(field, models.DateTimeField):
            widgets[name] = DateTimeInput()
        elif isinstance(field, models.DateField):
            widgets[name] = DateInput()
    # A plain form of the model's fields: it parses what is typed, and the action's input checks
    # judge the values, each error on its field. (A model form would first answer a violated
    # database constraint, a zero income say, with the constraint's name.)
    declared = forms.fields_for_model(kind.model, fields=list(fields), widgets=widgets)
    for name in widgets:  # the dates and moments
        declared[name].validators.append(validate_record_day)
    base = type(f"{kind.model.__name__}Form", (forms.Form,), dict(declared))

    class RecordForm(base):  # type: ignore[valid-type,misc]
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            styled(self)
            if "co_investigator" in self.fields:
                self.fields["co_investigator"].queryset = (
                    User.objects.filter(
                        branch_id=loan.branch_id,
                        is_active=True,
                        groups__name=Role.ACCOUNT_MANAGER,
                    )
                    .exclude(pk=user.pk)
                    .distinct()
                )
            if "site_visit" in self.fields:
                self.fields["site_visit"].queryset = loan.site_visits.all()

    return RecordForm


class BorrowerForm(forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = Borrower
        fields = ["kind", "name", "id_number", "phone", "address", "industry", "group"]

    def validate_unique(self) -> None:
        """A number already registered is judged by services.borrower_create, which answers in
        words that do not disclose another branch's customer and records the attempt."""


class ApplicationForm(forms.ModelForm):  # type: ignore[type-arg]
    """A new application: the borrower and what they ask for (completed later if need be)."""

    class Meta:
        model = Loan
        fields = ["borrower", *APPLICATION_INPUT]
        widgets = {"purpose": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["borrower"].queryset = Borrower.objects.filter(  # type: ignore[attr-defined]
            branch_id__in=user.visible_branch_ids
        )
        self.fields["product"].queryset = LoanProduct.objects.filter(active=True)  # type: ignore[attr-defined]
        # Said on the field, before the database's own rule would be quoted at the person.
        self.fields["amount"].validators.append(
            MinValueValidator(Decimal("0.01"), message=_("The amount must be above zero."))
        )


class ContractForm(forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = Contract
        fields = ["number", "signed_at", "signed_face_to_face", "witness"]
        widgets = {"signed_at": DateTimeInput()}

    def __init__(self, *args: Any, loan: Loan, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["signed_at"].validators.append(validate_record_day)
        self.fields["witness"].queryset = User.objects.filter(  # type: ignore[attr-defined]
            branch_id=loan.branch_id, is_active=True
        )


def styled(form: forms.BaseForm) -> forms.BaseForm:
    """Bootstrap classes on every widget."""
    for field in form.fields.values():
        checkbox = isinstance(field.widget, forms.CheckboxInput)
        select = isinstance(field.widget, forms.Select)
        css = "form-check-input" if checkbox else "form-select" if select else "form-control"
        field.widget.attrs.setdefault("class", css)
    return form
