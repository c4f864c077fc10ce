"""``{{ result.clause|rule_words }}``: a check's clause as the rule it cites, in words, with its
nature and source (loans/rules.py, docs/rules.md)."""

from django import template

from loans.rules import rule_words as words_of
from workflow.checks import Message

register = template.Library()


@register.filter
def rule_words(clause: str) -> Message:
    return words_of(clause)
