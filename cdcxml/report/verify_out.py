"""Text and JSON renderings of ``verify`` results."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence

from ..results import Finding
from ..soap import Fault
from ..verify import ERROR, FAILED, PASSED, InteractionResult
from .jsonout import FORMAT_VERSION, document_to_dict

_LABEL = {PASSED: "PASS", FAILED: "FAIL", ERROR: "ERROR"}


def finding_line(f: Finding) -> str:
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
    lines.extend(finding_line(f) for f in r.failures)
    return lines


def text_line(r: InteractionResult) -> str:
    """The line (and indented detail lines) for one consumer × interaction."""
    status = f" {r.status}" if r.status is not None else ""
    label = _LABEL[r.outcome]
    if r.pending and not r.valid:
        label = f"{label} (pending)"
    head = f"{label:<5} {r.consumer} / {r.interaction}  {r.method} {r.url}{status}"
    return "\n".join([head, *(f"      {p}" for p in problems(r))])


def text_summary(results: Sequence[InteractionResult]) -> str:
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


def render_text(results: Sequence[InteractionResult]) -> str:
    """The whole text report."""
    body = "\n".join(text_line(r) for r in results)
    return f"{body}\n\n{text_summary(results)}\n"


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


def render_json(results: Sequence[InteractionResult]) -> str:
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
    return json.dumps(out, indent=2, ensure_ascii=False) + "\n"
