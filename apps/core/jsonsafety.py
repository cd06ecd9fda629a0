"""Untrusted JSON, read once and checked the same way for every HTTP API body and every WebSocket frame
(issue 11, section 5): nesting, size, number of values, and strings PostgreSQL cannot store (NUL)
or that are not Unicode text (a lone surrogate from a `\\ud800` escape). Anything else reaches the
ORM and answered with a 500 or closed the socket."""

from __future__ import annotations

import json
import re
from typing import Any

from django.http import QueryDict
from django.utils.translation import gettext as _

from .errors import ValidationFailed

MAX_DEPTH = 32
MAX_VALUES = 10_000
_BAD_CHARACTER = re.compile("[\x00\ud800-\udfff]")


class BadInput(ValidationFailed):
    code = "bad_input"


def check_text(value: str, where: str) -> None:
    if _BAD_CHARACTER.search(value):
        raise BadInput(
            _("Text may not contain NUL characters or unpaired surrogates."),
            fields={where or "non_field_errors": [_("Contains a character that is not allowed.")]},
        )


def check_value(data: Any) -> None:
    """Raise BadInput unless `data` (decoded JSON) is shallow, small and holds only storable text."""
    stack: list[tuple[Any, int, str]] = [(data, 1, "")]
    seen = 0
    while stack:
        value, depth, where = stack.pop()
        seen += 1
        if seen > MAX_VALUES:
            raise BadInput(_("Too many values: at most %(n)d are accepted.") % {"n": MAX_VALUES})
        if isinstance(value, str):
            check_text(value, where)
        elif isinstance(value, dict | list):
            if depth > MAX_DEPTH:
                raise BadInput(_("Nested too deeply: at most %(n)d levels are accepted.") % {"n": MAX_DEPTH})
            if isinstance(value, dict):
                for key, item in value.items():
                    name = f"{where}.{key}" if where else str(key)
                    check_text(str(key), name)
                    stack.append((item, depth + 1, name))
            else:
                stack.extend((item, depth + 1, where) for item in value)


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")  # NaN and Infinity: PostgreSQL's jsonb refuses them


def loads(text: str | bytes) -> Any:
    """json.loads for input from outside: malformed JSON, nesting that would exhaust the parser's
    recursion, and the checks of `check_value` all become BadInput."""
    try:
        data = json.loads(text, parse_constant=_no_constant)
    except RecursionError:
        raise BadInput(_("Nested too deeply: at most %(n)d levels are accepted.") % {"n": MAX_DEPTH}) from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise BadInput(_("This is not valid JSON."), code="parse_error") from exc
    check_value(data)
    return data


def check_query_dict(data: QueryDict) -> None:
    """Form fields and query parameters: no NUL or lone surrogate in any name or value."""
    for key, values in data.lists():
        check_text(key, key)
        for value in values:
            if isinstance(value, str):
                check_text(value, key)
