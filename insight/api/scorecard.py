"""The account-manager scorecard over the API: the same cards as the page, the same scope
(insight/scorecard_scope.py): an account manager their own, a branch head their offices'."""

from __future__ import annotations

from typing import Any

from django.http import Http404
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from config.db_router import reads_from_replica
from insight.api.serializers import money, share
from insight.api.views import SCOPE_PARAMETERS, _reader
from insight.forms import scope_choice
from insight.scorecard import period_parse, scorecard
from insight.scorecard_forms import PeriodForm
from insight.scorecard_scope import scorecard_scope

PARAMETERS = [
    *SCOPE_PARAMETERS,
    OpenApiParameter(
        "period",
        str,
        description="A month (2026-09) or a quarter (2026-Q3); default the quarter under way.",
    ),
]


def points(**kwargs: Any) -> serializers.DecimalField:
    return serializers.DecimalField(max_digits=7, decimal_places=2, **kwargs)


class FactorSerializer(serializers.Serializer[Any]):
    name = serializers.CharField()
    title = serializers.CharField()
    weight = serializers.IntegerField()
    score = serializers.DecimalField(max_digits=5, decimal_places=4, help_text="From 0 to 1.")
    contribution = points(help_text="Weight × score: the factor's points in the composite.")


class TotalsSerializer(serializers.Serializer[Any]):
    disbursed_count = serializers.IntegerField()
    disbursed_amount = money()
    median_cycle_days = serializers.DecimalField(max_digits=7, decimal_places=1, allow_null=True)
    return_rate = share()
    handled_count = serializers.IntegerField()
    deviations_high = serializers.IntegerField()
    deviations_medium = serializers.IntegerField()
    deviations_low = serializers.IntegerField()
    deviations_per_loan = serializers.DecimalField(max_digits=9, decimal_places=4)
    sla_breaches = serializers.IntegerField()
    inspections_due = serializers.IntegerField()
    inspections_on_time = serializers.IntegerField()
    special_mention_share = share()
    non_performing_share = share()
    downgrades = serializers.IntegerField()
    book_balance = money()
    watch_open = serializers.IntegerField(
        help_text="The manager's watch-list items open at the period's end (now, under way)."
    )
    watch_overdue = serializers.IntegerField(
        help_text="Of the items open at the period's end, those past their due."
    )
    watch_resolved = serializers.IntegerField(
        help_text="The manager's watch-list items resolved in the period."
    )
    watch_resolved_late = serializers.IntegerField(
        help_text="Of the items resolved in the period, those resolved after their due."
    )


class CardSerializer(serializers.Serializer[Any]):
    rank = serializers.IntegerField()
    manager = serializers.IntegerField(source="manager.pk")
    manager_name = serializers.CharField(source="manager.get_full_name")
    composite = points()
    factors = FactorSerializer(many=True)
    totals = TotalsSerializer()


class ScorecardSerializer(serializers.Serializer[Any]):
    period = serializers.CharField(source="period.key")
    office = serializers.IntegerField(source="scope.scope.office.pk")
    policy_version = serializers.CharField(source="policy.version")
    weights = serializers.DictField(child=serializers.IntegerField())
    cards = CardSerializer(many=True)


class ScorecardView(APIView):
    @extend_schema(
        summary="The account-manager scorecard of a month or a quarter",
        parameters=PARAMETERS,
        responses=ScorecardSerializer,
    )
    @reads_from_replica()
    def get(self, request: Request) -> Response:
        form = PeriodForm(request.query_params)
        if not form.is_valid():
            raise exceptions.ValidationError(form.errors.get_json_data())
        office, tree = scope_choice(form)
        scope = scorecard_scope(_reader(request), office_id=office, tree=tree)
        period = period_parse(form.cleaned_data.get("period"), timezone.localdate())
        if period is None:
            raise Http404
        return Response(ScorecardSerializer(scorecard(scope, period)).data)
