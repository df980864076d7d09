"""Where contracts come from: files and directories (git and installed packages extend this)."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from .contract import Contract, load_contract
from .errors import InputError

CONTRACT_SUFFIXES = (".sch", ".schematron")


def contract_files(source: str | Path) -> list[Path]:
    """The contract files a file or directory source names, in a stable order."""
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
    seen: set[Path] = set()
    contracts = []
    for source in sources:
        for f in contract_files(source):
            key = f.resolve()
            if key in seen:
                continue
            seen.add(key)
            contracts.append(load_contract(f))
    return contracts
