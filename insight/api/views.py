"""The portfolio structure over the API: the same figures as the dashboard, the same scope check
(insight/scope.py): branch heads and compliance officers, of their own branches only."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, generics
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from config.db_router import reads_from_replica
from insight.api.serializers import StructureSerializer, TrendSerializer
from insight.forms import FigureForm, ScopeForm, scope_choice
from insight.scope import Scope, scope_for
from insight.selectors import NEWEST, figure_filter, loans_behind
from insight.structure import Structure, portfolio_structure
from loans.api.serializers import LoanSerializer
from loans.models import Loan, User
from loans.policy import policy_in_force

SCOPE_PARAMETERS = [
    OpenApiParameter("office", int, description="The office (default: the reader's own)."),
    OpenApiParameter("tree", str, enum=["1", "0"], description="With its sub-offices (default 1)."),
]
FIGURE_PARAMETERS = [
    *SCOPE_PARAMETERS,
    OpenApiParameter(
        "dimension",
        str,
        description="industry, product, guarantee_type, term, amount, risk_class, manager, group, "
        "office or quality",
    ),
    OpenApiParameter("key", str, description="The key of the figure, as in the structure."),
]


def _reader(request: Request) -> User:
    user = request.user
    if not isinstance(user, User):
        raise exceptions.NotAuthenticated()
    return user


def _scope(request: Request, form: ScopeForm) -> Scope:
    if not form.is_valid():
        raise exceptions.ValidationError(form.errors.get_json_data())
    office, tree = scope_choice(form)
    return scope_for(_reader(request), office_id=office, tree=tree)


def _structure(request: Request) -> Structure:
    return portfolio_structure(_scope(request, ScopeForm(request.query_params)), policy_in_force())


class StructureView(APIView):
    @extend_schema(
        summary="The portfolio structure",
        parameters=SCOPE_PARAMETERS,
        responses=StructureSerializer,
    )
    @reads_from_replica()
    def get(self, request: Request) -> Response:
        return Response(StructureSerializer(_structure(request)).data)


class TrendView(APIView):
    @extend_schema(
        summary="Twelve month-ends and the latest day",
        parameters=SCOPE_PARAMETERS,
        responses=TrendSerializer,
    )
    @reads_from_replica()
    def get(self, request: Request) -> Response:
        return Response(TrendSerializer(_structure(request)).data)


class FigureLoansView(generics.ListAPIView[Loan]):
    """The loans in the portfolio behind a figure, newest first, keyset-paged."""

    serializer_class = LoanSerializer
    filter_backends: list[Any] = []
    keyset_order = NEWEST

    @extend_schema(summary="The loans behind a figure", parameters=FIGURE_PARAMETERS)
    @reads_from_replica()
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    def get_queryset(self) -> QuerySet[Loan]:
        form = FigureForm(self.request.query_params)
        scope = _scope(self.request, form)
        dimension, key = form.cleaned_data["dimension"], form.cleaned_data["key"]
        where = figure_filter(dimension, key) if dimension else None
        if dimension and where is None:
            raise exceptions.ValidationError({"key": ["No such figure."]})
        return loans_behind(scope.branch_ids, where)
