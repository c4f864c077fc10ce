"""Checks for leaving the site visit: the two-person investigation and its evidence."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.utils.translation import gettext_lazy as _

from loans.checks.facts import VISIT, file_facts, latest_visit
from workflow.checks import CheckContext, Outcome, Severity, check, failed, lazy_join, passed

if TYPE_CHECKING:
    from loans.models import Loan


@check(
    code="two_investigators",
    reads=(VISIT,),
    title=_("The site visit was made by two different investigators"),
    clause="visit.two-investigators",
)
def two_investigators(ctx: CheckContext) -> Outcome:
    loan: Loan = ctx.obj
    visit = latest_visit(ctx)
    if visit is None:
        return failed(_("No site visit has been recorded."))
    amount = loan.amount or 0
    if amount < ctx.policy.two_person_threshold:
        return passed(_("One investigator suffices below the two-person threshold."))
    if visit.co_investigator_id is None or visit.co_investigator_id == visit.lead_investigator_id:
        return failed(_("The site visit needs a second, different investigator."))
    if visit.co_investigator_confirmed_at is None:
        return failed(_("The co-investigator has not yet confirmed the visit with their login."))
    return passed()


@check(
    code="visit_date_valid",
    reads=(VISIT,),
    title=_("The visit date is after the application and not in the future"),
    clause="visit.dated",
)
def visit_date_valid(ctx: CheckContext) -> Outcome:
    from loans.checks.entry import local_day

    visit = latest_visit(ctx)
    if visit is None:
        return failed(_("No site visit has been recorded."))
    visited, applied = local_day(visit.visited_at), local_day(ctx.obj.created_at)
    if visited > local_day(ctx.now):
        return failed(_("The visit is dated in the future (%(date)s)."), date=f"{visited:%Y-%m-%d}")
    if visited < applied:
        return failed(
            _("The visit (%(date)s) is dated before the application (%(applied)s)."),
            date=f"{visited:%Y-%m-%d}",
            applied=f"{applied:%Y-%m-%d}",
        )
    return passed()


@check(
    code="evidence_collected",
    reads=(VISIT,),
    title=_("The visit's location and enough evidence are on file"),
    clause="visit.evidence",
    severity=Severity.SOFT,
)
def evidence_collected(ctx: CheckContext) -> Outcome:
    visit = latest_visit(ctx)
    if visit is None:
        return failed(_("No site visit has been recorded."))
    required = ctx.policy.evidence_photo_count
    have = file_facts(ctx)["file_visit_evidence"]
    if not visit.location.strip() or have < required:
        return failed(
            _("The visit has %(have)s of %(required)s evidence items and needs its location."),
            have=have,
            required=required,
        )
    return passed()


@check(
    code="report_sections_complete",
    reads=(VISIT,),
    title=_("Every section of the investigation report is filled"),
    clause="visit.report",
)
def report_sections_complete(ctx: CheckContext) -> Outcome:
    visit = latest_visit(ctx)
    if visit is None:
        return failed(_("No site visit has been recorded."))
    empty = visit.empty_sections()
    if empty:
        labels = [visit._meta.get_field(name).verbose_name for name in empty]
        return failed(_("The report lacks: %(sections)s."), sections=lazy_join(labels))
    return passed()


@check(
    code="collateral_valued",
    reads=("file_collateral_valuations",),
    title=_("Collateral is valued where the guarantee needs it"),
    clause="visit.collateral",
)
def collateral_valued(ctx: CheckContext) -> Outcome:
    from loans.choices import COLLATERAL_GUARANTEES

    loan = ctx.obj
    needs = loan.guarantee_type in COLLATERAL_GUARANTEES or (
        loan.product is not None and loan.product.collateral_required
    )
    if not needs or file_facts(ctx)["file_collateral_valuations"]:
        return passed()
    return failed(_("The collateral has not been valued."))
