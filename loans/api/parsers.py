"""The API's JSON parser: any body it cannot take as plain data is a 400 ``parse_error``.

DRF's own parser lets a body nested about a thousand levels deep (2 KB of brackets) escape as a
``RecursionError`` (a 500), takes the last of two values given for one key (where a proxy or
an audit copy may read the first), reads ``1e400`` as infinity and ``"\\ud800"`` as a string no
database or response can encode (a 500 wherever it went). The API's bodies are a few levels
deep: anything deeper than ``MAX_DEPTH`` is refused before a view sees it.
"""

from __future__ import annotations

import codecs
import json
import math
from collections.abc import Mapping
from typing import Any

from django.conf import settings
from rest_framework import parsers
from rest_framework.exceptions import ParseError
from rest_framework.utils.json import strict_constant

MAX_DEPTH = 32


class JSONParser(parsers.JSONParser):
    def parse(
        self,
        stream: Any,
        media_type: str | None = None,
        parser_context: Mapping[str, Any] | None = None,
    ) -> Any:
        encoding = _text_encoding(parser_context or {})
        try:
            data = json.load(
                codecs.getreader(encoding)(stream),
                parse_constant=strict_constant,
                parse_float=_finite,
                object_pairs_hook=_without_repeated_keys,
            )
        except RecursionError:
            raise ParseError(f"JSON parse error - nested deeper than {MAX_DEPTH} levels.") from None
        except ValueError as error:  # also a UnicodeDecodeError: bytes not in the encoding
            raise ParseError(f"JSON parse error - {error}") from None
        problem = _structure_problem(data)
        if problem:
            raise ParseError(f"JSON parse error - {problem}")
        return data


def _text_encoding(parser_context: Mapping[str, Any]) -> str:
    """The charset of the Content-Type; a bytes-to-bytes codec (``bz2_codec``) would inflate a
    small body past every size limit, so only text encodings are taken."""
    encoding = str(parser_context.get("encoding") or settings.DEFAULT_CHARSET)
    try:
        "".encode(encoding)  # unlike codecs.getreader(), refuses codecs that are not text
    except (LookupError, UnicodeError):
        raise ParseError(f"Unsupported charset {encoding[:40]!r} in Content-Type.") from None
    return encoding


def _finite(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):
        raise ValueError(f"Number {text[:20]} is out of range.")
    return number


def _without_repeated_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for key, value in pairs:
        if key in data:
            raise ValueError(f"Key {key[:50]!r} is given more than once.")
        data[key] = value
    return data


def _structure_problem(data: Any) -> str | None:
    """What makes parsed JSON unfit as data, walked without recursion: lists and objects nested
    deeper than ``MAX_DEPTH``, or a string holding half a surrogate pair (``"\\ud800"``), which
    no database or response can encode."""
    stack = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, str):
            if not _encodable(value):
                return "a string holds an unpaired surrogate."
            continue
        if isinstance(value, dict):
            children = [*value.keys(), *value.values()]
        elif isinstance(value, list):
            children = value
        else:
            continue
        if depth > MAX_DEPTH:
            return f"nested deeper than {MAX_DEPTH} levels."
        stack.extend((child, depth + 1) for child in children)
    return None


def _encodable(text: str) -> bool:
    if text.isascii():
        return True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
