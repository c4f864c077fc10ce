"""Serializers: what the API reads and writes. Writes go through loans.services."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import models
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from loans.api.fields import MaskedFactsField, MaskedField
from loans.checks.entry import validate_record_day
from loans.choices import ReturnReason
from loans.models import (
    ApprovalCondition,
    Borrower,
    Contract,
    Extension,
    Instalment,
    Loan,
    LoanComment,
    LoanProduct,
    PolicyVersion,
    RepaymentSchedule,
    User,
)
from loans.models.comments import COMMENT_MAX_LENGTH
from loans.personal_data import RULES as PERSONAL_RULES
from loans.personal_data import PersonalField
from loans.states import APPLICATION_INPUT
from loans.workflow import RecordKind
from workflow.models import AuditEvent, Deviation, DeviationReview, Notification


class WholeIdField(serializers.PrimaryKeyRelatedField[Any]):
    """A related record by its id: a whole number (Django would read 1.5 as the id 1)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("pk_field", serializers.IntegerField())
        super().__init__(**kwargs)


class TextSlugField(serializers.SlugRelatedField[Any]):
    """A related record by its code: text PostgreSQL can compare (a NUL stops the query)."""

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, str) and "\x00" in data:
            self.fail("invalid")
        return super().to_internal_value(data)


class BorrowerSerializer(serializers.ModelSerializer[Borrower]):
    branch: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(
        slug_field="code", read_only=True
    )
    # Written in full, read back masked: the full value only through the audited reveal.
    id_number = MaskedField(personal=PersonalField.ID_NUMBER, max_length=18)
    phone = MaskedField(
        personal=PersonalField.PHONE, max_length=32, required=False, allow_blank=True
    )
    address = MaskedField(
        personal=PersonalField.ADDRESS, max_length=255, required=False, allow_blank=True
    )

    class Meta:
        model = Borrower
        fields = [
            "id",
            "kind",
            "name",
            "id_number",
            "phone",
            "address",
            "industry",
            "group",
            "branch",
        ]
        # Identity and uniqueness are validated by services.borrower_create.


class LoanSerializer(serializers.ModelSerializer[Loan]):
    branch: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(
        slug_field="code", read_only=True
    )
    account_manager: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(
        slug_field="username", read_only=True
    )
    product: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(
        slug_field="code", read_only=True
    )
    borrower_name = serializers.CharField(source="borrower.name", read_only=True)
    sla_status = serializers.CharField(read_only=True, allow_null=True, default=None)
    # A renewal links to the loan it renews, and that loan to its latest renewal.
    renewal_of: serializers.PrimaryKeyRelatedField[Any] = serializers.PrimaryKeyRelatedField(
        read_only=True,
        allow_null=True,  # null: the loan renews none
    )
    renewed_by = serializers.IntegerField(read_only=True, allow_null=True, default=None)
    # An extension (展期) is a signal beside the class, not a class: shown, never applied.
    extended = serializers.SerializerMethodField(
        help_text="Whether an approved extension moved the loan's maturity later "
        "(`/api/v1/loans/{id}/extensions/` lists them)."
    )

    class Meta:
        model = Loan
        fields = [
            "id",
            "reference",
            "state",
            "branch",
            "borrower",
            "borrower_name",
            "account_manager",
            *APPLICATION_INPUT,
            "created_at",
            "state_entered_at",
            "approved_at",
            "disbursed_at",
            "outstanding_balance",
            "days_past_due",
            "risk_class",
            "extended",
            "extension_months",
            "extended_at",
            "sla_status",
            "renewal_of",
            "renewed_by",
        ]
        read_only_fields = fields

    def get_extended(self, loan: Loan) -> bool:
        return bool(loan.extension_months)


class LoanWriteSerializer(serializers.ModelSerializer[Loan]):
    """The application: created in intake, changed only while the stage allows."""

    serializer_related_field = WholeIdField

    product: serializers.SlugRelatedField[Any] = TextSlugField(
        slug_field="code", queryset=LoanProduct.objects.filter(active=True), required=False
    )
    amount = serializers.DecimalField(
        max_digits=14, decimal_places=2, min_value=1, required=False, allow_null=True
    )
    term_months = serializers.IntegerField(
        min_value=1, max_value=600, required=False, allow_null=True
    )

    class Meta:
        model = Loan
        fields = ["borrower", *APPLICATION_INPUT]


