"""The watch-list API's shapes."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from watch.models import WatchItem, WatchNote
from watch.rules import reason_of, signal_title


class WatchNoteSerializer(serializers.ModelSerializer[WatchNote]):
    author: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(
        slug_field="username", read_only=True
    )

    class Meta:
        model = WatchNote
        fields = ["id", "author", "text", "resolves", "created_at"]


class WatchItemSerializer(serializers.ModelSerializer[WatchItem]):
    loan = serializers.IntegerField(source="loan_id", read_only=True)
    loan_reference = serializers.CharField(source="loan.reference", read_only=True)
    branch = serializers.CharField(source="branch.code", read_only=True)
    account_manager: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(
        slug_field="username", read_only=True
    )
    title = serializers.SerializerMethodField(help_text="The signal in words.")
    reason = serializers.SerializerMethodField(help_text="What the signal found, in words.")
    overdue = serializers.SerializerMethodField()

    class Meta:
        model = WatchItem
        fields = [
            "id",
            "signal",
            "title",
            "severity",
            "reason",
            "facts",
            "loan",
            "loan_reference",
            "branch",
            "account_manager",
            "state",
            "opened_at",
            "due_at",
            "overdue",
            "resolved_at",
        ]

    def get_title(self, item: WatchItem) -> str:
        return str(signal_title(item.signal))

    def get_reason(self, item: WatchItem) -> str:
        return str(reason_of(item.signal, item.facts))

    def get_overdue(self, item: WatchItem) -> bool:
        return bool(item.is_open and item.due_at < self.context["now"])


class WatchItemDetailSerializer(WatchItemSerializer):
    notes = WatchNoteSerializer(many=True, read_only=True)

    class Meta(WatchItemSerializer.Meta):
        fields = [*WatchItemSerializer.Meta.fields, "notes"]


class NoteRequestSerializer(serializers.Serializer[Any]):
    note = serializers.CharField(required=False, allow_blank=True, default="")
