"""What other engines run although ISO forbids it: run it too, where its meaning is clear, with
one warning each; refuse it when compiling strictly (``--strict``; ``lint`` reports it as an error).
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import SchematronError
from .model import Where


@dataclass(frozen=True, slots=True)
class Leniency:
    """One departure from ISO Schematron that was run anyway, and what was done instead."""

    where: Where
    message: str

    def __str__(self) -> str:
        return f"{self.where}: warning: {self.message}"


class Lenience:
    """Collects leniencies while a schema is compiled, or refuses them when strict."""

    def __init__(self, strict: bool = False):
        self.strict = strict
        self.found: list[Leniency] = []

    def allow(self, file: str, line: int | None, problem: str, instead: str) -> None:
        """``problem`` happened at file:line; ``instead`` says what cdcxml does about it."""
        if self.strict:
            raise SchematronError(problem, path=file, line=line)
        found = Leniency(Where(file, line), f"{problem}; {instead}")
        if found not in self.found:
            self.found.append(found)
