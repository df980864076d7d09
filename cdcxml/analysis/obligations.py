"""Which consumer depends on which element: mutate valid samples and re-run every contract.

A consumer whose contract holds on a sample and fails on a mutant of it depends on the mutated
path; the mutation kind says how (presence, content, type). Each contract is compiled once and the
mutants are built in memory. Under a time and memory limit, the contracts run in a worker process
(:class:`~cdcxml.limits.pool.GuardedMap`), which builds the mutants itself.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace
from pathlib import Path as FilePath

from lxml import etree

from .. import xmlio
from ..checking import document_paths, require_contracts
from ..contract import Contract
from ..errors import CdcxmlError, DocumentError, RunError
from ..interactions import NO_HINTS, Hints, PhaseChoice, check_contract, choose_phases, unanswered
from ..limits import settle
from ..limits.guard import Budget, RunawayError
from ..limits.pool import GuardedMap
from ..xsd.payload import payload_element
from .mutate import CONTENT, KINDS, PRESENCE, TYPE, kinds, mutant
from .paths import Path, display, distinct_paths, is_below
from .results import Dependency, Obligation, Obligations, SampleVerdict
from .xsdpaths import declared_paths

Sample = tuple[str, etree._ElementTree]


def load_samples(inputs: Iterable[str | FilePath]) -> list[Sample]:
    """Read sample documents (files, directories, ``-``).

    A path that is not there is an ``InputError`` (nothing to check, exit 2); a document that
    cannot be read or parsed is a ``DocumentError`` (a failure of that document, exit 1).
    """
    samples = []
    for name in document_paths(inputs):
        try:
            samples.append((name, xmlio.parse_file(name)))
        except CdcxmlError as err:
            raise DocumentError(err.message, path=err.path or name, line=err.line) from err
    return samples


def _failed(contract: Contract, tree: etree._ElementTree,
            choices: Sequence[PhaseChoice]) -> tuple[str, ...] | None:
    """The assertions failing on ``tree`` under the chosen phases; None when the contract holds."""
    try:
        reports = check_contract(contract, tree, choices)
    except RunError as err:
        # A message the contract cannot even be run on is one its consumer cannot process.
        return (f"error: {err.message}",)
    if all(r.valid for r in reports):
        return None
    return tuple(dict.fromkeys(f.id or f.test for r in reports for f in r.failures))


DEFAULT_PHASE = "default phase"


def _phases(choices: Sequence[PhaseChoice]) -> str:
    """How the phases were chosen, in words; ``default phase`` when no choice was made."""
    if len(choices) == 1 and choices[0].reason == DEFAULT_PHASE:
        return DEFAULT_PHASE
    return "; ".join(f"{c.phase or DEFAULT_PHASE} ({c.reason})" for c in choices)


class _Matrix:
    """Accumulates kinds and assertions per (path, consumer) over every sample."""

    def __init__(self):
        self.paths: dict[Path, None] = {}
        self.analysed: dict[Path, set[str]] = {}  # consumers analysed on a sample holding the path
        # consumers a sample holding the path is not for: they never receive it, so cannot need it
        self.excused: dict[Path, set[str]] = {}
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


class _Runner:
    """One contract on a sample or on one of its mutants; the mutant at hand is kept for the next
    contract, so each mutant is built once however many contracts run on it.

    Each contract runs its mutants under the phases chosen on the sample itself: removing the
    element that tells which interaction a document answers must not change the question.
    """

    def __init__(self, contracts: Sequence[Contract], samples: Sequence[Sample], hints: Hints):
        self.contracts = contracts
        self.samples = samples
        self.hints = hints
        self._last: tuple[tuple | None, etree._ElementTree | None] = (None, None)
        self._choices: dict[tuple[int, int], tuple[PhaseChoice, ...]] = {}

    def choices(self, sample: int, contract: int) -> tuple[PhaseChoice, ...]:
        found = self._choices.get((sample, contract))
        if found is None:
            found = choose_phases(self.contracts[contract], self.samples[sample][1], self.hints)
            self._choices[(sample, contract)] = found
        return found

    def __call__(self, item: tuple[int, Path | None, str | None, int]):
        """A sample (path None): (failed assertions or None, the phases, whether the contract
        applies to it); a mutant: the failures."""
        sample, path, kind, contract = item
        tree = self.samples[sample][1]
        try:
            choices = self.choices(sample, contract)
        except RunError as err:
            return ((f"error: {err.message}",) if path is not None
                    else ((f"error: {err.message}",), "", True))
        if path is None:
            if not any(c.applies for c in choices):  # not this consumer's message: nothing to run
                return None, "; ".join(c.reason for c in choices), False
            return _failed(self.contracts[contract], tree, choices), _phases(choices), True
        key = (sample, path, kind)
        if self._last[0] != key:
            self._last = (key, mutant(tree, path, kind))
        return _failed(self.contracts[contract], self._last[1], choices)


_MUTATED = {PRESENCE: "removed", CONTENT: "emptied", TYPE: "retyped"}


def _settle(answer, what: str, stopped: list[str]) -> tuple[str, ...] | None:
    """A check's failed assertions; one stopped at its limit fails as a contract that cannot run."""
    return settle(answer, what, stopped, lambda reason: (f"error: {reason}",))


