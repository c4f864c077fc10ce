"""The checks of the watch-list process: small named functions of a step's context.

Each has a stable code, a reason in both languages and the rule it enforces (``watch.resolution``
in loans/rules.py and docs/rules.md). Resolving without saying what was done is an attempt against
the rule, not a typing slip: it is refused and recorded as a deviation.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from loans.roles import Role
from workflow.checks import CheckContext, CheckKind, Outcome, check, failed, passed, text_given

RESOLUTION = "watch.resolution"
NOTE_MINIMUM = 10


@check(
    code="watch_item_owner",
    title=_("You own this watch-list item or head its branch"),
    clause=RESOLUTION,
    kind=CheckKind.PERSON,
)
def watch_item_owner(ctx: CheckContext) -> Outcome:
    actor = ctx.actor
    if actor is not None and (
        actor.pk == ctx.obj.account_manager_id or Role.BRANCH_HEAD in actor.roles
    ):
        return passed()
    return failed(_("Only the item's account manager or the branch head works this item."))


@check(
    code="watch_action_noted",
    title=_("The action taken is noted"),
    clause=RESOLUTION,
)
def watch_action_noted(ctx: CheckContext) -> Outcome:
    if len(str(ctx.payload.get("note") or "").strip()) >= NOTE_MINIMUM:
        return passed()
    return failed(
        _("Say what was done about the warning, in at least %(count)s characters."),
        count=NOTE_MINIMUM,
    )


watch_note_given = text_given(
    "note",
    code="watch_note_given",
    title=_("The note says what was done"),
    clause=RESOLUTION,
    prompt=_("Write the note, in at least %(count)s characters."),
    minimum=NOTE_MINIMUM,
)