class CheckResultSerializer(serializers.Serializer[Any]):
    code = serializers.CharField()
    passed = serializers.BooleanField()
    severity = serializers.ChoiceField(choices=["hard", "soft"])
    reason = serializers.CharField()
    clause = serializers.CharField()


class TransitionOptionSerializer(serializers.Serializer[Any]):
    name = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment]
    target = serializers.CharField()
    allowed = serializers.BooleanField()
    checks = CheckResultSerializer(many=True)


class ActionOptionSerializer(serializers.Serializer[Any]):
    name = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment]
    allowed = serializers.BooleanField()
    names_record = serializers.BooleanField(
        help_text="Whether the request names one of the loan's records in `record`."
    )
    checks = CheckResultSerializer(many=True)


class ActionRequestSerializer(serializers.Serializer[Any]):
    """The payload of an action: `record` for actions on one record, then the action's fields
    (the same as its form on the web; a correction submits only the fields it changes)."""

    record = serializers.IntegerField(required=False, min_value=1)


class ActionResultSerializer(serializers.Serializer[Any]):
    action = serializers.CharField()
    record = serializers.IntegerField(allow_null=True)
    loan = LoanSerializer()


class RevealRequestSerializer(serializers.Serializer[Any]):
    """Which personal fact to show in full: the borrower's, or one drawdown's account."""

    field = serializers.ChoiceField(choices=PersonalField.choices)
    record = serializers.IntegerField(required=False, min_value=1, max_value=2**63 - 1)


class RevealSerializer(serializers.Serializer[Any]):
    field = serializers.CharField()
    value = serializers.CharField()


class TransitionRequestSerializer(serializers.Serializer[Any]):
    """The payload of a transition; which fields a transition needs, its checks say."""

    reason = serializers.ChoiceField(choices=ReturnReason.choices, required=False)
    comment = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=2000,
        help_text=(
            "Why (with a reason); at review and approval the decision's written opinion, "
            "required: a decision without one is refused and recorded as a deviation."
        ),
    )
    conditions = serializers.ListField(
        child=serializers.CharField(max_length=255), required=False, max_length=20
    )


class ErrorSerializer(serializers.Serializer[Any]):
    code = serializers.CharField()
    detail = serializers.CharField()
    errors = serializers.ListField(child=serializers.DictField())  # type: ignore[assignment]


class RefusalSerializer(ErrorSerializer):
    deviation_id = serializers.IntegerField()


class AuditEventSerializer(serializers.ModelSerializer[AuditEvent]):
    # Null when the system acted (a watch-list signal, the days past due).
    actor = serializers.CharField(source="actor.username", read_only=True, allow_null=True)
    payload = MaskedFactsField(read_only=True)
    changes = MaskedFactsField(read_only=True)

    class Meta:
        model = AuditEvent
        fields = [
            "seq",
            "kind",
            "action",
            "source_state",
            "target_state",
            "actor",
            "actor_role",
            "payload",
            "changes",
            "channel",
            "policy_version",
            "created_at",
            "prev_hash",
            "hash",
        ]
        read_only_fields = fields


class DeviationSerializer(serializers.ModelSerializer[Deviation]):
    actor: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(
        slug_field="username", read_only=True
    )
    status = serializers.CharField(read_only=True)
    loan = serializers.SerializerMethodField()
    payload = MaskedFactsField(read_only=True)

    @extend_schema_field(serializers.IntegerField(allow_null=True))
    def get_loan(self, deviation: Deviation) -> int | None:
        """The loan refused on; none for a refusal about a borrower (a reused identity)."""
        return deviation.object_id if deviation.content_type.model == "loan" else None

    class Meta:
        model = Deviation
        fields = [
            "id",
            "loan",
            "scope",
            "actor",
            "actor_roles",
            "transition",
            "from_state",
            "kind",
            "severity",
            "failed_checks",
            "payload",
            "channel",
            "policy_version",
            "created_at",
            "status",
        ]
        read_only_fields = fields


class DeviationReviewSerializer(serializers.ModelSerializer[DeviationReview]):
    actor: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(
        slug_field="username", read_only=True
    )
    status = serializers.ChoiceField(
        choices=[s for s in DeviationReview.Status.choices if s[0] != "open"]
    )
    note = serializers.CharField(max_length=4000)

    class Meta:
        model = DeviationReview
        fields = ["id", "status", "note", "actor", "created_at"]
        read_only_fields = ["id", "actor", "created_at"]


