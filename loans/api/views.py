"""API views: thin. They parse, call a service or selector, and answer."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import django_filters
from django import forms
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Model, QuerySet
from django.forms.models import model_to_dict
from django.http import QueryDict
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from config.resilience import answer_after_commit
from loans import services
from loans.access import get_loan_for_user
from loans.action_forms import TARGETS, form_for, payload_of, target_of
from loans.api import serializers as s
from loans.api import steps
from loans.api.errors import refusal_response
from loans.api.pagination import AuditPagination
from loans.api.records import act, require_role
from loans.api.steps import staff
from loans.filters import DeviationFilter
from loans.keyset import Order
from loans.models import Borrower, Loan
from loans.policy import policy_in_force
from loans.reveal import REVEAL, reveal
from loans.roles import Role
from loans.selectors import (
    DEVIATION_ORDERS,
    SlaStatus,
    audit_trail_of,
    deviations_visible_to,
    extensions_of,
    loans_visible_to,
    with_renewal,
    with_sla_status,
)
from loans.servicing.selectors import schedule_today
from loans.states import LoanState
from workflow import compliance
from workflow.actions import action_options
from workflow.checks import CheckKind
from workflow.engine import TransitionRefused, preflight
from workflow.models import Channel, Deviation, Notification
from workflow.registry import process_for


def loans_visible_to_nobody() -> QuerySet[Loan]:
    none: QuerySet[Loan] = Loan.objects.none()
    return none


REFUSED = {
    403: OpenApiResponse(s.RefusalSerializer, description="Wrong role or person; recorded."),
    409: OpenApiResponse(s.RefusalSerializer, description="Checks failed; recorded."),
}


class BorrowerViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet[Any],
):
    serializer_class = s.BorrowerSerializer
    lookup_value_regex = "[0-9]+"
    filterset_fields = ["kind", "industry"]
    keyset_order = Order("id", ("id",))
    queryset = Borrower.objects.none()  # the real one: get_queryset, scoped to the user

    def get_queryset(self) -> QuerySet[Borrower]:
        if getattr(self, "swagger_fake_view", False):
            return self.queryset
        return (
            Borrower.objects.filter(branch_id__in=staff(self.request).visible_branch_ids)
            .select_related("branch")
            .order_by("pk")
        )

    def perform_create(self, serializer: Any) -> None:
        require_role(staff(self.request), frozenset({Role.ACCOUNT_MANAGER}))
        user = staff(self.request)
        if user.branch_id is None:
            raise exceptions.PermissionDenied("Staff without a branch cannot add borrowers.")
        serializer.instance = services.borrower_create(
            branch_id=user.branch_id,
            actor=user,
            channel=Channel.API,
            **serializer.validated_data,
        )


class LoanFilter(django_filters.FilterSet):  # type: ignore[misc]
    state = django_filters.ChoiceFilter(choices=LoanState.choices)
    branch = django_filters.CharFilter(field_name="branch__code")
    account_manager = django_filters.CharFilter(field_name="account_manager__username")
    sla_status = django_filters.ChoiceFilter(
        choices=[(c, c) for c in SlaStatus.CHOICES], field_name="sla_status"
    )

    class Meta:
        model = Loan
        fields = ["state", "branch", "account_manager", "sla_status"]


class LoanViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet[Any],
):
    filterset_class = LoanFilter
    serializer_class = s.LoanSerializer
    lookup_value_regex = "[0-9]+"
    queryset = Loan.objects.none()

    def get_queryset(self) -> QuerySet[Loan]:
        if getattr(self, "swagger_fake_view", False):
            return loans_visible_to_nobody()
        loans = loans_visible_to(staff(self.request)).select_related(
            "branch", "account_manager", "product", "borrower"
        )
        annotated: QuerySet[Loan] = with_renewal(with_sla_status(loans, timezone.now()))
        return annotated.order_by("-created_at", "-id")

    def committed(self, pk: int) -> Any:
        """The loan as a step just committed it, read again if the connection died meanwhile."""
        return answer_after_commit(lambda: self.get_serializer(self.get_queryset().get(pk=pk)).data)

    def get_object(self) -> Loan:
        get_loan_for_user(staff(self.request), self.kwargs["pk"])
        loan: Loan = super().get_object()
        return loan

    @extend_schema(request=s.LoanWriteSerializer, responses={201: s.LoanSerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        require_role(staff(request), frozenset({Role.ACCOUNT_MANAGER}))
        write = s.LoanWriteSerializer(data=request.data)
        write.is_valid(raise_exception=True)
        data = dict(write.validated_data)
        borrower = data.pop("borrower")
        if borrower.branch_id not in staff(request).visible_branch_ids:
            raise exceptions.ValidationError({"borrower": ["No such borrower in your branch."]})
        loan = services.loan_create(borrower=borrower, account_manager=staff(request), **data)
        return Response(self.committed(loan.pk), status=201)

    @extend_schema(request=s.LoanWriteSerializer, responses={200: s.LoanSerializer, **REFUSED})
    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        loan = self.get_object()
        write = s.LoanWriteSerializer(data=request.data, partial=True)
        write.is_valid(raise_exception=True)
        changes = {k: v for k, v in write.validated_data.items() if k != "borrower"}
        refused = act(request, loan, "application_edit", changes)
        if isinstance(refused, Response):
            return refused
        return Response(self.committed(loan.pk))

    @extend_schema(responses=s.TransitionOptionSerializer(many=True))
    @action(detail=True, methods=["get"], url_path="transitions", pagination_class=None)
    def transitions(self, request: Request, pk: int) -> Response:
        loan = get_loan_for_user(staff(request), pk)
        options = [
            {
                "name": option.name,
                "label": str(option.label),
                "target": option.target,
                "allowed": option.allowed,
                "checks": [_check(result) for result in option.checks],
            }
            for option in preflight(loan, actor=staff(request))
        ]
        return Response(s.TransitionOptionSerializer(options, many=True).data)

    @extend_schema(responses=s.ActionOptionSerializer(many=True))
    @action(detail=True, methods=["get"], url_path="actions", pagination_class=None)
    def actions(self, request: Request, pk: int) -> Response:
        """The actions open in the loan's stage, and whether the user may perform them now."""
        loan = get_loan_for_user(staff(request), pk)
        options = [
            {
                "name": option.name,
                "label": str(option.label),
                "allowed": option.allowed,
                "names_record": option.name in TARGETS,
                "checks": [
                    _check(result)
                    for result in option.decision.results
                    if result.kind != CheckKind.INPUT  # judged on what is submitted
                ],
            }
            for option in action_options(loan, actor=staff(request))
        ]
        return Response(s.ActionOptionSerializer(options, many=True).data)

    @extend_schema(
        request=s.ActionRequestSerializer,
        responses={200: s.ActionResultSerializer, **REFUSED, 404: s.ErrorSerializer},
    )
    @action(detail=True, methods=["post"], url_path=r"actions/(?P<name>[^/]+)")
    def perform(self, request: Request, pk: int, name: str) -> Response:
        """Perform an action of the process: the same form, checks and audit as on the web."""
        user = staff(request)
        loan = get_loan_for_user(user, pk)
        if process_for(loan).definition.action(name) is None:
            raise exceptions.NotFound(f"No action named {name}.")
        if name == REVEAL:
            raise exceptions.NotFound(f"A value is revealed at /api/v1/loans/{loan.pk}/reveal/.")
        if not isinstance(request.data, Mapping):
            raise exceptions.ValidationError({"non_field_errors": ["Send a JSON object."]})
        named = s.ActionRequestSerializer(
            data={"record": request.data.get("record")} if "record" in request.data else {}
        )
        named.is_valid(raise_exception=True)
        if name in TARGETS and "record" not in named.validated_data:
            raise exceptions.ValidationError({"record": ["Name the record this action is on."]})
        target = target_of(name, loan, named.validated_data.get("record"))
        record = target[1] if target else None
        blank = form_for(name, loan, user, record, None, None)
        if blank is None:
            raise exceptions.NotFound(f"No action named {name}.")
        submitted = api_form_data(request.data, blank.fields, record, name)
        form = form_for(name, loan, user, record, submitted, request.FILES or None)
        if not form.is_valid():
            raise DjangoValidationError(form.errors.as_data())
        data, _token = payload_of(form)
        if target:
            data[target[0]] = record
        outcome = act(request, loan, name, data)
        if isinstance(outcome, Response):
            return outcome
        written = outcome.pk if isinstance(outcome, Model) else None
        return Response(
            answer_after_commit(
                lambda: (
                    s.ActionResultSerializer(
                        {
                            "action": name,
                            "record": written,
                            "loan": self.get_queryset().get(pk=loan.pk),
                        }
                    ).data
                )
            )
        )

    @extend_schema(
        request=s.RevealRequestSerializer,
        responses={200: s.RevealSerializer, **REFUSED, 404: s.ErrorSerializer},
    )
    @action(detail=True, methods=["post"], pagination_class=None)
    def reveal(self, request: Request, pk: int) -> Response:
        """The full value of one personal fact, for the people who need it: the engine decides
        and records the reveal in the loan's audit trail (a refusal is a deviation)."""
        loan = get_loan_for_user(staff(request), pk)
        asked = s.RevealRequestSerializer(data=request.data)
        asked.is_valid(raise_exception=True)
        field = asked.validated_data["field"]
        try:
            value = reveal(
                loan,
                actor=staff(request),
                field=field,
                record_id=asked.validated_data.get("record"),
                channel=Channel.API,
            )
        except TransitionRefused as refused:
            return refusal_response(refused)
        return Response(s.RevealSerializer({"field": field, "value": value}).data)

    @extend_schema(
        request=s.TransitionRequestSerializer,
        responses={200: s.LoanSerializer, **REFUSED, 404: s.ErrorSerializer},
    )
    @action(detail=True, methods=["post"], url_path=r"transitions/(?P<name>[^/]+)")
    def transition(self, request: Request, pk: int, name: str) -> Response:
        loan = get_loan_for_user(staff(request), pk)
        payload = s.TransitionRequestSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        refused = steps.transition(request, loan, name, payload.validated_data)
        return refused or Response(self.committed(loan.pk))

    @extend_schema(responses=s.AuditEventSerializer(many=True))
    @action(detail=True, methods=["get"], pagination_class=AuditPagination)
    def audit(self, request: Request, pk: int) -> Response:
        events = audit_trail_of(get_loan_for_user(staff(request), pk))
        page = self.paginate_queryset(events)
        return self.get_paginated_response(s.AuditEventSerializer(page, many=True).data)

    @extend_schema(
        responses={200: s.ScheduleSerializer, 404: OpenApiResponse(description="No schedule yet.")},
        parameters=[
            OpenApiParameter(
                "version", int, description="A version of the schedule (default: in force)."
            )
        ],
    )
    @action(detail=True, methods=["get"], pagination_class=None)
    def schedule(self, request: Request, pk: int) -> Response:
        """The loan's repayment schedule in force (made at disbursement; an early repayment makes
        a new version), or the version asked for. Read-only."""
        loan = get_loan_for_user(staff(request), pk)
        version = request.query_params.get("version")
        schedules = loan.schedules.prefetch_related("instalments")
        if version is not None:
            if not version.isdigit():
                raise exceptions.ValidationError({"version": ["A whole number."]})
            schedules = schedules.filter(version=int(version))
        found = schedules.order_by("-version").first()
        if found is None:
            raise exceptions.NotFound("No repayment schedule.")
        return Response(s.ScheduleSerializer(found, context=schedule_today(found)).data)

    @extend_schema(responses=s.ExtensionSerializer(many=True))
    @action(detail=True, methods=["get"], pagination_class=None)
    def extensions(self, request: Request, pk: int) -> Response:
        """The loan's extensions (展期), newest first: asked, reviewed, approved or declined.
        Each step is an action: ``POST /api/v1/loans/{id}/actions/extension_request/`` with
        ``months`` and ``reason``; ``extension_review`` (``opinion``), ``extension_endorse``,
        ``extension_approve`` and ``extension_decline`` (``note``) name the extension as
        ``record``. A refusal is a deviation, answered 403 with every failed check."""
        loan = get_loan_for_user(staff(request), pk)
        return Response(s.ExtensionSerializer(extensions_of(loan), many=True).data)

    @extend_schema(
        request=s.CommentWriteSerializer,
        responses={200: s.CommentSerializer(many=True), 201: s.CommentSerializer, **REFUSED},
    )
    @action(detail=True, methods=["get", "post"], pagination_class=None)
    def comments(self, request: Request, pk: int) -> Response:
        """The loan's comment thread, oldest first; POST adds a comment (an action of the
        process: audited in the loan's chain, refused as a deviation when its checks fail)."""
        loan = get_loan_for_user(staff(request), pk)
        if request.method == "GET":
            thread = loan.comments.select_related("author", "mentioned")
            return Response(s.CommentSerializer(thread, many=True).data)
        write = s.CommentWriteSerializer(data=request.data)
        write.is_valid(raise_exception=True)
        data = {"text": write.validated_data.get("text", "")}
        if write.validated_data.get("mentioned") is not None:
            data["mentioned"] = write.validated_data["mentioned"]
        outcome = act(request, loan, "comment_post", data)
        if isinstance(outcome, Response):
            return outcome
        return Response(
            answer_after_commit(lambda: s.CommentSerializer(outcome).data),
            status=status.HTTP_201_CREATED,
        )

    @extend_schema(responses={200: s.ContractSerializer, **REFUSED}, request=s.ContractSerializer)
    @action(detail=True, methods=["get", "put"], pagination_class=None)
    def contract(self, request: Request, pk: int) -> Response:
        """The contract in force (its latest version); PUT records a new version."""
        loan = get_loan_for_user(staff(request), pk)
        if request.method == "GET":
            contract = loan.contract
            if contract is None:
                raise exceptions.NotFound("No contract yet.")
            return Response(s.ContractSerializer(contract).data)
        write = s.ContractSerializer(data=request.data)
        write.is_valid(raise_exception=True)
        outcome = act(request, loan, "contract_record", dict(write.validated_data))
        if isinstance(outcome, Response):
            return outcome
        return Response(answer_after_commit(lambda: s.ContractSerializer(outcome).data))


