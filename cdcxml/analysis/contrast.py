"""Targeted against full validation: each consumer's verdict beside the provider XSD's."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

from ..contract import Contract
from ..results import DocumentReport
from ..soapbody import xsd_check
from ..validate import validate
from .results import (
    BOTH_ACCEPT,
    BOTH_REJECT,
    XSD_ACCEPTS_CONSUMER_REJECTS,
    XSD_REJECTS_CONSUMERS_ACCEPT,
    Contrast,
    ContrastRow,
)


def category(report: DocumentReport) -> str | None:
    """Which of the article's four cases a checked document is; None if it could not be checked."""
    if report.error is not None or report.xsd is None:
        return None
    consumers_accept = all(c.valid for c in report.contracts)
    if report.xsd.valid:
        return BOTH_ACCEPT if consumers_accept else XSD_ACCEPTS_CONSUMER_REJECTS
    return XSD_REJECTS_CONSUMERS_ACCEPT if consumers_accept else BOTH_REJECT


def contrast(documents: Iterable[str | Path], contracts: Sequence[Contract], xsd, *,
             phase: str | None = None) -> Contrast:
    """Validate each document against ``xsd`` (a loaded ``cdcxml.xsd.Xsd``) and every contract."""
    rows = tuple(ContrastRow(r, category(r))
                 for r in validate(documents, contracts, phase=phase, xsd=xsd_check(xsd)))
    consumers = tuple(dict.fromkeys(c.consumer for c in contracts))
    return Contrast(str(xsd.path), consumers, rows)
