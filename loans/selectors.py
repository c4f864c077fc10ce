"""Reads of the loan domain."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db.models import (
    Case,
    CharField,
    DecimalField,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from loans.choices import ExtensionStatus
from loans.keyset import Order
from loans.models import Branch, Extension, Loan, PolicyVersion, Review, User
from loans.models.site_visit import REPORT_SECTIONS
from loans.reference import REFERENCE_MODELS
from loans.roles import Capacity, Role
from loans.states import LoanState
from workflow import compliance
from workflow.models import AuditEvent, Deviation, ExceptionRequest, Timer
from workflow.registry import process_for

# The role a transition was performed in, read from the audit trail, is the capacity it gave.
CAPACITY_OF_ROLE = {capacity.value: capacity for capacity in Capacity}


def loan_participants(loan: Loan) -> dict[int, set[Capacity]]:
    """Everyone involved in ``loan`` so far, with the capacities they were involved in."""
    involved: dict[int, set[Capacity]] = defaultdict(set)
    involved[loan.account_manager_id].add(Capacity.ACCOUNT_MANAGER)
    for lead, co in loan.site_visits.values_list("lead_investigator_id", "co_investigator_id"):
        for person in (lead, co):
            if person is not None:
                involved[person].add(Capacity.INVESTIGATOR)
    events = AuditEvent.objects.filter(
        content_type=ContentType.objects.get_for_model(Loan), object_id=loan.pk
    ).values_list("actor_id", "actor_role")
    for actor_id, role in events:
        if role in CAPACITY_OF_ROLE:
            involved[actor_id].add(CAPACITY_OF_ROLE[role])
    return dict(involved)


def loan_snapshot(loan: Loan) -> dict[str, Any]:
    """The facts of a loan's file compared between audit events (what a revision changed).

    The loan's own fields are taken as they are in memory (saved by the step); the facts of its
    records come with its locked read, or in one statement (loans/checks/facts.py).
    """
    from loans.checks.facts import facts_of

    row = facts_of(loan)
    product = loan.product if loan.product_id is not None else None
    facts: dict[str, Any] = {
        "product": product.code if product else None,
        "amount": f"{Decimal(loan.amount):.2f}" if loan.amount is not None else None,
        "term_months": loan.term_months,
        "purpose": loan.purpose,
        "repayment_method": loan.repayment_method,
        "guarantee_type": loan.guarantee_type,
        "industry": loan.industry,
        "interviews": row["file_interviews"],
        "credit_authorisations": row["file_credit_authorisations"],
        "documents": row["file_documents"],
        "collateral_value": str(row["file_collateral_value"] or 0),
        "credit_reports": row["file_credit_reports"],
        "reviews": row["file_reviews"],
        "outstanding_balance": f"{Decimal(loan.outstanding_balance):.2f}",
        "risk_class": loan.risk_class,
    }
    # Post-loan facts of classification, kept once they are set (earlier snapshots unchanged).
    if loan.days_past_due:
        facts["days_past_due"] = loan.days_past_due
    if loan.overdue_technical:
        facts["overdue_technical"] = True
    if loan.classified_with_borrower:
        facts["classified_with_borrower"] = True
    if loan.restructured_at is not None:
        facts["restructured_at"] = loan.restructured_at.isoformat()
    if row["file_visit_id"] is not None:
        facts["site_visit"] = {
            "co_investigator": row["file_visit_co_investigator_id"],
            "visited_at": row["file_visit_visited_at"].isoformat(),
            "location": row["file_visit_location"],
            **{name: row[f"file_visit_{name}"] for name in REPORT_SECTIONS},
            "evidence": row["file_visit_evidence"],
        }
    return facts


def next_inspection_due(loan: Loan, policy: PolicyVersion) -> datetime | None:
    """When the next post-loan inspection is due; None before disbursement."""
    from loans.schedule import inspection_due

    if loan.disbursed_at is None:
        return None
    last = loan.inspections.order_by("-inspected_at").first()
    return inspection_due(
        loan, last_inspected_at=last.inspected_at if last else None, policy=policy
    )


def _branch_line(loan: Loan) -> list[int]:
    """The loan's branch and every parent of it."""
    branch_ids = []
    branch: Branch | None = loan.branch
    while branch is not None:
        branch_ids.append(branch.pk)
        branch = branch.parent
    return branch_ids


def branch_heads_of(loan: Loan) -> list[User]:
    """Branch heads who oversee the loan's branch: of the branch itself or of a parent."""
    return list(
        User.objects.filter(
            branch_id__in=_branch_line(loan), is_active=True, groups__name=Role.BRANCH_HEAD
        ).distinct()
    )


