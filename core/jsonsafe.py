"""What every JSON body and socket frame must satisfy before any code looks at it.

A document nested deeper than PARLEY_JSON_MAX_DEPTH is refused (Python's parser would hit
its recursion limit near 1,000 and a 500 would follow), and so is any string, key or value,
holding a NUL or a lone surrogate: PostgreSQL cannot store either in text or jsonb, so they
would fail deep inside a write instead of at the door.
"""

import json

from django.conf import settings

from core.error_codes import CoreErrorCode
from core.exceptions import ApplicationError


class InputRefused(ApplicationError):
    """Bad input caught at the edge; `code` says which rule it broke."""

    code = CoreErrorCode.INVALID_INPUT


def text_is_clean(value: str) -> bool:
    """No NUL and no lone surrogate (a str that is not valid Unicode text)."""
    if "\x00" in value:
        return False
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def json_check(value, *, max_depth: int | None = None) -> None:
    """Walk a decoded document (without recursion): depth, and every key and string clean."""
    limit = settings.PARLEY_JSON_MAX_DEPTH if max_depth is None else max_depth
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, str):
            if not text_is_clean(item):
                raise InputRefused(
                    "Text may not contain NUL characters or unpaired surrogates.", code=CoreErrorCode.INVALID_CHARACTERS
                )
        elif isinstance(item, dict | list):
            if depth > limit:
                raise InputRefused(f"JSON may be nested at most {limit} levels deep.", code=CoreErrorCode.JSON_TOO_DEEP)
            children = item.items() if isinstance(item, dict) else ((None, child) for child in item)
            for key, child in children:
                if key is not None:
                    stack.append((key, depth))
                stack.append((child, depth + 1))


def _no_constants(name: str):
    raise ValueError(f"{name} is not valid JSON")


def json_loads(text: str | bytes, *, max_depth: int | None = None, invalid_code: str = CoreErrorCode.INVALID_JSON):
    """json.loads, strict (no NaN/Infinity), then `json_check`. Raises InputRefused; text that
    is not JSON at all with `invalid_code` (REST has always said DRF's `parse_error`)."""
    try:
        value = json.loads(text, parse_constant=_no_constants)
    except RecursionError:
        limit = settings.PARLEY_JSON_MAX_DEPTH if max_depth is None else max_depth
        raise InputRefused(
            f"JSON may be nested at most {limit} levels deep.", code=CoreErrorCode.JSON_TOO_DEEP
        ) from None
    except ValueError as exc:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
        raise InputRefused(f"The body is not valid JSON: {exc}", code=invalid_code) from None
    json_check(value, max_depth=max_depth)
    return value
