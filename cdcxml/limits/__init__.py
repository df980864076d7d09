"""Time and memory limits for checking one document: the guard and its worker pool."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..errors import RunawayError


def settle(answer: Any, what: str, stopped: list[str] | None, instead: Callable[[str], Any]) -> Any:
    """``answer``, or for a check stopped at its limit ``instead(reason)``, with a line in ``stopped``.

    A guarded map answers a check that ran over its time or memory with a :class:`RunawayError`;
    this turns it into whatever a stopped check stands for (a document's error, a failed contract),
    and records ``what: reason`` for the line the command prints about it.
    """
    if not isinstance(answer, RunawayError):
        return answer
    if stopped is not None:
        stopped.append(f"{what}: {answer.message}")
    return instead(answer.message)


__all__ = ["settle"]
