"""Filters of the deviation log: the API's (codes and ISO moments, as a program sends them), and
the web page's (labelled, local dates, choices by name)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.db.models import TextField
from django.db.models.functions import Cast
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from workflow import compliance
from workflow.models import Deviation
from workflow.vocabulary import Vocabulary


class BoundedIsoDateTimeField(django_filters.fields.IsoDateTimeField):  # type: ignore[misc]
    """An ISO 8601 moment the database can compare: years 1970 to 2200."""

    def clean(self, value: Any) -> Any:
        moment = super().clean(value)
        if moment is not None and not 1970 <= moment.year <= 2200:
            raise ValidationError(_("Give a moment between 1970 and 2200."), code="out_of_range")
        return moment


class MomentFilter(django_filters.IsoDateTimeFilter):  # type: ignore[misc]
    field_class = BoundedIsoDateTimeField


SORTS = (("newest", _("newest first")), ("oldest", _("oldest first")))


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
        choices=SORTS,
        empty_label=None,
        method="keep_order",
    )

    class Meta:
        model = Deviation
        fields: list[str] = []

    def keep_order(self, queryset: Any, name: str, value: str) -> Any:
        return queryset

    def filter_check_code(self, queryset: Any, name: str, value: str) -> Any:
        return with_failed_check(queryset, value)


def with_failed_check(queryset: Any, code: str) -> Any:
    """The deviations among ``queryset`` that name the check ``code`` among their failures."""
    text = queryset.annotate(checks_text=Cast("failed_checks", TextField()))
    return text.filter(checks_text__contains=f'"code": "{code}"')


# --- the deviation log's web form ---------------------------------------------------------------


class BoundedDateField(forms.DateField):
    """A calendar date the database can compare: years 1970 to 2200."""

    def clean(self, value: Any) -> Any:
        day = super().clean(value)
        if day is not None and not 1970 <= day.year <= 2200:
            raise ValidationError(_("Give a date between 1970 and 2200."), code="out_of_range")
        return day


ALL = _("All")  # the empty choice: no filter on the field


class LocalDateFilter(django_filters.DateFilter):  # type: ignore[misc]
    """A day of the bank's calendar (``TIME_ZONE``): from its local midnight (``start``), or up
    to the next day's local midnight (the day itself included), whatever UTC says."""

    field_class = BoundedDateField

    def __init__(self, *args: Any, start: bool, **kwargs: Any) -> None:
        kwargs.setdefault("widget", forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
        super().__init__(*args, **kwargs)
        self.start = start

    def filter(self, qs: Any, value: date | None) -> Any:
        if value is None:
            return qs
        day = value if self.start else value + timedelta(days=1)
        midnight = timezone.make_aware(
            datetime.combine(day, time.min), timezone.get_default_timezone()
        )
        lookup = "gte" if self.start else "lt"
        return qs.filter(**{f"{self.field_name}__{lookup}": midnight})


class DeviationLogFilter(django_filters.FilterSet):  # type: ignore[misc]
    """The deviation log's filters on the web: each with its label, the dates as the bank's
    local days, and every code offered by its name in the reader's language. The choices of
    branch and staff are those the person may see (``branches``, ``staff``)."""

    date_from = LocalDateFilter(field_name="created_at", start=True, label=_("From (date)"))
    date_to = LocalDateFilter(field_name="created_at", start=False, label=_("To (date)"))
    branch = django_filters.ChoiceFilter(field_name="scope", label=_("Branch"), empty_label=ALL)
    actor = django_filters.ChoiceFilter(
        field_name="actor__username", label=_("Staff"), empty_label=ALL
    )
    loan = django_filters.CharFilter(method="filter_loan", label=_("Loan reference"))
    transition = django_filters.ChoiceFilter(label=_("Attempted step"), empty_label=ALL)
    check_code = django_filters.ChoiceFilter(
        method="filter_check_code", label=_("Failed check"), empty_label=ALL
    )
    kind = django_filters.ChoiceFilter(
        choices=Deviation.Kind.choices, label=_("Kind"), empty_label=ALL
    )
    severity = django_filters.ChoiceFilter(
        choices=Deviation.Severity.choices, label=_("Severity"), empty_label=ALL
    )
    status = django_filters.ChoiceFilter(
        choices=compliance.Status.choices,
        field_name="status",
        label=_("Status"),
        empty_label=ALL,
    )
    sort = django_filters.ChoiceFilter(
        label=_("Order"), choices=SORTS, empty_label=None, method="keep_order"
    )

    class Meta:
        model = Deviation
        fields: list[str] = []

    def __init__(
        self,
        data: Any,
        *,
        queryset: Any,
        vocabulary: Vocabulary,
        branches: list[tuple[str, str]],
        staff: list[tuple[str, str]],
        loan_type_id: int,
    ) -> None:
        super().__init__(data, queryset=queryset)
        self.loan_type_id = loan_type_id
        self.filters["branch"].extra["choices"] = branches
        self.filters["actor"].extra["choices"] = staff
        self.filters["transition"].extra["choices"] = vocabulary.step_choices()
        self.filters["check_code"].extra["choices"] = vocabulary.check_choices()

    @property
    def form(self) -> forms.Form:
        form: forms.Form = super().form
        for field in form.fields.values():
            css = "form-select" if isinstance(field.widget, forms.Select) else "form-control"
            field.widget.attrs.setdefault("class", f"{css} {css}-sm")
        return form

    def keep_order(self, queryset: Any, name: str, value: str) -> Any:
        return queryset

    def filter_check_code(self, queryset: Any, name: str, value: str) -> Any:
        return with_failed_check(queryset, value)

    def filter_loan(self, queryset: Any, name: str, value: str) -> Any:
        from loans.models import Loan

        loans = Loan.objects.filter(reference__iexact=value.strip()).values("pk")
        return queryset.filter(content_type_id=self.loan_type_id, object_id__in=loans)
