"""Batch reports written as the run goes: text, JSON, JSON lines, JUnit XML and HTML.

Each writer takes document reports one at a time and the run's tally at the end, and holds nothing
per document in memory: formats whose header needs the totals (JUnit, HTML) spool their body to a
temporary file first.
"""

from __future__ import annotations

import html
import json
import re
import tempfile
from typing import TextIO

from lxml import etree

from ..results import DocumentReport
from . import jsonout, text

# Characters XML 1.0 cannot carry; a captured document's text may contain them.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _clean(value: str) -> str:
    return _NOT_XML.sub("\ufffd", value)


class Writer:
    """Writes one report over a run: :meth:`document` for each document, then :meth:`finish`."""

    def __init__(self, out: TextIO):
        self.out = out

    def document(self, d: DocumentReport) -> list[str]:
        """Write one document's report; returns the lines people should see (text only)."""
        return []

    def finish(self, tally, *, interrupted: bool = False) -> None:
        """Close the report with the run's summary."""


class TextWriter(Writer):
    """One line per problem, then the summary."""

    def document(self, d: DocumentReport) -> list[str]:
        lines = text.document_lines(d)
        for line in lines:
            self.out.write(line + "\n")
        return lines

    def finish(self, tally, *, interrupted: bool = False) -> None:
        for line in tally.text_lines():
            self.out.write(line + "\n")
        if interrupted:
            self.out.write("interrupted: the report covers the documents checked so far\n")
        self.out.write(text.summary_line(tally.summary) + "\n")


class JsonWriter(Writer):
    """The JSON report of docs/json.md, streamed: one document object per line inside the array."""

    def __init__(self, out: TextIO):
        super().__init__(out)
        self.first = True
        out.write(f'{{"cdcxml": "{jsonout.FORMAT_VERSION}", "documents": [')

    def document(self, d: DocumentReport) -> list[str]:
        self.out.write(("\n  " if self.first else ",\n  ")
                       + json.dumps(jsonout.document_to_dict(d), ensure_ascii=False))
        self.first = False
        return []

    def finish(self, tally, *, interrupted: bool = False) -> None:
        self.out.write("\n],\n")
        tail = {"summary": jsonout.summary_to_dict(tally.summary), "batch": tally.to_dict(),
                "interrupted": interrupted}
        body = json.dumps(tail, indent=2, ensure_ascii=False)
        self.out.write(body[1:].lstrip("\n") + "\n")


class JsonlWriter(Writer):
    """One document object of docs/json.md per line, flushed, so a cut-off run can be resumed."""

    def document(self, d: DocumentReport) -> list[str]:
        self.out.write(json.dumps(jsonout.document_to_dict(d), ensure_ascii=False) + "\n")
        self.out.flush()
        return []


class JUnitWriter(Writer):
    """A testsuite per consumer (and one for the XSD), a testcase per document."""

    def __init__(self, out: TextIO):
        super().__init__(out)
        self.suites: dict[str, list] = {}  # name -> [spool, tests, failures, errors]

    def _case(self, suite: str, d: DocumentReport, tag: str | None, message: str,
              body: list[str]) -> None:
        entry = self.suites.get(suite)
        if entry is None:
            entry = [tempfile.TemporaryFile("w+", encoding="utf-8"), 0, 0, 0]  # noqa: SIM115
            self.suites[suite] = entry
        case = etree.Element("testcase", name=_clean(d.path), classname=_clean(suite))
        if tag is not None:
            el = etree.SubElement(case, tag, message=_clean(message),
                                  type="unreadable" if tag == "error" else "assertion")
            el.text = _clean("\n".join(body))
        entry[0].write(etree.tostring(case, encoding="unicode") + "\n")
        entry[1] += 1
        entry[2] += tag == "failure"
        entry[3] += tag == "error"

    def document(self, d: DocumentReport) -> list[str]:
        if d.error is not None:
            self._case("could not be checked", d, "error", d.error, [f"{d.path}: {d.error}"])
            return []
        if d.xsd is not None:
            errors = [text.xsd_line(d.path, x) for x in d.xsd.errors]
            self._case("xsd", d, None if d.xsd.valid else "failure",
                       errors[0] if errors else "", errors)
        for c in d.contracts:
            lines = [text.finding_line(d.path, c.consumer, f) for f in c.failures]
            first = c.failures[0].message if c.failures else ""
            self._case(c.consumer, d, None if c.valid else "failure", first, lines)
        return []

    def finish(self, tally, *, interrupted: bool = False) -> None:
        totals = [sum(e[i] for e in self.suites.values()) for i in (1, 2, 3)]
        self.out.write('<?xml version="1.0" encoding="UTF-8"?>\n')
        self.out.write(f'<testsuites name="cdcxml batch" tests="{totals[0]}" '
                       f'failures="{totals[1]}" errors="{totals[2]}">\n')
        for name, (spool, tests, failures, errors) in self.suites.items():
            self.out.write(f'<testsuite name="{html.escape(_clean(name))}" tests="{tests}" '
                           f'failures="{failures}" errors="{errors}" skipped="0">\n')
            spool.seek(0)
            for line in spool:
                self.out.write(line)
            spool.close()
            self.out.write("</testsuite>\n")
        if interrupted:
            self.out.write("<!-- interrupted: the report covers the documents checked so far -->\n")
        self.out.write("</testsuites>\n")


