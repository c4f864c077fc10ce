"""What the scorecard pages accept: the offices, the period, and a figure behind a card."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from insight.forms import ScopeForm

# The figures a card links to: loans (as they are now), the events counted, or the watch-list
# items (as they stood at the period's end).
LOAN_FIGURES = ("disbursed", "returns", "book", "special_mention", "non_performing")
EVENT_FIGURES = ("deviations", "sla_breaches", "inspections", "downgrades")
WATCH_FIGURES = ("watch_open", "watch_overdue", "watch_resolved_late", "watch_late")
TABLES = ("scores", "figures", "weights")


class PeriodForm(ScopeForm):
    period = forms.RegexField(
        label=_("Period"), regex=r"^\d{4}-(0[1-9]|1[0-2]|Q[1-4])$", required=False
    )


class BehindForm(PeriodForm):
    manager = forms.IntegerField(min_value=1)
    figure = forms.ChoiceField(
        choices=[(f, f) for f in (*LOAN_FIGURES, *EVENT_FIGURES, *WATCH_FIGURES)]
    )


class ScorecardExportForm(PeriodForm):
    table = forms.ChoiceField(choices=[(name, name) for name in TABLES], required=False)
