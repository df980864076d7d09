"""Plain text for people: one line per finding, ``file:line: consumer: message [id]``; the text
reports of every command (validate and batch, verify, contrast, obligations, impact, can-i-deploy,
matrix)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from ..analysis.paths import display
from ..analysis.results import (
    BOTH_ACCEPT,
    BOTH_REJECT,
    CATEGORIES,
    SOAP_FAULT,
    UNANSWERED,
    XSD_ACCEPTS_CONSUMER_REJECTS,
    XSD_REJECTS_CONSUMERS_ACCEPT,
    Contrast,
    Impact,
    Obligations,
)
from ..results import DocumentReport, Finding, Location, Summary, XsdIssue
from ..verify import ERROR, FAILED, PASSED, InteractionResult
from . import Writer

if TYPE_CHECKING:
    from ..deploy.gate import Gate
    from ..deploy.matrix import Matrix

CATEGORY_TITLES = {
    XSD_REJECTS_CONSUMERS_ACCEPT: "XSD rejects, every consumer accepts "
                                  "(XSD-validating consumers would break for nothing)",
    XSD_ACCEPTS_CONSUMER_REJECTS: "XSD accepts, a consumer rejects "
                                  "(gaps the provider's schema does not show)",
    BOTH_REJECT: "XSD and a consumer reject (real breaks)",
    BOTH_ACCEPT: "XSD and every consumer accept",
    SOAP_FAULT: "SOAP faults (checked against the SOAP envelope schema, not the payload XSD)",
    UNANSWERED: "FOR NO CONSUMER (answers no consumer's interactions: nothing checked it)",
}
NOT_APPLICABLE = "n/a"
KIND_LETTERS = {"presence": "P", "content": "C", "type": "T"}
KIND_LEGEND = "P = presence (removed), C = content (emptied), T = type (value of another type)"


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


def table(head: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    """Columns padded to their widest cell, two spaces apart, trailing blanks cut."""
    widths = [max(len(str(x)) for x in col) for col in zip(head, *rows, strict=True)]
    fmt = "  ".join(f"{{:<{w}}}" for w in widths)
    return [fmt.format(*head).rstrip(), *(fmt.format(*map(str, r)).rstrip() for r in rows)]


# -- verify ---------------------------------------------------------------------------------------
_LABEL = {PASSED: "PASS", FAILED: "FAIL", ERROR: "ERROR"}


def interaction_finding_line(f: Finding) -> str:
    """One failed assertion: its id, where it points in the response, its message."""
    name = f.id or f"{f.kind} {f.test}"
    where = []
    if f.location.line:
        where.append(f"line {f.location.line}")
    if f.location.xpath:
        where.append(f.location.xpath)
    at = f" ({', '.join(where)})" if where else ""
    return f"{name}{at}: {f.message}"


def problems(r: InteractionResult) -> list[str]:
    """Everything wrong with one interaction, one line each, most telling first."""
    lines = list(r.mismatches)
    if r.error:
        lines.append(r.error)
    lines.extend(interaction_finding_line(f) for f in r.failures)
    return lines


def interaction_line(r: InteractionResult) -> str:
    """The line (and indented detail lines) for one consumer × interaction."""
    status = f" {r.status}" if r.status is not None else ""
    label = _LABEL[r.outcome]
    if r.pending and not r.valid:
        label = f"{label} (pending)"
    head = f"{label:<5} {r.consumer} / {r.interaction}  {r.method} {r.url}{status}"
    return "\n".join([head, *(f"      {p}" for p in problems(r))])


def verify_summary(results: Sequence[InteractionResult]) -> str:
    """Counts, then which consumers would break and on what."""
    counts = {k: sum(1 for r in results if r.outcome == k) for k in (PASSED, FAILED, ERROR)}
    lines = [f"{len(results)} interaction{'s' if len(results) != 1 else ''}: "
             f"{counts[PASSED]} passed, {counts[FAILED]} failed, {counts[ERROR]} error"
             f"{'s' if counts[ERROR] != 1 else ''}"]
    forgiven = [r for r in results if r.pending and r.outcome == FAILED]
    if forgiven:
        lines.append(f"{len(forgiven)} of the failures are of pending contracts (never passed on "
                     "the provider's main line): reported, not failing the build")
    # A provider that broke an interaction and one that could not be checked (down, not XML) are
    # different news: only the first says a consumer would break.
    broken = broken_consumers(r for r in results if r.outcome == FAILED)
    unchecked = broken_consumers(r for r in results if r.outcome == ERROR)
    if not broken and not unchecked:
        lines.append("No consumer would break.")
    for title, group in (("Consumers that would break:", broken),
                         ("Not checked (no usable answer, so nothing is known):", unchecked)):
        if group:
            lines.append(title)
            for consumer, failed in group.items():
                what = "; ".join(f"{r.interaction} ({_cause(r)})" for r in failed)
                lines.append(f"  {consumer}: {what}")
    return "\n".join(lines)


def _cause(r: InteractionResult) -> str:
    # Each assertion once, however many nodes it failed on.
    ids = list(dict.fromkeys(f.id or f.test for f in r.failures))
    causes = [*r.mismatches, *([r.error] if r.error else []), *ids]
    return ", ".join(causes) if causes else r.outcome


def broken_consumers(results: Iterable[InteractionResult]) -> dict[str, list[InteractionResult]]:
    """The consumers with at least one interaction that does not hold, in the order met."""
    broken: dict[str, list[InteractionResult]] = {}
    for r in results:
        if not r.valid:
            broken.setdefault(r.consumer, []).append(r)
    return broken


def verify_text(results: Sequence[InteractionResult]) -> str:
    """The whole text report."""
    body = "\n".join(interaction_line(r) for r in results)
    return f"{body}\n\n{verify_summary(results)}\n"


# -- contrast, obligations, impact ---------------------------------------------------------------
def verdict(report: DocumentReport, consumer: str | None = None) -> str:
    """``accept``, ``REJECT`` or ``error`` for the XSD (consumer None) or one consumer; ``n/a``
    for a consumer the document is not for (it answers none of its interactions)."""
    if report.error is not None:
        return "error"
    if consumer is None:
        if report.xsd is not None and report.xsd.fault:
            return "fault" if report.xsd.valid else "FAULT-INVALID"
        return "accept" if report.xsd is None or report.xsd.valid else "REJECT"
    mine = [c for c in report.contracts if c.consumer == consumer]
    if mine and not any(c.applies for c in mine):
        return NOT_APPLICABLE
    ok = all(c.valid for c in mine)
    return "accept" if ok else "REJECT"


def contrast_text(result: Contrast) -> str:
    """The side-by-side table, the findings, then the four cases and the per-consumer counts."""
    header = ["document", "XSD", *result.consumers]
    rows = [[r.path, verdict(r.report), *(verdict(r.report, c) for c in result.consumers)]
            for r in result.rows]
    lines = [f"XSD {result.xsd} beside {len(result.consumers)} consumer contract(s)", ""]
    lines += table(header, rows)
    findings = [line for r in result.rows
                for line in (*phase_lines(r.report), *document_lines(r.report))]
    if findings:
        lines += ["", *findings]
    lines.append("")
    for name in CATEGORIES:
        docs = result.documents_in(name)
        if name == UNANSWERED and not docs:
            continue
        lines.append(f"{CATEGORY_TITLES[name]}: {len(docs)}")
        lines += [f"  {d}" for d in docs]
    if result.errors:
        lines.append(f"could not be checked: {len(result.errors)}")
        lines += [f"  {d}" for d in result.errors]
    lines += ["", "per consumer:"]
    lines += [f"  {c.consumer}: its contract rejects {c.rejects} document(s), the XSD {c.xsd_rejects}"
              for c in result.per_consumer]
    return "\n".join(lines) + "\n"


def kind_letters(kinds) -> str:
    """``P C T`` for the kinds a consumer depends on a path by, ``.`` for none."""
    from ..analysis.mutate import KINDS  # the mutations load the XSD reader: only obligations needs it

    return " ".join(KIND_LETTERS[k] for k in KINDS if k in kinds) or "."


def obligations_text(result: Obligations) -> str:
    """The path × consumer matrix, the unused paths and the samples a consumer rejects."""
    rows = []
    for path in result.paths:
        o = result.obligation(path)
        if o is not None:
            rows.append([o.display, *(kind_letters(o.kinds(c)) for c in result.consumers)])
    lines = []
    if result.not_analysed:
        lines += [f"ANALYSIS INCOMPLETE: not analysed (rejected every sample): "
                  f"{', '.join(result.not_analysed)}; no path is called unused because of them", ""]
    lines += table(["path", *result.consumers], rows) if rows else ["no consumer depends on any path"]
    lines += [KIND_LEGEND, "", f"unused (no consumer depends on it): {len(result.unused)}"]
    lines += [f"  {display(p)}" for p in result.unused]
    if result.undecided:
        lines.append(f"undecided (a consumer not analysed on it may depend on it): "
                     f"{len(result.undecided)}")
        lines += [f"  {display(p)}" for p in result.undecided]
    if result.not_in_samples is not None:
        lines.append(f"declared by the XSD, in no sample: {len(result.not_in_samples)}")
        lines += [f"  {display(p)}" for p in result.not_in_samples]
    for s in result.samples:
        if s.unanswered:
            lines.append(f"{s.path}: NOT ANALYSED: {s.unanswered}")
        elif s.not_for:
            whose = "its" if len(s.not_for) == 1 else "their"
            lines.append(f"{s.path}: n/a for {', '.join(s.not_for)} (answers none of {whose} "
                         "interactions)")
        if s.rejected_by:
            lines.append(f"{s.path}: rejected by {', '.join(s.rejected_by)} "
                         "(not analysed for them on this sample)")
    chosen = [f"  {s.path}: {consumer}: {how}" for s in result.samples
              for consumer, how in s.phases if how != "default phase"]
    if chosen:
        lines += ["phases:", *chosen]
    return "\n".join(lines) + "\n"


def derived_changes(result: Impact) -> dict[str, tuple[str, str]]:
    """Derived document name -> (the sample it came from, the change applied to it)."""
    out = {}
    for doc, how in zip(result.new, result.derivations, strict=False):
        parts = [*(f"removed {p}" for p in how.removed), *(f"added {p}" for p in how.added)]
        out[doc.path] = (how.sample, "; ".join(parts) or "unchanged")
    return out


def operation_lines(result: Impact) -> list[str]:
    """The operation-level changes between two WSDLs, breaking ones with their callers first."""
    if result.wsdls is None:
        return []
    old, new = result.wsdls
    lines = [f"operations ({old} -> {new}):"]
    if not result.operations:
        lines.append("  unchanged")
    for c in sorted(result.operations, key=lambda c: (not (c.breaking and c.callers),
                                                       not c.breaking)):
        who = ", ".join(f"{consumer} ({iid})" for consumer, iid in c.callers)
        if c.breaking and c.callers:
            verdict = f"BREAKS {who}"
        elif c.callers:
            verdict = f"called by {who}"
        else:
            verdict = "no consumer calls it"
        lines.append(f"  {c.operation} (SOAP {c.soap_version}): {c.message}: {verdict}")
    return lines


def impact_text(result: Impact) -> str:
    """Per consumer: holds or breaks and by which assertion; then the XSD view and derivations."""
    lines = operation_lines(result)
    if lines and result.consumers:
        lines.append("")
    changes = derived_changes(result)
    for c in result.consumers:
        state = "BREAKS" if c.broken else "holds"
        lines.append(f"{c.consumer}: {state} (rejects {c.old_rejects} old, {c.new_rejects} new "
                     "document(s))")
        for b in c.breaks:
            lines.append(f"  [{b.assertion}] {b.message}")
            for loc in b.locations:
                where = f"{loc.document}:{loc.line}" if loc.line else loc.document
                if loc.document in changes:  # a document derived in memory: say from what, and how
                    sample, change = changes[loc.document]
                    line = f":{loc.line}" if loc.line else ""
                    where = f"{sample}{line} (derived: {change})"
                lines.append(f"    {where}: {loc.xpath}" if loc.xpath else f"    {where}")
    errors = [d for d in result.new if d.error is not None]
    lines += [f"{d.path}: error: {d.error}" for d in errors]
    lines += [f"{d.path}: {d.unanswered}" for d in result.unanswered]
    if result.xsd is not None:
        needless = result.xsd_breaks_needlessly
        lines.append("")
        lines.append(f"consumers validating with {result.xsd}: reject {len(result.xsd_breaks)} of "
                     f"{len(result.new)} new document(s), {len(needless)} of them although every "
                     "contract holds")
        lines += [f"  {d}" for d in needless]
    for d in result.derivations:
        lines.append("")
        lines.append(f"derived from {d.sample}:")
        lines += [f"  removed {p}" for p in d.removed]
        lines += [f"  added {p}" for p in d.added]
        lines += [f"  could not derive: {p}" for p in d.problems]
        if not (d.removed or d.added or d.problems):
            lines.append("  unchanged")
    return "\n".join(lines) + "\n"


# -- can-i-deploy and the verification matrix ----------------------------------------------------
def gate_text(gate: Gate, yes: bool) -> str:
    """The answer, then a table: one row per contract, what vouches for it or what is missing."""
    lines = [f"{gate.question}? {'yes' if yes else 'no'}"]
    if not gate.rows:
        lines.append(f"nothing to check: {gate.nothing_to_check}")
        return "\n".join(lines) + "\n"
    rows = [(r.consumer, r.consumer_version, r.contract or "-", r.provider,
             r.provider_version or "-", r.verdict.upper() if not r.ok else r.verdict, r.detail)
            for r in gate.rows]
    lines += table(("consumer", "version", "contract", "provider", "provider version", "verdict",
                     "detail"), rows)
    bad = sum(1 for r in gate.rows if not r.ok)
    lines.append(f"{len(gate.rows)} contract(s): {len(gate.rows) - bad} verified, {bad} missing "
                 "or red")
    return "\n".join(lines) + "\n"


def matrix_text(matrices: Sequence[Matrix]) -> str:
    """One table per provider: consumer contracts down, provider versions across."""
    out = []
    for m in matrices:
        out.append(f"{m.provider}: {len(m.rows)} consumer contract(s) x "
                   f"{len(m.provider_versions)} provider version(s)")
        if m.deployed:
            out.append("deployed: " + ", ".join(f"{v} in {env}" for env, v in m.deployed))
        head = ("consumer", "version", "contract", *m.provider_versions)
        rows = [(r.contract.consumer, r.contract.version
                 + (f" [{', '.join(r.environments)}]" if r.environments else ""),
                 r.contract.contract, *(c.verdict for c in r.cells)) for r in m.rows]
        out += table(head, rows) if rows else ["no published contracts"]
        out.append("")
    return "\n".join(out)


# -- batch, written as the run goes --------------------------------------------------------------
class TextWriter(Writer):
    """One line per problem, then the summary."""

    def document(self, d: DocumentReport) -> list[str]:
        lines = document_lines(d)
        for line in lines:
            self.out.write(line + "\n")
        return lines

    def finish(self, tally, *, interrupted: bool = False) -> None:
        for line in tally.text_lines():
            self.out.write(line + "\n")
        if interrupted:
            self.out.write("interrupted: the report covers the documents checked so far\n")
        self.out.write(summary_line(tally.summary) + "\n")
