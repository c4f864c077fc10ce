"""Demo data that shows the rest of the process: a policy version, a policy exception, and
post-loan classification by arrears and by inspection."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.utils import timezone

from loans import services
from loans.choices import InspectionKind, InspectionMode, RiskClass
from loans.journeys import Cast, act, prepare_to_leave
from loans.models import Loan, PolicyVersion, User
from loans.states import LoanState
from workflow.engine import perform_transition

POLICY_VERSION = "2026.1"


def create_policy_version(admin: User | None) -> PolicyVersion:
    """The policy the demo runs under: the defaults, written down as version 2026.1."""
    return PolicyVersion.objects.create(
        version=POLICY_VERSION,
        effective_from=datetime(2026, 1, 1, tzinfo=ZoneInfo("Asia/Shanghai")),
        notes="Branch lending policy for 2026 (the defaults of the lending rules).",
        created_by=admin,
    )


def exception_requested_for_missing_evidence(loan: Loan, cast: Cast) -> Any:
    """A site visit one photo short; the account manager asks the branch head for an exception
    (the demo leaves one such request waiting on the head's overview)."""
    loan = prepare_to_leave(loan, cast)
    photo = loan.documents.first()
    act(loan, "document_cancel", cast.manager, record=photo, reason="Blurred: shows nothing.")
    return act(
        loan,
        "exception_request",
        cast.manager,
        transition="submit_for_review",
        check_code="evidence_collected",
        reason="Third photo lost to a camera fault; stock confirmed on a video call.",
    )


def exception_for_missing_evidence(loan: Loan, cast: Cast, head: User) -> Loan:
    """A site visit one photo short, passed on to review by a branch head's exception."""
    request = exception_requested_for_missing_evidence(loan, cast)
    act(
        loan,
        "exception_grant",
        head,
        request=request,
        note="Stock seen on the video call; the other two photos show the shop. Granted.",
    )
    return perform_transition(loan, "submit_for_review", actor=cast.manager)


def classify_some_disbursed_loans(inspector: User) -> None:
    """Arrears on two disbursed loans, and an inspection that finds one worse than its floor."""
    disbursed = list(Loan.objects.filter(state=LoanState.POST_LOAN).order_by("-pk")[:3])
    for loan, days in zip(disbursed, (12, 95), strict=False):
        services.days_past_due_update(loan=loan, days_past_due=days)
    if len(disbursed) == 3:
        act(
            disbursed[2],
            "inspection_record",
            disbursed[2].account_manager,
            kind=InspectionKind.FIRST,
            mode=InspectionMode.ON_SITE,
            inspected_at=timezone.now(),
            findings="Half the loan went to a relative's car purchase, not to stock.",
            funds_used_as_stated=False,
            proposed_class=RiskClass.SPECIAL_MENTION,
        )
