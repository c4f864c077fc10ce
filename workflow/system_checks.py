"""Django system checks: every registered process definition must be a sound graph."""

from __future__ import annotations

from typing import Any

from django.core.checks import CheckMessage, Error, register

from workflow.registry import registered_processes


@register("workflow")
def check_process_definitions(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    errors: list[CheckMessage] = []
    for process in registered_processes():
        errors.extend(
            Error(f"Workflow {process.name!r}: {problem}.", obj=process.model, id="workflow.E001")
            for problem in process.definition.problems()
        )
    return errors
