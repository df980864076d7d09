"""Small helpers that write XPath 1.0 text: literals, numbers, boolean glue."""

from __future__ import annotations

import re
from decimal import Decimal


def literal(text: str) -> str:
    """An XPath 1.0 string literal for ``text`` (``concat`` when it holds both quote kinds)."""
    if "'" not in text:
        return f"'{text}'"
    if '"' not in text:
        return f'"{text}"'
    parts = text.split("'")
    pieces = []
    for i, part in enumerate(parts):
        if part:
            pieces.append(f"'{part}'")
        if i < len(parts) - 1:
            pieces.append('"\'"')
    return "concat(" + ", ".join(pieces) + ")" if len(pieces) > 1 else pieces[0]


def number(value) -> str:
    """An XPath 1.0 number literal (plain decimal notation: XPath 1.0 has no exponents)."""
    dec = value if isinstance(value, Decimal) else Decimal(repr(value) if isinstance(value, float)
                                                           else str(value))
    if dec == dec.to_integral_value():
        return str(int(dec))
    text = format(dec.normalize(), "f")
    return text


def any_of(tests: list[str]) -> str:
    """``a or b or ...`` (each part bracketed when needed); ``false()`` for none."""
    tests = [t for t in tests if t]
    if not tests:
        return "false()"
    if len(tests) == 1:
        return tests[0]
    return " or ".join(_wrap(t) for t in tests)


def all_of(tests: list[str]) -> str:
    """``a and b and ...`` (each part bracketed when needed); ``true()`` for none."""
    tests = [t for t in tests if t]
    if not tests:
        return "true()"
    if len(tests) == 1:
        return tests[0]
    return " and ".join(_wrap(t) for t in tests)


def negate(test: str) -> str:
    """``not(test)``."""
    return f"not({test})"


def unless(condition: str | None, test: str) -> str:
    """A test that holds when ``condition`` holds or ``test`` does."""
    if not condition:
        return test
    return f"{_wrap(condition)} or {_wrap(test)}"


def _wrap(test: str) -> str:
    return f"({test})" if _needs_brackets(test) else test


def _needs_brackets(test: str) -> bool:
    depth = 0
    quote = None
    i = 0
    while i < len(test):
        ch = test[i]
        if quote:
            if ch == quote:
                quote = None
        elif ch in "'\"":
            quote = ch
        elif ch in "([":
            depth += 1
        elif ch in ")]":
            depth -= 1
        elif depth == 0 and ch == " ":
            word = test[i + 1 : i + 5]
            if word.startswith("or ") or word.startswith("and "):
                return True
        i += 1
    return False


_OPERATOR_GROUP = re.compile(r"(?<=[\w)\]'\".] )(and|or|div|mod|\*)( *)\(")


def spell_out_groups(expr: str) -> str:
    """Write ``a and (b)`` as ``a and boolean(b)`` (``x * (y)`` as ``x * number(y)``).

    Both spellings mean the same in XPath 1.0, since ``and``/``or`` convert their operands with
    boolean() and arithmetic with number(); the spelled-out one also reads unambiguously to
    tools that take an operator before a bracket for a function name.
    """
    literals = literal_spans(expr)

    def swap(match: re.Match) -> str:
        if any(a <= match.start() < b for a, b in literals):
            return match.group(0)
        word = "boolean" if match.group(1) in ("and", "or") else "number"
        return f"{match.group(1)}{match.group(2)}{word}("

    return _OPERATOR_GROUP.sub(swap, expr)


def literal_spans(expr: str) -> list[tuple[int, int]]:
    """Where the string literals of an XPath expression start and end."""
    spans = []
    i = 0
    while i < len(expr):
        if expr[i] in "'\"":
            close = expr.find(expr[i], i + 1)
            end = len(expr) if close < 0 else close + 1
            spans.append((i, end))
            i = end
        else:
            i += 1
    return spans
