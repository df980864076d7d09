"""One self-contained HTML page per report (contrast, obligations, impact, the verification matrix,
batch): no scripts, no network, no external assets."""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from typing import TYPE_CHECKING, TextIO

from lxml import etree, html
from lxml.html import builder as E

from .. import __version__
from ..analysis.paths import display, namespace
from ..analysis.results import (
    BOTH_ACCEPT,
    BOTH_REJECT,
    CATEGORIES,
    SOAP_FAULT,
    XSD_ACCEPTS_CONSUMER_REJECTS,
    XSD_REJECTS_CONSUMERS_ACCEPT,
    Contrast,
    Impact,
    Obligations,
)
from ..results import DocumentReport
from . import Writer, text, xml_safe
from .text import CATEGORY_TITLES, kind_letters, operation_lines, verdict

if TYPE_CHECKING:
    from ..deploy.matrix import Matrix

CSS = """
:root { color-scheme: light; --line: #d0d5dd; --muted: #667085; }
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: #101828;
       margin: 2rem auto; max-width: 72rem; padding: 0 1rem; }
h1 { font-size: 1.5rem; margin-bottom: .25rem; }
h2 { font-size: 1.15rem; margin-top: 2rem; border-bottom: 1px solid var(--line); }
h3 { font-size: 1rem; margin-bottom: .25rem; }
.meta, .legend { color: var(--muted); font-size: .9rem; }
table { border-collapse: collapse; margin: .75rem 0; }
th, td { border: 1px solid var(--line); padding: .3rem .6rem; text-align: left; }
thead th { background: #f2f4f7; }
th.path, td.doc { font-family: ui-monospace, Menlo, Consolas, monospace; font-size: .85rem; }
td.cell { text-align: center; font-weight: 600; min-width: 6rem; }
td.k0 { background: #f9fafb; color: #98a2b3; }
td.k1 { background: #fef0c7; }
td.k2 { background: #fdb022; }
td.k3 { background: #b54708; color: #fff; }
tr.unused th.path { color: var(--muted); text-decoration: line-through; }
td.accept { background: #d1fadf; }
td.reject { background: #fecdca; font-weight: 600; }
td.error { background: #e4e7ec; }
td.na { background: #fff; color: #98a2b3; font-style: italic; }
ul.findings, ul.paths { font-family: ui-monospace, Menlo, Consolas, monospace; font-size: .85rem; }
.count { font-weight: 600; }
.banner { background: #fecdca; border: 1px solid #b42318; padding: .5rem .75rem; font-weight: 600; }
td.n { text-align: right; font-variant-numeric: tabular-nums; }
td { vertical-align: top; }
td ul { margin: 0; padding-left: 1.2em; }
.legend { color: var(--muted); font-size: .9rem; margin: .75rem 0 1.25rem; }
.legend-title { font-weight: 600; margin-right: .5rem; }
.legend ul { display: inline; margin: 0; padding: 0; }
.legend li { display: inline-block; list-style: none; margin: .15rem 1rem .15rem 0; }
.swatch { display: inline-block; min-width: 1.6rem; padding: 0 .35rem; text-align: center;
          border: 1px solid var(--line); font-weight: 600; color: #101828; }
.swatch.k3 { color: #fff; }
.swatch.plain { border: none; font-weight: normal; font-family: ui-monospace, Menlo, Consolas, monospace; }
span.accept { background: #d1fadf; } span.reject { background: #fecdca; }
span.error { background: #e4e7ec; } span.k0 { background: #f9fafb; color: #98a2b3; }
span.k1 { background: #fef0c7; } span.k2 { background: #fdb022; } span.k3 { background: #b54708; }
"""


_BODY = "cdcxml-report-body"


