"""The watch-list API: thin views over the engine, shaped like the collections API."""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import QuerySet
from django.utils import timezone
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from config.resilience import answer_after_commit
from loans.api import serializers as ls
from loans.api import steps
from loans.api.pagination import AuditPagination
from loans.api.steps import staff
from loans.keyset import Order
from watch.api import serializers as s
from watch.models import WatchItem
from watch.rules import SIGNALS
from watch.selectors import audit_trail_of, get_item_for_user, items_visible_to
from watch.states import ItemState, Severity

REFUSED = {
    403: OpenApiResponse(ls.RefusalSerializer, description="Wrong role or person; recorded."),
    409: OpenApiResponse(ls.RefusalSerializer, description="Checks failed; recorded."),
}
DUE_FIRST = Order("due", ("due_at", "id"))


class WatchFilter(django_filters.FilterSet):  # type: ignore[misc]
    state = django_filters.ChoiceFilter(choices=ItemState.choices)
    signal = django_filters.ChoiceFilter(choices=[(x.code, x.code) for x in SIGNALS])
    severity = django_filters.ChoiceFilter(choices=Severity.choices)
    account_manager = django_filters.NumberFilter(field_name="account_manager_id")
    overdue = django_filters.BooleanFilter(method="filter_overdue")

    class Meta:
        model = WatchItem
        fields = ["state", "signal", "severity", "account_manager", "overdue"]

    def filter_overdue(self, queryset: QuerySet[WatchItem], name: str, value: bool) -> Any:
        late = {"state": ItemState.OPEN, "due_at__lt": timezone.now()}
        return queryset.filter(**late) if value else queryset.exclude(**late)


class WatchItemViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet[Any]
):
    """Watch-list items (预警关注清单): an account manager's own, every item of the branches a
    branch head or compliance officer sees; the earliest due first."""

    serializer_class = s.WatchItemSerializer
    filterset_class = WatchFilter
    lookup_value_regex = "[0-9]+"
    queryset = WatchItem.objects.none()

    def get_queryset(self) -> QuerySet[WatchItem]:
        if getattr(self, "swagger_fake_view", False):
            none: QuerySet[WatchItem] = WatchItem.objects.none()
            return none
        items = items_visible_to(staff(self.request))
        related: QuerySet[WatchItem] = items.select_related("loan", "branch", "account_manager")
        return related

    def get_serializer_context(self) -> dict[str, Any]:
        return {**super().get_serializer_context(), "now": timezone.now()}

    def keyset_order(self, request: Request) -> Order | None:
        return DUE_FIRST if self.action == "list" else None

    def get_serializer_class(self) -> Any:
        return s.WatchItemDetailSerializer if self.action == "retrieve" else s.WatchItemSerializer

    def get_object(self) -> WatchItem:
        return get_item_for_user(staff(self.request), self.kwargs["pk"])

    def answer(self, pk: int) -> Any:
        return answer_after_commit(
            lambda: (
                s.WatchItemDetailSerializer(
                    get_item_for_user(staff(self.request), pk), context={"now": timezone.now()}
                ).data
            )
        )

    @extend_schema(
        request=s.NoteRequestSerializer,
        responses={200: s.WatchItemDetailSerializer, **REFUSED, 404: ls.ErrorSerializer},
    )
    @action(detail=True, methods=["post"])
    def resolve(self, request: Request, pk: int) -> Response:
        """Resolve the item with ``note``, what was done; without one it is refused and
        recorded as a deviation."""
        item = self.get_object()
        given = s.NoteRequestSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        note = given.validated_data["note"].strip()
        refused = steps.transition(request, item, "resolve", {"note": note} if note else {})
        if refused is not None:
            return refused
        return Response(self.answer(item.pk))

    @extend_schema(
        request=s.NoteRequestSerializer,
        responses={201: s.WatchItemDetailSerializer, **REFUSED, 404: ls.ErrorSerializer},
    )
    @action(detail=True, methods=["post"])
    def notes(self, request: Request, pk: int) -> Response:
        """Add an action note to an open item."""
        item = self.get_object()
        given = s.NoteRequestSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        refused = steps.action(request, item, "watch_note", dict(given.validated_data))
        if isinstance(refused, Response):
            return refused
        return Response(self.answer(item.pk), status=201)

    @extend_schema(responses=ls.AuditEventSerializer(many=True))
    @action(detail=True, methods=["get"], pagination_class=AuditPagination)
    def audit(self, request: Request, pk: int) -> Response:
        events = audit_trail_of(self.get_object())
        page = self.paginate_queryset(events)
        return self.get_paginated_response(ls.AuditEventSerializer(page, many=True).data)
