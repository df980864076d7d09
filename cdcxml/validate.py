"""Run contracts over documents: the library call behind ``cdcxml validate``."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path

from lxml import etree

from . import xmlio
from .contract import Contract
from .errors import CdcxmlError, InputError, RunError
from .results import DocumentReport, XsdReport

DOCUMENT_SUFFIXES = (".xml", ".soap")


def document_paths(inputs: Iterable[str | Path]) -> Iterator[str]:
    """Expand files, directories (recursed, *.xml and *.soap) and ``-`` into document names."""
    for item in inputs:
        name = str(item)
        if name == "-":
            yield name
            continue
        p = Path(item)
        if p.is_dir():
            found = sorted(
                f for f in p.rglob("*")
                if f.is_file() and f.suffix.lower() in DOCUMENT_SUFFIXES
                and not any(part.startswith(".") for part in f.relative_to(p).parts)
            )
            if not found:
                raise InputError("no documents (*.xml) in this directory", path=name)
            yield from (str(f) for f in found)
        else:
            yield name


def check_document(
    tree: etree._ElementTree,
    name: str,
    contracts: Sequence[Contract],
    *,
    phase: str | None = None,
    xsd: Callable[[etree._ElementTree], XsdReport] | None = None,
    source: bytes | None = None,
) -> DocumentReport:
    """Run every contract (and the XSD check, if given) on one parsed document; ``source``, the
    bytes it was parsed from, makes every line exact."""
    reports = []
    for contract in contracts:
        try:
            reports.append(contract.validate(tree, phase=phase, source=source))
        except RunError as err:
            return DocumentReport(name, tuple(reports), error=f"{contract.consumer}: {err.message}")
    return DocumentReport(name, tuple(reports), xsd=xsd(tree) if xsd else None)


def validate(
    documents: str | Path | Iterable[str | Path],
    contracts: Contract | Sequence[Contract],
    *,
    phase: str | None = None,
    xsd: Callable[[etree._ElementTree], XsdReport] | None = None,
) -> Iterator[DocumentReport]:
    """Check each document against every contract; unreadable documents become error entries."""
    # One path or one contract is not a sequence of them (a str would iterate by character).
    if isinstance(documents, str | Path):
        documents = [documents]
    if isinstance(contracts, Contract):
        contracts = [contracts]
    for name in document_paths(documents):
        try:
            tree = xmlio.parse_file(name)
        except CdcxmlError as err:
            yield DocumentReport(name, error=_one_line(err))
            continue
        yield check_document(tree, name, contracts, phase=phase, xsd=xsd)


def _one_line(err: CdcxmlError) -> str:
    return (f"line {err.line}: " if err.line else "") + err.message
