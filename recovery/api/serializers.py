"""The collection API's shapes."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from recovery.models import CollectionCase, ContactAttempt, WriteOffEndorsement
from recovery.states import ContactChannel


class ContactAttemptSerializer(serializers.ModelSerializer[ContactAttempt]):
    made_by: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(
        slug_field="username", read_only=True
    )

    class Meta:
        model = ContactAttempt
        fields = ["id", "contacted_at", "channel", "reached", "notes", "made_by", "created_at"]


class EndorsementSerializer(serializers.ModelSerializer[WriteOffEndorsement]):
    approver: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(
        slug_field="username", read_only=True
    )

    class Meta:
        model = WriteOffEndorsement
        fields = ["id", "approver", "note", "created_at"]


class CaseSerializer(serializers.ModelSerializer[CollectionCase]):
    loan = serializers.IntegerField(source="loan_id", read_only=True)
    loan_reference = serializers.CharField(source="loan.reference", read_only=True)
    branch = serializers.CharField(source="branch.code", read_only=True)
    account_manager: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(
        slug_field="username", read_only=True
    )
    days_past_due = serializers.IntegerField(source="loan.days_past_due", read_only=True)
    risk_class = serializers.IntegerField(source="loan.risk_class", read_only=True)

    class Meta:
        model = CollectionCase
        fields = [
            "id",
            "loan",
            "loan_reference",
            "branch",
            "account_manager",
            "state",
            "opened_at",
            "state_entered_at",
            "closed_at",
            "days_past_due_at_opening",
            "days_past_due",
            "risk_class",
            "promised_amount",
            "promised_date",
        ]
        read_only_fields = fields


class CaseDetailSerializer(CaseSerializer):
    contact_attempts = ContactAttemptSerializer(many=True, read_only=True)
    endorsements = EndorsementSerializer(many=True, read_only=True)

    class Meta(CaseSerializer.Meta):
        fields = [*CaseSerializer.Meta.fields, "contact_attempts", "endorsements"]
        read_only_fields = fields


class CaseTransitionRequestSerializer(serializers.Serializer[Any]):
    """The payload of a step; which fields a step needs, its checks say (a comment for most,
    the amount and date for a promise to pay)."""

    comment = serializers.CharField(required=False, allow_blank=True, max_length=2000)
    promised_amount = serializers.DecimalField(
        max_digits=14, decimal_places=2, required=False, min_value=0
    )
    promised_date = serializers.DateField(required=False)


class ContactLogSerializer(serializers.Serializer[Any]):
    contacted_at = serializers.DateTimeField()
    channel = serializers.ChoiceField(choices=ContactChannel.choices)
    reached = serializers.BooleanField()
    notes = serializers.CharField(max_length=4000)


class EndorseSerializer(serializers.Serializer[Any]):
    note = serializers.CharField(max_length=2000)


# The fields each action takes, by name.
ACTION_INPUT: dict[str, type[serializers.Serializer[Any]]] = {
    "contact_log": ContactLogSerializer,
    "write_off_endorse": EndorseSerializer,
}
