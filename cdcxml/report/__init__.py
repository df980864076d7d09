"""Reports, one module per format: text, JSON, JUnit XML, HTML, SVRL."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    from ..results import DocumentReport

# Characters XML 1.0 cannot carry; a response body or a captured document may contain them.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def xml_safe(value: str) -> str:
    """``value`` with the characters XML 1.0 (and so an XML or HTML report) cannot carry replaced."""
    return _NOT_XML.sub("\ufffd", value)


class Writer:
    """A report written as a batch run goes, in any format: :meth:`document` for each document,
    then :meth:`finish` with the run's tally. Nothing is held in memory per document: formats whose
    header needs the totals (JUnit, HTML) spool their body to a temporary file first. Each format
    module holds its writer (text.TextWriter, jsonout.JsonWriter and JsonlWriter, html.HtmlWriter,
    junit.DocumentsWriter)."""

    def __init__(self, out: TextIO):
        self.out = out

    def document(self, d: DocumentReport) -> list[str]:
        """Write one document's report; returns the lines people should see (text only)."""
        return []

    def finish(self, tally, *, interrupted: bool = False) -> None:
        """Close the report with the run's summary."""
