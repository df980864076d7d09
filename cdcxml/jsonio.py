"""The one JSON reader: whatever the input, a value or a one-line error naming the input."""

from __future__ import annotations

import json
from typing import Any

from .errors import JsonError


def loads(data: bytes | str, *, name: str) -> Any:
    """The JSON value in ``data`` (bytes must be UTF-8), read from the input called ``name``.

    Anything that is not JSON raises a ``JsonError`` naming ``name`` and, for a syntax error, its
    line: malformed JSON, text that is not UTF-8, and nesting too deep for the parser (which
    Python reports as a RecursionError). Callers re-raise it as their own kind of error.
    """
    try:
        text = data.decode("utf-8") if isinstance(data, bytes) else data
        return json.loads(text)
    except json.JSONDecodeError as err:
        raise JsonError(f"not JSON: {err.msg} (column {err.colno})", path=name,
                    line=err.lineno) from None
    except UnicodeDecodeError as err:
        raise JsonError(f"not JSON: not UTF-8 ({err.reason} at byte {err.start})",
                    path=name) from None
    except RecursionError:
        raise JsonError("not JSON this reader accepts: nested too deeply", path=name) from None
    except ValueError as err:  # numbers too long to convert, and the like
        raise JsonError(f"not JSON: {err}", path=name) from None
