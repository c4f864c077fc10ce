"""Checks of a comment on the loan's file: it says something, and a colleague it mentions sees
the loan."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from loans.models.comments import COMMENT_MAX_LENGTH
from workflow.checks import CheckContext, CheckKind, Outcome, check, failed, passed


@check(
    code="comment_written",
    title=_("The comment says something"),
    clause="file.comments",
    kind=CheckKind.STATEMENT,
    field="text",
)
def comment_written(ctx: CheckContext) -> Outcome:
    text = str(ctx.payload.get("text") or "").strip()
    if not text:
        return failed(_("Write the comment."))
    if len(text) > COMMENT_MAX_LENGTH:
        return failed(_("A comment holds at most %(count)s characters."), count=COMMENT_MAX_LENGTH)
    return passed()


@check(
    code="mention_sees_the_loan",
    title=_("The colleague mentioned may see the loan"),
    clause="file.comments",
)
def mention_sees_the_loan(ctx: CheckContext) -> Outcome:
    from loans.models import User

    mentioned = ctx.payload.get("mentioned")
    if mentioned is None:
        return passed()
    if (
        not isinstance(mentioned, User)
        or not mentioned.is_active
        or ctx.obj.branch_id not in mentioned.visible_branch_ids
    ):
        return failed(_("The colleague mentioned does not work on this loan's branch."))
    return passed()
