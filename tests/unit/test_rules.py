"""The rules document, the rule register and the checks say the same thing. No database.

docs/rules.md lists every rule with its source; each check's ``clause`` is the id of a rule
there; every rule is cited by the checks the document names, or says it is not enforced by a
check (loans/rules.py ``enforced=False``).
"""

from __future__ import annotations

import importlib
import pkgutil
import re
from pathlib import Path

import pytest
from django.utils import translation

import loans.checks
from loans.models import Loan
from loans.rules import RULE_BY_ID, RULES, Nature, rule_words
from watch.rules import SIGNALS
from workflow.checks import Check
from workflow.registry import process_for

DOC = Path(__file__).resolve().parents[2] / "docs" / "rules.md"
NOT_ENFORCED = "not enforced by a check"
NATURE_WORDS = {Nature.REGULATION: "regulation / 监管规定", Nature.POLICY: "bank policy / 银行政策"}


def declared_checks() -> set[Check]:
    """Every check the loan process runs, and every check its modules declare."""
    definition = process_for(Loan).definition
    found: set[Check] = set()
    for spec in definition.transitions:
        found.update(spec.step.checks if spec.step else ())
    for action in definition.actions:
        found.update(action.checks)
    modules = [
        importlib.import_module(f"loans.checks.{info.name}")
        for info in pkgutil.iter_modules(loans.checks.__path__)
    ]
    modules += [
        importlib.import_module(m)
        for m in ("workflow.exceptions", "loans.services.personal_data", "watch.checks")
    ]
    for module in modules:
        found.update(value for value in vars(module).values() if isinstance(value, Check))
    return found


def documented() -> dict[str, str]:
    """The document's entries by rule id: the text under each ``### `id` `` heading."""
    parts = re.split(r"^### `([a-z0-9.-]+)`\s*$", DOC.read_text(encoding="utf-8"), flags=re.M)
    return dict(zip(parts[1::2], parts[2::2], strict=True))


def field(entry: str, name: str) -> str:
    match = re.search(rf"^- \*\*{re.escape(name)}:\*\* (.*)$", entry, flags=re.M)
    assert match, f"no {name!r} line"
    return match.group(1).strip()


def test_every_check_cites_a_rule_of_the_document():
    entries = documented()
    unknown = {c.code: c.clause for c in declared_checks() if c.clause not in entries}
    assert unknown == {}


def test_the_document_lists_exactly_the_rules_of_the_register():
    assert sorted(documented()) == sorted(RULE_BY_ID)
    assert len(RULE_BY_ID) == len(RULES)


def test_every_early_warning_signal_applies_a_rule_of_the_document():
    entries = documented()
    assert {s.code: s.clause for s in SIGNALS if s.clause not in entries} == {}


@pytest.mark.parametrize("rule", RULES, ids=lambda rule: rule.id)
def test_each_rule_names_the_checks_that_cite_it_or_says_none_does(rule):
    entry = documented()[rule.id]
    citing = {c.code for c in declared_checks() if c.clause == rule.id}
    signalling = {s.code for s in SIGNALS if s.clause == rule.id}
    if signalling or "**Signals / 预警信号:**" in entry:
        listed = field(entry, "Signals / 预警信号")
        assert set(re.findall(r"`([a-z_]+)`", listed)) == signalling
        assert citing == set()
        return
    listed = field(entry, "Checks / 检查")
    if rule.enforced:
        assert citing, f"{rule.id} is cited by no check"
        assert set(re.findall(r"`([a-z_]+)`", listed)) == citing
    else:
        assert listed.startswith(NOT_ENFORCED)
        assert citing == set()


@pytest.mark.parametrize("rule", RULES, ids=lambda rule: rule.id)
def test_each_entry_gives_the_rule_in_english_its_nature_and_its_source(rule):
    entry = documented()[rule.id]
    with translation.override("en"):
        assert field(entry, "Rule") == str(rule.text)
        assert field(entry, "Source / 出处").startswith(str(rule.citation))
    assert field(entry, "Nature / 性质") == NATURE_WORDS[rule.nature]
    assert re.search(r"^- \*\*规则:\*\* \S", entry, flags=re.M)


def test_a_clause_reads_as_its_rule_and_source_in_each_language():
    with translation.override("en"):
        words = str(rule_words("intake.credit-consent"))
    assert words.startswith("The credit report is queried only with the borrower's written")
    assert "(regulation: Credit reporting regulation, art. 18)" in words
    assert rule_words("something else") == "something else"
