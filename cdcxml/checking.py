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
) -> DocumentReport:
    """Run every contract (and the XSD check, if given) on one parsed document."""
    reports = []
    for contract in contracts:
        try:
            reports.append(contract.validate(tree, phase=phase))
        except RunError as err:
            return DocumentReport(name, tuple(reports), error=f"{contract.consumer}: {err.message}")
    return DocumentReport(name, tuple(reports), xsd=xsd(tree) if xsd else None)


_ONE_DOCUMENT = (str, Path, bytes, bytearray, memoryview, etree._ElementTree, etree._Element)


def validate(
    documents,
    contracts: Contract | str | Path | Iterable[Contract | str | Path],
    *,
    phase: str | None = None,
    xsd: Callable[[etree._ElementTree], XsdReport] | None = None,
) -> Iterator[DocumentReport]:
    """Check each document against every contract; unreadable documents become error entries.

    ``documents`` is what :meth:`Contract.validate` takes (a path, a str path, bytes, an lxml tree
    or element), or an iterable of those; paths may be directories (their ``*.xml`` and
    ``*.soap``) or ``-`` for standard input. ``contracts`` is a :class:`Contract`, a contract
    source (file, directory, ``git+URL@REF``, ``installed:NAME``), or an iterable of those; sources
    are loaded (and compiled) before any document is read.
    """
    # One path or one contract is not a sequence of them (a str would iterate by character).
    if isinstance(documents, _ONE_DOCUMENT):
        documents = [documents]
    contracts = _contracts(contracts)
    for doc in documents:
        if not isinstance(doc, str | Path):  # bytes or a tree: already in memory
            yield _in_memory(doc, contracts, phase=phase, xsd=xsd)
            continue
        yield from _files([doc], contracts, phase=phase, xsd=xsd)


def _contracts(contracts) -> list[Contract]:
    if isinstance(contracts, Contract | str | Path):
        contracts = [contracts]
    out: list[Contract] = []
    for c in contracts:
        if isinstance(c, Contract):
            out.append(c)
        else:
            from .sources import load_contracts

            out.extend(load_contracts([c]))  # loading compiles
    return out


def _in_memory(doc, contracts, *, phase, xsd) -> DocumentReport:
    name = "<bytes>" if isinstance(doc, bytes | bytearray | memoryview) else None
    try:
        tree = xmlio.load(doc)
    except CdcxmlError as err:
        return DocumentReport(err.path or name or "<document>", error=_one_line(err))
    return check_document(tree, name or xmlio.display_name(tree), contracts, phase=phase, xsd=xsd)


def _files(documents, contracts, *, phase, xsd) -> Iterator[DocumentReport]:
    for name in document_paths(documents):
        try:
            tree = xmlio.parse_file(name)
        except CdcxmlError as err:
            yield DocumentReport(name, error=_one_line(err))
            continue
        yield check_document(tree, name, contracts, phase=phase, xsd=xsd)


def _one_line(err: CdcxmlError) -> str:
    return (f"line {err.line}: " if err.line else "") + err.message
