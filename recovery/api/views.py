"""The collection API: thin views over the engine, shaped like the loans API."""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import Model, QuerySet
from drf_spectacular.utils import OpenApiResponse, PolymorphicProxySerializer, extend_schema
from rest_framework import exceptions, mixins, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from config.resilience import answer_after_commit
from loans.api import serializers as ls
from loans.api import steps
from loans.api.pagination import AuditPagination
from loans.api.steps import staff
from loans.api.views import _check
from loans.keyset import Order
from recovery.api import serializers as s
from recovery.models import CollectionCase
from recovery.selectors import audit_trail_of, cases_visible_to, get_case_for_user
from recovery.states import CaseState
from workflow.engine import preflight
from workflow.registry import process_for

REFUSED = {
    403: OpenApiResponse(ls.RefusalSerializer, description="Wrong role or person; recorded."),
    409: OpenApiResponse(ls.RefusalSerializer, description="Checks failed; recorded."),
}
CASE_ORDER = Order("newest", ("opened_at", "id"), descending=True)
ACTION_REQUEST = PolymorphicProxySerializer(
    component_name="CollectionActionRequest",
    serializers=list(s.ACTION_INPUT.values()),
    resource_type_field_name=None,
)


class CaseFilter(django_filters.FilterSet):  # type: ignore[misc]
    state = django_filters.ChoiceFilter(choices=CaseState.choices)

    class Meta:
        model = CollectionCase
        fields = ["state"]


class CollectionCaseViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet[Any]
):
    """Collection cases of the user's branches, newest first."""

    serializer_class = s.CaseSerializer
    filterset_class = CaseFilter
    lookup_value_regex = "[0-9]+"
    queryset = CollectionCase.objects.none()

    def get_queryset(self) -> QuerySet[CollectionCase]:
        if getattr(self, "swagger_fake_view", False):
            none: QuerySet[CollectionCase] = CollectionCase.objects.none()
            return none
        cases: QuerySet[CollectionCase] = cases_visible_to(staff(self.request))
        related: QuerySet[CollectionCase] = cases.select_related(
            "loan", "branch", "account_manager"
        )
        return related

    def keyset_order(self, request: Request) -> Order | None:
        """Newest first; the audit trail pages in its chain's order (its paginator's)."""
        return CASE_ORDER if self.action == "list" else None

    def get_serializer_class(self) -> Any:
        return s.CaseDetailSerializer if self.action == "retrieve" else s.CaseSerializer

    def get_object(self) -> CollectionCase:
        return get_case_for_user(staff(self.request), self.kwargs["pk"])

    def answer(self, pk: int) -> Any:
        """The case as the step just committed it."""
        return answer_after_commit(
            lambda: s.CaseDetailSerializer(get_case_for_user(staff(self.request), pk)).data
        )

    @extend_schema(responses=ls.TransitionOptionSerializer(many=True))
    @action(detail=True, methods=["get"], url_path="transitions", pagination_class=None)
    def transitions(self, request: Request, pk: int) -> Response:
        case = self.get_object()
        options = [
            {
                "name": option.name,
                "label": str(option.label),
                "target": option.target,
                "allowed": option.allowed,
                "checks": [_check(result) for result in option.checks],
            }
            for option in preflight(case, actor=staff(request))
        ]
        return Response(ls.TransitionOptionSerializer(options, many=True).data)

    @extend_schema(
        request=s.CaseTransitionRequestSerializer,
        responses={200: s.CaseDetailSerializer, **REFUSED, 404: ls.ErrorSerializer},
    )
    @action(detail=True, methods=["post"], url_path=r"transitions/(?P<name>[^/]+)")
    def transition(self, request: Request, pk: int, name: str) -> Response:
        """Perform a step of the case: the same checks, audit and deviations as on the web."""
        case = self.get_object()
        payload = s.CaseTransitionRequestSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        refused = steps.transition(request, case, name, payload.validated_data)
        return refused or Response(self.answer(case.pk))

    @extend_schema(
        request=ACTION_REQUEST,
        responses={200: s.CaseDetailSerializer, **REFUSED, 404: ls.ErrorSerializer},
    )
    @action(detail=True, methods=["post"], url_path=r"actions/(?P<name>[^/]+)")
    def perform(self, request: Request, pk: int, name: str) -> Response:
        """Log a contact attempt (``contact_log``) or endorse a write-off
        (``write_off_endorse``)."""
        case = self.get_object()
        shape = s.ACTION_INPUT.get(name)
        if shape is None or process_for(case).definition.action(name) is None:
            raise exceptions.NotFound(f"No action named {name}.")
        given = shape(data=request.data)
        given.is_valid(raise_exception=True)
        written = steps.action(request, case, name, dict(given.validated_data))
        if isinstance(written, Response):
            return written
        status = 201 if isinstance(written, Model) else 200
        return Response(self.answer(case.pk), status=status)

    @extend_schema(responses=ls.AuditEventSerializer(many=True))
    @action(detail=True, methods=["get"], pagination_class=AuditPagination)
    def audit(self, request: Request, pk: int) -> Response:
        events = audit_trail_of(self.get_object())
        page = self.paginate_queryset(events)
        return self.get_paginated_response(ls.AuditEventSerializer(page, many=True).data)
