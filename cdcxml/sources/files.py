"""Contracts on disk: a contract file, or every contract file below a directory."""

from __future__ import annotations

from pathlib import Path

from ..errors import InputError

CONTRACT_SUFFIXES = (".sch", ".schematron")


def local_contracts(source: str | Path) -> list[Path]:
    """The contract files a file or directory names, in a stable order."""
    p = Path(source)
    if p.is_dir():
        found = sorted(f for f in p.rglob("*") if f.suffix in CONTRACT_SUFFIXES and f.is_file())
        if not found:
            raise InputError("no contract files (*.sch) in this directory", path=str(p))
        return found
    if p.is_file():
        return [p]
    raise InputError("no such file or directory", path=str(p))
