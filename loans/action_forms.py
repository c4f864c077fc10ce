"""The form of each action of the loan process (loans/workflow.py ``ACTIONS``), and the record an
action names. Forms only parse what a person types; whether it is acceptable and whether they
may, the engine's checks decide."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar

from django import forms
from django.db import models
from django.forms.models import model_to_dict
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from loans.checks.extension import MOST_MONTHS as MOST_EXTENSION_MONTHS
from loans.choices import EXTENSION_PENDING
from loans.classification import MOST_DAYS_PAST_DUE
from loans.forms import ApplicationForm, ContractForm, record_form, styled
from loans.models import Loan, User
from loans.models.comments import COMMENT_MAX_LENGTH
from loans.personal_data import mask_facts
from loans.roles import Role
from loans.states import APPLICATION_FIELDS
from loans.workflow import RECORDS
from workflow.models import ExceptionRequest

F = TypeVar("F", bound=forms.BaseForm)


class OneTimeToken(forms.Form):
    """A token rendered with the form: submitting the same form twice (a double click, a
    reload) performs the step once."""

    idempotency_key = forms.CharField(widget=forms.HiddenInput, required=False, max_length=64)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["idempotency_key"].initial = uuid.uuid4().hex


class ReasonForm(OneTimeToken):
    reason = forms.CharField(
        label=_("Why"), widget=forms.Textarea(attrs={"rows": 2}), min_length=1, max_length=2000
    )


class ConfirmForm(OneTimeToken):
    pass


class FulfilmentForm(OneTimeToken):
    fulfilment_note = forms.CharField(label=_("How it was fulfilled"), max_length=2000)


class DecisionForm(OneTimeToken):
    note = forms.CharField(
        label=_("Justification"), widget=forms.Textarea(attrs={"rows": 3}), max_length=4000
    )


class DaysPastDueForm(OneTimeToken):
    days_past_due = forms.IntegerField(
        label=_("Days past due"), min_value=0, max_value=MOST_DAYS_PAST_DUE
    )


class RestructuringForm(OneTimeToken):
    restructured_at = forms.DateTimeField(label=_("Restructured on"))
    reason = forms.CharField(
        label=_("What changed and why"), widget=forms.Textarea(attrs={"rows": 3}), max_length=4000
    )


class ExtensionRequestForm(OneTimeToken):
    months = forms.IntegerField(
        label=_("Months to add"), min_value=1, max_value=MOST_EXTENSION_MONTHS
    )
    reason = forms.CharField(
        label=_("Why the borrower needs more time"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=4000,
    )


class ExtensionReviewForm(OneTimeToken):
    opinion = forms.CharField(
        label=_("Review opinion"), widget=forms.Textarea(attrs={"rows": 3}), max_length=4000
    )


class ExtensionDecisionForm(OneTimeToken):
    note = forms.CharField(
        label=_("Why"), widget=forms.Textarea(attrs={"rows": 3}), max_length=4000
    )


class ExceptionRequestForm(OneTimeToken):
    transition = forms.CharField(widget=forms.HiddenInput)
    check_code = forms.CharField(widget=forms.HiddenInput)
    reason = forms.CharField(
        label=_("Why the exception is justified"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=4000,
    )


class CommentForm(OneTimeToken):
    """A comment on the loan. An empty one is left to the engine: posting it is a deviation."""

    text = forms.CharField(
        label=pgettext_lazy("a comment on the loan", "Comment"),
        widget=forms.Textarea(attrs={"rows": 2, "required": True}),
        required=False,
        max_length=COMMENT_MAX_LENGTH,
    )
    mentioned = forms.ModelChoiceField(
        label=_("Mention a colleague (they are notified)"),
        queryset=User.objects.none(),
        required=False,
    )

    def __init__(self, *args: Any, loan: Loan, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        colleagues = User.objects.filter(branch_id=loan.branch_id, is_active=True)
        field: Any = self.fields["mentioned"]
        field.queryset = colleagues.order_by("first_name", "last_name", "username")
        field.label_from_instance = lambda user: user.get_full_name() or user.get_username()


def comment_form(loan: Loan, data: Any = None) -> CommentForm:
    form = CommentForm(data, loan=loan)
    styled(form)
    return form


def _managers(loan: Loan) -> models.QuerySet[User]:
    return User.objects.filter(
        branch_id=loan.branch_id, is_active=True, groups__name=Role.ACCOUNT_MANAGER
    ).distinct()


def _person_form(field: str, label: Any) -> Callable[[Loan], type[forms.Form]]:
    def make(loan: Loan) -> type[forms.Form]:
        chooser = forms.ModelChoiceField(label=label, queryset=_managers(loan))
        return type("PersonForm", (OneTimeToken,), {field: chooser})

    return make


def _with_token(form_class: type[F]) -> type[F]:
    return type(form_class.__name__, (form_class,), {"idempotency_key": _token_field()})


def _token_field() -> forms.CharField:
    return forms.CharField(widget=forms.HiddenInput, required=False, max_length=64)


Target = tuple[Callable[[Loan], Any], str]  # (the loan's records to choose from, payload key)
TARGETS: dict[str, Target] = {
    "site_visit_confirm": (lambda loan: loan.site_visits.all(), "record"),
    "condition_fulfil": (lambda loan: loan.approval_conditions.all(), "record"),
    "classification_upgrade_confirm": (lambda loan: loan.inspections.all(), "record"),
    "delegate_revoke": (
        lambda loan: loan.delegations.filter(revoked_at__isnull=True),
        "delegation",
    ),
    **dict.fromkeys(
        ("extension_review", "extension_endorse", "extension_approve", "extension_decline"),
        (lambda loan: loan.extensions.filter(status__in=EXTENSION_PENDING), "record"),
    ),
    "exception_grant": (lambda loan: _requests(loan), "request"),
    "exception_decline": (lambda loan: _requests(loan), "request"),
}


def _records_of(related_name: str) -> Callable[[Loan], Any]:
    return lambda loan: getattr(loan, related_name).all()


for _kind in RECORDS:
    TARGETS[f"{_kind.name}_correct"] = (_records_of(_kind.related_name), "record")
    TARGETS[f"{_kind.name}_cancel"] = TARGETS[f"{_kind.name}_correct"]


def _requests(loan: Loan) -> models.QuerySet[ExceptionRequest]:
    return ExceptionRequest.objects.filter(object_id=loan.pk, content_type__model="loan")


def target_of(name: str, loan: Loan, record_id: int | None) -> tuple[str, Any] | None:
    """The record action ``name`` names, as (payload key, record); 404 when it is not the
    loan's; None for actions that name none."""
    if name not in TARGETS:
        return None
    choices, key = TARGETS[name]
    record = choices(loan).filter(pk=record_id).first() if record_id else None
    if record is None:
        raise Http404("No such record on this loan.")
    return key, record


