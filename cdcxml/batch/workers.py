"""Checking captures in worker processes: contracts compiled once per process, results in order.

The same task function runs in this process (one job), in a local process pool, or on a Dask
cluster: it finds the compiled contracts of a :class:`Spec` in a per-process cache, so each worker
compiles them once however many chunks it is handed.
"""

from __future__ import annotations

import dataclasses
import hashlib
import multiprocessing
import os
import queue
import signal
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Executor, Future, ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass
from multiprocessing.reduction import ForkingPickler
from pathlib import Path

from lxml import etree

from ..checking import DocumentCheck, compile_all, contract_prefixes, require_contracts
from ..contract import Contract, ContractInfo
from ..errors import CdcxmlError
from ..fsutil import file_uri
from ..interactions import Hints
from ..limits import settle
from ..limits.guard import Budget
from ..limits.pool import GuardedMap
from ..results import (
    ContractReport,
    Diagnostic,
    DocumentReport,
    Finding,
    Location,
    Property,
    XsdIssue,
    XsdReport,
)
from .inputs import Capture


@dataclass(frozen=True, slots=True)
class ContractSpec:
    """What a worker needs to rebuild a contract: its path, bytes and metadata."""

    path: str | None
    source: bytes
    info: ContractInfo


@dataclass(frozen=True, slots=True)
class Spec:
    """Everything a worker needs to check documents; picklable, identified by its content."""

    contracts: tuple[ContractSpec, ...]
    phase: str | None = None
    xsd: str | None = None
    xsd_allow: str = "sandbox"
    budget: Budget = Budget()  # what checking one document may cost; no limit by default
    interaction: str | None = None  # --interaction: every document answers it

    def __post_init__(self) -> None:
        require_contracts(self.contracts)

    @classmethod
    def of(cls, contracts: Sequence[Contract], *, phase: str | None = None,
           xsd: str | Path | None = None, xsd_allow: str = "sandbox",
           budget: Budget = Budget(), interaction: str | None = None  # noqa: B008 - immutable
           ) -> Spec:
        """The spec for loaded contracts (and an XSD file)."""
        return cls(
            tuple(ContractSpec(str(c.path) if c.path else None, c.source, c.info)
                  for c in contracts),
            phase,
            str(xsd) if xsd is not None else None,
            xsd_allow,
            budget,
            interaction,
        )

    @property
    def key(self) -> str:
        """A content hash: two specs with the same key compile the same checker (limits aside)."""
        h = hashlib.sha256()
        for c in self.contracts:
            h.update((c.path or "").encode() + b"\0" + c.source + b"\0")
        h.update(f"{self.phase}\0{self.xsd}\0{self.xsd_allow}\0{self.interaction}".encode())
        return h.hexdigest()


