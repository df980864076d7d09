"""``--time-limit`` and ``--memory-limit``: what checking one document may cost."""

from __future__ import annotations

import functools
from collections.abc import Iterable

import click

from ..limits import guard


def limit_options(func):
    """The two limit options, handed to the command as one ``budget`` (a :class:`guard.Budget`)."""

    @click.option("--time-limit", type=click.FloatRange(min=0), default=60, show_default=True,
                  metavar="SECONDS", help="Stop a document's check after this long (0: no limit).")
    @click.option("--memory-limit", type=click.IntRange(min=0), default=4096, show_default=True,
                  metavar="MB", help="Stop a document's check beyond this much memory "
                                     "(0: no limit).")
    @functools.wraps(func)
    def wrapper(*args, time_limit: float, memory_limit: int, **kwargs):
        budget = guard.Budget(time_limit or None, memory_limit * guard.MB or None)
        return func(*args, budget=budget, **kwargs)

    return wrapper


def say_stopped(lines: Iterable[str]) -> None:
    """One line on standard error for each check stopped at its limit."""
    for line in lines:
        click.echo(f"cdcxml: {line}", err=True)
