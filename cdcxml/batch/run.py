"""The batch run: captures in, document reports out in input order, and a summary of the run.

Nothing is held per document: reports stream to the caller, and the :class:`Tally` keeps only
counts per consumer and per assertion, plus a bounded list of unreadable documents.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path

from .. import jsonio
from ..errors import CdcxmlError, InputError, JsonError
from ..results import (
    ContractReport,
    DocumentReport,
    Finding,
    Location,
    Summary,
    XsdIssue,
    XsdReport,
)
from .inputs import DEFAULT_LIMITS, ArchiveLimits, Capture, captures
from .workers import Spec, forking_here, local_pool, run_forked, run_here, run_in_executor

CHUNK_SIZE = 64
UNREADABLE_KEPT = 100
TOP_ASSERTIONS = 5


def check_all(paths: Iterable[str | Path], spec: Spec, *, jobs: int = 1,
              scheduler: str | None = None, skip: Counter[str] | None = None,
              limits: ArchiveLimits = DEFAULT_LIMITS, chunk_size: int = CHUNK_SIZE
              ) -> Iterator[DocumentReport]:
    """Check every capture the paths name, in input order, on ``jobs`` processes or a Dask cluster.

    ``skip`` counts document names already checked (``--resume``): that many captures of each name
    are passed over.
    """
    items: Iterable[Capture] = captures(paths, limits=limits)
    if skip:
        items = _skipping(items, Counter(skip))
    if scheduler:
        yield from _on_dask(scheduler, spec, items, chunk_size)
    elif jobs <= 1:
        yield from run_here(spec, items, chunk_size=chunk_size)
    elif forking_here():
        yield from run_forked(spec, items, jobs=jobs, chunk_size=chunk_size)
    else:
        with local_pool(spec, jobs) as pool:
            try:
                yield from run_in_executor(pool, None, items, chunk_size=chunk_size,
                                           in_flight=jobs * 4)
            except BrokenProcessPool as err:
                raise CdcxmlError("a worker process stopped unexpectedly (out of memory?); "
                                  "a --format jsonl --output run can go on with --resume") from err


def _skipping(items: Iterable[Capture], skip: Counter[str]) -> Iterator[Capture]:
    for item in items:
        if skip[item.name] > 0:
            skip[item.name] -= 1
            continue
        yield item


def _on_dask(address: str, spec: Spec, items: Iterable[Capture], chunk_size: int
             ) -> Iterator[DocumentReport]:
    try:
        from distributed import Client
    except ImportError as err:
        raise CdcxmlError("--scheduler needs Dask: pip install 'cdcxml[dask]'") from err
    try:
        client = Client(address, timeout="15s", set_as_default=False)
    except (OSError, TimeoutError) as err:
        raise CdcxmlError(f"cannot reach the Dask scheduler: {err}", path=address) from err
    with client:
        workers = max(1, len(client.scheduler_info().get("workers", {})))
        # Sent to every worker once; each worker compiles the contracts on its first chunk.
        shared = client.scatter(spec, broadcast=True, hash=False)
        # pure=False: no hashing of every chunk to find duplicates; each chunk is checked.
        executor = client.get_executor(pure=False)
        # Workers may be on other machines: they get the bytes, never a local path.
        yield from run_in_executor(executor, shared, (c.loaded() for c in items),
                                   chunk_size=chunk_size, in_flight=workers * 4)


# -- the summary -----------------------------------------------------------------------------------

@dataclass
class ConsumerTally:
    """One consumer over the run: documents checked and rejected, failures per assertion."""

    checked: int = 0
    rejected: int = 0
    not_applicable: int = 0  # documents that answer none of its interactions (not run)
    assertions: Counter = field(default_factory=Counter)  # (pattern, id or test) -> documents
    messages: dict = field(default_factory=dict)  # same key -> first message seen


XSD_CATEGORIES = (
    ("both-accept", "XSD and every consumer accept"),
    ("xsd-only", "XSD rejects, every consumer accepts (breaks an XSD-validating consumer for nothing)"),
    ("consumers-only", "XSD accepts, some consumer rejects (a gap the provider schema does not show)"),
    ("both-reject", "XSD and some consumer reject (real breaks)"),
    ("soap-fault", "SOAP faults (checked against the SOAP envelope schema, not the XSD)"),
)


@dataclass
class Tally:
    """Counts over a batch run, in memory bounded by the contracts, not by the documents."""

    summary: Summary = field(default_factory=Summary)
    consumers: dict[str, ConsumerTally] = field(default_factory=dict)
    xsd: Counter = field(default_factory=Counter)
    unreadable: list[tuple[str, str]] = field(default_factory=list)
    unanswered: list[tuple[str, str]] = field(default_factory=list)  # for no consumer (kept few)
    unanswered_count: int = 0

    def add(self, d: DocumentReport) -> None:
        """Count one document's report."""
        self.summary = self.summary.add(d)
        if d.error is not None:
            if len(self.unreadable) < UNREADABLE_KEPT:
                self.unreadable.append((d.path, d.error))
            return
        if d.unanswered is not None:
            self.unanswered_count += 1
            if len(self.unanswered) < UNREADABLE_KEPT:
                self.unanswered.append((d.path, d.unanswered))
        for c in d.contracts:
            t = self.consumers.setdefault(c.consumer, ConsumerTally())
            if not c.applies:
                t.not_applicable += 1
                continue
            t.checked += 1
            failures = c.failures
            if failures:
                t.rejected += 1
            for key in dict.fromkeys((f.pattern or "", f.id or f.test) for f in failures):
                t.assertions[key] += 1
            for f in failures:
                t.messages.setdefault((f.pattern or "", f.id or f.test), f.message)
        if d.xsd is not None and d.unanswered is None:
            consumers_ok = all(c.valid for c in d.contracts)
            if d.xsd.fault:
                self.xsd["soap-fault"] += 1
            elif d.xsd.valid:
                self.xsd["both-accept" if consumers_ok else "consumers-only"] += 1
            else:
                self.xsd["xsd-only" if consumers_ok else "both-reject"] += 1

    def to_dict(self) -> dict:
        """The run's summary for JSON reports."""
        out: dict = {
            "consumers": [
                {
                    "consumer": name,
                    "documents": t.checked,
                    "rejected": t.rejected,
                    "not_applicable": t.not_applicable,
                    "top_failures": [
                        {"pattern": p or None, "assertion": a, "documents": n,
                         "message": t.messages.get((p, a))}
                        for (p, a), n in _top(t.assertions)
                    ],
                }
                for name, t in self.consumers.items()
            ],
            "xsd_vs_contracts": ({key: self.xsd.get(key, 0) for key, _ in XSD_CATEGORIES}
                                 if self.xsd else None),
            "unreadable": [{"path": p, "error": e} for p, e in self.unreadable],
            "unanswered": self.unanswered_count,
        }
        return out

    def text_lines(self) -> list[str]:
        """The run's summary for people."""
        lines = []
        for name, t in self.consumers.items():
            na = f" ({t.not_applicable} not for it)" if t.not_applicable else ""
            lines.append(f"{name}: {t.rejected} of {t.checked} documents rejected{na}")
            for (p, a), n in _top(t.assertions):
                message = t.messages.get((p, a)) or ""
                lines.append(f"  {n:>8}  {a}" + (f"  {message}" if message else ""))
        if self.xsd:
            lines.append("XSD vs contracts:")
            for key, label in XSD_CATEGORIES:
                lines.append(f"  {self.xsd.get(key, 0):>8}  {label}")
        if self.unanswered_count:
            lines.append(f"for no consumer (answers no consumer's interactions): "
                         f"{self.unanswered_count}")
            lines += [f"  {path}" for path, _ in self.unanswered]
            if self.unanswered_count > len(self.unanswered):
                lines.append(f"  ... and {self.unanswered_count - len(self.unanswered)} more")
        if self.summary.errors:
            lines.append(f"could not be checked: {self.summary.errors}")
            for path, error in self.unreadable:
                lines.append(f"  {path}: {error}")
            if self.summary.errors > len(self.unreadable):
                lines.append(f"  ... and {self.summary.errors - len(self.unreadable)} more")
        return lines


