"""Batch reports written as the run goes: text, JSON, JSON lines, HTML (JUnit XML: junit.py).

Each writer takes document reports one at a time and the run's tally at the end, and holds nothing
per document in memory: formats whose header needs the totals (JUnit, HTML) spool their body to a
temporary file first.
"""

from __future__ import annotations

import json
import tempfile
from typing import TextIO

from ..results import DocumentReport
from . import jsonout, text
from . import xml_safe as _clean
from .junit import DocumentsWriter


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


class HtmlWriter(Writer):
    """One page in the frame of every HTML report: the summary first, then every document that
    does not hold (spooled, since the summary needs the totals)."""

    def __init__(self, out: TextIO):
        super().__init__(out)
        self.spool = tempfile.TemporaryFile("w+", encoding="utf-8")  # noqa: SIM115

    def document(self, d: DocumentReport) -> list[str]:
        if d.valid:
            return []
        from lxml.html import builder as E

        from .html import fragment

        if d.error is not None:
            items = [E.LI(_clean(f"could not be checked: {d.error}"))]
            state = "error"
        else:
            items = [E.LI(_clean(f"xsd: {x}")) for x in (d.xsd.errors if d.xsd else ())]
            if d.unanswered is not None:
                items.append(E.LI(_clean(d.unanswered), E.CLASS("bad")))
            for c in d.contracts:
                for f in c.failures:
                    where = f"line {f.line}: " if f.line else ""
                    items.append(E.LI(E.B(_clean(c.consumer)),
                                      _clean(f": {where}{f.message} [{f.id or f.test}]")))
            items = list({fragment(i): i for i in items}.values())  # each finding once
            state = "reject"
        row = E.TR(E.TD(_clean(d.path), E.CLASS("doc")), E.TD(state, E.CLASS(f"cell {state}")),
                   E.TD(E.UL(*items, E.CLASS("findings"))))
        row.set("data-document", _clean(d.path))
        self.spool.write(fragment(row))
        return []

    def finish(self, tally, *, interrupted: bool = False) -> None:
        from lxml.html import builder as E

        from .html import VERDICT_LEGEND, fragment, frame

        s = tally.summary
        lead = [E.P(f"{s.documents} documents: {s.valid} valid, {s.invalid} invalid, {s.errors} "
                    "could not be checked.", E.CLASS("meta"), id="summary")]
        if interrupted:
            lead.insert(0, E.P("Interrupted: the report covers the documents checked so far.",
                               E.CLASS("banner")))
        if tally.unanswered_count:
            lead.append(E.P(f"{tally.unanswered_count} document(s) for no consumer: they answer "
                            "no consumer's interactions, so nothing checked them.",
                            E.CLASS("banner")))
        start, end = frame("Batch", VERDICT_LEGEND, *lead)
        w = self.out.write
        w(start)
        rows = []
        for c in tally.to_dict()["consumers"]:
            tops = [E.LI(_clean(f"{t['assertion']} ({t['documents']}): {t['message'] or ''}"))
                    for t in c["top_failures"]]
            rows.append(E.TR(E.TD(_clean(c["consumer"])), E.TD(str(c["documents"]), E.CLASS("n")),
                             E.TD(str(c["rejected"]), E.CLASS("n")),
                             E.TD(str(c["not_applicable"]), E.CLASS("n")),
                             E.TD(E.UL(*tops, E.CLASS("findings")) if tops else E.SPAN(
                                 "none", E.CLASS("meta")))))
        w(fragment(E.H2("Consumers")))
        w(fragment(E.TABLE(E.THEAD(E.TR(E.TH("consumer"), E.TH("documents"), E.TH("rejected"),
                                        E.TH("not for it"), E.TH("top failing assertions"))),
                           E.TBODY(*rows), id="consumers")))
        if tally.xsd:
            from ..batch.run import XSD_CATEGORIES

            w(fragment(E.H2("XSD against the contracts")))
            w(fragment(E.TABLE(E.TBODY(*(E.TR(E.TD(label), E.TD(str(tally.xsd.get(key, 0)),
                                                                 E.CLASS("n")))
                                         for key, label in XSD_CATEGORIES)), id="xsd")))
        w(fragment(E.H2("Documents that do not hold")))
        if self.spool.tell():
            w('<table id="documents"><thead><tr><th>document</th><th>verdict</th>'
              "<th>findings</th></tr></thead><tbody>\n")
            self.spool.seek(0)
            for line in self.spool:
                w(line)
            w("</tbody></table>\n")
        else:
            w(fragment(E.P("none", E.CLASS("meta"))))
        self.spool.close()
        w(end)


WRITERS = {"text": TextWriter, "json": JsonWriter, "jsonl": JsonlWriter, "junit": DocumentsWriter,
           "html": HtmlWriter}