def frame(title: str, legend, *lead) -> tuple[str, str]:
    """The page every HTML report shares, split where its sections go: (start, end).

    ``legend`` is a sequence of ``(css class, sample, meaning)``: what each mark of the report means.
    Writers that stream (``batch``) write ``start``, their sections, then ``end``.
    """
    doc = E.HTML(
        E.HEAD(
            E.META(charset="utf-8"),
            E.META(name="viewport", content="width=device-width, initial-scale=1"),
            E.TITLE(title),
            E.STYLE(CSS),
        ),
        E.BODY(
            E.H1(title),
            E.P(f"cdcxml {__version__}", E.CLASS("meta")),
            *lead,
            _legend(legend),
            etree.Comment(_BODY),
        ),
        lang="en",
    )
    page = html.tostring(doc, doctype="<!DOCTYPE html>", encoding="unicode", pretty_print=True)
    start, end = page.split(f"<!--{_BODY}-->", 1)
    return start, end


def _page(title: str, *sections, legend, lead=()) -> str:
    start, end = frame(title, legend, *lead)
    return start + "".join(fragment(s) for s in sections) + end


def fragment(element) -> str:
    """One section of a page as HTML text."""
    return html.tostring(element, encoding="unicode", pretty_print=True)


def _legend(entries) -> html.HtmlElement:
    items = [E.LI(E.SPAN(sample, E.CLASS(f"swatch {cls}")), " ", meaning)
             for cls, sample, meaning in entries]
    return E.DIV(E.SPAN("Legend", E.CLASS("legend-title")), E.UL(*items), E.CLASS("legend"),
                 id="legend")


# The contrast cases, named for the table's case column (CATEGORY_TITLES explains each).
CASE_NAMES = {
    XSD_REJECTS_CONSUMERS_ACCEPT: "only the XSD rejects",
    XSD_ACCEPTS_CONSUMER_REJECTS: "only a consumer rejects",
    BOTH_REJECT: "both reject",
    BOTH_ACCEPT: "both accept",
    SOAP_FAULT: "SOAP fault",
}
NO_DEPENDENCY = "\u2013"
OBLIGATION_LEGEND = (
    ("k1", "P", "presence: the consumer fails when the path is removed"),
    ("k1", "C", "content: ... when it is emptied"),
    ("k1", "T", "type: ... when it holds a value of another type"),
    ("k3", "P C T", "the darker, the more ways the consumer depends on the path"),
    ("k0", NO_DEPENDENCY, "no dependency found"),
    ("plain", "struck-through", "unused: no consumer depends on the path"),
)
IMPACT_LEGEND = (
    ("accept", "holds", "every assertion of the consumer holds after the change"),
    ("reject", "breaks", "an assertion that held before fails after the change"),
)
VERDICT_LEGEND = (
    ("accept", "accept", "the document holds"),
    ("reject", "reject", "the document does not hold"),
    ("error", "error", "could not be checked (unreadable, or over a limit)"),
)


def _list(items, empty: str = "none", cls: str = "paths") -> html.HtmlElement:
    items = list(items)
    if not items:
        return E.P(empty, E.CLASS("meta"))
    return E.UL(*(E.LI(i) for i in items), E.CLASS(cls))


def _findings(d: DocumentReport, shown=frozenset()) -> list[str]:
    """Each finding of a document once, leaving out the contract failures already ``shown``."""
    if d.error is not None:
        return [f"{d.path}: could not be checked: {d.error}"]
    lines = [text.xsd_line(d.path, e) for e in (d.xsd.errors if d.xsd is not None else ())]
    if d.unanswered is not None:
        lines.append(f"{d.path}: {d.unanswered}")
    for c in d.contracts:
        for f in c.failures:
            document = str(f.location.document or d.path)
            if (c.consumer, f.id or f.test, document, f.location.line) in shown:
                continue
            where = f"{document}:{f.location.line}" if f.location.line else d.path
            lines.append(f"{where}: {c.consumer}: {f.message} [{f.id or f.test}]")
    return list(dict.fromkeys(lines))


def _findings_section(reports, shown=frozenset(), title="Failing findings") -> html.HtmlElement:
    lines = list(dict.fromkeys(line for d in reports for line in _findings(d, shown)))
    return E.DIV(
        E.H2(title),
        E.UL(*(E.LI(line) for line in lines), E.CLASS("findings"), id="findings") if lines
        else E.P("none", E.CLASS("meta")),
    )


