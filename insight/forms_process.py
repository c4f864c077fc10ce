"""What the process analytics accept in their query string: the offices, a period, a product and
a person (each optional)."""

from __future__ import annotations

from datetime import timedelta

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from insight.forms import ScopeForm
from insight.process_filters import Filters

DEFAULT_DAYS = 90  # about a quarter
LONGEST_DAYS = 731  # two years
PROCESS_TABLES = ("stages", "holders", "stalled", "funnel", "returns", "heatmap", "trend")


class ProcessForm(ScopeForm):
    since = forms.DateField(label=_("From"), required=False)
    until = forms.DateField(label=_("To"), required=False)
    product = forms.IntegerField(label=_("Product"), required=False, min_value=1)
    person = forms.IntegerField(label=_("Person"), required=False, min_value=1)
    table = forms.ChoiceField(choices=[(n, n) for n in PROCESS_TABLES], required=False)

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        until = data.get("until") or timezone.localdate()
        since = data.get("since") or until - timedelta(days=DEFAULT_DAYS)
        if since > until:
            raise forms.ValidationError(_("The period must start before it ends."))
        if (until - since).days > LONGEST_DAYS:
            raise forms.ValidationError(_("The period may be two years at most."))
        data["until"], data["since"] = until, since
        return data


def filters_of(form: ProcessForm) -> Filters:
    """The filters a valid form asks for (call ``is_valid`` first)."""
    data = form.cleaned_data
    return Filters(
        since=data["since"],
        until=data["until"],
        product=data.get("product"),
        person=data.get("person"),
    )
