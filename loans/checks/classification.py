"""Checks of the five-class classification: the days past due fed, a technical overdue, a
restructuring, and an upgrade's confirmation (§5 of the lending rules)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from loans.checks.entry import THE_DISBURSEMENT, dated, disbursed
from loans.checks.facts import BORROWER_CLAIMS, ON_TIME_RECORD
from loans.classification import MOST_DAYS_PAST_DUE
from workflow.checks import CheckContext, CheckKind, Outcome, check, failed, passed, text_given

# Rule ids of docs/rules.md (loans/rules.py)
CLAUSE_FLOORS = "classification.floors"
CLAUSE_TECHNICAL = "classification.technical-overdue"
CLAUSE_RESTRUCTURED = "classification.restructured"
CLAUSE_UPGRADE = "classification.upgrade-after-arrears"
CLAUSE_NON_RETAIL = "classification.non-retail-share"


@check(
    code="days_past_due_given",
    title=_("The days past due are a whole number of zero or more"),
    clause=CLAUSE_FLOORS,
    kind=CheckKind.INPUT,
    field="days_past_due",
)
def days_past_due_given(ctx: CheckContext) -> Outcome:
    days = ctx.payload.get("days_past_due")
    if isinstance(days, bool) or not isinstance(days, int) or days < 0:
        return failed(_("Days past due cannot be negative."))
    if days > MOST_DAYS_PAST_DUE:
        return failed(
            _("Days past due cannot be more than %(most)s.") % {"most": MOST_DAYS_PAST_DUE}
        )
    return passed()


@check(
    code="overdue_to_mark",
    title=_("The loan is overdue, and its overdue is not marked technical yet"),
    clause=CLAUSE_TECHNICAL,
)
def overdue_to_mark(ctx: CheckContext) -> Outcome:
    if ctx.obj.days_past_due == 0:
        return failed(_("The loan is not overdue."))
    if ctx.obj.overdue_technical:
        return failed(_("This overdue is already marked technical."))
    return passed()


technical_reason_given = text_given(
    "reason",
    code="technical_reason_given",
    title=_("The mark says how the bank's own operations caused the overdue"),
    clause=CLAUSE_TECHNICAL,
    prompt=_(
        "Say how the bank's own operations caused the overdue (at least %(count)s characters)."
    ),
    minimum=10,
)
restructuring_reason_given = text_given(
    "reason",
    code="restructuring_reason_given",
    title=_("The restructuring says what changed and why"),
    clause=CLAUSE_RESTRUCTURED,
    prompt=_("Say what the restructuring changed and why (at least %(count)s characters)."),
    minimum=10,
)
restructuring_dated = dated(
    "restructured_at",
    code="restructuring_dated",
    title=_("The restructuring is dated on or after the disbursement, not in the future"),
    clause=CLAUSE_RESTRUCTURED,
    not_before=disbursed,
    floor_name=THE_DISBURSEMENT,
)


@check(
    code="upgrade_within_floor",
    reads=ON_TIME_RECORD,
    title=_("The days past due and any restructuring allow the better class"),
    clause=CLAUSE_UPGRADE,
)
def upgrade_within_floor(ctx: CheckContext) -> Outcome:
    from loans.choices import RiskClass
    from loans.classification import effective_floor, under_observation

    inspection = ctx.payload.get("record")
    if inspection is None or inspection.proposed_class is None:
        return passed()
    loan = ctx.obj
    if under_observation(loan, ctx.policy, ctx.now) and loan.risk_class >= RiskClass.SUBSTANDARD:
        return failed(_("A restructured loan is not upgraded during its observation period."))
    if loan.risk_class >= RiskClass.SUBSTANDARD:
        refusal = _not_yet_on_time(ctx)
        if refusal is not None:
            return refusal
    floor = effective_floor(loan, ctx.policy, ctx.now)
    if inspection.proposed_class < floor:
        return failed(_("The days past due no longer allow this class."))
    return passed()


def _not_yet_on_time(ctx: CheckContext) -> Outcome | None:
    """Why a non-performing loan may not be upgraded yet: its arrears, or too short a record of
    paying on time since they were repaid (read with the file: no statement of its own)."""
    from loans.checks.entry import local_day
    from loans.checks.facts import on_time_record
    from loans.classification import UPGRADE_MONTHS_ON_TIME, UPGRADE_PERIODS_ON_TIME

    arrears = _("A non-performing loan is upgraded only after its arrears are repaid.")
    if ctx.obj.days_past_due > 0:
        return failed(arrears)
    record = on_time_record(ctx)
    if record is None:
        return failed(_("Without a repayment schedule the loan cannot show it has paid on time."))
    if record.in_arrears:
        return failed(arrears)
    if record.allows_upgrade(
        local_day(ctx.now), periods=UPGRADE_PERIODS_ON_TIME, months=UPGRADE_MONTHS_ON_TIME
    ):
        return None
    return failed(
        _(
            "Since %(since)s the loan has paid on time for %(periods)s of the %(needed)s periods "
            "an upgrade needs; without them it may be upgraded from %(from)s."
        ),
        since=record.since.isoformat(),
        periods=record.periods,
        needed=UPGRADE_PERIODS_ON_TIME,
        **{"from": record.upgrade_from(UPGRADE_MONTHS_ON_TIME).isoformat()},
    )


def _held_by_borrower(ctx: CheckContext, proposed: int | None) -> Outcome:
    from loans.checks.facts import borrower_floor

    floor = borrower_floor(ctx)
    if proposed is not None and proposed < floor:
        return failed(
            _(
                "More than 10%% of the borrower's claims at the bank are non-performing: its "
                "loans are at least %(floor)s."
            ),
            floor=floor.label,
        )
    return passed()


@check(
    code="proposal_within_borrower_floor",
    reads=BORROWER_CLAIMS,
    title=_("The proposed class is not better than the borrower's other claims allow"),
    clause=CLAUSE_NON_RETAIL,
    kind=CheckKind.INPUT,
    field="proposed_class",
)
def proposal_within_borrower_floor(ctx: CheckContext) -> Outcome:
    return _held_by_borrower(ctx, ctx.payload.get("proposed_class"))


@check(
    code="upgrade_within_borrower_floor",
    reads=BORROWER_CLAIMS,
    title=_("The borrower's other claims allow the better class"),
    clause=CLAUSE_NON_RETAIL,
)
def upgrade_within_borrower_floor(ctx: CheckContext) -> Outcome:
    inspection = ctx.payload.get("record")
    return _held_by_borrower(ctx, inspection and inspection.proposed_class)