def form_for(name: str, loan: Loan, user: User, record: Any, data: Any, files: Any) -> Any:
    """The bound (or blank) form of action ``name``; None when the action has no form here."""
    kinds = {kind.add: kind for kind in RECORDS}
    if name in kinds:
        return _bind(_with_token(record_form(kinds[name], loan, user)), data, files)
    for kind in RECORDS:
        if name == f"{kind.name}_correct":
            form_class = record_form(kind, loan, user, fields=kind.correctable)
            fields = {"reason": ReasonForm.base_fields["reason"], "idempotency_key": _token_field()}
            corrected = type("CorrectionForm", (form_class,), fields)
            # A personal fact is offered masked: left as it is, it is not part of the correction.
            initial = mask_facts(model_to_dict(record, kind.correctable))
            return _bind(corrected, data, files, initial=initial)
        if name == f"{kind.name}_cancel":
            return _bind(ReasonForm, data, files)
    simple: dict[str, type[forms.Form]] = {
        "site_visit_confirm": ConfirmForm,
        "classification_upgrade_confirm": ConfirmForm,
        "delegate_revoke": ConfirmForm,
        "loan_renew": ConfirmForm,
        "condition_fulfil": FulfilmentForm,
        "days_past_due_update": DaysPastDueForm,
        "classification_floor_apply": ConfirmForm,  # the system's own: a person is refused
        "overdue_mark_technical": ReasonForm,
        "restructuring_record": RestructuringForm,
        "extension_request": ExtensionRequestForm,
        "extension_review": ExtensionReviewForm,
        "extension_endorse": ConfirmForm,
        "extension_approve": ExtensionDecisionForm,
        "extension_decline": ExtensionDecisionForm,
        "exception_request": ExceptionRequestForm,
        "exception_grant": DecisionForm,
        "exception_decline": DecisionForm,
    }
    if name in simple:
        return _bind(simple[name], data, files)
    if name == "comment_post":
        return comment_form(loan, data)
    if name == "contract_record":
        current = loan.contract
        initial = model_to_dict(current, ContractForm.Meta.fields) if current else None
        return styled(_with_token(ContractForm)(data, initial=initial, loan=loan))
    if name == "application_edit":
        application = _with_token(ApplicationForm)(
            data, initial=model_to_dict(loan, APPLICATION_FIELDS), user=user
        )
        del application.fields["borrower"]
        return styled(application)
    if name == "loan_reassign":
        return _bind(_person_form("account_manager", _("New account manager"))(loan), data, files)
    if name == "delegate_assign":
        return _bind(_person_form("delegate", _("Delegate"))(loan), data, files)
    return None


def _bind(form_class: Any, data: Any, files: Any, initial: Any = None) -> Any:
    if data is None:
        return styled(form_class(initial=initial))
    return styled(form_class(data, files, initial=initial))


def payload_of(form: Any) -> tuple[dict[str, Any], str]:
    """The action's data from a valid form, and the form's one-time token."""
    data = dict(form.cleaned_data)
    token = data.pop("idempotency_key", "") or ""
    if form.initial and "reason" in data:  # a correction: only what was changed is submitted
        data = {k: v for k, v in data.items() if k == "reason" or not _same(form.initial.get(k), v)}
    return data, token


def _same(initial: Any, value: Any) -> bool:
    """Whether a corrected field still holds its value (a form shows moments to the minute)."""
    if isinstance(value, models.Model):
        return bool(initial == value.pk)
    if isinstance(value, datetime) and isinstance(initial, datetime):
        return timezone.localtime(initial).replace(second=0, microsecond=0) == value
    return bool(initial == value)