class CommentSerializer(serializers.ModelSerializer[LoanComment]):
    """A comment of the loan's thread, oldest first; never edited."""

    author: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(
        slug_field="username", read_only=True
    )
    mentioned: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True
    )

    class Meta:
        model = LoanComment
        fields = ["id", "author", "text", "mentioned", "created_at"]
        read_only_fields = fields


class CommentWriteSerializer(serializers.Serializer[Any]):
    """A new comment. Empty text, or a colleague who does not see the loan, is refused and
    recorded as a deviation (409)."""

    text = serializers.CharField(
        required=False, allow_blank=True, max_length=COMMENT_MAX_LENGTH, trim_whitespace=False
    )
    mentioned = serializers.IntegerField(
        required=False,
        allow_null=True,
        min_value=1,
        max_value=2**63 - 1,
        help_text="The id of a colleague to notify, who must see the loan.",
    )

    def validate_mentioned(self, value: int | None) -> User | None:
        if value is None:
            return None
        found = User.objects.filter(pk=value, is_active=True).first()
        if found is None:
            raise serializers.ValidationError("No such colleague.")
        return found


class NotificationSerializer(serializers.ModelSerializer[Notification]):
    loan = serializers.IntegerField(
        source="object_id", read_only=True, help_text="The loan it is about."
    )
    deviation = serializers.IntegerField(
        source="deviation_id",
        read_only=True,
        allow_null=True,
        help_text="The deviation it names too (an escalation by compliance), else null.",
    )

    class Meta:
        model = Notification
        fields = ["id", "kind", "loan", "deviation", "subject", "body", "created_at", "read_at"]
        read_only_fields = fields


class PolicySerializer(serializers.ModelSerializer[PolicyVersion]):
    class Meta:
        model = PolicyVersion
        exclude = ["id", "created_by", "created_at"]
        read_only_fields = [f.name for f in PolicyVersion._meta.fields]


# --- stage records --------------------------------------------------------------------------


def _check_moment(value: date | datetime) -> None:
    try:
        validate_record_day(value)
    except DjangoValidationError as error:
        raise serializers.ValidationError(error.messages, code=error.code) from None


class RecordDateTimeField(serializers.DateTimeField):
    """A moment in a loan's file: not before 2000, not after tomorrow."""

    def enforce_timezone(self, value: datetime) -> datetime:
        # Judged as typed, before DRF converts it: at the calendar's edges (year 1, year 9999)
        # the conversion to the time zone or to UTC overflows.
        _check_moment(value)
        return super().enforce_timezone(value)


class RecordDateField(serializers.DateField):
    def to_internal_value(self, value: Any) -> date:
        day = super().to_internal_value(value)
        _check_moment(day)
        return day


class RecordSerializer(serializers.ModelSerializer[Any]):
    serializer_related_field = WholeIdField
    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        models.DateTimeField: RecordDateTimeField,
        models.DateField: RecordDateField,
    }

    def build_standard_field(self, field_name: str, model_field: Any) -> tuple[Any, Any]:
        """A personal fact (a counterparty's account) is read back masked."""
        field_class, kwargs = super().build_standard_field(field_name, model_field)
        if field_name in PERSONAL_RULES:
            kwargs["personal"] = field_name
            return MaskedField, kwargs
        return field_class, kwargs


def record_serializer(model: type, fields: Sequence[str], read_only: Sequence[str] = ()) -> Any:
    """A ModelSerializer for a record; the loan and the acting user are set by the engine.
    Uploaded files are written, never read back (the record says their name and size)."""
    files = [
        name
        for name in fields
        if isinstance(model._meta.get_field(name), models.FileField)  # type: ignore[attr-defined]
    ]
    meta = type(
        "Meta",
        (),
        {
            "model": model,
            "fields": ["id", *fields, *read_only],
            "read_only_fields": ["id", *read_only],
            "extra_kwargs": {name: {"write_only": True} for name in files},
        },
    )
    return type(f"{model.__name__}Serializer", (RecordSerializer,), {"Meta": meta})


def kind_serializer(kind: RecordKind) -> Any:
    """The serializer of a kind of record, from its row in loans.workflow.RECORDS."""
    return record_serializer(kind.model, kind.fields, kind.shown)


