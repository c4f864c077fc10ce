"""Static files: production's manifest storage refuses to collect a file whose references dangle."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

STATIC = Path(__file__).resolve().parents[2] / "static"
SOURCE_MAP = re.compile(r"sourceMappingURL=([^\s*]+)")
SCRIPTS_AND_STYLES = sorted(p for p in STATIC.rglob("*") if p.suffix in {".js", ".css"})


@pytest.mark.parametrize("path", SCRIPTS_AND_STYLES, ids=lambda p: str(p.relative_to(STATIC)))
def test_every_source_map_a_static_file_names_is_there(path):
    for name in SOURCE_MAP.findall(path.read_text(encoding="utf-8")):
        assert (path.parent / name).is_file(), f"{path.name} names {name}, which is missing"