def find_obligations(contracts: Sequence[Contract], samples: Sequence[Sample], *,
                     phase: str | None = None, xsd=None, hints: Hints = NO_HINTS,
                     budget: Budget = Budget()) -> Obligations:  # noqa: B008 - immutable
    """The path × consumer matrix for ``samples`` (name, tree); ``xsd`` adds undeclared-in-samples.

    Each contract runs under the phase(s) of the interaction a sample answers (``phase`` forces
    one). A consumer that rejects a sample is not analysed on it; a path is unused only when every
    consumer was analysed on a sample holding it and none depends on it. Paths that would be
    unused but for a consumer not analysed on them are ``undecided``.

    With a ``budget``, each contract runs on each sample and mutant in a worker process under that
    time and memory limit; a run over it fails like a contract that cannot run, with a line in
    ``stopped``.
    """
    contracts = require_contracts(contracts)
    if phase is not None:
        hints = replace(hints, phase=phase)
    consumers = tuple(dict.fromkeys(c.consumer for c in contracts))
    matrix = _Matrix()
    verdicts = []
    roots: dict[str, None] = {}
    stopped: list[str] = []
    with GuardedMap(_Runner(contracts, samples, hints), budget) as guarded:
        for index, (name, tree) in enumerate(samples):
            root = payload_element(tree)
            roots.setdefault(root.tag)
            passing = []
            rejected_by = []
            phases = []
            not_for = []
            answers = guarded.map([(index, None, None, n) for n in range(len(contracts))])
            for n, (contract, answer) in enumerate(zip(contracts, answers, strict=True)):
                if not isinstance(answer, RunawayError):
                    answer, chosen, applies = answer
                    if not applies:
                        not_for.append(contract.consumer)
                        continue
                    phases.append((contract.consumer, chosen))
                if _settle(answer, f"{name}: {contract.consumer}", stopped) is None:
                    passing.append(n)
                else:
                    rejected_by.append(contract.consumer)
            rejected = tuple(dict.fromkeys(rejected_by))
            accepted = {contracts[n].consumer for n in passing} - set(rejected)
            applied = accepted | set(rejected)
            excused = tuple(dict.fromkeys(c for c in not_for if c not in applied))
            if contracts and len(not_for) == len(contracts):
                # For no consumer: nothing would be learned from it, and that is said.
                verdicts.append(SampleVerdict(name, (), (), excused, unanswered(tree, contracts)))
                continue
            verdicts.append(SampleVerdict(name, rejected, tuple(phases), excused))
            items = []
            for path in distinct_paths(root):
                matrix.paths.setdefault(path)
                matrix.analysed.setdefault(path, set()).update(accepted)
                matrix.excused.setdefault(path, set()).update(excused)
                items += [(index, path, kind, n) for kind in kinds(tree, path) for n in passing
                          if contracts[n].consumer in accepted]
            for (_, path, kind, n), answer in zip(items, guarded.map(items), strict=True):
                consumer = contracts[n].consumer
                failed = _settle(answer, f"{name} with {display(path)} {_MUTATED[kind]}: {consumer}",
                                 stopped)
                if failed is not None:
                    matrix.add(path, consumer, kind, failed)
    obligations = matrix.obligations(consumers)
    depended = [o.path for o in obligations]
    nobody = [p for p in matrix.paths if not any(d == p or is_below(d, p) for d in depended)]
    decided = {p: matrix.analysed[p] | matrix.excused[p] for p in nobody}
    unused = tuple(p for p in nobody if decided[p] >= set(consumers))
    undecided = tuple(p for p in nobody if not decided[p] >= set(consumers))
    analysed = set().union(*matrix.analysed.values()) if matrix.analysed else set()
    not_analysed = tuple(c for c in consumers if c not in analysed)
    not_in_samples = None
    if xsd is not None:
        not_in_samples = tuple(p for p in declared_paths(xsd.schema, roots) if p not in matrix.paths)
    return Obligations(consumers, tuple(matrix.paths), obligations, unused, tuple(verdicts),
                       not_in_samples, tuple(stopped), not_analysed, undecided)
