"""Text, JSON and JUnit for contrast, obligations and impact (docs/json.md, docs/cli.md)."""

from __future__ import annotations

import json

from ..analysis.mutate import KINDS
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
from ..results import DocumentReport, Summary
from . import text
from .jsonout import FORMAT_VERSION, document_to_dict, summary_to_dict

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


def _dump(data: dict) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def _summary(reports) -> dict:
    s = Summary()
    for d in reports:
        s = s.add(d)
    return summary_to_dict(s)


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    return ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip()
            for r in [header, *rows]]


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


# -- contrast -----------------------------------------------------------------------------------
def contrast_to_dict(result: Contrast) -> dict:
    """The JSON object for ``cdcxml contrast``."""
    summary = _summary(r.report for r in result.rows)
    for name in CATEGORIES:
        summary[name] = list(result.documents_in(name))
    summary["consumers"] = {
        c.consumer: {"rejects": c.rejects, "xsd_rejects": c.xsd_rejects,
                     "rejects_xsd_accepts": c.rejects_xsd_accepts,
                     "accepts_xsd_rejects": c.accepts_xsd_rejects}
        for c in result.per_consumer
    }
    documents = [{**document_to_dict(r.report), "category": r.category} for r in result.rows]
    return {"cdcxml": FORMAT_VERSION, "xsd": result.xsd, "consumers": list(result.consumers),
            "documents": documents, "summary": summary}


def contrast_json(result: Contrast) -> str:
    """``cdcxml contrast --format json``."""
    return _dump(contrast_to_dict(result))


def contrast_text(result: Contrast) -> str:
    """The side-by-side table, the findings, then the four cases and the per-consumer counts."""
    header = ["document", "XSD", *result.consumers]
    rows = [[r.path, verdict(r.report), *(verdict(r.report, c) for c in result.consumers)]
            for r in result.rows]
    lines = [f"XSD {result.xsd} beside {len(result.consumers)} consumer contract(s)", ""]
    lines += _table(header, rows)
    findings = [line for r in result.rows
                for line in (*text.phase_lines(r.report), *text.document_lines(r.report))]
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


# -- obligations --------------------------------------------------------------------------------
def obligations_to_dict(result: Obligations) -> dict:
    """The JSON object for ``cdcxml obligations``."""
    out = {
        "not_analysed": list(result.not_analysed),
        "obligations": [
            {"path": o.display, "namespace": o.namespace,
             "consumers": {d.consumer: list(d.kinds) for d in o.dependencies}}
            for o in result.obligations
        ],
        "unused": [display(p) for p in result.unused],
        "undecided": [display(p) for p in result.undecided],
    }
    if result.not_in_samples is not None:
        out["not_in_samples"] = [display(p) for p in result.not_in_samples]
    out["consumers"] = list(result.consumers)
    out["samples"] = []
    for s in result.samples:
        entry = {"path": s.path, "rejected_by": list(s.rejected_by)}
        if s.not_for:  # consumers the sample is not for (answers none of their interactions)
            entry["not_applicable"] = list(s.not_for)
        if s.unanswered:  # for no consumer: not analysed
            entry["unanswered"] = s.unanswered
        if any(how != "default phase" for _, how in s.phases):
            entry["phases"] = dict(s.phases)
        out["samples"].append(entry)
    return out


def obligations_json(result: Obligations) -> str:
    """``cdcxml obligations --format json``."""
    return _dump(obligations_to_dict(result))


def kind_letters(kinds) -> str:
    """``P C T`` for the kinds a consumer depends on a path by, ``.`` for none."""
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
    lines += _table(["path", *result.consumers], rows) if rows else ["no consumer depends on any path"]
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


# -- impact -------------------------------------------------------------------------------------
def _changes(result: Impact) -> dict[str, tuple[str, str]]:
    """Derived document name -> (the sample it came from, the change applied to it)."""
    out = {}
    for doc, how in zip(result.new, result.derivations, strict=False):
        parts = [*(f"removed {p}" for p in how.removed), *(f"added {p}" for p in how.added)]
        out[doc.path] = (how.sample, "; ".join(parts) or "unchanged")
    return out


def _location_dict(loc, changes: dict[str, tuple[str, str]]) -> dict:
    out = {"document": loc.document, "line": loc.line, "location": loc.xpath}
    if loc.document in changes:
        out["sample"], out["change"] = changes[loc.document]
    return out


def impact_to_dict(result: Impact) -> dict:
    """The JSON object for ``cdcxml impact``."""
    changes = _changes(result)
    xsd = None
    if result.xsd is not None:
        xsd = {"schema": result.xsd, "rejects": list(result.xsd_breaks),
               "rejects_although_contracts_hold": list(result.xsd_breaks_needlessly)}
    return {
        "cdcxml": FORMAT_VERSION,
        "consumers": [
            {"consumer": c.consumer, "breaks": c.broken, "old_rejects": c.old_rejects,
             "new_rejects": c.new_rejects,
             "assertions": [
                 {"assertion": b.assertion, "pattern": b.pattern, "message": b.message,
                  "locations": [_location_dict(loc, changes) for loc in b.locations]}
                 for b in c.breaks]}
            for c in result.consumers
        ],
        "xsd": xsd,
        "unanswered": [{"path": d.path, "reason": d.unanswered} for d in result.unanswered],
        "operations": _operations_list(result),
        "derived": [{"sample": d.sample, "removed": list(d.removed), "added": list(d.added),
                     "problems": list(d.problems)} for d in result.derivations],
        "old": [document_to_dict(d) for d in result.old],
        "new": [document_to_dict(d) for d in result.new],
    }


def _operations_list(result: Impact) -> list[dict] | None:
    if result.wsdls is None:
        return None
    return [{"operation": c.operation, "soap": c.soap_version, "change": c.kind,
             "message": c.message, "breaking": c.breaking,
             "callers": [{"consumer": who, "interaction": iid} for who, iid in c.callers]}
            for c in result.operations]


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


def impact_json(result: Impact) -> str:
    """``cdcxml impact --format json``."""
    return _dump(impact_to_dict(result))


def impact_text(result: Impact) -> str:
    """Per consumer: holds or breaks and by which assertion; then the XSD view and derivations."""
    lines = operation_lines(result)
    if lines and result.consumers:
        lines.append("")
    changes = _changes(result)
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
