"""Reads of the collection domain."""

from __future__ import annotations

from django.contrib.contenttypes.models import ContentType
from django.db.models import QuerySet
from django.http import Http404

from loans.models import Loan, User
from recovery.models import CollectionCase
from workflow.models import AuditEvent, Deviation


def cases_visible_to(user: User) -> QuerySet[CollectionCase]:
    """The cases of the branches the user sees (a branch head: the branch and its sub-offices)."""
    cases: QuerySet[CollectionCase] = CollectionCase.objects.filter(
        branch_id__in=user.visible_branch_ids
    )
    return cases


def get_case_for_user(user: User, pk: int) -> CollectionCase:
    """The case ``pk`` if ``user`` may see it; 404 otherwise (existence is not disclosed)."""
    try:
        return (
            cases_visible_to(user)
            .select_related("loan__borrower", "branch", "account_manager")
            .get(pk=pk)
        )
    except CollectionCase.DoesNotExist:
        raise Http404("No such collection case.") from None


def cases_of_loan(loan: Loan, user: User) -> QuerySet[CollectionCase]:
    return cases_visible_to(user).filter(loan=loan).order_by("-opened_at", "-id")


def audit_trail_of(case: CollectionCase) -> QuerySet[AuditEvent]:
    return (
        AuditEvent.objects.filter(
            content_type=ContentType.objects.get_for_model(CollectionCase), object_id=case.pk
        )
        .select_related("actor")
        .order_by("seq")
    )


def deviations_of(case: CollectionCase) -> QuerySet[Deviation]:
    return Deviation.objects.filter(
        content_type=ContentType.objects.get_for_model(CollectionCase), object_id=case.pk
    ).order_by("-created_at", "-id")
