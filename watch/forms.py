"""Forms of the watch-list pages: the filters, and the note that a step carries."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from watch.rules import SIGNALS
from watch.states import ItemState, Severity

TOKEN = forms.CharField(widget=forms.HiddenInput, required=False, max_length=64)


class NoteForm(forms.Form):
    """An action note, or the note that resolves the item (the step's checks judge its length)."""

    note = forms.CharField(
        label=_("What was done"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )
    idempotency_key = TOKEN


class WatchFilterForm(forms.Form):
    state = forms.ChoiceField(
        label=_("State"), choices=[("", _("all")), *ItemState.choices], required=False
    )
    signal = forms.ChoiceField(
        label=_("Signal"),
        choices=[("", _("all")), *((s.code, s.title) for s in SIGNALS)],
        required=False,
    )
    severity = forms.ChoiceField(
        label=_("Severity"), choices=[("", _("all")), *Severity.choices], required=False
    )
    manager = forms.TypedChoiceField(
        label=_("Account manager"), coerce=int, empty_value=None, required=False, choices=()
    )
    overdue = forms.BooleanField(label=_("Overdue only"), required=False)

    def __init__(self, *args: object, managers: list[tuple[int, str]], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["manager"].choices = [("", _("all")), *managers]  # type: ignore[attr-defined]
        for field in self.fields.values():  # styled as the other lists' filters
            checkbox = isinstance(field, forms.BooleanField)
            field.widget.attrs.setdefault(
                "class", "form-check-input" if checkbox else "form-select form-select-sm"
            )
