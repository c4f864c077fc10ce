"""What a page shows a Chinese reader that is not Chinese: message ids without a translation, and
internal codes (``snake_case`` names) shown as text."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from html.parser import HTMLParser

from django.utils.translation.trans_real import DjangoTranslation

ASCII_WORD = re.compile(r"[A-Za-z]{2}")
CODE = re.compile(r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b")


@contextmanager
def untranslated_msgids(language: str = "zh-hans") -> Iterator[set[str]]:
    """Every message id looked up in ``language``'s catalog, within the block, and not found."""
    missing: set[str] = set()
    gettext, ngettext = DjangoTranslation.gettext, DjangoTranslation.ngettext

    def found(translation: DjangoTranslation, message: str) -> None:
        if not ASCII_WORD.search(message):  # already in the reader's language: a name, a value
            return
        if translation.language() == language and translation._catalog.get(message) is None:
            missing.add(message.replace("\x04", " | "))

    def recording_gettext(self: DjangoTranslation, message: str) -> str:
        found(self, message)
        return gettext(self, message)

    def recording_ngettext(self: DjangoTranslation, singular: str, plural: str, n: int) -> str:
        if self.language() == language and self._catalog.get((singular, 0)) is None:
            missing.add(singular)
        return ngettext(self, singular, plural, n)

    DjangoTranslation.gettext = recording_gettext  # type: ignore[method-assign]
    DjangoTranslation.ngettext = recording_ngettext  # type: ignore[method-assign]
    try:
        yield missing
    finally:
        DjangoTranslation.gettext = gettext  # type: ignore[method-assign]
        DjangoTranslation.ngettext = ngettext  # type: ignore[method-assign]


class _Text(HTMLParser):
    """The text a reader sees: not scripts, styles or ``<code>`` (a code beside its name)."""

    HIDDEN = {"script", "style", "code", "template"}

    def __init__(self) -> None:
        super().__init__()
        self.depth = 0
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.HIDDEN:
            self.depth += 1
        for name, value in attrs:  # what assistive technology reads out
            if name in {"title", "aria-label", "placeholder", "alt"} and value:
                self.parts.append(value)

    def handle_endtag(self, tag: str) -> None:
        if tag in self.HIDDEN and self.depth:
            self.depth -= 1

    def handle_data(self, data: str) -> None:
        if not self.depth:
            self.parts.append(data)


def visible_text(html: str) -> str:
    parser = _Text()
    parser.feed(html)
    return " ".join(parser.parts)


def codes_shown(html: str) -> set[str]:
    return set(CODE.findall(visible_text(html)))
