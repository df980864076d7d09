"""The stable JSON shape of docs/json.md."""

from __future__ import annotations

import json
from collections.abc import Iterable

from ..results import ContractReport, DocumentReport, Finding, Summary, XsdReport

FORMAT_VERSION = "1"


def finding_to_dict(f: Finding) -> dict:
    """One failure or report."""
    d = {
        "kind": f.kind,
        "id": f.id,
        "pattern": f.pattern,
        "context": f.context,
        "test": f.test,
        "role": f.role,
        "flag": f.flag,
        "message": f.message,
        "location": f.location.xpath,
        "line": f.location.line,
    }
    if f.location.document:
        d["document"] = f.location.document
    if f.diagnostics:
        d["diagnostics"] = [{"id": x.id, "text": x.text, "lang": x.lang} for x in f.diagnostics]
    if f.properties:
        d["properties"] = [
            {"id": p.id, "text": p.text, "role": p.role, "scheme": p.scheme} for p in f.properties
        ]
    return d


def xsd_to_dict(x: XsdReport) -> dict:
    """The XSD's verdict: each error with its line and XPath, as a finding has them."""
    out = {"valid": x.valid,
           "errors": [{"message": e.message, "line": e.location.line, "location": e.location.xpath}
                      for e in x.errors]}
    if x.fault:  # judged by the SOAP envelope schema, not the payload XSD
        out["fault"] = True
        out["schema"] = x.schema
    return out


def contract_to_dict(c: ContractReport) -> dict:
    """One contract's verdict on one document."""
    out = {
        "consumer": c.consumer,
        "contract": c.contract,
        "applies": c.applies,
        "valid": c.valid,
        "failures": [finding_to_dict(f) for f in c.failures],
        "reports": [finding_to_dict(f) for f in c.reports],
    }
    if not c.applies:  # not run: the document answers none of its interactions
        out["not_applicable"] = c.not_applicable
    if c.chosen_by is not None:
        out["phase"] = c.phase
        out["phase_chosen_by"] = c.chosen_by
    return out


def document_to_dict(d: DocumentReport) -> dict:
    """One document's verdicts."""
    out = {
        "path": d.path,
        "valid": d.valid,
        "error": d.error,
        "xsd": None if d.xsd is None else xsd_to_dict(d.xsd),
        "contracts": [contract_to_dict(c) for c in d.contracts],
    }
    if d.unanswered is not None:  # for no consumer: nothing checked it
        out["unanswered"] = d.unanswered
    return out


def summary_to_dict(s: Summary) -> dict:
    """The run's counts."""
    return {"documents": s.documents, "valid": s.valid, "invalid": s.invalid, "errors": s.errors}


def render(documents: Iterable[DocumentReport], **extra) -> str:
    """The whole JSON report for a run."""
    docs = list(documents)
    summary = Summary()
    for d in docs:
        summary = summary.add(d)
    out = {"cdcxml": FORMAT_VERSION, "documents": [document_to_dict(d) for d in docs],
           "summary": summary_to_dict(summary)}
    out.update(extra)
    return json.dumps(out, indent=2, ensure_ascii=False) + "\n"
