"""Plain text for people: one line per finding, ``file:line: consumer: message [id]``."""

from __future__ import annotations

from collections.abc import Iterable

from ..results import DocumentReport, Finding, Summary


def finding_line(path: str, consumer: str, f: Finding) -> str:
    """One finding as a line."""
    where = f"{path}:{f.location.line}" if f.location.line else path
    if f.location.document:
        where = f"{f.location.document}:{f.location.line}" if f.location.line else f.location.document
    tag = f" [{f.id}]" if f.id else f" [{f.test}]"
    note = " (info)" if f.informational else ""
    message = f.message or f"{f.kind} {f.test!r} {'failed' if f.kind == 'assert' else 'fired'}"
    return f"{where}: {consumer}: {message}{tag}{note}"


def document_lines(d: DocumentReport) -> list[str]:
    """Every line for one document."""
    if d.error is not None:
        return [f"{d.path}: error: {d.error}"]
    lines = []
    if d.xsd is not None and not d.xsd.valid:
        lines.extend(f"{d.path}: xsd: {e}" for e in d.xsd.errors)
    for c in d.contracts:
        lines.extend(finding_line(d.path, c.consumer, f) for f in c.findings)
    return lines


def summary_line(s: Summary) -> str:
    """The closing line of a run."""
    return (f"{s.documents} document{'s' if s.documents != 1 else ''}: {s.valid} valid, "
            f"{s.invalid} invalid, {s.errors} could not be checked")


def render(documents: Iterable[DocumentReport]) -> str:
    """The whole text report."""
    lines, summary = [], Summary()
    for d in documents:
        summary = summary.add(d)
        lines.extend(document_lines(d))
    lines.append(summary_line(summary))
    return "\n".join(lines) + "\n"