def _verdict_cell(report: DocumentReport, consumer: str | None) -> html.HtmlElement:
    outcome = verdict(report, consumer)
    cls = {"accept": "accept", "REJECT": "reject", "n/a": "na"}.get(outcome, "error")
    cell = E.TD(outcome.lower(), E.CLASS(f"cell {cls}"))
    cell.set("data-consumer", consumer or "xsd")
    return cell


def contrast_html(result: Contrast) -> str:
    """The contrast table, the four cases, per-consumer counts and every failing finding."""
    head = E.TR(E.TH("document"), E.TH("XSD"), *(E.TH(c) for c in result.consumers), E.TH("case"))
    rows = []
    for r in result.rows:
        row = E.TR(E.TD(r.path, E.CLASS("doc")), _verdict_cell(r.report, None),
                   *(_verdict_cell(r.report, c) for c in result.consumers),
                   E.TD(CASE_NAMES.get(r.category, "could not be checked")))
        row.set("data-document", r.path)
        rows.append(row)
    cases = []
    for name in CATEGORIES:
        docs = result.documents_in(name)
        block = E.DIV(E.H3(CATEGORY_TITLES[name], " ", E.SPAN(f"({len(docs)})", E.CLASS("count"))),
                      _list(docs))
        block.set("data-case", name)
        cases.append(block)
    counts = E.TABLE(
        E.THEAD(E.TR(E.TH("consumer"), E.TH("rejected by its contract"), E.TH("rejected by the XSD"))),
        E.TBODY(*(E.TR(E.TD(c.consumer), E.TD(str(c.rejects)), E.TD(str(c.xsd_rejects)))
                  for c in result.per_consumer)),
    )
    return _page(
        "Targeted against full validation",
        E.H2("Documents"),
        E.TABLE(E.THEAD(head), E.TBODY(*rows), id="contrast"),
        E.H2("The four cases"),
        *cases,
        E.H2("Per consumer"),
        counts,
        _findings_section(r.report for r in result.rows),
        legend=VERDICT_LEGEND,
        lead=[E.P(f"XSD {result.xsd} beside {len(result.consumers)} consumer contract(s).",
                  E.CLASS("meta"))],
    )


def _heat_cell(result: Obligations, path, consumer: str) -> html.HtmlElement:
    o = result.obligation(path)
    dep = next((d for d in o.dependencies if d.consumer == consumer), None) if o else None
    kinds = dep.kinds if dep else ()
    cell = E.TD(kind_letters(kinds) if kinds else NO_DEPENDENCY, E.CLASS(f"cell k{len(kinds)}"))
    cell.set("data-consumer", consumer)
    cell.set("data-kinds", " ".join(kinds))
    if dep:
        cell.set("title", "fails: " + ", ".join(dep.assertions))
    return cell


