"""Writes about personal data: a reveal of a full value (performed by the engine as the action
``personal_data_reveal``), and the deviation kept when an identity number already registered is
entered again. What is masked and why: loans/personal_data.py, docs/security.md."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from loans.models import Borrower
from loans.personal_data import full_value
from workflow.checks import Check, CheckContext, CheckKind, Severity, failed
from workflow.deviations import Decision, record_deviation
from workflow.models import Channel, Deviation
from workflow.registry import process_for


def personal_data_reveal(ctx: CheckContext) -> None:
    """Nothing of the loan changes: the engine's audit event (who, which fact, when) is the
    write. The caller reads the value with :func:`loans.personal_data.full_value` once the
    engine has allowed and recorded the reveal."""
    field = ctx.payload["field"]
    record = ctx.payload.get("record")
    if full_value(ctx.obj, field, record) is None:
        raise ValidationError({"field": _("This loan has no such fact.")}, code="no_such_fact")
    ctx.audit["revealed"] = str(field)


_identity_unregistered = Check(
    code="identity_number_unregistered",
    title=_("The identity number is not registered to another borrower"),
    clause="privacy.minimum-access",
    severity=Severity.HARD,
    kind=CheckKind.REQUIREMENT,
    function=lambda ctx: failed(
        _("The number is registered to a borrower of %(branch)s."), branch=ctx.obj.branch.code
    ),
)


def identity_reuse_record(
    *, registered: Borrower, attempt: Borrower, actor: Any, channel: Channel
) -> Deviation | None:
    """Keep for compliance an attempt to register ``registered``'s number again: who tried, from
    which branch, under what name. Scoped to the registered borrower's branch."""
    if actor is None:
        return None
    process = process_for(registered)
    now = timezone.now()
    context = CheckContext(
        obj=registered, actor=actor, payload={}, policy=process.policy_for(registered), now=now
    )
    decision = Decision(
        name="borrower_create",
        source="",
        spec=None,
        role=None,
        results=(_identity_unregistered.evaluate(context),),
        refusal=Deviation.Kind.CHECKS_FAILED,
    )
    payload = {
        "id_number": attempt.id_number,
        "name": attempt.name,
        "kind": attempt.kind,
        "branch": attempt.branch.code if attempt.branch_id else "",
        "registered_borrower": registered.pk,
    }
    return record_deviation(process, registered, decision, actor, payload, channel)
