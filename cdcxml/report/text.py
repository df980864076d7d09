"""Plain text for people: one line per finding, ``file:line: consumer: message [id]``."""

from __future__ import annotations

from collections.abc import Iterable

from ..results import DocumentReport, Finding, Location, Summary, XsdIssue


def where(path: str, location: Location, *, at: bool = False) -> str:
    """``file:line`` of a location (its own document first); ``at`` adds the XPath, for findings
    that share a line (a SOAP envelope written on one line puts every finding on it)."""
    doc = location.document or path
    out = f"{doc}:{location.line}" if location.line else doc
    return f"{out}: {location.xpath}" if at and location.xpath else out


def finding_line(path: str, consumer: str, f: Finding, *, at: bool = False) -> str:
    """One finding as a line."""
    tag = f" [{f.id}]" if f.id else f" [{f.test}]"
    note = " (info)" if f.informational else ""
    message = f.message or f"{f.kind} {f.test!r} {'failed' if f.kind == 'assert' else 'fired'}"
    return f"{where(path, f.location, at=at)}: {consumer}: {message}{tag}{note}"


def xsd_line(path: str, issue: XsdIssue, *, at: bool = True) -> str:
    """One XSD error as a line, in the form of a finding: ``file:line: xsd: message (at XPath)``."""
    xpath = f" (at {issue.location.xpath})" if at and issue.location.xpath else ""
    return f"{where(path, issue.location)}: xsd: {issue.message}{xpath}"


def shared_lines(d: DocumentReport) -> set[tuple[str | None, int | None]]:
    """(document, line) pairs where findings point at different nodes: those lines need the XPath
    to tell the findings apart (a SOAP envelope written on one line puts every finding on it)."""
    paths: dict[tuple[str | None, int | None], set[str]] = {}
    for c in d.contracts:
        for f in c.findings:
            paths.setdefault((f.location.document, f.location.line), set()).add(f.location.xpath)
    return {key for key, found in paths.items() if len(found) > 1 and key[1] is not None}


def document_lines(d: DocumentReport) -> list[str]:
    """Every line for one document."""
    if d.error is not None:
        return [f"{d.path}: error: {d.error}"]
    lines = [f"{d.path}: {d.unanswered}"] if d.unanswered is not None else []
    if d.xsd is not None and not d.xsd.valid:
        lines.extend(xsd_line(d.path, e) for e in d.xsd.errors)
    shared = shared_lines(d)
    for c in d.contracts:
        lines.extend(finding_line(d.path, c.consumer, f,
                                  at=(f.location.document, f.location.line) in shared)
                     for f in c.findings)
    return lines


def phase_lines(d: DocumentReport) -> list[str]:
    """Which phase each contract ran under, where a choice was made (not just the default); the
    contracts that do not apply to the document, once (unless none does: that is its failure)."""
    lines = [f"{d.path}: {c.consumer}: phase {c.phase or '#ALL'} ({c.chosen_by})"
             for c in d.contracts if c.applies and c.chosen_by not in (None, "default phase")]
    if d.unanswered is None:
        lines.extend(not_applicable_lines(d))
    return lines


def not_applicable_lines(d: DocumentReport) -> list[str]:
    """One line for the contracts that are not for the document, grouped by reason."""
    reasons: dict[str, list[str]] = {}
    for c in d.contracts:
        if not c.applies:
            reasons.setdefault(c.not_applicable, []).append(c.consumer)
    return [f"{d.path}: n/a for {', '.join(who)} ({why})" for why, who in reasons.items()]


def summary_line(s: Summary) -> str:
    """The closing line of a run."""
    return (f"{s.documents} document{'s' if s.documents != 1 else ''}: {s.valid} valid, "
            f"{s.invalid} invalid, {s.errors} could not be checked")


def render(documents: Iterable[DocumentReport], *, summary: bool = True,
           holding: bool = False) -> str:
    """The whole text report; ``holding`` adds a ``path: ok`` line for each document that holds."""
    lines, total = [], Summary()
    for d in documents:
        total = total.add(d)
        lines.extend(phase_lines(d))
        lines.extend(document_lines(d))
        if holding and d.valid:
            lines.append(f"{d.path}: ok")
    if summary:
        lines.append(summary_line(total))
    return "".join(f"{line}\n" for line in lines)