def api_form_data(
    data: Mapping[str, Any], fields: Mapping[str, forms.Field], record: Any, name: str
) -> dict[str, Any]:
    """The submitted fields as a form reads them; a correction keeps the fields it leaves out."""
    if isinstance(data, QueryDict):  # multipart: already text, as a browser sends it
        submitted = {k: v for k, v in data.items() if k != "record"}
    else:
        submitted, errors = {}, {}
        for key, value in data.items():
            if key == "record":
                continue
            try:
                submitted[key] = _as_typed(value, fields.get(key))
            except ValueError as error:
                errors[key] = [str(error)]
        if errors:
            raise exceptions.ValidationError(errors)
    if record is None or not name.endswith("_correct"):
        return submitted
    kept = {k: v for k, v in model_to_dict(record).items() if not isinstance(v, list)}
    return {**kept, **submitted}


def _as_typed(value: Any, field: forms.Field | None) -> Any:
    """A JSON value as the form field would receive it typed into a page: text, or a true or
    false for a checkbox. A form takes a list or an object for its text and "maybe" for a
    checked box, and truncates 1.5 to the id 1: such values are refused here."""
    if field is None or value is None:  # a field the form has not: ignored, as serializers do
        return value
    if isinstance(field, forms.BooleanField):
        if not isinstance(value, bool):
            raise ValueError("Send true or false.")
        return value
    if isinstance(value, bool):
        raise ValueError("Send a value, not true or false.")
    if isinstance(value, list) and isinstance(field, forms.MultipleChoiceField):
        return [_as_typed(item, forms.CharField()) for item in value]
    if isinstance(value, dict | list):
        raise ValueError("Send one value, not a list or an object.")
    return str(value)


