"""Which consumer depends on which element: mutate valid samples and re-run every contract.

A consumer whose contract holds on a sample and fails on a mutant of it depends on the mutated
path; the mutation kind says how (presence, content, type). Each contract is compiled once and the
mutants are built in memory.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path as FilePath

from lxml import etree

from .. import xmlio
from ..contract import Contract
from ..errors import RunError
from ..soapbody import payload_element
from ..validate import document_paths
from .mutate import KINDS, mutants
from .paths import Path, distinct_paths, is_below
from .results import Dependency, Obligation, Obligations, SampleVerdict
from .xsdpaths import declared_paths

Sample = tuple[str, etree._ElementTree]


def load_samples(inputs: Iterable[str | FilePath]) -> list[Sample]:
    """Read sample documents (files, directories, ``-``); one that cannot be read is an error."""
    return [(name, xmlio.parse_file(name)) for name in document_paths(inputs)]


def _failed(contract: Contract, tree: etree._ElementTree, phase: str | None) -> tuple[str, ...] | None:
    """The assertions failing on ``tree``; None when the contract holds."""
    try:
        report = contract.validate(tree, phase=phase)
    except RunError as err:
        # A message the contract cannot even be run on is one its consumer cannot process.
        return (f"error: {err.message}",)
    if report.valid:
        return None
    return tuple(dict.fromkeys(f.id or f.test for f in report.failures))


class _Matrix:
    """Accumulates kinds and assertions per (path, consumer) over every sample."""

    def __init__(self):
        self.paths: dict[Path, None] = {}
        self.cells: dict[Path, dict[str, tuple[set[str], dict[str, None]]]] = {}

    def add(self, path: Path, consumer: str, kind: str, assertions: tuple[str, ...]) -> None:
        kinds, found = self.cells.setdefault(path, {}).setdefault(consumer, (set(), {}))
        kinds.add(kind)
        found.update(dict.fromkeys(assertions))

    def obligations(self, consumers: Sequence[str]) -> tuple[Obligation, ...]:
        out = []
        for path in self.paths:
            cells = self.cells.get(path)
            if not cells:
                continue
            deps = tuple(
                Dependency(name, tuple(k for k in KINDS if k in cells[name][0]),
                           tuple(cells[name][1]))
                for name in consumers if name in cells
            )
            out.append(Obligation(path, deps))
        return tuple(out)


def find_obligations(contracts: Sequence[Contract], samples: Sequence[Sample], *,
                     phase: str | None = None, xsd=None) -> Obligations:
    """The path × consumer matrix for ``samples`` (name, tree); ``xsd`` adds undeclared-in-samples."""
    consumers = tuple(dict.fromkeys(c.consumer for c in contracts))
    matrix = _Matrix()
    verdicts = []
    roots: dict[str, None] = {}
    for name, tree in samples:
        root = payload_element(tree)
        roots.setdefault(root.tag)
        passing = []
        rejected_by = []
        for contract in contracts:
            if _failed(contract, tree, phase) is None:
                passing.append(contract)
            else:
                rejected_by.append(contract.consumer)
        verdicts.append(SampleVerdict(name, tuple(dict.fromkeys(rejected_by))))
        for path in distinct_paths(root):
            matrix.paths.setdefault(path)
            for kind, mutant in mutants(tree, path):
                for contract in passing:
                    failed = _failed(contract, mutant, phase)
                    if failed is not None:
                        matrix.add(path, contract.consumer, kind, failed)
    obligations = matrix.obligations(consumers)
    depended = [o.path for o in obligations]
    unused = tuple(p for p in matrix.paths
                   if not any(d == p or is_below(d, p) for d in depended))
    not_in_samples = None
    if xsd is not None:
        not_in_samples = tuple(p for p in declared_paths(xsd.schema, roots) if p not in matrix.paths)
    return Obligations(consumers, tuple(matrix.paths), obligations, unused, tuple(verdicts),
                       not_in_samples)