class Checker:
    """Compiled contracts (and the XSD) of a spec, ready to check many documents."""

    def __init__(self, spec: Spec):
        self.contracts = compile_all(
            (Contract(Path(c.path) if c.path else None, c.source, c.info) for c in spec.contracts),
            spec.phase)
        self.phase = spec.phase
        self.interaction = spec.interaction
        self.checked = 0  # documents this process checked with these compiled contracts
        self._guards: dict[Budget, GuardedMap] = {}
        self._xsd = None
        if spec.xsd is not None:
            from ..xsd import load_xsd
            from ..xsd.payload import xsd_check

            self._xsd = xsd_check(load_xsd(spec.xsd, allow=spec.xsd_allow),
                                  prefixes=contract_prefixes(self.contracts))
        self.document = DocumentCheck(tuple(self.contracts), spec.phase,
                                      xsd=self.xsd if self._xsd is not None else None,
                                      hints=Hints(self.phase, self.interaction, None, None))

    def xsd(self, tree: etree._ElementTree) -> XsdReport:
        """The XSD's verdict on the message a document carries (a fault: the envelope schema's)."""
        return self._xsd(tree)

    def check(self, capture: Capture) -> DocumentReport:
        """Check one capture; anything that stops it is the report's error, never an exception."""
        try:
            return self.check_bounded(capture)
        except MemoryError as err:
            return _unexpected(capture, err)

    def check_bounded(self, capture: Capture) -> DocumentReport:
        """:meth:`check`, but running out of memory raises MemoryError for a guard to report."""
        self.checked += 1
        if capture.error is not None:
            return DocumentReport(capture.name, error=capture.error)
        try:
            try:
                data = capture.read()
            except CdcxmlError as err:
                data = err
            base = None
            if capture.path and capture.path != "-":
                base = file_uri(capture.path)
            document = self.document
            if capture.soap_action is not None or capture.request_path is not None:
                # A HAR entry recorded the request: its SOAPAction and path tell the interaction.
                hints = Hints(self.phase, self.interaction, capture.soap_action,
                              capture.request_path)
                document = dataclasses.replace(document, hints=hints)
            report = document.read(capture.name, data, base_url=base)
            if report.error is not None and capture.url:
                # NAME#N alone does not say which exchange it was: the entry's URL does.
                report = dataclasses.replace(report, error=f"response to {capture.url}: "
                                                           f"{report.error}")
            return report
        except MemoryError:
            raise
        except Exception as err:  # one odd document must not end a run of a million
            return _unexpected(capture, err)

    def bounded(self, budget: Budget) -> GuardedMap:
        """This process's guarded worker for ``budget``, started on its first chunk."""
        found = self._guards.get(budget)
        if found is None:
            found = self._guards[budget] = GuardedMap(self.check_bounded, budget)
        return found

    def check_all(self, captures: Sequence[Capture], budget: Budget) -> list[DocumentReport]:
        """Check captures, each under ``budget``: a runaway check is its document's error."""
        if not budget.active:
            return [self.check(c) for c in captures]
        answers = self.bounded(budget).map(captures)
        return [settle(a, c.name, None, lambda reason, name=c.name: DocumentReport(name, error=reason))
                for c, a in zip(captures, answers, strict=True)]


def _by_constructor(cls: type) -> None:
    """Send ``cls`` between processes as a constructor call: unpickling a slotted dataclass
    otherwise walks its fields in Python, which costs more than checking a small document."""
    names = tuple(f.name for f in dataclasses.fields(cls))
    ForkingPickler.register(cls, lambda obj: (cls, tuple(getattr(obj, n) for n in names)))


for _cls in (DocumentReport, ContractReport, Finding, Location, XsdReport, XsdIssue, Diagnostic,
             Property, Capture):
    _by_constructor(_cls)


def _unexpected(capture: Capture, err: BaseException) -> DocumentReport:
    reason = str(err).strip().splitlines()[0] if str(err).strip() else ""
    return DocumentReport(capture.name, error=f"could not be checked: "
                                              f"{type(err).__name__}: {reason}".rstrip(": "))


_checkers: dict[str, Checker] = {}
_lock = threading.Lock()
_default: Spec | None = None


def checker_for(spec: Spec | None) -> Checker:
    """This process's checker for a spec, compiled on first use."""
    spec = spec if spec is not None else _default
    if spec is None:
        raise RuntimeError("no spec: the worker was not initialised")
    key = spec.key
    found = _checkers.get(key)
    if found is None:
        with _lock:
            found = _checkers.get(key)
            if found is None:
                found = Checker(spec)
                _checkers[key] = found
    return found


def init_worker(spec: Spec) -> None:
    """Process-pool initializer: compile once; Ctrl-C is the parent's to handle."""
    global _default
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _default = spec
    checker_for(spec)


def check_chunk(chunk: Sequence[Capture], spec: Spec | None = None) -> list[DocumentReport]:
    """Check a chunk of captures with this process's compiled contracts."""
    checker = checker_for(spec)
    return checker.check_all(chunk, (spec if spec is not None else _default).budget)


def chunks(items: Iterable[Capture], *, size: int, max_bytes: int = 4 * 1024 * 1024
           ) -> Iterator[list[Capture]]:
    """Group captures so each task carries enough work to pay for its trip to a worker."""
    chunk: list[Capture] = []
    weight = 0
    for item in items:
        chunk.append(item)
        weight += len(item.data) if item.data is not None else 1024
        if len(chunk) >= size or weight >= max_bytes:
            yield chunk
            chunk, weight = [], 0
    if chunk:
        yield chunk