def obligations_html(result: Obligations) -> str:
    """The obligations heatmap (paths × consumers), unused paths and samples a consumer rejects."""
    unused = set(result.unused)
    rows = []
    for path in result.paths:
        th = E.TH(display(path), E.CLASS("path"), scope="row")
        if namespace(path):
            th.set("title", namespace(path))
        row = E.TR(th, *(_heat_cell(result, path, c) for c in result.consumers))
        row.set("data-path", display(path))
        if path in unused:
            row.set("class", "unused")
        rows.append(row)
    lead = []
    if result.not_analysed:
        lead.append(E.P(_not_analysed(result), E.CLASS("banner"), id="not-analysed"))
    lead.append(
        E.P(f"{len(result.samples)} sample(s), {len(result.consumers)} consumer(s). Each path was "
            "removed, emptied and given a value of another type; a cell shows how a consumer's "
            "contract depends on it.", E.CLASS("meta")))
    sections = [
        E.H2("Obligations"),
        E.TABLE(E.THEAD(E.TR(E.TH("path"), *(E.TH(c) for c in result.consumers))),
                E.TBODY(*rows), id="obligations"),
        E.H2("Unused: no consumer depends on these"),
        E.DIV(_list(display(p) for p in result.unused), id="unused"),
    ]
    if result.undecided:
        sections += [E.H2("Undecided: a consumer that was not analysed may depend on these"),
                     E.DIV(_list(display(p) for p in result.undecided), id="undecided")]
    if result.not_in_samples is not None:
        sections += [E.H2("Declared by the XSD, in no sample"),
                     _list(display(p) for p in result.not_in_samples)]
    rejected = [f"{s.path}: rejected by {', '.join(s.rejected_by)}" for s in result.samples
                if s.rejected_by]
    if rejected:
        sections += [E.H2("Samples a consumer rejects (not analysed for it)"), _list(rejected)]
    nobody = [f"{s.path}: {s.unanswered}" for s in result.samples if s.unanswered]
    if nobody:
        sections += [E.H2("Samples for no consumer (not analysed)"), _list(nobody)]
    not_for = [f"{s.path}: n/a for {', '.join(s.not_for)}" for s in result.samples
               if s.not_for and not s.unanswered]
    if not_for:
        sections += [E.H2("Samples not for some consumers (they never receive them)"),
                     _list(not_for)]
    return _page("Consumer obligations", *sections, legend=OBLIGATION_LEGEND, lead=lead)


def _not_analysed(result: Obligations) -> str:
    return (f"Analysis incomplete: not analysed (rejected every sample): "
            f"{', '.join(result.not_analysed)}. What they depend on is unknown; no path is called "
            "unused because of them.")


def impact_html(result: Impact) -> str:
    """Which consumers a change breaks, by which assertion and where; the XSD view; derivations."""
    rows = []
    for c in result.consumers:
        state = E.TD("breaks" if c.broken else "holds",
                     E.CLASS("cell reject" if c.broken else "cell accept"))
        state.set("data-consumer", c.consumer)
        rows.append(E.TR(E.TD(c.consumer), state, E.TD(str(c.old_rejects)), E.TD(str(c.new_rejects))))
    breaks = [f"{b.consumer}: [{b.assertion}] {b.message} at "
              + ", ".join(f"{loc.document}:{loc.line}" if loc.line else str(loc.document)
                          for loc in b.locations)
              for c in result.consumers for b in c.breaks]
    shown = {(b.consumer, b.assertion, str(loc.document), loc.line)
             for c in result.consumers for b in c.breaks for loc in b.locations}
    sections = []
    if result.wsdls is not None:
        sections += [E.H2(f"Operations ({result.wsdls[0]} to {result.wsdls[1]})"),
                     _list(operation_lines(result)[1:], empty="unchanged")]
    sections += [
        E.H2("Consumers"),
        E.TABLE(E.THEAD(E.TR(E.TH("consumer"), E.TH("after the change"), E.TH("old rejected"),
                             E.TH("new rejected"))), E.TBODY(*rows), id="impact"),
        E.H2("Breaking assertions"),
        E.UL(*(E.LI(b) for b in breaks), E.CLASS("findings")) if breaks
        else E.P("none", E.CLASS("meta")),
    ]
    if result.xsd is not None:
        sections += [
            E.H2(f"Consumers validating with {result.xsd}"),
            E.P(f"reject {len(result.xsd_breaks)} of {len(result.new)} new document(s); "
                f"{len(result.xsd_breaks_needlessly)} although every contract holds:"),
            _list(result.xsd_breaks_needlessly),
        ]
    for d in result.derivations:
        sections += [E.H2(f"Derived from {d.sample}"),
                     _list([*(f"removed {p}" for p in d.removed), *(f"added {p}" for p in d.added),
                            *(f"could not derive: {p}" for p in d.problems)], empty="unchanged")]
    nobody = [f"{d.path}: {d.unanswered}" for d in result.unanswered]
    if nobody:
        sections += [E.H2("Documents for no consumer (nothing checked them)"), _list(nobody)]
    sections.append(_findings_section(result.new, shown, title="Other findings on the new documents"))
    return _page("Impact of a change", *sections, legend=IMPACT_LEGEND)


