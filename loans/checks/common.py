"""Checks on what a person types with a step: a reason, a note, a comment.

Most are input checks: a failure is answered as a form error (a 400 in the API), never recorded
as a deviation. The opinion of a decision at review and approval is a written statement the
person answers for (``opinion_written``): a decision taken without one is a deviation.
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


@check(
    code="reason_chosen",
    title=_("A reason is chosen"),
    clause="process.reason",
    kind=CheckKind.INPUT,
    field="reason",
)
def reason_chosen(ctx: CheckContext) -> Outcome:
    """The reason code of a decision to return or reject; its words are the opinion."""
    if ctx.payload.get("reason", "") in ReturnReason.values:
        return passed()
    return failed(
        _("Choose a reason (%(choices)s)."),
        choices=lazy_join([label for _value, label in ReturnReason.choices]),
    )


# The reviewer's and the approver's written opinion (审查意见 / 审批意见), kept with the decision.
opinion_written = text_given(
    "comment",
    code="opinion_written",
    title=_("The decision's written opinion is given"),
    clause="decision.opinion",
    prompt=_("Write your opinion: it is kept with your decision and printed on the memo."),
    kind=CheckKind.STATEMENT,
)

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