def default_jobs() -> int:
    """The cores this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:
        return max(1, os.cpu_count() or 1)


def ordered_results(submit: Callable[[list[Capture]], Future], groups: Iterable[list[Capture]],
                    *, in_flight: int) -> Iterator[DocumentReport]:
    """Submit chunks with at most ``in_flight`` outstanding and yield reports in input order."""
    pending: deque[Future] = deque()
    try:
        for group in groups:
            pending.append(submit(group))
            while len(pending) >= in_flight:
                yield from pending.popleft().result()
        while pending:
            yield from pending.popleft().result()
    finally:
        for f in pending:
            f.cancel()


def local_pool(spec: Spec, jobs: int) -> ProcessPoolExecutor:
    """A process pool whose workers compile the spec's contracts once, at start."""
    # Fork is the fastest start, but copying a parent that runs threads (a Dask client, a server
    # in a test) can deadlock; such a parent gets workers from a fork server instead.
    methods = multiprocessing.get_all_start_methods()
    if "fork" in methods and threading.active_count() == 1:
        method = "fork"
    else:
        method = "forkserver" if "forkserver" in methods else "spawn"
    context = multiprocessing.get_context(method)
    return ProcessPoolExecutor(max_workers=jobs, mp_context=context, initializer=init_worker,
                               initargs=(spec,))


def run_in_executor(executor: Executor, spec: Spec | None, captures: Iterable[Capture], *,
                    chunk_size: int, in_flight: int) -> Iterator[DocumentReport]:
    """Check captures on an executor; ``spec`` travels with each task unless workers hold it."""
    def submit(group: list[Capture]) -> Future:
        return executor.submit(check_chunk, group, spec)

    return ordered_results(submit, chunks(captures, size=chunk_size), in_flight=in_flight)


def run_forked(spec: Spec, captures: Iterable[Capture], *, jobs: int, chunk_size: int
               ) -> Iterator[DocumentReport]:
    """Check captures on ``jobs`` workers forked from this process, in input order.

    Each worker inherits the contracts this process compiled, reads and checks whole chunks, and
    is itself the guarded process of the spec's budget: a document's check crosses one process
    boundary, whether limits are set or not. A runaway check is its document's error and the
    chunk goes on in a fresh worker. Workers are forked before any thread of this run starts.
    """
    checker = checker_for(spec)
    budget = spec.budget
    fn = checker.check_bounded if budget.active else checker.check
    maps = [GuardedMap(fn, budget, forked=True) for _ in range(jobs)]
    free: queue.SimpleQueue[GuardedMap] = queue.SimpleQueue()
    try:
        for guarded in maps:
            guarded.start()
            free.put(guarded)

        def work(group: list[Capture]) -> list[DocumentReport]:
            guarded = free.get()
            try:
                answers = guarded.map(group)
            finally:
                free.put(guarded)
            return [settle(a, c.name, None,
                           lambda reason, name=c.name: DocumentReport(name, error=reason))
                    for c, a in zip(group, answers, strict=True)]

        with ThreadPoolExecutor(jobs, thread_name_prefix="cdcxml-batch") as threads:
            yield from ordered_results(lambda group: threads.submit(work, group),
                                       chunks(captures, size=chunk_size), in_flight=jobs * 4)
    finally:
        for guarded in maps:
            guarded.close()


def forking_here() -> bool:
    """True when this process may fork its batch workers itself (POSIX, no other thread)."""
    return "fork" in multiprocessing.get_all_start_methods() and threading.active_count() == 1


def run_here(spec: Spec, captures: Iterable[Capture], *, chunk_size: int = 64
             ) -> Iterator[DocumentReport]:
    """Check captures in this process, one after the other (under a limit: a chunk at a time)."""
    checker = checker_for(spec)
    if not spec.budget.active:
        for c in captures:
            yield checker.check(c)
        return
    guarded = checker.bounded(spec.budget)
    try:
        for group in chunks(captures, size=chunk_size):
            yield from checker.check_all(group, spec.budget)
    finally:
        guarded.close()