def overseers_of(loan: Loan | None) -> list[User]:
    """Compliance officers and branch heads of the loan's branch or a parent (every one of them
    without a loan): those told when the loan's record fails verification."""
    users = User.objects.filter(
        is_active=True, groups__name__in=[Role.COMPLIANCE_OFFICER, Role.BRANCH_HEAD]
    )
    if loan is not None:
        users = users.filter(branch_id__in=_branch_line(loan))
    return list(users.distinct())


def loans_visible_to(user: User) -> QuerySet[Loan]:
    """Loans of the branches the user may see (none for a user without a branch)."""
    visible: QuerySet[Loan] = Loan.objects.filter(branch_id__in=user.visible_branch_ids)
    return visible


def deviations_visible_to(user: User) -> QuerySet[Deviation]:
    """Deviations of the branches the user sees, with their status. The branch codes are read
    first, so the planner sees the codes themselves and pages along the index on
    (scope, created_at, id) instead of sorting every deviation of the branch."""
    codes = list(
        Branch.objects.filter(pk__in=user.visible_branch_ids).values_list("code", flat=True)
    )
    deviations = Deviation.objects.filter(scope__in=codes).select_related("actor", "content_type")
    return compliance.with_status(deviations)


# The deviation log's sort orders (web and API), each served by an index on its keys.
DEVIATION_ORDERS = {
    "newest": Order("newest", ("created_at", "id"), descending=True),
    "oldest": Order("oldest", ("created_at", "id")),
}


def deviations_of(loan: Loan) -> QuerySet[Deviation]:
    return Deviation.objects.filter(
        content_type=ContentType.objects.get_for_model(Loan), object_id=loan.pk
    )


def audit_trail_of(loan: Loan) -> QuerySet[AuditEvent]:
    return (
        AuditEvent.objects.filter(
            content_type=ContentType.objects.get_for_model(Loan), object_id=loan.pk
        )
        .select_related("actor")
        .order_by("seq")
    )


def exception_requests_of(loan: Loan) -> QuerySet[ExceptionRequest]:
    return ExceptionRequest.objects.filter(
        content_type=ContentType.objects.get_for_model(Loan), object_id=loan.pk
    ).select_related("requested_by", "decided_by")


def pending_exception_requests(user: User) -> QuerySet[ExceptionRequest]:
    """Requests waiting for a decision on loans of the branches the user sees, oldest first."""
    return (
        ExceptionRequest.objects.filter(
            content_type=ContentType.objects.get_for_model(Loan),
            object_id__in=loans_visible_to(user).values("pk"),
            status=ExceptionRequest.Status.PENDING,
        )
        .select_related("requested_by")
        .order_by("requested_at", "id")
    )


@dataclass(frozen=True)
class ExceptionRequestRow:
    """An exception request in words: the loan, the step and the check it is asked for."""

    request: ExceptionRequest
    loan: Loan
    step: Any
    check: Any

    @property
    def pending(self) -> bool:
        return self.request.status == ExceptionRequest.Status.PENDING

    @property
    def tone(self) -> str:
        """The badge's colour: granted green, declined grey, waiting amber."""
        return {"granted": "success", "declined": "secondary"}.get(self.request.status, "warning")


def describe_requests(requests: Iterable[ExceptionRequest]) -> list[ExceptionRequestRow]:
    rows = list(requests)
    loans = Loan.objects.select_related("borrower").in_bulk({r.object_id for r in rows})
    definition = process_for(Loan).definition
    return [
        ExceptionRequestRow(
            request=request,
            loan=loans[request.object_id],
            step=definition.transition_label(request.transition),
            check=definition.check_title(request.check_code),
        )
        for request in rows
        if request.object_id in loans
    ]


def reference_changes_visible_to(user: User) -> QuerySet[AuditEvent]:
    """Changes to reference data ``user`` may read, newest first: the bank-wide ones (policy, the
    blocked list) and those of staff of the branches the user sees."""
    of_reference_models = Q()
    for model in REFERENCE_MODELS:
        meta = model._meta
        of_reference_models |= Q(
            content_type__app_label=meta.app_label, content_type__model=meta.model_name
        )
    codes = Branch.objects.filter(pk__in=user.visible_branch_ids).values("code")
    return (
        AuditEvent.objects.filter(of_reference_models)
        .filter(Q(scope="") | Q(scope__in=codes))
        .select_related("actor", "content_type")
        .order_by("-created_at", "-id")
    )


def extensions_of(loan: Loan) -> list[Extension]:
    """The loan's extensions (展期), newest first, with the people who asked and decided."""
    return list(
        loan.extensions.select_related("requested_by", "reviewed_by", "endorsed_by", "decided_by")
    )


# The extensions each deciding role acts on next: a reviewer reviews, an approver approves.
EXTENSION_QUEUE = {
    Role.REVIEWER: ExtensionStatus.REQUESTED,
    Role.APPROVER: ExtensionStatus.REVIEWED,
}


