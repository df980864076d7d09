"""JUnit XML (the Ant/Jenkins format) for every command that writes it.

A check that breaks a contract is a ``<failure>`` carrying the failed assertions with their lines;
one that could not be made (no answer, not XML, an unreadable document) is an ``<error>``, so CI
tells "the provider broke a consumer" from "the check could not run". Each command cuts its own
suites and cases; :func:`testcase` builds every case, and text XML 1.0 cannot carry is replaced.

- ``verify``: a testsuite per consumer, a testcase per interaction. A failure of a pending
  contract (one that never passed on the provider's main line) is ``<skipped>`` with the failure
  as its message, since it does not fail the build.
- ``validate`` and ``batch``: a testsuite per consumer (and one for the XSD), a testcase per
  document, written as the run goes (:class:`DocumentsWriter`).
- ``contrast``: a testsuite for the XSD and one per consumer, a testcase per document.
- ``impact``: a testcase per consumer (and per caller of a changed operation).
"""

from __future__ import annotations

import html
import tempfile
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, TextIO

from lxml import etree

from ..results import DocumentReport
from . import text
from . import xml_safe as clean

if TYPE_CHECKING:
    from ..analysis.results import Contrast, Impact
    from ..verify import InteractionResult

def testcase(parent: etree._Element | None, name: str, classname: str, *,
             time: str | None = None, outcome: str | None = None, message: str = "",
             kind: str | None = None, body: Iterable[str] | None = None) -> etree._Element:
    """A ``<testcase>`` (in ``parent``, if given); with ``outcome`` (failure, error or skipped),
    its element with ``message``, the ``kind`` as its type and the ``body`` lines as its text."""
    attrs = {"name": clean(name), "classname": clean(classname)}
    if time is not None:
        attrs["time"] = time
    case = (etree.Element("testcase", attrs) if parent is None
            else etree.SubElement(parent, "testcase", attrs))
    if outcome is not None:
        el = etree.SubElement(case, outcome, message=clean(message))
        if kind is not None:
            el.set("type", kind)
        if body is not None:
            el.text = clean("\n".join(body))
    return case


def render(root: etree._Element) -> bytes:
    """The document, declared and indented."""
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


# -- verify ----------------------------------------------------------------------------------------

def _seconds(value: float) -> str:
    return f"{value:.3f}"


def render_junit(results: Sequence[InteractionResult], *, name: str = "cdcxml verify",
                 timestamp: datetime | None = None) -> bytes:
    """The JUnit XML document for a verify run."""
    suites: dict[str, list[InteractionResult]] = {}
    for r in results:
        suites.setdefault(r.consumer, []).append(r)
    root = etree.Element("testsuites", name=name)
    _counts(root, results)
    for consumer, members in suites.items():
        suite = etree.SubElement(root, "testsuite", name=consumer)
        _counts(suite, members)
        suite.set("skipped", str(sum(1 for r in members if _forgiven(r))))
        if timestamp is not None:
            suite.set("timestamp", timestamp.replace(microsecond=0).isoformat())
        props = etree.SubElement(suite, "properties")
        for contract in dict.fromkeys(r.contract for r in members):
            etree.SubElement(props, "property", name="contract", value=clean(contract))
        for r in members:
            _interaction(suite, r)
    return render(root)


def _counts(el: etree._Element, results: Sequence[InteractionResult]) -> None:
    from ..verify import ERROR, FAILED

    el.set("tests", str(len(results)))
    el.set("failures", str(sum(1 for r in results if r.outcome == FAILED and not _forgiven(r))))
    el.set("errors", str(sum(1 for r in results if r.outcome == ERROR)))
    el.set("time", _seconds(sum(r.elapsed for r in results)))


