"""Policy exceptions: a recorded, justified permission to pass one failed soft check once.

A person working the object asks for one from a failed soft check of a transition open now, with
a reason; a role the process names in ``exception_roles`` grants or declines it with a note. All
three are actions of the process (declared with its transitions), so each is decided by the
engine and joins the object's audit chain. The grant is itself a deviation (low severity) so
compliance sees every exception; it is single-use (the transition it lets pass consumes it). Hard
checks can never be waived.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.utils.translation import gettext_lazy as _

from workflow.checks import (
    EVERY_FACT,
    CheckContext,
    CheckKind,
    CheckResult,
    Outcome,
    Severity,
    check,
    failed,
    passed,
    text_given,
)
from workflow.deviations import create_deviation
from workflow.engine import decide
from workflow.models import Channel, Deviation, ExceptionRequest, PolicyException
from workflow.registry import process_for

MIN_JUSTIFICATION = 20  # characters: a reason, not a tick


def _result(obj: Any, transition: str, check_code: str, actor: Any) -> CheckResult | None:
    process = process_for(obj)
    if transition not in process.definition.names():
        return None
    decision = decide(obj, transition, actor=actor)
    return next((r for r in decision.results if r.code == check_code), None)


def _waivable(ctx: CheckContext, transition: str, check_code: str) -> Outcome:
    result = _result(ctx.obj, transition, check_code, ctx.actor)
    if result is None:
        return failed(_("That step is not open now, or it has no such check."))
    if result.severity != Severity.SOFT:
        return failed(_("A hard check can never be overridden."))
    if result.passed:
        return failed(_("The check passes; no exception is needed."))
    if result.waived_by is not None:
        return failed(_("An exception for this check has already been granted."))
    return passed()


@check(
    code="exception_requestable",
    reads=(EVERY_FACT,),  # the other step's checks
    title=_("An exception is asked for a failed soft check of a step open now"),
    clause="exceptions.soft-checks",
    kind=CheckKind.INPUT,
    field="check_code",
)
def exception_requestable(ctx: CheckContext) -> Outcome:
    transition = str(ctx.payload.get("transition", ""))
    check_code = str(ctx.payload.get("check_code", ""))
    outcome = _waivable(ctx, transition, check_code)
    if not outcome.passed:
        return outcome
    if _requests(ctx.obj).filter(
        transition=transition, check_code=check_code, status=ExceptionRequest.Status.PENDING
    ):
        return failed(_("An exception for this check is already waiting for a decision."))
    return passed()


@check(
    code="exception_request_pending",
    reads=(EVERY_FACT,),  # the other step's checks
    title=_("The request waits for a decision and its check still fails"),
    clause="exceptions.soft-checks",
    kind=CheckKind.INPUT,
    field="request",
)
def exception_request_pending(ctx: CheckContext) -> Outcome:
    request = ctx.payload.get("request")
    if not isinstance(request, ExceptionRequest) or request.object_id != ctx.obj.pk:
        return failed(_("Choose a request of this loan."))
    if request.status != ExceptionRequest.Status.PENDING:
        return failed(_("The request has already been decided."))
    return _waivable(ctx, request.transition, request.check_code)


exception_reason_given = text_given(
    "reason",
    code="exception_reason_given",
    title=_("The request says why the exception is justified"),
    clause="exceptions.soft-checks",
    prompt=_("Write at least %(count)s characters."),
    minimum=MIN_JUSTIFICATION,
)
decision_note_given = text_given(
    "note",
    code="decision_note_given",
    title=_("The decision is justified in writing"),
    clause="exceptions.soft-checks",
    prompt=_("Write at least %(count)s characters."),
    minimum=MIN_JUSTIFICATION,
)


def _requests(obj: Any) -> Any:
    return ExceptionRequest.objects.filter(
        content_type=ContentType.objects.get_for_model(obj), object_id=obj.pk
    )


def exception_request(ctx: CheckContext) -> ExceptionRequest:
    """Ask for an exception (the action's write)."""
    obj = ctx.obj
    process = process_for(obj)
    return ExceptionRequest.objects.create(
        content_type=ContentType.objects.get_for_model(obj),
        object_id=obj.pk,
        scope=process.scope_of(obj),
        transition=ctx.payload["transition"],
        from_state=process.state_of(obj),
        check_code=ctx.payload["check_code"],
        reason=str(ctx.payload["reason"]).strip(),
        requested_by=ctx.actor,
        requested_at=ctx.now,
    )


def exception_grant(ctx: CheckContext) -> PolicyException:
    """Grant a pending request: a single-use exception, and a low-severity deviation."""
    obj, request = ctx.obj, ctx.payload["request"]
    process = process_for(obj)
    note = str(ctx.payload["note"]).strip()
    decision = decide(obj, request.transition, actor=ctx.actor)
    result = next(r for r in decision.results if r.code == request.check_code)
    granted = replace(decision, refusal=Deviation.Kind.POLICY_EXCEPTION, results=(result,))
    payload = {"check_code": request.check_code, "justification": note, "request": request.pk}
    deviation = create_deviation(
        process,
        obj,
        granted,
        ctx.actor,
        payload,
        Channel(ctx.channel or Channel.WEB),
        severity=Deviation.Severity.LOW,
    )
    exception = PolicyException.objects.create(
        content_type=request.content_type,
        object_id=obj.pk,
        transition=request.transition,
        from_state=request.from_state,
        check_code=request.check_code,
        justification=note,
        granted_by=ctx.actor,
        granted_at=ctx.now,
        deviation=deviation,
    )
    _decide(request, ExceptionRequest.Status.GRANTED, ctx, note, exception)
    return exception


def exception_decline(ctx: CheckContext) -> ExceptionRequest:
    request = ctx.payload["request"]
    _decide(request, ExceptionRequest.Status.DECLINED, ctx, str(ctx.payload["note"]).strip())
    return request  # type: ignore[no-any-return]


def _decide(
    request: ExceptionRequest,
    status: ExceptionRequest.Status,
    ctx: CheckContext,
    note: str,
    exception: PolicyException | None = None,
) -> None:
    request.status = status
    request.decided_by = ctx.actor
    request.decided_at = ctx.now
    request.decision_note = note
    request.exception = exception
    request.save()


def pending_requests(scopes: Any) -> Any:
    """Requests waiting for a decision in ``scopes``, oldest first."""
    return (
        ExceptionRequest.objects.filter(scope__in=scopes, status=ExceptionRequest.Status.PENDING)
        .select_related("requested_by")
        .order_by("requested_at", "id")
    )
