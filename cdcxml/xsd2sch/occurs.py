"""Arithmetic on occurrence bounds, where ``None`` is unbounded."""

from __future__ import annotations


def mul(a: int | None, b: int | None) -> int | None:
    """The product of two bounds: zero wins over unbounded."""
    if a == 0 or b == 0:
        return 0
    if a is None or b is None:
        return None
    return a * b


def add(a: int | None, b: int | None) -> int | None:
    """The sum of two bounds."""
    return None if a is None or b is None else a + b
