"""Corrections and cancellations of stage records: the writes of the ``<kind>_correct`` and
``<kind>_cancel`` actions (loans/workflow.py). A record is never deleted or silently overwritten:
the audit event keeps the reason and every changed field's value before and after."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from loans.models.base import StageRecord
from loans.services.post_loan import reschedule_inspection
from loans.services.records import assess, validated
from loans.services.servicing import repayment_unallocate
from loans.workflow import RECORDS, RecordKind
from workflow.audit import json_ready
from workflow.checks import CheckContext


def kind_of(record: StageRecord) -> RecordKind:
    return next(kind for kind in RECORDS if kind.model_label == record._meta.label)


def record_correct(ctx: CheckContext) -> StageRecord:
    record: StageRecord = ctx.payload["record"]
    kind = kind_of(record)
    changes: dict[str, list[Any]] = {}
    for name in kind.correctable:
        if name in ctx.payload and ctx.payload[name] != getattr(record, name):
            changes[name] = [getattr(record, name), ctx.payload[name]]
            setattr(record, name, ctx.payload[name])
    if not changes:
        raise ValidationError(_("Nothing was changed."), code="nothing_changed")
    _ripple(kind, record, ctx)
    validated(record)
    ctx.audit["corrected"] = json_ready(
        {"type": record._meta.label_lower, "id": record.pk, "changes": changes}
    )
    return record


def record_cancel(ctx: CheckContext) -> StageRecord:
    record: StageRecord = ctx.payload["record"]
    kind = kind_of(record)
    record.cancelled_at = ctx.now
    record.cancelled_by = ctx.actor
    record.cancellation_reason = str(ctx.payload["reason"]).strip()
    record.save(update_fields=["cancelled_at", "cancelled_by", "cancellation_reason"])
    loan = ctx.obj
    if kind.name == "repayment":
        loan.outstanding_balance += repayment_unallocate(record)  # type: ignore[arg-type]
        loan.save(update_fields=["outstanding_balance"])
    if kind.name == "inspection":
        reschedule_inspection(loan)
    ctx.audit["cancelled"] = {"type": record._meta.label_lower, "id": record.pk}
    return record


def _ripple(kind: RecordKind, record: Any, ctx: CheckContext) -> None:
    """What a correction changes beyond the record itself."""
    if kind.name == "site_visit":  # the co-investigator confirms the visit as it now reads
        record.co_investigator_confirmed_at = None
    elif kind.name == "review":
        assess(record, ctx)
    elif kind.name == "inspection":
        record.save()
        reschedule_inspection(ctx.obj)