_STYLE = """
body { font-family: system-ui, sans-serif; margin: 2em; color: #222; }
table { border-collapse: collapse; margin: 1em 0; }
th, td { border: 1px solid #ccc; padding: .3em .6em; text-align: left; vertical-align: top; }
th { background: #f3f3f3; }
td.n { text-align: right; font-variant-numeric: tabular-nums; }
.bad { color: #a00; } .err { color: #a60; }
ul { margin: 0; padding-left: 1.2em; }
"""


class HtmlWriter(Writer):
    """One page: the summary first, then every document that does not hold."""

    def __init__(self, out: TextIO):
        super().__init__(out)
        self.spool = tempfile.TemporaryFile("w+", encoding="utf-8")  # noqa: SIM115

    def document(self, d: DocumentReport) -> list[str]:
        if d.valid:
            return []
        e = html.escape
        if d.error is not None:
            cell = f'<span class="err">could not be checked: {e(d.error)}</span>'
        else:
            items = [f"<li>xsd: {e(str(x))}</li>" for x in (d.xsd.errors if d.xsd else ())]
            for c in d.contracts:
                for f in c.failures:
                    where = f"line {f.line}: " if f.line else ""
                    tag = f" [{e(f.id or f.test)}]"
                    items.append(f'<li><b>{e(c.consumer)}</b>: {where}{e(f.message)}{tag}</li>')
            cell = f"<ul>{''.join(items)}</ul>"
        self.spool.write(f"<tr><td>{e(d.path)}</td><td>{cell}</td></tr>\n")
        return []

    def finish(self, tally, *, interrupted: bool = False) -> None:
        e = html.escape
        s = tally.summary
        w = self.out.write
        w('<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
          f"<title>cdcxml batch</title><style>{_STYLE}</style></head><body>\n")
        w("<h1>cdcxml batch</h1>\n")
        if interrupted:
            w('<p class="err">Interrupted: the report covers the documents checked so far.</p>\n')
        w(f"<p>{s.documents} documents: {s.valid} valid, <span class='bad'>{s.invalid} invalid"
          f"</span>, <span class='err'>{s.errors} could not be checked</span>.</p>\n")
        w("<h2>Consumers</h2>\n<table><tr><th>consumer</th><th>documents</th><th>rejected</th>"
          "<th>top failing assertions</th></tr>\n")
        for c in tally.to_dict()["consumers"]:
            tops = "".join(f"<li>{e(t['assertion'])} ({t['documents']}): {e(t['message'] or '')}</li>"
                           for t in c["top_failures"])
            w(f"<tr><td>{e(c['consumer'])}</td><td class='n'>{c['documents']}</td>"
              f"<td class='n'>{c['rejected']}</td><td><ul>{tops}</ul></td></tr>\n")
        w("</table>\n")
        if tally.xsd:
            from ..batch.run import XSD_CATEGORIES

            w("<h2>XSD vs contracts</h2>\n<table>\n")
            for key, label in XSD_CATEGORIES:
                w(f"<tr><td>{e(label)}</td><td class='n'>{tally.xsd.get(key, 0)}</td></tr>\n")
            w("</table>\n")
        w("<h2>Documents that do not hold</h2>\n<table><tr><th>document</th><th>problems</th></tr>\n")
        self.spool.seek(0)
        for line in self.spool:
            w(line)
        self.spool.close()
        w("</table>\n</body></html>\n")


WRITERS = {"text": TextWriter, "json": JsonWriter, "jsonl": JsonlWriter, "junit": JUnitWriter,
           "html": HtmlWriter}
