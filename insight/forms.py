"""What the dashboards accept in their query string: the offices to read, and a figure."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from insight.measure import DIMENSIONS

TABLES = (*DIMENSIONS, "office", "limits", "trend")


class ScopeForm(forms.Form):
    office = forms.IntegerField(label=_("Office"), required=False, min_value=1)
    tree = forms.ChoiceField(
        label=_("Offices"),
        choices=[("1", _("with its sub-offices")), ("0", _("this office alone"))],
        required=False,
    )


class FigureForm(ScopeForm):
    dimension = forms.ChoiceField(
        choices=[(name, name) for name in (*DIMENSIONS, "office", "quality")], required=False
    )
    key = forms.CharField(required=False, max_length=128)


class ExportForm(ScopeForm):
    table = forms.ChoiceField(choices=[(name, name) for name in TABLES], required=False)


def scope_choice(form: ScopeForm) -> tuple[int | None, bool]:
    """The office and whether with its sub-offices (the default) a valid form asks for."""
    data = form.cleaned_data if form.is_valid() else {}
    return data.get("office"), data.get("tree") != "0"
