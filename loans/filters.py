"""Filters shared by the web UI and the API."""

from __future__ import annotations

from typing import Any

import django_filters
from django.core.exceptions import ValidationError
from django.db.models import TextField
from django.db.models.functions import Cast
from django.utils.translation import gettext_lazy as _

from workflow import compliance
from workflow.models import Deviation


class BoundedIsoDateTimeField(django_filters.fields.IsoDateTimeField):  # type: ignore[misc]
    """An ISO 8601 moment the database can compare: years 1970 to 2200."""

    def clean(self, value: Any) -> Any:
        moment = super().clean(value)
        if moment is not None and not 1970 <= moment.year <= 2200:
            raise ValidationError(_("Give a moment between 1970 and 2200."), code="out_of_range")
        return moment


class MomentFilter(django_filters.IsoDateTimeFilter):  # type: ignore[misc]
    field_class = BoundedIsoDateTimeField


class DeviationFilter(django_filters.FilterSet):  # type: ignore[misc]
    created_after = MomentFilter(field_name="created_at", lookup_expr="gte")
    created_before = MomentFilter(field_name="created_at", lookup_expr="lt")
    branch = django_filters.CharFilter(field_name="scope")
    actor = django_filters.CharFilter(field_name="actor__username")
    transition = django_filters.CharFilter()
    check_code = django_filters.CharFilter(method="filter_check_code")
    kind = django_filters.ChoiceFilter(choices=Deviation.Kind.choices)
    severity = django_filters.ChoiceFilter(choices=Deviation.Severity.choices)
    status = django_filters.ChoiceFilter(choices=compliance.Status.choices, field_name="status")
    # The order is the pager's (loans.selectors.DEVIATION_ORDERS); the filter only validates it.
    sort = django_filters.ChoiceFilter(
        label=_("Order"),
        choices=(("newest", _("newest first")), ("oldest", _("oldest first"))),
        empty_label=None,
        method="keep_order",
    )

    class Meta:
        model = Deviation
        fields: list[str] = []

    def keep_order(self, queryset: Any, name: str, value: str) -> Any:
        return queryset

    def filter_check_code(self, queryset: Any, name: str, value: str) -> Any:
        text = queryset.annotate(checks_text=Cast("failed_checks", TextField()))
        return text.filter(checks_text__contains=f'"code": "{value}"')
