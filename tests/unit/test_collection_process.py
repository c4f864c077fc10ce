"""The collection process is declared soundly, and the engine knows nothing of it."""

from __future__ import annotations

import re
from pathlib import Path

from recovery.models import CollectionCase
from recovery.states import CaseState
from workflow.registry import process_for

ENGINE = Path(__file__).resolve().parents[2] / "workflow"
# The standard library's ``collections`` module and its ``Collection`` type are not the domain.
STANDARD_LIBRARY = re.compile(
    r"\bcollections\.abc\b|^\s*from collections import|^\s*import collections\b"
    r"|\bCollection\[|import Collection\b"
)
DOMAIN_WORDS = re.compile(r"collection|recovery|催收|核销|write.?off", re.IGNORECASE)


def test_the_engine_has_no_word_of_collections():
    hits = []
    for path in sorted(ENGINE.rglob("*")):
        if not path.is_file() or path.suffix not in {".py", ".html", ".md", ".txt", ".sql"}:
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if DOMAIN_WORDS.search(STANDARD_LIBRARY.sub("", line)):
                hits.append(f"{path.relative_to(ENGINE.parent)}:{number}: {line.strip()}")
    assert hits == []


def test_the_word_check_would_catch_a_reference():
    assert DOMAIN_WORDS.search(STANDARD_LIBRARY.sub("", "from recovery.models import X"))
    assert DOMAIN_WORDS.search(STANDARD_LIBRARY.sub("", "# open a Collection case"))
    assert not DOMAIN_WORDS.search(STANDARD_LIBRARY.sub("", "from collections.abc import X"))
    assert not DOMAIN_WORDS.search(STANDARD_LIBRARY.sub("", "from collections import defaultdict"))
    assert DOMAIN_WORDS.search(STANDARD_LIBRARY.sub("", "cases = collections_of(loan)"))


def test_the_collection_process_is_a_sound_graph():
    definition = process_for(CollectionCase).definition

    assert definition.problems() == []
    assert set(definition.states) == set(CaseState.values)
    assert definition.initial == CaseState.OPEN


def test_every_state_reaches_an_end():
    definition = process_for(CollectionCase).definition
    ends = set(definition.terminal)
    for state in definition.states:
        seen, frontier = {state}, [state]
        while frontier:
            for spec in definition.from_state(frontier.pop()):
                if spec.target not in seen:
                    seen.add(spec.target)
                    frontier.append(spec.target)
        assert seen & ends, state
