"""The portfolio structure in JSON: the figures of the dashboard, money and shares as decimal
strings (no rounding by a float)."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from insight.structure import STATUS_VALUES


def money(**kwargs: Any) -> serializers.DecimalField:
    return serializers.DecimalField(max_digits=18, decimal_places=2, **kwargs)


def share(**kwargs: Any) -> serializers.DecimalField:
    return serializers.DecimalField(max_digits=7, decimal_places=4, **kwargs)


class ScopeSerializer(serializers.Serializer[Any]):
    office = serializers.IntegerField(source="office.pk")
    office_code = serializers.CharField(source="office.code")
    tree = serializers.BooleanField()
    offices = serializers.ListField(child=serializers.IntegerField(), source="branch_ids")


class RowSerializer(serializers.Serializer[Any]):
    key = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment]  # a field, not Field.label
    balance = money()
    count = serializers.IntegerField()
    share = share()
    status = serializers.ChoiceField(choices=STATUS_VALUES, allow_null=True)


class BreakdownSerializer(serializers.Serializer[Any]):
    dimension = serializers.CharField()
    title = serializers.CharField()
    rows = RowSerializer(many=True)


class LimitSerializer(serializers.Serializer[Any]):
    dimension = serializers.CharField()
    title = serializers.CharField()
    largest = RowSerializer(allow_null=True)
    share = share()
    limit = serializers.DecimalField(max_digits=4, decimal_places=3, coerce_to_string=True)
    status = serializers.ChoiceField(choices=STATUS_VALUES)


class TrendPointSerializer(serializers.Serializer[Any]):
    day = serializers.DateField()
    balance = money()
    count = serializers.IntegerField()
    npl_ratio = share()
    special_mention_ratio = share()


class StructureSerializer(serializers.Serializer[Any]):
    scope = ScopeSerializer()
    day = serializers.DateField(allow_null=True, help_text="The snapshot's local day.")
    policy_version = serializers.CharField()
    balance = money()
    count = serializers.IntegerField()
    npl_ratio = share()
    special_mention_ratio = share()
    limits_assessed = serializers.BooleanField()
    limits_apply_from = money()
    limits = LimitSerializer(many=True)
    breakdowns = BreakdownSerializer(many=True)


class TrendSerializer(serializers.Serializer[Any]):
    scope = ScopeSerializer()
    trend = TrendPointSerializer(many=True)