ContractSerializer = record_serializer(
    Contract,
    ["number", "signed_at", "signed_face_to_face", "witness"],
    ("annual_rate", "lpr_tenor", "lpr_rate", "lpr_date", "spread_bps"),
)


def _money(help_text: str) -> serializers.DecimalField:
    return serializers.DecimalField(
        max_digits=16, decimal_places=2, read_only=True, help_text=help_text
    )


class InstalmentSerializer(serializers.ModelSerializer[Instalment]):
    overdue_interest_to_date = serializers.SerializerMethodField(
        help_text="Overdue interest accrued to today (the bank's local date) and not yet paid: "
        "charged by repayments so far, plus what has accrued since (null for a version not in "
        "force)."
    )

    class Meta:
        model = Instalment
        fields = [
            "number",
            "due_date",
            "principal",
            "interest",
            "principal_paid",
            "interest_paid",
            "overdue_interest_charged",
            "overdue_interest_paid",
            "overdue_interest_to_date",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.DecimalField(max_digits=16, decimal_places=2, allow_null=True))
    def get_overdue_interest_to_date(self, row: Instalment) -> str | None:
        accrued = self.context.get("overdue_interest")
        if accrued is None:
            return None
        return f"{accrued[row.number]:.2f}"


class DueNowSerializer(serializers.Serializer[Any]):
    """What is due today: the instalments due on or before it, unpaid, with overdue interest."""

    on = serializers.DateField(read_only=True, help_text="The bank's local date.")
    principal = _money("Principal of the instalments due, unpaid.")
    interest = _money("Interest of the instalments due, unpaid.")
    overdue_interest = _money("Overdue interest accrued to the date, unpaid.")
    total = _money("Principal, interest and overdue interest due.")


class ScheduleSerializer(serializers.ModelSerializer[RepaymentSchedule]):
    """A version of the loan's repayment schedule, with its instalments."""

    instalments = InstalmentSerializer(many=True, read_only=True)
    versions = serializers.SerializerMethodField(
        help_text="Every version of the loan's schedule, oldest first (`?version=` reads one)."
    )
    due_now = serializers.SerializerMethodField(
        help_text="What is due today, with the overdue interest accrued to it (null for a "
        "version not in force)."
    )

    class Meta:
        model = RepaymentSchedule
        fields = [
            "version",
            "versions",
            "reason",
            "principal",
            "annual_rate",
            "method",
            "start_date",
            "created_at",
            "instalments",
            "due_now",
        ]
        read_only_fields = fields

    @extend_schema_field(DueNowSerializer(allow_null=True))
    def get_due_now(self, schedule: RepaymentSchedule) -> dict[str, Any] | None:
        due = self.context.get("due_now")
        return None if due is None else dict(DueNowSerializer(due).data)

    def get_versions(self, schedule: RepaymentSchedule) -> list[int]:
        return list(
            RepaymentSchedule.objects.filter(loan_id=schedule.loan_id)
            .order_by("version")
            .values_list("version", flat=True)
        )


ConditionSerializer = record_serializer(
    ApprovalCondition,
    ["fulfilment_note"],
    ("text", "fulfilled_at", "fulfilled_by"),
)


class ExtensionSerializer(serializers.ModelSerializer[Extension]):
    """A request to extend the loan (展期) and where it stands: asked by the account manager
    (``extension_request``), reviewed (``extension_review``), endorsed above the top authority
    tier (``extension_endorse``), approved (``extension_approve``, a new schedule version) or
    declined (``extension_decline``), each at ``POST /api/v1/loans/{id}/actions/{name}/`` with
    the extension's id as ``record``."""

    requested_by: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(
        slug_field="username", read_only=True
    )
    reviewed_by: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True
    )
    endorsed_by: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True
    )
    decided_by: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True
    )
    schedule_version = serializers.IntegerField(
        source="schedule.version", read_only=True, allow_null=True, default=None
    )

    class Meta:
        model = Extension
        fields = [
            "id",
            "months",
            "reason",
            "maturity_before",
            "maturity_after",
            "status",
            "requested_by",
            "requested_at",
            "reviewed_by",
            "reviewed_at",
            "review_opinion",
            "endorsed_by",
            "endorsed_at",
            "decided_by",
            "decided_at",
            "decision_note",
            "schedule_version",
        ]
        read_only_fields = fields