def pending_extensions_for(user: User) -> QuerySet[Extension]:
    """Extensions of the loans ``user`` sees that await their role's decision, oldest first
    (none for a user who neither reviews nor approves)."""
    statuses = [status for role, status in EXTENSION_QUEUE.items() if user.has_role(role)]
    return (
        Extension.objects.filter(
            status__in=statuses,
            loan__in=loans_visible_to(user).filter(state=LoanState.POST_LOAN).values("pk"),
        )
        .select_related("loan", "loan__borrower", "requested_by")
        .order_by("requested_at", "id")
    )


def with_renewal(loans: QuerySet[Loan]) -> QuerySet[Loan]:
    """Each loan with ``renewed_by``: the id of its latest renewal (None if not renewed)."""
    latest = Loan.objects.filter(renewal_of=OuterRef("pk")).order_by("-id").values("id")[:1]
    return loans.annotate(renewed_by=Subquery(latest))


def with_sla_status(loans: QuerySet[Loan], now: datetime) -> QuerySet[Loan]:
    """Annotate ``sla_status`` from the running stage timer: on_time, due_soon, overdue (or
    None where no stage timer runs, e.g. closed loans)."""
    running = Timer.objects.filter(
        content_type=ContentType.objects.get_for_model(Loan),
        object_id=OuterRef("pk"),
        kind=Timer.Kind.STAGE,
        stopped_at__isnull=True,
    ).order_by("-started_at")
    return loans.annotate(
        sla_due=Subquery(running.values("due_at")[:1]),
        sla_remind=Subquery(running.values("remind_at")[:1]),
    ).annotate(
        sla_status=Case(
            When(sla_due__isnull=True, then=Value(None)),
            When(sla_due__lt=now, then=Value(SlaStatus.OVERDUE)),
            When(sla_remind__lte=now, then=Value(SlaStatus.DUE_SOON)),
            default=Value(SlaStatus.ON_TIME),
            output_field=CharField(null=True),
        )
    )


class SlaStatus:
    ON_TIME = "on_time"
    DUE_SOON = "due_soon"
    OVERDUE = "overdue"
    CHOICES = (ON_TIME, DUE_SOON, OVERDUE)
    LABELS = ((ON_TIME, _("on time")), (DUE_SOON, _("due soon")), (OVERDUE, _("overdue")))


# The stage each deciding role works on.
QUEUE_STAGE = {
    Role.REVIEWER: LoanState.REVIEW,
    Role.APPROVER: LoanState.APPROVAL,
    Role.DISBURSEMENT_OFFICER: LoanState.DISBURSEMENT,
}


def queue_for(user: User, now: datetime) -> QuerySet[Loan] | None:
    """Loans in the stages the user decides on (None: the user decides on none)."""
    stages = [stage for role, stage in QUEUE_STAGE.items() if user.has_role(role)]
    if not stages:
        return None
    loans = loans_visible_to(user).filter(state__in=stages).select_related("borrower", "product")
    latest_review = Review.objects.filter(loan=OuterRef("pk")).order_by("-created_at", "-id")
    queued: QuerySet[Loan] = with_sla_status(loans, now).annotate(
        risk_score=Subquery(latest_review.values("risk_score")[:1])
    )
    return queued


# The queue's sort keys, as offered to the user (a leading "-" sorts descending). A column is
# paged on directly; an expression never NULL (keyset paging compares keys) is annotated as
# ``queue_key``. The default order is the due date (overdue first), the loan's own copy of its
# stage timer's (``stage_due_at``), and time in stage: each served by an index of the loans; the
# others sort the loans of the user's stages, which a stage's size bounds (docs/performance.md).
QUEUE_ORDER: dict[str, str | Any] = {
    "borrower": "borrower__name",
    "amount": Coalesce("amount", Value(Decimal(0)), output_field=DecimalField()),
    "product": Coalesce("product__name", Value("")),
    "risk": Coalesce("risk_score", Value(-1), output_field=IntegerField()),
    "waiting": "state_entered_at",
    "sla": "stage_due_at",
}


def queue_order(loans: QuerySet[Loan], sort: str) -> tuple[QuerySet[Loan], Order]:
    """``loans`` ready to page in the queue's ``sort`` (the due date when unknown: overdue
    first)."""
    key = sort.removeprefix("-")
    if key not in QUEUE_ORDER:
        sort = key = "sla"
    expression = QUEUE_ORDER[key]
    if not isinstance(expression, str):
        loans, expression = loans.annotate(queue_key=expression), "queue_key"
    return loans, Order(f"queue:{sort}", (expression, "id"), descending=sort.startswith("-"))