def _check(result: Any) -> dict[str, Any]:
    return {
        "code": result.code,
        "passed": result.passed or result.waived_by is not None,
        "severity": str(result.severity),
        "reason": result.reason,
        "clause": result.clause,
    }


class ConditionFulfilView(APIView):
    @extend_schema(request=s.ConditionSerializer, responses={200: s.ConditionSerializer, **REFUSED})
    def post(self, request: Request, pk: int, condition_id: int) -> Response:
        loan = get_loan_for_user(staff(request), pk)
        condition = loan.approval_conditions.filter(pk=condition_id).first()
        if condition is None:
            raise exceptions.NotFound("No such condition on this loan.")
        note = s.ConditionSerializer(data=request.data)
        note.is_valid(raise_exception=True)
        data = {"record": condition, "fulfilment_note": note.validated_data.get("fulfilment_note")}
        outcome = act(request, loan, "condition_fulfil", data)
        if isinstance(outcome, Response):
            return outcome
        return Response(s.ConditionSerializer(outcome).data)


class ConditionListView(APIView):
    @extend_schema(responses=s.ConditionSerializer(many=True))
    def get(self, request: Request, pk: int) -> Response:
        loan = get_loan_for_user(staff(request), pk)
        return Response(s.ConditionSerializer(loan.approval_conditions.all(), many=True).data)


class DeviationViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet[Any]
):
    """The deviation log, for compliance staff (and branch heads, reading)."""

    serializer_class = s.DeviationSerializer
    lookup_value_regex = "[0-9]+"
    filterset_class = DeviationFilter
    readers = frozenset({Role.COMPLIANCE_OFFICER, Role.BRANCH_HEAD})
    queryset = Deviation.objects.none()

    def get_queryset(self) -> QuerySet[Deviation]:
        if getattr(self, "swagger_fake_view", False):
            return self.queryset
        require_role(staff(self.request), self.readers)
        return deviations_visible_to(staff(self.request))

    def keyset_order(self, request: Request) -> Order:
        return DEVIATION_ORDERS.get(
            request.query_params.get("sort", ""), DEVIATION_ORDERS["newest"]
        )

    @extend_schema(
        request=s.DeviationReviewSerializer, responses={201: s.DeviationReviewSerializer}
    )
    @action(detail=True, methods=["get", "post"], pagination_class=None)
    def reviews(self, request: Request, pk: int) -> Response:
        deviation = self.get_object()
        if request.method == "GET":
            return Response(s.DeviationReviewSerializer(deviation.reviews.all(), many=True).data)
        write = s.DeviationReviewSerializer(data=request.data)
        write.is_valid(raise_exception=True)
        done = compliance.review(deviation, actor=staff(request), **write.validated_data)
        return Response(s.DeviationReviewSerializer(done).data, status=status.HTTP_201_CREATED)


class NotificationViewSet(mixins.ListModelMixin, viewsets.GenericViewSet[Any]):
    serializer_class = s.NotificationSerializer
    lookup_value_regex = "[0-9]+"
    filterset_fields = ["kind"]
    queryset = Notification.objects.none()

    def get_queryset(self) -> QuerySet[Notification]:
        if getattr(self, "swagger_fake_view", False):
            return self.queryset
        return Notification.objects.filter(recipient_id=staff(self.request).pk).order_by(
            "-created_at", "-id"
        )

    @extend_schema(request=None, responses=s.NotificationSerializer)
    @action(detail=True, methods=["post"])
    def read(self, request: Request, pk: int) -> Response:
        notification = self.get_object()
        if notification.read_at is None:
            notification.read_at = timezone.now()
            notification.save(update_fields=["read_at"])
        return Response(self.get_serializer(notification).data)


class PolicyView(APIView):
    @extend_schema(responses=s.PolicySerializer)
    def get(self, request: Request) -> Response:
        return Response(s.PolicySerializer(policy_in_force()).data)
