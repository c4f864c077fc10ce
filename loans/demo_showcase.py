"""Demo data that shows the rest of the process: a policy version, a policy exception, and
post-loan classification by arrears and by inspection."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from django.utils import timezone

from loans import services
from loans.choices import InspectionKind, InspectionMode, RiskClass
from loans.journeys import Cast, prepare_to_leave
from loans.models import Document, Loan, PolicyVersion, User
from loans.workflow import LoanState
from workflow.engine import perform_transition
from workflow.exceptions import grant_exception

POLICY_VERSION = "2026.1"


def create_policy_version(admin: User | None) -> PolicyVersion:
    """The policy the demo runs under: the defaults, written down as version 2026.1."""
    return PolicyVersion.objects.create(
        version=POLICY_VERSION,
        effective_from=datetime(2026, 1, 1, tzinfo=ZoneInfo("Asia/Shanghai")),
        notes="Branch lending policy for 2026 (the defaults of the lending rules).",
        created_by=admin,
    )


def exception_for_missing_evidence(loan: Loan, cast: Cast, head: User) -> Loan:
    """A site visit one photo short, passed on to review by a branch head's exception."""
    loan = prepare_to_leave(loan, cast)
    Document.objects.filter(pk=loan.documents.first().pk).delete()  # type: ignore[union-attr]
    grant_exception(
        loan,
        transition="submit_for_review",
        check_code="evidence_collected",
        actor=head,
        justification="Third photo lost to a camera fault; stock confirmed on a video call.",
    )
    return perform_transition(loan, "submit_for_review", actor=cast.manager)


def classify_some_disbursed_loans(inspector: User) -> None:
    """Arrears on two disbursed loans, and an inspection that finds one worse than its floor."""
    disbursed = list(Loan.objects.filter(state=LoanState.POST_LOAN).order_by("-pk")[:3])
    for loan, days in zip(disbursed, (12, 95), strict=False):
        services.days_past_due_update(loan=loan, days_past_due=days)
    if len(disbursed) == 3:
        services.inspection_record(
            loan=disbursed[2],
            inspector=inspector,
            kind=InspectionKind.FIRST,
            mode=InspectionMode.ON_SITE,
            inspected_at=timezone.now(),
            findings="Half the loan went to a relative's car purchase, not to stock.",
            funds_used_as_stated=False,
            proposed_class=RiskClass.SPECIAL_MENTION,
        )