def _interaction(suite: etree._Element, r: InteractionResult) -> None:
    from ..verify import ERROR, FAILED

    outcome = message = kind = body = None
    if _forgiven(r):
        lines = text.problems(r)
        first = lines[0] if lines else r.outcome
        outcome, message = "skipped", f"pending contract: {first}"
        body = ["pending: this contract has never passed on the provider's main line, so its "
                "failures do not fail the build", *lines]
    elif r.outcome in (FAILED, ERROR):
        lines = text.problems(r)
        outcome, kind = ("failure" if r.outcome == FAILED else "error"), _kind(r)
        message = lines[0] if lines else r.outcome
        body = [f"{r.method} {r.url}" + (f" -> {r.status}" if r.status else ""), *lines]
    case = testcase(suite, r.interaction, r.consumer, time=_seconds(r.elapsed), outcome=outcome,
                    message=message or "", kind=kind, body=body)
    out = [f"{r.method} {r.url}" + (f" -> {r.status}" if r.status is not None else "")]
    if r.state:
        out.append(f"provider state: {r.state}")
    if r.phase:
        out.append(f"phase: {r.phase}")
    if r.body_excerpt and not r.valid:
        out.extend(["", r.body_excerpt.decode("utf-8", "replace")])
    etree.SubElement(case, "system-out").text = clean("\n".join(out))


def _forgiven(r: InteractionResult) -> bool:
    from ..verify import FAILED

    return r.pending and r.outcome == FAILED


def _kind(r: InteractionResult) -> str:
    from ..verify import ERROR

    if r.outcome == ERROR:
        return "transport" if r.status is None else "response"
    if r.failures and not r.mismatches:
        return "assertion"
    if r.fault is not None:
        return "soap-fault"
    return "response"


# -- validate and batch ----------------------------------------------------------------------------

class DocumentsWriter:
    """Document reports, written one at a time, into a suite per consumer (and one for the XSD).

    The suites' counts come first in the document, so each suite's cases are spooled to a
    temporary file until :meth:`finish`; nothing is held in memory per document.
    """

    def __init__(self, out: TextIO):
        self.out = out
        self.suites: dict[str, list] = {}  # name -> [spool, tests, failures, errors, skipped]

    def _case(self, suite: str, d: DocumentReport, tag: str | None, message: str,
              body: list[str]) -> None:
        entry = self.suites.get(suite)
        if entry is None:
            entry = [tempfile.TemporaryFile("w+", encoding="utf-8"), 0, 0, 0, 0]  # noqa: SIM115
            self.suites[suite] = entry
        if tag == "skipped":  # the document is not for this consumer: nothing was checked
            case = testcase(None, d.path, suite, outcome=tag, message=message)
        else:
            case = testcase(None, d.path, suite, outcome=tag, message=message,
                            kind="unreadable" if tag == "error" else "assertion", body=body)
        entry[0].write(etree.tostring(case, encoding="unicode") + "\n")
        entry[1] += 1
        entry[2] += tag == "failure"
        entry[3] += tag == "error"
        entry[4] += tag == "skipped"

    def document(self, d: DocumentReport) -> list[str]:
        """Add one document's cases."""
        if d.error is not None:
            self._case("could not be checked", d, "error", d.error, [f"{d.path}: {d.error}"])
            return []
        if d.xsd is not None:
            errors = [text.xsd_line(d.path, x) for x in d.xsd.errors]
            self._case("xsd", d, None if d.xsd.valid else "failure",
                       errors[0] if errors else "", errors)
        if d.unanswered is not None:
            self._case("no consumer", d, "failure", d.unanswered, [f"{d.path}: {d.unanswered}"])
        for c in d.contracts:
            if not c.applies:
                self._case(c.consumer, d, "skipped", f"not applicable: {c.not_applicable}", [])
                continue
            lines = [text.finding_line(d.path, c.consumer, f) for f in c.failures]
            first = c.failures[0].message if c.failures else ""
            self._case(c.consumer, d, None if c.valid else "failure", first, lines)
        return []

    def finish(self, tally=None, *, interrupted: bool = False) -> None:
        """Write the suites with their counts."""
        totals = [sum(e[i] for e in self.suites.values()) for i in (1, 2, 3)]
        self.out.write('<?xml version="1.0" encoding="UTF-8"?>\n')
        self.out.write(f'<testsuites name="cdcxml batch" tests="{totals[0]}" '
                       f'failures="{totals[1]}" errors="{totals[2]}">\n')
        for name, (spool, tests, failures, errors, skipped) in self.suites.items():
            self.out.write(f'<testsuite name="{html.escape(clean(name))}" tests="{tests}" '
                           f'failures="{failures}" errors="{errors}" skipped="{skipped}">\n')
            spool.seek(0)
            for line in spool:
                self.out.write(line)
            spool.close()
            self.out.write("</testsuite>\n")
        if interrupted:
            self.out.write("<!-- interrupted: the report covers the documents checked so far -->\n")
        self.out.write("</testsuites>\n")


