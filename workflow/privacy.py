"""How the engine's records show personal facts: masked by the domain's rule.

The engine keeps payloads and snapshots as submitted (the audit trail must say what was done),
but it does not know which facts are personal. The domain registers its masking function
(``loans.apps``); the admin's audit and deviation screens show every payload through
:func:`masked`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

_masks: list[Callable[[Any], Any]] = []


def register_mask(function: Callable[[Any], Any]) -> None:
    if function not in _masks:
        _masks.append(function)


def masked(facts: Any) -> Any:
    for function in _masks:
        facts = function(facts)
    return facts
