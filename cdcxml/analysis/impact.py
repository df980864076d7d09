"""What a proposed change does: which consumers break, by which assertion, and who breaks needlessly."""

from __future__ import annotations

from collections.abc import Sequence

from ..checking import check_document, contract_prefixes, require_contracts
from ..contract import Contract
from ..interactions import NO_HINTS, Hints
from ..limits import settle
from ..limits.guard import Budget
from ..limits.pool import GuardedMap
from ..results import DocumentReport, Finding, Location
from ..xsd.payload import xsd_check
from .derive import derive
from .obligations import Sample
from .results import Break, ConsumerImpact, Derivation, Impact


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


class _Checks:
    """The checks of an impact run, by item: ("check", which, index) runs every contract (and the
    XSD) on a sample; ("derive", index) derives a sample for the new schema and checks that."""

    def __init__(self, contracts: Sequence[Contract], phase: str | None, xsd,
                 samples: dict[str, Sequence[Sample]], new_xsd=None, hints: Hints = NO_HINTS):
        self.contracts = contracts
        self.phase = phase
        self.hints = hints
        self.check = xsd_check(xsd, prefixes=contract_prefixes(contracts)) if xsd is not None else None
        self.samples = samples
        self.new_xsd = new_xsd

    def document(self, name: str, tree) -> DocumentReport:
        return check_document(tree, name, self.contracts, phase=self.phase, xsd=self.check,
                              hints=self.hints)

    def __call__(self, item: tuple) -> DocumentReport | tuple[Derivation, DocumentReport]:
        if item[0] == "check":
            return self.document(*self.samples[item[1]][item[2]])
        name, tree = self.samples["old"][item[1]]
        derived, how = derive(name, tree, self.new_xsd)
        return how, self.document(_derived_name(name, self.new_xsd), derived)


def _derived_name(name: str, new_xsd) -> str:
    return f"{name} [derived for {new_xsd.path.name}]"


def _reports(answers: list, names: list[str], which: str, stopped: list[str]
             ) -> tuple[DocumentReport, ...]:
    return tuple(settle(answer, f"{name} ({which})", stopped,
                        lambda reason, name=name: DocumentReport(name, error=reason))
                 for name, answer in zip(names, answers, strict=True))


def impact_of_documents(contracts: Sequence[Contract], old: Sequence[Sample], new: Sequence[Sample],
                        *, xsd=None, phase: str | None = None, hints: Hints = NO_HINTS,
                        budget: Budget = Budget()) -> Impact:  # noqa: B008 - immutable
    """Compare every contract on old and new responses; ``xsd`` is the schema consumers validate with.

    With a ``budget``, each document is checked in a worker process under that time and memory
    limit; a check over it is the document's error, and a line in ``stopped``.
    """
    contracts = require_contracts(contracts)
    consumers = tuple(dict.fromkeys(c.consumer for c in contracts))
    stopped: list[str] = []
    with GuardedMap(_Checks(contracts, phase, xsd, {"old": old, "new": new}, hints=hints), budget) as guarded:
        old_reports, new_reports = (
            _reports(guarded.map([("check", which, n) for n in range(len(samples))]),
                     [name for name, _ in samples], which, stopped)
            for which, samples in (("old", old), ("new", new)))
    return Impact(_consumer_impacts(consumers, old_reports, new_reports), old_reports, new_reports,
                  xsd=str(xsd.path) if xsd is not None else None, stopped=tuple(stopped))


def impact_of_schemas(contracts: Sequence[Contract], samples: Sequence[Sample], old_xsd, new_xsd,
                      *, phase: str | None = None, hints: Hints = NO_HINTS,
                      budget: Budget = Budget()) -> Impact:  # noqa: B008 - immutable
    """Derive documents for ``new_xsd`` from old samples, then compare as for documents.

    With a ``budget``, each derivation and each check runs in a worker process under that time and
    memory limit; one over it is reported for its sample, and a line in ``stopped``.
    """
    contracts = require_contracts(contracts)
    consumers = tuple(dict.fromkeys(c.consumer for c in contracts))
    stopped: list[str] = []
    checks = _Checks(contracts, phase, old_xsd, {"old": samples}, new_xsd, hints)
    names = [name for name, _ in samples]
    with GuardedMap(checks, budget) as guarded:
        old_reports = _reports(guarded.map([("check", "old", n) for n in range(len(samples))]),
                               names, "old", stopped)
        answers = guarded.map([("derive", n) for n in range(len(samples))])
    derivations, new_reports = [], []
    for name, answer in zip(names, answers, strict=True):
        derived = _derived_name(name, new_xsd)
        answer = settle(answer, derived, stopped, lambda reason, name=name, derived=derived: (
            Derivation(name, problems=(reason,)), DocumentReport(derived, error=reason)))
        derivations.append(answer[0])
        new_reports.append(answer[1])
    return Impact(_consumer_impacts(consumers, old_reports, tuple(new_reports)), old_reports,
                  tuple(new_reports), xsd=str(old_xsd.path), derivations=tuple(derivations),
                  stopped=tuple(stopped))
