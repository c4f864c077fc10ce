"""Stage records under a loan: ``/api/v1/loans/{id}/<records>/``, listed and added.

Each kind of record names the roles that may add it, the stages in which it may be added, and
the service that writes it.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import exceptions, generics, status
from rest_framework.request import Request
from rest_framework.response import Response

from loans.access import get_loan_for_user
from loans.api import serializers as s
from loans.models import Loan
from loans.records import RECORDS, RecordKind

# The serializer of each kind of record; the table itself is loans.records.RECORDS.
SERIALIZERS = {
    "interviews": s.InterviewSerializer,
    "credit-authorisations": s.CreditAuthorisationSerializer,
    "site-visits": s.SiteVisitSerializer,
    "collateral-valuations": s.CollateralValuationSerializer,
    "documents": s.DocumentSerializer,
    "credit-reports": s.CreditReportSerializer,
    "reviews": s.ReviewSerializer,
    "drawdowns": s.DrawdownSerializer,
    "inspections": s.InspectionSerializer,
    "repayments": s.RepaymentSerializer,
}


def require_role(user: Any, roles: frozenset[str]) -> None:
    if not (user.roles & roles):
        raise exceptions.PermissionDenied("Your role may not do this.")


def require_state(loan: Loan, states: tuple[str, ...]) -> None:
    if loan.state not in states:
        raise WrongStage(loan.state)


class WrongStage(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_code = "wrong_state"

    def __init__(self, state: str) -> None:
        super().__init__(f"Not possible while the loan is in {state}.")


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
        loan = self.loan()
        require_role(request.user, self.kind.roles)
        require_state(loan, self.kind.states)
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        record = self.kind.create(loan, request.user, dict(serializer.validated_data))
        return Response(self.get_serializer(record).data, status=status.HTTP_201_CREATED)


def record_views() -> list[tuple[str, type[RecordView]]]:
    views = []
    for kind in RECORDS:
        serializer = SERIALIZERS[kind.path]
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
