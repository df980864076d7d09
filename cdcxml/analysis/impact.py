"""What a proposed change does: which consumers break, by which assertion, and who breaks needlessly."""

from __future__ import annotations

from collections.abc import Sequence

from ..contract import Contract
from ..results import DocumentReport, Finding, Location
from ..soapbody import xsd_check
from ..validate import check_document
from .derive import derive
from .obligations import Sample
from .results import Break, ConsumerImpact, Impact


def _key(f: Finding) -> tuple[str | None, str]:
    return f.pattern, f.id or f.test


def _consumer_impacts(consumers: Sequence[str], old: Sequence[DocumentReport],
                      new: Sequence[DocumentReport]) -> tuple[ConsumerImpact, ...]:
    out = []
    for name in consumers:
        before = {_key(f) for d in old for c in d.contracts if c.consumer == name for f in c.failures}
        found: dict[tuple[str | None, str], tuple[Finding, list[Location]]] = {}
        for d in new:
            for c in (c for c in d.contracts if c.consumer == name):
                for f in c.failures:
                    if _key(f) in before:
                        continue
                    first, where = found.setdefault(_key(f), (f, []))
                    where.append(Location(f.location.xpath, f.location.line,
                                          f.location.document or d.path))
        breaks = tuple(Break(name, key[1], key[0], first.message, tuple(where))
                       for key, (first, where) in found.items())
        out.append(ConsumerImpact(
            name,
            old_rejects=sum(1 for d in old if _rejects(d, name)),
            new_rejects=sum(1 for d in new if _rejects(d, name)),
            breaks=breaks,
        ))
    return tuple(out)


def _rejects(d: DocumentReport, consumer: str) -> bool:
    return any(not c.valid for c in d.contracts if c.consumer == consumer)


def _check(samples: Sequence[Sample], contracts: Sequence[Contract], phase: str | None,
           xsd) -> tuple[DocumentReport, ...]:
    check = xsd_check(xsd) if xsd is not None else None
    return tuple(check_document(tree, name, contracts, phase=phase, xsd=check)
                 for name, tree in samples)


def impact_of_documents(contracts: Sequence[Contract], old: Sequence[Sample], new: Sequence[Sample],
                        *, xsd=None, phase: str | None = None) -> Impact:
    """Compare every contract on old and new responses; ``xsd`` is the schema consumers validate with."""
    consumers = tuple(dict.fromkeys(c.consumer for c in contracts))
    old_reports = _check(old, contracts, phase, xsd)
    new_reports = _check(new, contracts, phase, xsd)
    return Impact(_consumer_impacts(consumers, old_reports, new_reports), old_reports, new_reports,
                  xsd=str(xsd.path) if xsd is not None else None)


def impact_of_schemas(contracts: Sequence[Contract], samples: Sequence[Sample], old_xsd, new_xsd,
                      *, phase: str | None = None) -> Impact:
    """Derive documents for ``new_xsd`` from old samples, then compare as for documents."""
    derived, derivations = [], []
    for name, tree in samples:
        tree2, how = derive(name, tree, new_xsd)
        derived.append((f"{name} [derived for {new_xsd.path.name}]", tree2))
        derivations.append(how)
    result = impact_of_documents(contracts, samples, derived, xsd=old_xsd, phase=phase)
    return Impact(result.consumers, result.old, result.new, xsd=result.xsd,
                  derivations=tuple(derivations))
