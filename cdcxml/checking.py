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

import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from lxml import etree

from . import xmlio
from .contract import Contract
from .errors import CdcxmlError, ConfigError, InputError, RunError
from .fsutil import walk_files
from .interactions import NO_HINTS, Hints, run_contract
from .interactions import unanswered as no_consumer
from .limits import settle
from .limits.guard import Budget
from .limits.pool import GuardedMap
from .results import ContractReport, DocumentReport, XsdReport

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
        if os.path.isdir(name):
            found = [f for f in walk_files(name)
                     if f.lower().endswith(DOCUMENT_SUFFIXES) and os.path.isfile(f)]
            if not found:
                raise InputError("no documents (*.xml) in this directory", path=name)
            yield from found
        else:
            yield name


def contract_prefixes(contracts: Sequence[Contract]) -> dict[str, str]:
    """The namespace prefixes the contracts bind (``sch:ns``), first binding of a URI first:
    XSD errors spell their XPaths with them, as the contracts' findings do."""
    out: dict[str, str] = {}
    for contract in contracts:
        for prefix, uri in contract.compiled(None).ns.items():
            if prefix not in out and uri not in out.values():
                out[prefix] = uri
    return out


def fixed_phase(phase: str | None) -> PhaseChoice:
    """The phase choice that runs ``phase`` of every contract on every document."""
    def choose(contract: Contract, tree: etree._ElementTree) -> str | None:
        return phase

    return choose


def require_contracts(contracts: Iterable) -> tuple:
    """The contracts, as a tuple; none at all is a ``ConfigError``: a check that ran no contract
    would report every document valid without having checked anything."""
    contracts = tuple(contracts)
    if not contracts:
        raise ConfigError("no contract to check: give at least one contract")
    return contracts


def compile_all(contracts: Iterable[Contract], phase: str | None = None, *,
                svrl: bool = False, strict: bool | None = None) -> list[Contract]:
    """Compile every contract now, so a broken one stops the run before any document is read.

    ``strict`` (when given) sets each contract to refuse what ISO Schematron forbids instead of
    running it with a warning (:attr:`Contract.warnings`)."""
    contracts = list(contracts)
    for c in contracts:
        if strict is not None:
            c.strict = strict
        c.compiled(phase, svrl=svrl)
    return contracts


def check_document(tree: etree._ElementTree, name: str, contracts: Sequence[Contract], *,
                   phase: str | None = None, phases: PhaseChoice | None = None,
                   xsd: XsdCheck | None = None, svrl: bool = False,
                   hints: Hints = NO_HINTS) -> DocumentReport:
    """Run every contract (and the XSD check, if given) on one parsed document.

    ``phases`` chooses each contract's phase for this document; without it each contract runs
    under the phase(s) of the interaction the document answers
    (:func:`cdcxml.interactions.choose_phases`, told by ``hints``), ``phase`` forcing one for all.
    With ``svrl`` each contract's report also carries its SVRL document.
    """
    require_contracts(contracts)
    if phase is not None:
        hints = Hints(phase, hints.interaction, hints.soap_action, hints.path)
    reports = []
    for contract in contracts:
        try:
            if phases is not None:
                reports.append(contract.validate(tree, phase=phases(contract, tree), svrl=svrl))
            else:
                reports.extend(run_contract(contract, tree, hints, svrl=svrl))
        except RunError as err:
            return DocumentReport(name, tuple(reports), error=f"{contract.consumer}: {err.message}")
    return DocumentReport(name, tuple(reports), xsd=xsd(tree) if xsd else None,
                          unanswered=unanswered(tree, contracts, reports))


def unanswered(tree: etree._ElementTree, contracts: Sequence[Contract],
               reports: Sequence[ContractReport]) -> str | None:
    """Why no contract checked the document, when none applies to it (it answers no consumer's
    interactions): a failure of its own, since nothing was checked. None when one applies."""
    if not reports or any(r.applies for r in reports):
        return None
    return no_consumer(tree, contracts)


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
    hints: Hints = NO_HINTS

    def __post_init__(self) -> None:
        require_contracts(self.contracts)

    def tree(self, tree: etree._ElementTree, name: str) -> DocumentReport:
        """Check one parsed document."""
        return check_document(tree, name, self.contracts, phase=self.phase, phases=self.phases,
                              xsd=self.xsd, svrl=self.svrl, hints=self.hints)

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
    hints: Hints = NO_HINTS,
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
    check = DocumentCheck(tuple(contracts), phase, phases, xsd, svrl, hints)  # none: refused now
    return _checked(documents, check, budget, stopped)


def _checked(documents: Iterable[str | Path], check: DocumentCheck, budget: Budget,
             stopped: list[str] | None) -> Iterator[DocumentReport]:
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


_ONE_DOCUMENT = (str, Path, bytes, bytearray, memoryview, etree._ElementTree, etree._Element)


def validate(
    documents,
    contracts: Contract | str | Path | Iterable[Contract | str | Path],
    *,
    phase: str | None = None,
    xsd: XsdCheck | None = None,
    budget: Budget = Budget(),  # noqa: B008 - immutable
    hints: Hints = NO_HINTS,
) -> Iterator[DocumentReport]:
    """Check each document against every contract; unreadable documents become error entries.

    ``documents`` is what :meth:`Contract.validate` takes (a path, a str path, bytes, an lxml tree
    or element), or an iterable of those; paths may be directories (their ``*.xml`` and
    ``*.soap``) or ``-`` for standard input. ``contracts`` is a :class:`Contract`, a contract
    source (file, directory, ``git+URL@REF``, ``installed:NAME``), or an iterable of those; sources
    are loaded (and so compiled) before any document is read.
    """
    # One document or one contract is not a sequence of them (a str would iterate by character).
    if isinstance(documents, _ONE_DOCUMENT):
        documents = [documents]
    documents = list(documents)
    contracts = list(require_contracts(_contracts(contracts)))
    if all(isinstance(d, str | Path) for d in documents):
        return check_documents(documents, contracts, phase=phase, xsd=xsd, budget=budget,
                               hints=hints)
    return _mixed(documents, contracts, phase=phase, xsd=xsd, budget=budget, hints=hints)


def _mixed(documents, contracts, *, phase, xsd, budget, hints) -> Iterator[DocumentReport]:
    """Documents in memory (bytes, trees) checked here, paths through :func:`check_documents`."""
    check = DocumentCheck(tuple(contracts), phase, None, xsd, hints=hints)
    for doc in documents:
        if isinstance(doc, str | Path):
            yield from check_documents([doc], contracts, phase=phase, xsd=xsd, budget=budget,
                                       hints=hints)
            continue
        name = "<bytes>" if isinstance(doc, bytes | bytearray | memoryview) else None
        try:
            tree = xmlio.load(doc)
        except CdcxmlError as err:
            yield DocumentReport(err.path or name or "<document>", error=err.local)
            continue
        yield check.tree(tree, name or xmlio.display_name(tree))


def _contracts(contracts) -> list[Contract]:
    """Contracts as given, and the contracts of any sources among them."""
    if isinstance(contracts, Contract | str | Path):
        contracts = [contracts]
    out: list[Contract] = []
    for c in contracts:
        if isinstance(c, Contract):
            out.append(c)
        else:
            from .sources import load_contracts

            out.extend(load_contracts([c]))  # loading compiles
    return out