def _top(counter: Counter) -> list:
    return sorted(counter.items(), key=lambda kv: (-kv[1], kv[0]))[:TOP_ASSERTIONS]


# -- resuming a jsonl run --------------------------------------------------------------------------

def read_jsonl(path: str | Path) -> tuple[list[DocumentReport], int]:
    """The reports a jsonl file already holds, and the byte length of its complete lines.

    A last line cut short (the run was killed mid-write) is not counted; the caller truncates it.
    """
    p = Path(path)
    try:
        data = p.read_bytes()
    except FileNotFoundError:
        return [], 0
    except OSError as err:
        raise InputError(err.strerror or str(err), path=str(p)) from err
    reports = []
    good = 0
    for number, line in enumerate(data.splitlines(keepends=True), start=1):
        if not line.endswith(b"\n"):
            break
        if not line.strip():
            good += len(line)
            continue
        try:
            reports.append(document_from_dict(jsonio.loads(line, name=str(p))))
        except JsonError as err:
            raise InputError(f"cannot resume: not a cdcxml jsonl report ({err.message})",
                             path=str(p), line=number) from err
        except (ValueError, KeyError, TypeError) as err:
            raise InputError(f"cannot resume: not a cdcxml jsonl report ({err})", path=str(p),
                             line=number) from err
        good += len(line)
    return reports, good


def document_from_dict(d: dict) -> DocumentReport:
    """A document report back from its JSON object (docs/json.md)."""
    xsd = d.get("xsd")
    return DocumentReport(
        path=d["path"],
        contracts=tuple(
            ContractReport(c["consumer"], c["contract"],
                           tuple(_finding(f) for f in (*c.get("failures", ()), *c.get("reports", ()))))
            for c in d.get("contracts", ())
        ),
        error=d.get("error"),
        xsd=None if xsd is None else XsdReport(bool(xsd["valid"]),
                                               tuple(_xsd_issue(e) for e in xsd.get("errors", ())),
                                               xsd.get("schema"), bool(xsd.get("fault"))),
    )


def _xsd_issue(e) -> XsdIssue:
    if isinstance(e, str):  # reports written before errors carried their location
        return XsdIssue(e)
    return XsdIssue(e["message"], Location(e.get("location") or "", e.get("line")))


def _finding(f: dict) -> Finding:
    return Finding(
        kind=f["kind"], id=f.get("id"), pattern=f.get("pattern"), context=f.get("context", ""),
        test=f.get("test", ""), message=f.get("message", ""),
        location=Location(f.get("location", ""), f.get("line"), f.get("document")),
        role=f.get("role"), flag=f.get("flag"),
    )


def resume_run(output: str | Path) -> tuple[Tally, Counter[str]]:
    """What a cut-off ``--format jsonl`` run already wrote to ``output``: its tally and the
    documents to skip (by name, counted). A last line the run did not finish is cut off the file."""
    tally, skip = Tally(), Counter()
    done, good = read_jsonl(output)
    for d in done:
        tally.add(d)
        skip[d.path] += 1
    with open(output, "ab") as fh:
        fh.truncate(good)
    return tally, skip