# -- the verification matrix ----------------------------------------------------------------------
_MATRIX_CLASS = {"passed": "accept", "failed": "reject"}
MATRIX_LEGEND = (
    ("accept", "passed", "the latest record on the published content passed"),
    ("reject", "failed", "the latest record failed: the provider answered wrongly"),
    ("error", "error", "the latest record could not check"),
    ("error", "unverified", "no record for this provider version and content"),
    ("plain", "(ENV)", "the environments this consumer version runs in"),
)


def matrix_html(matrices: Sequence[Matrix]) -> str:
    """Per provider: consumer contracts × provider versions, each cell the recorded verdict."""
    sections = []
    for m in matrices:
        head = E.TR(E.TH("consumer"), E.TH("version"), E.TH("contract"),
                    *(E.TH(v) for v in m.provider_versions))
        rows = []
        for r in m.rows:
            cells = []
            for c in r.cells:
                td = E.TD(c.verdict, E.CLASS(f"cell {_MATRIX_CLASS.get(c.verdict, 'error')}"))
                td.set("data-provider-version", c.provider_version)
                if c.detail:
                    td.set("title", c.detail)
                cells.append(td)
            where = f" ({', '.join(r.environments)})" if r.environments else ""
            row = E.TR(E.TD(r.contract.consumer), E.TD(r.contract.version + where),
                       E.TD(r.contract.contract, E.CLASS("doc")), *cells)
            row.set("data-consumer", r.contract.consumer)
            rows.append(row)
        deployed = ", ".join(f"{v} in {env}" for env, v in m.deployed) or "not recorded anywhere"
        table = E.TABLE(E.THEAD(head), E.TBODY(*rows))
        table.set("data-provider", m.provider)
        sections += [E.H2(m.provider), E.P(f"Deployed: {deployed}.", E.CLASS("meta")),
                     table if rows else E.P("no published contracts", E.CLASS("meta"))]
    return _page("Verification matrix", *sections, legend=MATRIX_LEGEND)


# -- batch, written as the run goes --------------------------------------------------------------
class HtmlWriter(Writer):
    """One page in the frame of every HTML report: the summary first, then every document that
    does not hold (spooled, since the summary needs the totals)."""

    def __init__(self, out: TextIO):
        super().__init__(out)
        self.spool = tempfile.TemporaryFile("w+", encoding="utf-8")  # noqa: SIM115

    def document(self, d: DocumentReport) -> list[str]:
        if d.valid:
            return []
        if d.error is not None:
            items = [E.LI(xml_safe(f"could not be checked: {d.error}"))]
            state = "error"
        else:
            items = [E.LI(xml_safe(f"xsd: {x}")) for x in (d.xsd.errors if d.xsd else ())]
            if d.unanswered is not None:
                items.append(E.LI(xml_safe(d.unanswered), E.CLASS("bad")))
            for c in d.contracts:
                for f in c.failures:
                    where = f"line {f.line}: " if f.line else ""
                    items.append(E.LI(E.B(xml_safe(c.consumer)),
                                      xml_safe(f": {where}{f.message} [{f.id or f.test}]")))
            items = list({fragment(i): i for i in items}.values())  # each finding once
            state = "reject"
        row = E.TR(E.TD(xml_safe(d.path), E.CLASS("doc")), E.TD(state, E.CLASS(f"cell {state}")),
                   E.TD(E.UL(*items, E.CLASS("findings"))))
        row.set("data-document", xml_safe(d.path))
        self.spool.write(fragment(row))
        return []

    def finish(self, tally, *, interrupted: bool = False) -> None:
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
            tops = [E.LI(xml_safe(f"{t['assertion']} ({t['documents']}): {t['message'] or ''}"))
                    for t in c["top_failures"]]
            rows.append(E.TR(E.TD(xml_safe(c["consumer"])), E.TD(str(c["documents"]), E.CLASS("n")),
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