def documents_junit(reports: Iterable[DocumentReport]) -> str:
    """The JUnit report of checked documents, as ``batch`` writes it."""
    import io

    out = io.StringIO()
    writer = DocumentsWriter(out)
    for r in reports:
        writer.document(r)
    writer.finish()
    return out.getvalue()


# -- contrast and impact ---------------------------------------------------------------------------

def contrast_junit(result: Contrast) -> bytes:
    """A testsuite for the XSD and one per consumer, a testcase per document.

    The JUnit verdicts are those the exit code is made of: a consumer rejecting a document is a
    failure, a document that cannot be checked an error. The XSD's rejection is what contrast
    shows, not a break: its case passes, with the XSD's errors in system-out and the document's
    category as a property.
    """
    from .text import NOT_APPLICABLE, verdict

    root = etree.Element("testsuites", name="cdcxml contrast")
    suites = [("xsd", None), *((c, c) for c in result.consumers)]
    for suite_name, consumer in suites:
        suite = etree.SubElement(root, "testsuite", name=suite_name)
        failures = errors = skipped = 0
        for r in result.rows:
            outcome = verdict(r.report, consumer)
            if outcome == NOT_APPLICABLE:  # not this consumer's document: nothing checked
                skipped += 1
                reason = next(c.not_applicable for c in r.report.contracts
                              if c.consumer == consumer)
                testcase(suite, r.path, suite_name, outcome="skipped",
                         message=f"not applicable: {reason}")
            elif outcome == "error":
                errors += 1
                testcase(suite, r.path, suite_name, outcome="error",
                         message=r.report.error or "error")
            elif consumer is None:
                case = testcase(suite, r.path, suite_name)
                props = etree.SubElement(case, "properties")
                etree.SubElement(props, "property", name="category", value=r.category or "")
                etree.SubElement(props, "property", name="xsd", value=outcome)
                lines = [text.xsd_line(r.path, e) for e in r.report.xsd.errors]
                if lines:
                    etree.SubElement(case, "system-out").text = clean("\n".join(lines))
            elif outcome == "REJECT":
                failures += 1
                lines = [text.finding_line(r.path, c.consumer, f) for c in r.report.contracts
                         if c.consumer == consumer for f in c.failures]
                testcase(suite, r.path, suite_name, outcome="failure",
                         message=lines[0] if lines else "rejected", body=lines)
            else:
                testcase(suite, r.path, suite_name)
        suite.set("tests", str(len(result.rows)))
        suite.set("failures", str(failures))
        suite.set("errors", str(errors))
        suite.set("skipped", str(skipped))
    _unanswered_suite(root, [r.report for r in result.rows])
    return render(root)


def _unanswered_suite(root: etree._Element, reports) -> None:
    """A failing case for each document no consumer's interactions answer (nothing checked it)."""
    found = [d for d in reports if d.unanswered is not None]
    if not found:
        return
    suite = etree.SubElement(root, "testsuite", name="no consumer", tests=str(len(found)),
                             failures=str(len(found)), errors="0")
    for d in found:
        testcase(suite, d.path, "no consumer", outcome="failure", message=d.unanswered,
                 kind="unanswered")


def impact_junit(result: Impact) -> bytes:
    """One testcase per consumer: a failure when the change breaks it."""
    root = etree.Element("testsuites", name="cdcxml impact")
    if result.wsdls is not None:
        called = [c for c in result.operations if c.callers]
        ops = etree.SubElement(root, "testsuite", name="operations", tests=str(len(called)),
                               failures=str(sum(c.breaking for c in called)), errors="0")
        for c in called:
            for consumer, iid in c.callers:
                message = f"{c.operation} (SOAP {c.soap_version}): {c.message}"
                testcase(ops, f"{consumer}: {iid}", f"operations.{c.operation}",
                         outcome="failure" if c.breaking else None, message=message)
    suite = etree.SubElement(root, "testsuite", name="impact", tests=str(len(result.consumers)),
                             failures=str(sum(c.broken for c in result.consumers)), errors="0")
    for c in result.consumers:
        lines = [f"[{b.assertion}] {b.message}" for b in c.breaks] if c.broken else None
        testcase(suite, c.consumer, "impact", outcome="failure" if c.broken else None,
                 message=lines[0] if lines else "", body=lines)
    _unanswered_suite(root, result.unanswered)
    return render(root)
