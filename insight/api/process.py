"""Process analytics over the API: the same figures as the page, the same scope check
(insight/scope.py) and filters (insight/forms_process.py). Times are in hours, exact to the hour;
shares and rates as decimal strings."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from config.db_router import reads_from_replica
from insight.api.serializers import ScopeSerializer, share
from insight.api.views import SCOPE_PARAMETERS, _reader
from insight.forms import scope_choice
from insight.forms_process import ProcessForm, filters_of
from insight.process import ProcessFigures, process_figures
from insight.scope import scope_for

PROCESS_PARAMETERS = [
    *SCOPE_PARAMETERS,
    OpenApiParameter("since", str, description="First local day (default: 90 days before until)."),
    OpenApiParameter("until", str, description="Last local day (default: today)."),
    OpenApiParameter("product", int, description="Only this product's loans."),
    OpenApiParameter(
        "person",
        int,
        description="Only this person: the stages they ended, the loans they manage, their "
        "deviations.",
    ),
]


class ProcessFiltersSerializer(serializers.Serializer[Any]):
    since = serializers.DateField()
    until = serializers.DateField()
    product = serializers.IntegerField(allow_null=True)
    person = serializers.IntegerField(allow_null=True)


class ProcessStageSerializer(serializers.Serializer[Any]):
    stage = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment]  # a field, not Field.label
    holder = serializers.CharField(help_text="The role the loans wait for in this stage.")
    visits = serializers.IntegerField(help_text="Stays in the stage that ended in the period.")
    median_hours = serializers.IntegerField(allow_null=True)
    p90_hours = serializers.IntegerField(allow_null=True)
    overdue = serializers.IntegerField(help_text="Stays that ended past the stage's SLA.")
    overdue_rate = share()
    returned = serializers.IntegerField()
    return_rate = share()


class ProcessHolderSerializer(serializers.Serializer[Any]):
    role = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment]
    hours = serializers.IntegerField(help_text="Hours the ended stays of its stages took.")
    share = share()
    waiting = serializers.IntegerField(
        help_text="Loans waiting for this role at the last hourly count (counted_at)."
    )
    stalled = serializers.IntegerField(help_text="Of them, past their stage's SLA then.")


class ProcessStalledSerializer(serializers.Serializer[Any]):
    loan = serializers.IntegerField(source="loan.pk")
    reference = serializers.CharField(source="loan.reference")
    stage = serializers.CharField()
    holder = serializers.CharField()
    account_manager = serializers.CharField(source="loan.account_manager.username")
    due_at = serializers.DateTimeField()
    days_late = serializers.IntegerField()


class ProcessFunnelStepSerializer(serializers.Serializer[Any]):
    key = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment]
    loans = serializers.IntegerField()
    share = share()
    rejected = serializers.IntegerField()
    withdrawn = serializers.IntegerField()


class ProcessReturnSerializer(serializers.Serializer[Any]):
    stage = serializers.CharField()
    reason = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment]
    reason_label = serializers.CharField()
    returns = serializers.IntegerField()
    rate = share()


class ProcessHeatRowSerializer(serializers.Serializer[Any]):
    check = serializers.CharField()
    check_label = serializers.CharField()
    person = serializers.IntegerField(help_text="0: found by the system (lateness).")
    person_label = serializers.CharField()
    counts = serializers.ListField(child=serializers.IntegerField())


class ProcessCheckTrendSerializer(serializers.Serializer[Any]):
    check = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment]
    counts = serializers.ListField(child=serializers.IntegerField())


class ProcessHeatSerializer(serializers.Serializer[Any]):
    weeks = serializers.ListField(child=serializers.DateField(), help_text="Each week's Monday.")
    rows = ProcessHeatRowSerializer(many=True)
    trend = ProcessCheckTrendSerializer(many=True)


class ProcessSerializer(serializers.Serializer[Any]):
    scope = ScopeSerializer()
    filters = ProcessFiltersSerializer()
    stages = ProcessStageSerializer(many=True)
    holders = ProcessHolderSerializer(many=True)
    stalled_count = serializers.IntegerField(
        help_text="Loans past their stage's SLA at the last hourly count (counted_at)."
    )
    stalled = ProcessStalledSerializer(
        many=True, help_text="Now: the 50 longest past their deadline."
    )
    counted_at = serializers.DateTimeField(
        allow_null=True,
        help_text="When the hourly task counted the loans waiting and stalled; null before it "
        "first ran.",
    )
    opened = serializers.IntegerField(help_text="Applications opened in the period.")
    funnel = ProcessFunnelStepSerializer(many=True)
    returns = ProcessReturnSerializer(many=True)
    heat = ProcessHeatSerializer()


def _figures(request: Request) -> ProcessFigures:
    form = ProcessForm(request.query_params)
    valid = form.is_valid()
    office, tree = scope_choice(form)
    scope = scope_for(_reader(request), office_id=office, tree=tree)
    if not valid:
        raise exceptions.ValidationError(form.errors.get_json_data())
    return process_figures(scope, filters_of(form))


class ProcessView(APIView):
    @extend_schema(
        summary="Process analytics: stage times, stalled loans, funnel, returns, heat-map",
        parameters=PROCESS_PARAMETERS,
        responses=ProcessSerializer,
    )
    @reads_from_replica()
    def get(self, request: Request) -> Response:
        return Response(ProcessSerializer(_figures(request)).data)
