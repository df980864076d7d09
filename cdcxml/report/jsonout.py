"""The stable JSON shape of docs/json.md, for every command (validate and batch, verify, contrast,
obligations, impact, can-i-deploy, matrix)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, TextIO

from ..analysis.paths import display
from ..analysis.results import CATEGORIES, Contrast, Impact, Obligations
from ..results import ContractReport, DocumentReport, Finding, Summary, XsdReport
from ..verify import ERROR, FAILED, PASSED, InteractionResult
from . import Writer
from .text import derived_changes

if TYPE_CHECKING:
    from ..deploy.gate import Gate
    from ..deploy.matrix import Matrix
    from ..soap import Fault

FORMAT_VERSION = "1"


def _dump(data: dict) -> str:
    """A report object as the indented JSON every command writes."""
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


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
    return _dump(out)


# -- verify ---------------------------------------------------------------------------------------
def fault_to_dict(f: Fault | None) -> dict | None:
    """A SOAP fault as JSON."""
    if f is None:
        return None
    return {"version": f.version, "code": f.code, "subcodes": list(f.subcodes),
            "reason": f.reason, "actor": f.actor, "node": f.node, "detail": f.detail,
            "line": f.line}


def result_to_dict(r: InteractionResult) -> dict:
    """One interaction as a document object of docs/json.md, plus what verify adds."""
    d = document_to_dict(r.document())
    d["valid"] = r.valid
    d.update({
        "consumer": r.consumer,
        "interaction": r.interaction,
        "outcome": r.outcome,
        "request": {"method": r.method, "url": r.url},
        "status": r.status,
        "content_type": r.content_type,
        "fault": fault_to_dict(r.fault),
        "mismatches": list(r.mismatches),
        "phase": r.phase,
        "state": r.state,
        "elapsed": round(r.elapsed, 6),
        "pending": r.pending,
    })
    return d


def verify_json(results: Sequence[InteractionResult]) -> str:
    """The whole JSON report: one document object per interaction, a summary, the consumers."""
    consumers: dict[str, dict] = {}
    for r in results:
        c = consumers.setdefault(r.consumer, {"consumer": r.consumer, "valid": True,
                                              "interactions": 0, "broken": []})
        c["interactions"] += 1
        if not r.valid:
            c["valid"] = False
            c["broken"].append(r.interaction)
    out = {
        "cdcxml": FORMAT_VERSION,
        "documents": [result_to_dict(r) for r in results],
        "summary": {
            "documents": len(results),
            "valid": sum(1 for r in results if r.outcome == PASSED),
            "invalid": sum(1 for r in results if r.outcome == FAILED),
            "errors": sum(1 for r in results if r.outcome == ERROR),
        },
        "consumers": list(consumers.values()),
    }
    return _dump(out)


# -- contrast, obligations, impact ---------------------------------------------------------------
def _summary(reports) -> dict:
    s = Summary()
    for d in reports:
        s = s.add(d)
    return summary_to_dict(s)


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


def _location_dict(loc, changes: dict[str, tuple[str, str]]) -> dict:
    out = {"document": loc.document, "line": loc.line, "location": loc.xpath}
    if loc.document in changes:
        out["sample"], out["change"] = changes[loc.document]
    return out


def impact_to_dict(result: Impact) -> dict:
    """The JSON object for ``cdcxml impact``."""
    changes = derived_changes(result)
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


def impact_json(result: Impact) -> str:
    """``cdcxml impact --format json``."""
    return _dump(impact_to_dict(result))


# -- can-i-deploy and the verification matrix ----------------------------------------------------
def gate_json(gate: Gate, yes: bool) -> str:
    """The answer as JSON."""
    doc = {
        "cdcxml": FORMAT_VERSION, "question": gate.question, "environment": gate.environment,
        "deploy": yes, "nothing_to_check": gate.nothing_to_check,
        "rows": [{"consumer": r.consumer, "consumer_version": r.consumer_version,
                  "contract": r.contract, "provider": r.provider,
                  "provider_version": r.provider_version, "verdict": r.verdict, "ok": r.ok,
                  "detail": r.detail} for r in gate.rows],
    }
    return _dump(doc)


def matrix_json(matrices: Sequence[Matrix]) -> str:
    """The matrices as JSON."""
    doc = {"cdcxml": FORMAT_VERSION, "providers": [{
        "provider": m.provider, "provider_versions": list(m.provider_versions),
        "deployed": [{"environment": env, "version": v} for env, v in m.deployed],
        "contracts": [{
            "consumer": r.contract.consumer, "version": r.contract.version,
            "contract": r.contract.contract, "sha256": r.contract.sha256,
            "environments": list(r.environments),
            "verdicts": {c.provider_version: {"verdict": c.verdict, "detail": c.detail}
                         for c in r.cells},
        } for r in m.rows],
    } for m in matrices]}
    return _dump(doc)


# -- batch, written as the run goes --------------------------------------------------------------
class JsonWriter(Writer):
    """The JSON report of docs/json.md, streamed: one document object per line inside the array."""

    def __init__(self, out: TextIO):
        super().__init__(out)
        self.first = True
        out.write(f'{{"cdcxml": "{FORMAT_VERSION}", "documents": [')

    def document(self, d: DocumentReport) -> list[str]:
        self.out.write(("\n  " if self.first else ",\n  ")
                       + json.dumps(document_to_dict(d), ensure_ascii=False))
        self.first = False
        return []

    def finish(self, tally, *, interrupted: bool = False) -> None:
        self.out.write("\n],\n")
        tail = {"summary": summary_to_dict(tally.summary), "batch": tally.to_dict(),
                "interrupted": interrupted}
        body = json.dumps(tail, indent=2, ensure_ascii=False)
        self.out.write(body[1:].lstrip("\n") + "\n")


class JsonlWriter(Writer):
    """One document object of docs/json.md per line, flushed, so a cut-off run can be resumed."""

    def document(self, d: DocumentReport) -> list[str]:
        self.out.write(json.dumps(document_to_dict(d), ensure_ascii=False) + "\n")
        self.out.flush()
        return []
