"""Policy exceptions: a recorded, justified permission to pass one failed soft check once.

Only a role the process names in ``exception_roles`` may grant one, only for a soft check of a
transition available now, and only with a written justification. The grant is itself a deviation
(low severity) so compliance sees every exception; a refused grant is a deviation too (high). Hard
checks can never be waived.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from workflow.checks import CheckResult, Severity
from workflow.deviations import Decision, create_deviation, record_deviation
from workflow.engine import decide
from workflow.models import Channel, Deviation, PolicyException
from workflow.registry import process_for

MIN_JUSTIFICATION = 20  # characters: a reason, not a tick


class ExceptionRefused(Exception):  # noqa: N818 - a refusal, like TransitionRefused
    def __init__(self, message: str, deviation: Deviation) -> None:
        super().__init__(message)
        self.message = message
        self.deviation = deviation


def grant_exception(
    obj: models.Model,
    *,
    transition: str,
    check_code: str,
    actor: Any,
    justification: str,
    channel: Channel = Channel.WEB,
) -> PolicyException:
    """Let the failed soft check ``check_code`` of ``transition`` pass, once."""
    process = process_for(obj)
    decision = decide(obj, transition, actor=actor)
    result = next((r for r in decision.results if r.code == check_code), None)
    problem = _problem(process, obj, actor, decision.spec, result, justification)
    payload = {"check_code": check_code, "justification": justification.strip()}
    if problem is not None:
        refused = _as_refusal(decision, Deviation.Kind.EXCEPTION_REFUSED, result)
        deviation = record_deviation(process, obj, refused, actor, payload, channel)
        raise ExceptionRefused(problem, deviation)
    assert result is not None  # noqa: S101 - _problem checked it
    granted = _as_refusal(decision, Deviation.Kind.POLICY_EXCEPTION, result)
    with transaction.atomic(durable=True):
        deviation = create_deviation(
            process, obj, granted, actor, payload, channel, severity=Deviation.Severity.LOW
        )
        return PolicyException.objects.create(
            content_type=ContentType.objects.get_for_model(obj),
            object_id=obj.pk,
            transition=transition,
            from_state=decision.source,
            check_code=check_code,
            justification=justification.strip(),
            granted_by=actor,
            granted_at=timezone.now(),
            deviation=deviation,
        )


def _problem(
    process: Any,
    obj: models.Model,
    actor: Any,
    spec: Any,
    result: CheckResult | None,
    justification: str,
) -> str | None:
    if spec is None:
        return _("That transition is not available in the current state.")
    if not process.can_access(actor, obj) or not (
        process.roles_of(actor) & process.exception_roles
    ):
        return _("You may not grant policy exceptions.")
    if result is None:
        return _("That transition has no such check.")
    if result.severity != Severity.SOFT:
        return _("A hard check can never be overridden.")
    if result.passed:
        return _("The check passes; no exception is needed.")
    if result.waived_by is not None:
        return _("An exception for this check has already been granted.")
    if len(justification.strip()) < MIN_JUSTIFICATION:
        return _("Write a justification of at least %(count)d characters.") % {
            "count": MIN_JUSTIFICATION
        }
    return None


def _as_refusal(decision: Decision, kind: Deviation.Kind, result: CheckResult | None) -> Decision:
    return replace(decision, refusal=kind, results=(result,) if result else ())
