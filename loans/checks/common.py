"""Checks on what a person types with a step: a reason, a note, a comment.

They are input checks: a failure is answered as a form error (a 400 in the API), never recorded
as a deviation.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from loans.choices import ReturnReason
from workflow.checks import (
    CheckContext,
    CheckKind,
    Outcome,
    check,
    failed,
    lazy_join,
    passed,
    text_given,
)


@check(
    code="reason_given",
    title=_("A reason is given"),
    clause="process.reason",
    kind=CheckKind.INPUT,
)
def reason_given(ctx: CheckContext) -> Outcome:
    comment = str(ctx.payload.get("comment", "")).strip()
    reason = ctx.payload.get("reason", "")
    if reason not in ReturnReason.values or not comment:
        return failed(
            _("Choose a reason (%(choices)s) and write a comment."),
            choices=lazy_join([label for _value, label in ReturnReason.choices]),
        )
    return passed()


correction_reason_given = text_given(
    "reason",
    code="correction_reason_given",
    title=_("The correction says why"),
    clause="records.correction",
    prompt=_("Say why the record is corrected or cancelled (at least %(count)s characters)."),
    minimum=10,
)
fulfilment_note_given = text_given(
    "fulfilment_note",
    code="fulfilment_note_given",
    title=_("The fulfilment of the condition is described"),
    clause="disbursement.conditions",
    prompt=_("Say how the condition was fulfilled."),
)
