"""Where contracts come from: files, directories, ``git+URL@REF`` and installed packages.

Files and directories are read by :mod:`cdcxml.sources.files`; git and package sources are
resolved by :mod:`cdcxml.sources.repository`. Given a :class:`~cdcxml.sources.lock.Pinning` (the
command line finds one in ``cdcxml.toml`` or ``cdcxml.lock`` of the working directory), a source
its lock pins is taken at its pin and refused if its files no longer match
(:mod:`cdcxml.sources.lock`). The library itself never looks for those files.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from ..contract import Contract, load_contract
from .files import CONTRACT_SUFFIXES, local_contracts
from .lock import LOCK_NAME, Pinning, discover, resolve_sources
from .repository import is_git_source, is_installed_source


def load_contracts(sources: Iterable[str | Path], pinning: Pinning | None = None) -> list[Contract]:
    """Load every contract the sources name; the same file named twice is loaded once.

    With a ``pinning``, sources its lock records are taken at their pins (see :func:`pinning_for`).
    """
    sources = list(sources)
    if pinning is None and not any(needs_resolving(s) for s in sources):
        files = [f for source in sources for f in local_contracts(source)]
    else:
        files = [f for r in resolve_sources(sources, pinning=pinning) for f in r.contracts]
    seen: set[Path] = set()
    contracts = []
    for f in files:
        key = f.resolve()
        if key in seen:
            continue
        seen.add(key)
        contracts.append(load_contract(f))
    return contracts


def needs_resolving(source: str | Path) -> bool:
    """Whether a source is resolved (git or installed packages) rather than read as a path."""
    return is_git_source(source) or is_installed_source(source)


def pinning_for(sources: Iterable[str | Path], folder: Path) -> Pinning | None:
    """The pins a run in ``folder`` uses for ``sources``: those of ``folder``'s cdcxml.toml or
    cdcxml.lock, looked for when a source needs resolving or ``folder`` holds a lock file."""
    if any(needs_resolving(s) for s in sources) or (folder / LOCK_NAME).exists():
        return discover(folder)
    return None


__all__ = ["CONTRACT_SUFFIXES", "Pinning", "load_contracts", "needs_resolving",
           "pinning_for"]
