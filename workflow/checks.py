"""Checks: named, pure functions that say whether a transition's requirement is met.

A check has a stable ``code``, a ``severity`` (hard checks can never be overridden), a ``kind``
(does it judge the request, or the person making it) and the policy ``clause`` it enforces. Its
function receives a :class:`CheckContext` and returns an :class:`Outcome` with a reason that is
translated into the reader's language when shown.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol, TypeVar

from django.conf import settings
from django.db import models
from django.utils import translation
from django.utils.functional import Promise
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from workflow import reads

Message = str | Promise
T = TypeVar("T")


class Severity(models.TextChoices):
    HARD = "hard", _("hard")
    SOFT = "soft", _("soft")


# In a check's ``reads``: every fact of the object's file (a check that runs other checks).
EVERY_FACT = "*"


class CheckKind(models.TextChoices):
    """What a failed check says.

    ``requirement``: the file is not ready for this step (a deviation when attempted anyway);
    ``person``: this person may not take the step (a deviation); ``input``: what the person typed
    is not acceptable (a form error or a 400, never a deviation); ``statement``: what the person
    answers for in writing with the step (an opinion, a comment): asked for with the step like an
    input, but a step taken without it is a deviation.
    """

    REQUIREMENT = "requirement", _("requirement")
    PERSON = "person", _("person")
    INPUT = "input", _("input")
    STATEMENT = "statement", _("written statement")


# What the person writes or types with the step: asked for before the step is taken.
ASKED_WITH_THE_STEP = frozenset({CheckKind.INPUT, CheckKind.STATEMENT})


class Policy(Protocol):
    """The policy in force; the engine only needs its version label."""

    @property
    def version(self) -> str: ...


@dataclass(frozen=True)
class CheckContext:
    obj: Any
    actor: Any
    payload: Mapping[str, Any]
    policy: Any
    now: datetime
    channel: str = ""  # where the step came from (web, api, admin, system), for what it records
    # Facts an action's service adds to its audit event (e.g. a correction's before and after).
    audit: dict[str, Any] = field(default_factory=dict)

    def once(self, key: str, load: Callable[[], T]) -> T:
        """A read of the object's file that several checks share: within the engine's step
        (:func:`workflow.reads.shared`) ``load`` runs only the first time ``key`` is asked."""
        return reads.once((type(self.obj), getattr(self.obj, "pk", None), key), load)


@dataclass(frozen=True)
class Outcome:
    passed: bool
    message: Message = ""
    params: Mapping[str, Any] = field(default_factory=dict)


def passed(message: Message = "", **params: Any) -> Outcome:
    return Outcome(passed=True, message=message, params=params)


def failed(message: Message, **params: Any) -> Outcome:
    return Outcome(passed=False, message=message, params=params)


LIST_SEPARATOR = pgettext_lazy("separator between items of a list", ", ")


def lazy_join(items: list[Message]) -> Message:
    """Join translatable strings lazily, so a reason renders in each reader's language."""
    pattern = "{sep}".join(f"{{{index}}}" for index in range(len(items)))
    return format_lazy(pattern, *items, sep=LIST_SEPARATOR)


CheckFunction = Callable[[CheckContext], Outcome]


@dataclass(frozen=True)
class Check:
    code: str
    title: Message
    severity: Severity
    clause: str
    function: CheckFunction
    kind: CheckKind = CheckKind.REQUIREMENT
    field: str = ""  # for input checks: the field of the form the reason belongs to
    # The facts of the object's file the check reads, by the names its process gives them: the
    # engine asks the process to read them with the row lock (Process.locked_read). EVERY_FACT:
    # all of them (a check that judges other steps' checks).
    reads: frozenset[str] = frozenset()

    def evaluate(self, context: CheckContext) -> CheckResult:
        outcome = self.function(context)
        return CheckResult(
            check=self,
            passed=outcome.passed,
            message=outcome.message or self.title,
            params=dict(outcome.params),
        )


def check(
    *,
    code: str,
    title: Message,
    clause: str,
    severity: Severity = Severity.HARD,
    kind: CheckKind = CheckKind.REQUIREMENT,
    field: str = "",
    reads: Iterable[str] = (),
) -> Callable[[CheckFunction], Check]:
    """Turn a function of a :class:`CheckContext` into a :class:`Check` (``reads``: the facts of
    the object's file it reads, read with the row lock)."""

    def decorate(function: CheckFunction) -> Check:
        return Check(
            code=code,
            title=title,
            severity=severity,
            clause=clause,
            function=function,
            kind=kind,
            field=field,
            reads=frozenset(reads),
        )

    return decorate


def input_check(
    field: str, *, code: str, title: Message, clause: str, function: CheckFunction
) -> Check:
    """A check of what a person typed in ``field`` with a step: a failure is a form error on
    that field (a 400 in an API), never a deviation."""
    return Check(
        code=code,
        title=title,
        clause=clause,
        function=function,
        kind=CheckKind.INPUT,
        field=field,
        severity=Severity.HARD,
    )


def text_given(
    field: str,
    *,
    code: str,
    title: Message,
    clause: str,
    prompt: Message,
    minimum: int = 1,
    kind: CheckKind = CheckKind.INPUT,
) -> Check:
    """A check that ``field`` holds at least ``minimum`` characters of text; ``prompt`` may say
    how many with ``%(count)s``. An input check, or (``kind`` statement) a written statement the
    person answers for: taking the step without it is a deviation."""

    def function(ctx: CheckContext) -> Outcome:
        if len(str(ctx.payload.get(field) or "").strip()) >= minimum:
            return passed()
        return failed(prompt, count=minimum)

    return Check(
        code=code,
        title=title,
        clause=clause,
        function=function,
        kind=kind,
        field=field,
        severity=Severity.HARD,
    )


@dataclass(frozen=True)
class CheckResult:
    check: Check
    passed: bool
    message: Message
    params: Mapping[str, Any]
    waived_by: int | None = None  # the policy exception that lets a failed soft check pass

    @property
    def blocks(self) -> bool:
        return not self.passed and self.waived_by is None

    @property
    def code(self) -> str:
        return self.check.code

    @property
    def standing(self) -> str:
        """How it reads before the step is taken: ``ok`` (passed or waived), ``asked`` (what the
        person types with the step, judged when they submit it) or ``bad``."""
        if not self.blocks:
            return "ok"
        return "asked" if self.kind in ASKED_WITH_THE_STEP else "bad"

    @property
    def severity(self) -> Severity:
        return self.check.severity

    @property
    def kind(self) -> CheckKind:
        return self.check.kind

    @property
    def clause(self) -> str:
        return self.check.clause

    @property
    def field(self) -> str:
        return self.check.field

    @property
    def reason(self) -> str:
        """The reason in the active language."""
        text = str(self.message)
        return text % self.params if self.params else text

    def as_record(self) -> dict[str, Any]:
        """A JSON-ready snapshot, with the reason in every configured language."""
        reasons = {}
        for language, _name in settings.LANGUAGES:
            with translation.override(language):
                reasons[language] = self.reason
        return {
            "code": self.code,
            "passed": self.passed,
            "severity": str(self.severity),
            "kind": str(self.kind),
            "clause": self.clause,
            "waived_by": self.waived_by,
            "reason": reasons,
        }
