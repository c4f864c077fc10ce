"""Stage records under a loan: ``/api/v1/loans/{id}/<records>/``, listed and added.

Each kind of record names the roles that may add it, the stages in which it may be added, and
the service that writes it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import models
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import exceptions, generics, status
from rest_framework.request import Request
from rest_framework.response import Response

from loans import services
from loans.access import get_loan_for_user
from loans.api import serializers as s
from loans.models import Loan
from loans.roles import Role
from loans.workflow import LoanState

S = LoanState
EARLY = (S.INTAKE, S.SITE_VISIT)


@dataclass(frozen=True)
class RecordKind:
    path: str
    serializer: Any  # a ModelSerializer class
    related_name: str
    roles: frozenset[str]
    states: tuple[str, ...]
    create: Callable[[Loan, Any, dict[str, Any]], models.Model]


RECORDS = (
    RecordKind(
        "interviews",
        s.InterviewSerializer,
        "interviews",
        frozenset({Role.ACCOUNT_MANAGER}),
        (S.INTAKE,),
        lambda loan, user, d: services.interview_record(loan=loan, interviewer=user, **d),
    ),
    RecordKind(
        "credit-authorisations",
        s.CreditAuthorisationSerializer,
        "credit_authorisations",
        frozenset({Role.ACCOUNT_MANAGER}),
        (S.INTAKE,),
        lambda loan, user, d: services.credit_authorisation_record(
            loan=loan, recorded_by=user, **d
        ),
    ),
    RecordKind(
        "site-visits",
        s.SiteVisitSerializer,
        "site_visits",
        frozenset({Role.ACCOUNT_MANAGER}),
        (S.SITE_VISIT,),
        lambda loan, user, d: services.site_visit_record(loan=loan, lead_investigator=user, **d),
    ),
    RecordKind(
        "collateral-valuations",
        s.CollateralValuationSerializer,
        "collateral_valuations",
        frozenset({Role.ACCOUNT_MANAGER}),
        EARLY,
        lambda loan, user, d: services.collateral_valuation_record(loan=loan, by=user, **d),
    ),
    RecordKind(
        "documents",
        s.DocumentSerializer,
        "documents",
        frozenset({Role.ACCOUNT_MANAGER}),
        (*EARLY, S.DISBURSEMENT, S.POST_LOAN),
        lambda loan, user, d: services.document_upload(loan=loan, uploaded_by=user, **d),
    ),
    RecordKind(
        "credit-reports",
        s.CreditReportSerializer,
        "credit_reports",
        frozenset({Role.REVIEWER}),
        (S.REVIEW,),
        lambda loan, user, d: services.credit_report_record(loan=loan, queried_by=user, **d),
    ),
    RecordKind(
        "reviews",
        s.ReviewSerializer,
        "reviews",
        frozenset({Role.REVIEWER}),
        (S.REVIEW,),
        lambda loan, user, d: services.review_write(loan=loan, reviewer=user, **d),
    ),
    RecordKind(
        "drawdowns",
        s.DrawdownSerializer,
        "drawdowns",
        frozenset({Role.DISBURSEMENT_OFFICER}),
        (S.DISBURSEMENT,),
        lambda loan, user, d: services.drawdown_request(loan=loan, requested_by=user, **d),
    ),
    RecordKind(
        "inspections",
        s.InspectionSerializer,
        "inspections",
        frozenset({Role.ACCOUNT_MANAGER}),
        (S.POST_LOAN,),
        lambda loan, user, d: services.inspection_record(loan=loan, inspector=user, **d),
    ),
    RecordKind(
        "repayments",
        s.RepaymentSerializer,
        "repayments",
        frozenset({Role.DISBURSEMENT_OFFICER}),
        (S.POST_LOAN,),
        lambda loan, user, d: services.repayment_record(loan=loan, recorded_by=user, **d),
    ),
)


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
            return self.kind.serializer.Meta.model.objects.none()
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
        name = kind.serializer.Meta.model.__name__
        view = type(
            f"{name}RecordView", (RecordView,), {"kind": kind, "serializer_class": kind.serializer}
        )
        extend_schema_view(
            get=extend_schema(responses=kind.serializer(many=True)),
            post=extend_schema(request=kind.serializer, responses={201: kind.serializer}),
        )(view)
        views.append((kind.path, view))
    return views
