"""Run contracts over documents: the one checking core behind ``cdcxml validate`` and its kin.

A document goes in, a :class:`~cdcxml.results.DocumentReport` comes out: every contract (and the
XSD check, if given) run on it, or why it could not be checked. :func:`check_documents` does that
for many documents under the time and memory limits of :mod:`cdcxml.limits`; ``cdcxml.validate``,
``contrast``, ``batch`` and the command line all check through :class:`DocumentCheck`.

Which phase of a contract runs on a document is asked of a *phase choice*: a function
``(contract, tree) -> phase`` (None: the contract's default phase). Without one, every contract
runs ``phase`` on every document, as the ``--phase`` option says.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from lxml import etree

from . import xmlio
from .contract import Contract
from .errors import CdcxmlError, InputError, RunError
from .limits import settle
from .limits.guard import Budget
from .limits.pool import GuardedMap
from .results import DocumentReport, XsdReport

DOCUMENT_SUFFIXES = (".xml", ".soap")
CHUNK = 64  # documents handed to a guarded worker at once

PhaseChoice = Callable[[Contract, etree._ElementTree], str | None]
XsdCheck = Callable[[etree._ElementTree], XsdReport]


def require_inputs(inputs: Iterable[str | Path], *, globs: bool = False) -> list[str]:
    """The inputs as names, or an InputError for the first that does not exist.

    A path given to check that is not there is a usage error, not a document that failed: the
    run would otherwise check less than it was asked to. With ``globs``, a name with glob
    characters is a pattern and must match at least one file.
    """
    import glob

    names = [str(item) for item in inputs]
    for name in names:
        if name == "-" or Path(name).exists():
            continue
        if globs and set(name) & set("*?["):
            if not glob.glob(name, recursive=True):
                raise InputError("no file matches this pattern", path=name)
            continue
        raise InputError("no such file or directory", path=name)
    return names


def document_paths(inputs: Iterable[str | Path]) -> Iterator[str]:
    """Expand files, directories (recursed, *.xml and *.soap) and ``-`` into document names."""
    for item in require_inputs(inputs):
        name = str(item)
        if name == "-":
            yield name
            continue
        p = Path(item)
        if p.is_dir():
            found = sorted(
                f for f in p.rglob("*")
                if f.is_file() and f.suffix.lower() in DOCUMENT_SUFFIXES
                and not any(part.startswith(".") for part in f.relative_to(p).parts)
            )
            if not found:
                raise InputError("no documents (*.xml) in this directory", path=name)
            yield from (str(f) for f in found)
        else:
            yield name


def fixed_phase(phase: str | None) -> PhaseChoice:
    """The phase choice that runs ``phase`` of every contract on every document."""
    def choose(contract: Contract, tree: etree._ElementTree) -> str | None:
        return phase

    return choose


def compile_all(contracts: Iterable[Contract], phase: str | None = None, *,
                svrl: bool = False) -> list[Contract]:
    """Compile every contract now, so a broken one stops the run before any document is read."""
    contracts = list(contracts)
    for c in contracts:
        c.compiled(phase, svrl=svrl)
    return contracts


def check_document(tree: etree._ElementTree, name: str, contracts: Sequence[Contract], *,
                   phase: str | None = None, phases: PhaseChoice | None = None,
                   xsd: XsdCheck | None = None, svrl: bool = False) -> DocumentReport:
    """Run every contract (and the XSD check, if given) on one parsed document.

    ``phases`` chooses each contract's phase for this document (default: ``phase`` for all);
    with ``svrl`` each contract's report also carries its SVRL document.
    """
    choose = phases or fixed_phase(phase)
    reports = []
    for contract in contracts:
        try:
            reports.append(contract.validate(tree, phase=choose(contract, tree), svrl=svrl))
        except RunError as err:
            return DocumentReport(name, tuple(reports), error=f"{contract.consumer}: {err.message}")
    return DocumentReport(name, tuple(reports), xsd=xsd(tree) if xsd else None)


@dataclass(frozen=True, slots=True)
class DocumentCheck:
    """What to run on each document: contracts, the phase choice, the XSD check, SVRL or not.

    Called with ``(name, data)`` it reads (``data`` None: the file ``name``), parses and checks one
    document; a document that cannot be read is reported with the reason, never raised.
    """

    contracts: tuple[Contract, ...]
    phase: str | None = None
    phases: PhaseChoice | None = None
    xsd: XsdCheck | None = None
    svrl: bool = False

    def tree(self, tree: etree._ElementTree, name: str) -> DocumentReport:
        """Check one parsed document."""
        return check_document(tree, name, self.contracts, phase=self.phase, phases=self.phases,
                              xsd=self.xsd, svrl=self.svrl)

    def read(self, name: str, data: bytes | CdcxmlError | None = None, *,
             base_url: str | None = None) -> DocumentReport:
        """Parse ``data`` (or the file ``name``; an error: why it could not be read) and check it."""
        try:
            if isinstance(data, CdcxmlError):
                raise data
            tree = (xmlio.parse_file(name) if data is None
                    else xmlio.parse_bytes(data, name, base_url=base_url))
        except CdcxmlError as err:  # a document that cannot be read: reported, the run goes on
            return DocumentReport(name, error=err.local)
        return self.tree(tree, name)

    def __call__(self, item: tuple[str, bytes | CdcxmlError | None]) -> DocumentReport:
        return self.read(*item)


def check_documents(
    documents: str | Path | Iterable[str | Path],
    contracts: Contract | Sequence[Contract],
    *,
    phase: str | None = None,
    phases: PhaseChoice | None = None,
    xsd: XsdCheck | None = None,
    svrl: bool = False,
    budget: Budget = Budget(),  # noqa: B008 - immutable
    stopped: list[str] | None = None,
) -> Iterator[DocumentReport]:
    """Check each document against every contract, in order, one report per document.

    ``documents`` are files, directories (recursed) or ``-``. With an active ``budget`` the
    documents are checked in a worker process under its time and memory limit: a check over it is
    the document's error (and a line in ``stopped``, if given), and the run goes on. Compile the
    contracts (:func:`compile_all`) before: the worker inherits what this process compiled.
    """
    # One path or one contract is not a sequence of them (a str would iterate by character).
    if isinstance(documents, str | Path):
        documents = [documents]
    if isinstance(contracts, Contract):
        contracts = [contracts]
    check = DocumentCheck(tuple(contracts), phase, phases, xsd, svrl)
    with GuardedMap(check, budget) as guarded:
        for group in _groups(document_paths(documents), CHUNK if guarded.guarded else 1):
            items = [(name, _stdin() if name == "-" else None) for name in group]
            for name, answer in zip(group, guarded.map(items), strict=True):
                yield settle(answer, name, stopped, lambda reason, name=name:
                             DocumentReport(name, error=reason))


def _groups(names: Iterator[str], size: int) -> Iterator[list[str]]:
    """Names in lists of ``size``; those found before an error are checked before it is raised."""
    group: list[str] = []
    try:
        for name in names:
            group.append(name)
            if len(group) >= size:
                yield group
                group = []
    except CdcxmlError:
        if group:
            yield group
        raise
    if group:
        yield group


def _stdin() -> bytes | CdcxmlError:
    # Read here: a worker process does not share this process's standard input.
    try:
        return xmlio.read_bytes("-")
    except CdcxmlError as err:
        return err


def validate(
    documents: str | Path | Iterable[str | Path],
    contracts: Contract | Sequence[Contract],
    *,
    phase: str | None = None,
    xsd: XsdCheck | None = None,
    budget: Budget = Budget(),  # noqa: B008 - immutable
) -> Iterator[DocumentReport]:
    """Check each document against every contract; unreadable documents become error entries."""
    return check_documents(documents, contracts, phase=phase, xsd=xsd, budget=budget)
