"""Targeted against full validation: each consumer's verdict beside the provider XSD's."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

from ..checking import check_documents, contract_prefixes, require_contracts
from ..contract import Contract
from ..interactions import NO_HINTS, Hints
from ..limits.guard import Budget
from ..results import DocumentReport
from ..xsd.payload import xsd_check
from .results import (
    BOTH_ACCEPT,
    BOTH_REJECT,
    SOAP_FAULT,
    UNANSWERED,
    XSD_ACCEPTS_CONSUMER_REJECTS,
    XSD_REJECTS_CONSUMERS_ACCEPT,
    Contrast,
    ContrastRow,
)


def category(report: DocumentReport) -> str | None:
    """Which of the article's four cases a checked document is; None if it could not be checked."""
    if report.error is not None or report.xsd is None:
        return None
    if report.unanswered is not None:  # no consumer's: neither accepted nor rejected by one
        return UNANSWERED
    if report.xsd.fault:
        return SOAP_FAULT
    consumers_accept = all(c.valid for c in report.applicable)
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
    contracts = require_contracts(contracts)
    stopped: list[str] = []
    check = xsd_check(xsd, prefixes=contract_prefixes(contracts))
    reports = list(check_documents(documents, contracts, phase=phase, xsd=check, budget=budget,
                                   stopped=stopped, hints=hints))
    consumers = tuple(dict.fromkeys(c.consumer for c in contracts))
    return Contrast(str(xsd.path), consumers, tuple(ContrastRow(r, category(r)) for r in reports),
                    tuple(stopped))
