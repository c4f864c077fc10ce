"""Serializer fields for personal facts: written in full, read back masked (loans.personal_data).
The full value is answered only by the reveal endpoint, after the engine allowed and audited it."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from loans.personal_data import mask, mask_facts


class MaskedField(serializers.CharField):
    def __init__(self, *, personal: str, **kwargs: Any) -> None:
        self.personal = personal
        super().__init__(**kwargs)

    def to_representation(self, value: Any) -> str:
        return mask(super().to_representation(value), self.personal)


class MaskedFactsField(serializers.JSONField):
    """A payload or snapshot, with each personal fact in it masked."""

    def to_representation(self, value: Any) -> Any:
        return mask_facts(super().to_representation(value))
