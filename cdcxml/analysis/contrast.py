"""Targeted against full validation: each consumer's verdict beside the provider XSD's."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

from .. import xmlio
from ..checking import check_document, contract_prefixes, document_paths
from ..contract import Contract
from ..errors import CdcxmlError
from ..interactions import NO_HINTS, Hints
from ..limits.guard import Budget, RunawayError
from ..limits.pool import GuardedMap
from ..results import DocumentReport
from ..xsd.payload import xsd_check
from .results import (
    BOTH_ACCEPT,
    BOTH_REJECT,
    SOAP_FAULT,
    XSD_ACCEPTS_CONSUMER_REJECTS,
    XSD_REJECTS_CONSUMERS_ACCEPT,
    Contrast,
    ContrastRow,
)


def category(report: DocumentReport) -> str | None:
    """Which of the article's four cases a checked document is, or a SOAP fault (its own case);
    None if it could not be checked."""
    if report.error is not None or report.xsd is None:
        return None
    if report.xsd.fault:
        return SOAP_FAULT
    consumers_accept = all(c.valid for c in report.contracts)
    if report.xsd.valid:
        return BOTH_ACCEPT if consumers_accept else XSD_ACCEPTS_CONSUMER_REJECTS
    return XSD_REJECTS_CONSUMERS_ACCEPT if consumers_accept else BOTH_REJECT


def contrast(documents: Iterable[str | Path], contracts: Sequence[Contract], xsd, *,
             phase: str | None = None, hints: Hints = NO_HINTS,
             budget: Budget = Budget()) -> Contrast:  # noqa: B008
    """Validate each document against ``xsd`` (a loaded ``cdcxml.xsd.Xsd``) and every contract.

    With a ``budget``, each document is read and checked in a worker process under that time and
    memory limit; a check over it is the document's error, and a line in ``stopped``.
    """
    check = xsd_check(xsd, prefixes=contract_prefixes(contracts))
    items = [(name, _stdin() if name == "-" else None) for name in document_paths(documents)]

    def one(item: tuple[str, bytes | CdcxmlError | None]) -> DocumentReport:
        return _check_one(*item, contracts, phase, check, hints)

    with GuardedMap(one, budget) as guarded:
        answers = guarded.map(items)
    reports, stopped = [], []
    for (name, _), answer in zip(items, answers, strict=True):
        if isinstance(answer, RunawayError):
            stopped.append(f"{name}: {answer.message}")
            answer = DocumentReport(name, error=answer.message)
        reports.append(answer)
    consumers = tuple(dict.fromkeys(c.consumer for c in contracts))
    return Contrast(str(xsd.path), consumers, tuple(ContrastRow(r, category(r)) for r in reports),
                    tuple(stopped))


def _stdin() -> bytes | CdcxmlError:
    # Read here: a worker process does not share this process's standard input.
    try:
        return xmlio.read_bytes("-")
    except CdcxmlError as err:
        return err


def _check_one(name: str, data: bytes | CdcxmlError | None, contracts: Sequence[Contract],
               phase: str | None, check: Callable, hints: Hints = NO_HINTS) -> DocumentReport:
    try:
        if isinstance(data, CdcxmlError):
            raise data
        tree = xmlio.parse_file(name) if data is None else xmlio.parse_bytes(data, name)
    except CdcxmlError as err:  # a document that cannot be read: reported, the run goes on
        return DocumentReport(name, error=(f"line {err.line}: " if err.line else "") + err.message)
    return check_document(tree, name, contracts, phase=phase, xsd=check, hints=hints)
