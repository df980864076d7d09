"""``--installed [--provider NAME]``: installed contract packages as a source for any command."""

from __future__ import annotations

import functools
from collections.abc import Iterable
from pathlib import Path

import click

from ..contract import Contract
from ..sources import load_contracts, pinning_for
from ..sources.repository import installed_source

CONTRACT_HELP = ("Contract source (repeatable): a file, a directory, git+URL@REF[#subdirectory=DIR] "
                 "or installed:PROVIDER (installed contract packages); see also --installed.")


def load_sources(sources: Iterable[str | Path]) -> list[Contract]:
    """The contracts the sources name, pinned by the working directory's cdcxml.toml/cdcxml.lock."""
    from .common import say_loaded

    sources = tuple(sources)
    found = load_contracts(sources, pinning_for(sources, Path(".")))
    say_loaded(found)
    return found


def installed_option(sources_param: str = "contracts"):
    """Add ``--installed`` and ``--provider`` to a command; they join its ``sources_param`` tuple.

    ``--installed`` adds every installed contract package (entry point group ``cdcxml.contracts``)
    as a source, only those for ``--provider NAME`` when given. A command with a required ``-c``
    option should make it optional, since ``--installed`` can be the only source.
    """

    def decorate(func):
        @click.option("--installed", is_flag=True,
                      help="Also use every installed contract package (entry point group "
                           "cdcxml.contracts; see --provider).")
        @click.option("--provider", "installed_provider", metavar="NAME",
                      help="With --installed: only packages with contracts for this provider.")
        @functools.wraps(func)
        def wrapper(*args, installed: bool, installed_provider: str | None, **kwargs):
            if installed_provider and not installed:
                raise click.UsageError("--provider is used with --installed")
            if installed:
                sources = tuple(kwargs.get(sources_param) or ())
                kwargs[sources_param] = (*sources, installed_source(installed_provider))
            return func(*args, **kwargs)

        return wrapper

    return decorate


def contracts_option(func):
    """``-c/--contract SOURCE...`` plus ``--installed [--provider NAME]``; at least one source."""

    @click.option("-c", "--contract", "contracts", multiple=True, metavar="SOURCE",
                  help=CONTRACT_HELP)
    @installed_option("contracts")
    @functools.wraps(func)
    def wrapper(*args, contracts: tuple, **kwargs):
        if not contracts:
            raise click.UsageError("give at least one contract source with -c (or --installed)")
        return func(*args, contracts=contracts, **kwargs)

    return wrapper
