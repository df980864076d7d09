"""Where contracts come from: files, directories, ``git+URL@REF`` and installed packages.

Git and package sources are resolved by :mod:`cdcxml.sources.repository`; where a lock file pins a
source (``cdcxml.lock`` beside ``cdcxml.toml`` in the working directory), it is taken at its pin
and refused if its files no longer match (:mod:`cdcxml.sources.lock`).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from ..contract import Contract, load_contract
from ..errors import InputError

CONTRACT_SUFFIXES = (".sch", ".schematron")


def contract_files(source: str | Path) -> list[Path]:
    """The contract files a source names, in a stable order (git sources are fetched first)."""
    from .repository import is_git_source, is_installed_source, resolve

    if is_git_source(source) or is_installed_source(source):
        return [f for found in resolve(str(source)) for f in found.contracts]
    p = Path(source)
    if p.is_dir():
        found = sorted(f for f in p.rglob("*") if f.suffix in CONTRACT_SUFFIXES and f.is_file())
        if not found:
            raise InputError("no contract files (*.sch) in this directory", path=str(p))
        return found
    if p.is_file():
        return [p]
    raise InputError("no such contract file or directory", path=str(p))


def load_contracts(sources: Iterable[str | Path]) -> list[Contract]:
    """Load every contract the sources name; the same file named twice is loaded once."""
    sources = list(sources)
    files = _pinned_files(sources)
    if files is None:
        files = [f for source in sources for f in contract_files(source)]
    seen: set[Path] = set()
    contracts = []
    for f in files:
        key = f.resolve()
        if key in seen:
            continue
        seen.add(key)
        contracts.append(load_contract(f))
    return contracts


def _pinned_files(sources: list[str | Path]) -> list[Path] | None:
    """The sources' files through the lock when one is around or a source needs resolving."""
    from . import lock as pins
    from .repository import is_git_source, is_installed_source

    needs_resolving = any(is_git_source(s) or is_installed_source(s) for s in sources)
    pinning = pins.discover() if needs_resolving or Path(pins.LOCK_NAME).exists() else None
    if pinning is None and not needs_resolving:
        return None
    if pinning is None:
        found = pins.resolve_sources(sources)
    else:
        lock = pins.read_lock(pinning.lock) if pinning.lock.is_file() else None
        found = pins.resolve_sources(sources, base=pinning.base, cache=pinning.cache, lock=lock,
                                     lock_name=pinning.lock.name)
    return [f for r in found for f in r.contracts]
