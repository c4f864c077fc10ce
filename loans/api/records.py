"""Stage records under a loan: ``/api/v1/loans/{id}/<records>/``, listed and added.

Each kind of record names the roles that may add it, the stages in which it may be added, and
the checks that judge it (loans/workflow.py ``RECORDS``); the engine performs the addition.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import exceptions, generics, status
from rest_framework.request import Request
from rest_framework.response import Response

from config.resilience import answer_after_commit
from loans.access import get_loan_for_user
from loans.api import serializers as s
from loans.api import steps
from loans.models import Loan
from loans.records import RECORDS, RecordKind


def require_role(user: Any, roles: frozenset[str]) -> None:
    """For writes outside any loan's file (a new borrower, a new application)."""
    if not (user.roles & roles):
        raise exceptions.PermissionDenied("Your role may not do this.")


class RecordView(generics.GenericAPIView[Any]):
    kind: RecordKind
    pagination_class = None

    def get_queryset(self) -> Any:
        if getattr(self, "swagger_fake_view", False):
            return self.kind.model._default_manager.none()
        return getattr(self.loan(), self.kind.related_name).all()

    def loan(self) -> Loan:
        if not hasattr(self, "_loan"):
            self._loan = get_loan_for_user(self.request.user, self.kwargs["pk"])  # type: ignore[arg-type]  # authenticated
        return self._loan

    def get(self, request: Request, pk: int) -> Response:
        return Response(self.get_serializer(self.get_queryset(), many=True).data)

    def post(self, request: Request, pk: int) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        outcome = act(request, self.loan(), self.kind.add, dict(serializer.validated_data))
        if isinstance(outcome, Response):
            return outcome
        return Response(
            answer_after_commit(lambda: self.get_serializer(outcome).data),
            status=status.HTTP_201_CREATED,
        )


def act(request: Request, loan: Loan, name: str, data: dict[str, Any]) -> Any:
    """Perform action ``name`` through the engine (:func:`loans.api.steps.action`)."""
    return steps.action(request, loan, name, data)


def record_views() -> list[tuple[str, type[RecordView]]]:
    views = []
    for kind in RECORDS:
        serializer = s.kind_serializer(kind)
        view = type(
            f"{kind.model.__name__}RecordView",
            (RecordView,),
            {"kind": kind, "serializer_class": serializer},
        )
        extend_schema_view(
            get=extend_schema(responses=serializer(many=True)),
            post=extend_schema(request=serializer, responses={201: serializer}),
        )(view)
        views.append((kind.path, view))
    return views
