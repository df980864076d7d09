"""What the provider learns, as immutable data: contrast rows, obligations, the impact of a change."""

from __future__ import annotations

from dataclasses import dataclass

from ..results import DocumentReport, Location
from .paths import Path, display, namespace

XSD_REJECTS_CONSUMERS_ACCEPT = "xsd_rejects_consumers_accept"
XSD_ACCEPTS_CONSUMER_REJECTS = "xsd_accepts_consumer_rejects"
BOTH_REJECT = "both_reject"
BOTH_ACCEPT = "both_accept"
# A SOAP fault: judged by the SOAP envelope schema, never the payload XSD, so none of the four above.
SOAP_FAULT = "soap_fault"
# For no consumer: the document answers no consumer's interactions, so no contract checked it.
UNANSWERED = "unanswered"
CATEGORIES = (XSD_REJECTS_CONSUMERS_ACCEPT, XSD_ACCEPTS_CONSUMER_REJECTS, BOTH_REJECT, BOTH_ACCEPT,
              SOAP_FAULT, UNANSWERED)


# -- contrast -----------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class ContrastRow:
    """One document: the XSD's verdict beside each consumer's, and which of the four cases it is."""

    report: DocumentReport
    category: str | None  # None when the document could not be checked

    @property
    def path(self) -> str:
        """The document's name."""
        return self.report.path


@dataclass(frozen=True, slots=True)
class ConsumerContrast:
    """How often one consumer's contract and the XSD reject the same documents."""

    consumer: str
    rejects: int
    xsd_rejects: int
    rejects_xsd_accepts: int
    accepts_xsd_rejects: int


@dataclass(frozen=True, slots=True)
class Contrast:
    """Targeted (contracts) against full (XSD) validation over a set of documents."""

    xsd: str
    consumers: tuple[str, ...]
    rows: tuple[ContrastRow, ...]
    stopped: tuple[str, ...] = ()  # checks stopped at the time or memory limit, one line each

    def documents_in(self, category: str) -> tuple[str, ...]:
        """The documents in one of the four cases."""
        return tuple(r.path for r in self.rows if r.category == category)

    @property
    def errors(self) -> tuple[str, ...]:
        """The documents that could not be checked."""
        return tuple(r.path for r in self.rows if r.category is None)

    @property
    def per_consumer(self) -> tuple[ConsumerContrast, ...]:
        """Per consumer: documents its contract rejects beside the documents the XSD rejects."""
        out = []
        # Faults are not held to the payload XSD: they take no part in the comparison with it.
        checked = [r.report for r in self.rows
                   if r.category not in (None, SOAP_FAULT, UNANSWERED)]
        for name in self.consumers:
            # Only the documents this consumer receives: the XSD's verdict on others is not its.
            rejects = rejects_ok = accepts_bad = xsd_rejects = 0
            for d in checked:
                verdicts = [c.valid for c in d.applicable if c.consumer == name]
                if not verdicts:
                    continue
                rejected = not all(verdicts)
                xsd_rejects += not d.xsd.valid
                rejects += rejected
                rejects_ok += rejected and d.xsd.valid
                accepts_bad += (not rejected) and not d.xsd.valid
            out.append(ConsumerContrast(name, rejects, xsd_rejects, rejects_ok, accepts_bad))
        return tuple(out)

    @property
    def holds(self) -> bool:
        """True when every document was checked and every consumer it is for accepts it."""
        return all(r.category in (BOTH_ACCEPT, XSD_REJECTS_CONSUMERS_ACCEPT)
                   or r.category == SOAP_FAULT and all(c.valid for c in r.report.contracts)
                   for r in self.rows)


# -- obligations --------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Dependency:
    """One consumer's dependency on a path: how (mutation kinds) and through which assertions."""

    consumer: str
    kinds: tuple[str, ...]
    assertions: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Obligation:
    """A path of the provider's messages and the consumers that depend on it."""

    path: Path
    dependencies: tuple[Dependency, ...]

    @property
    def display(self) -> str:
        """The path in local names."""
        return display(self.path)

    @property
    def namespace(self) -> str | None:
        """The namespace of the element or attribute."""
        return namespace(self.path)

    def kinds(self, consumer: str) -> tuple[str, ...]:
        """How ``consumer`` depends on the path; empty when it does not."""
        return next((d.kinds for d in self.dependencies if d.consumer == consumer), ())


@dataclass(frozen=True, slots=True)
class SampleVerdict:
    """A sample and the consumers whose contracts reject it (those are not analysed on it)."""

    path: str
    rejected_by: tuple[str, ...] = ()
    phases: tuple[tuple[str, str], ...] = ()  # (consumer, the phase(s) it ran and why)
    not_for: tuple[str, ...] = ()  # consumers the sample is not for (answers none of theirs)
    # Set when the sample is for no consumer: it was not analysed, and this says why.
    unanswered: str | None = None


@dataclass(frozen=True, slots=True)
class Obligations:
    """Which consumer depends on which element and attribute, found by mutating valid samples."""

    consumers: tuple[str, ...]
    paths: tuple[Path, ...]
    obligations: tuple[Obligation, ...]
    unused: tuple[Path, ...]
    samples: tuple[SampleVerdict, ...]
    not_in_samples: tuple[Path, ...] | None = None  # declared by the XSD, absent from every sample
    stopped: tuple[str, ...] = ()  # checks stopped at the time or memory limit, one line each
    not_analysed: tuple[str, ...] = ()  # consumers that rejected every sample: nothing known of them
    undecided: tuple[Path, ...] = ()  # no analysed consumer depends on it, but one was not analysed

    def obligation(self, path: Path) -> Obligation | None:
        """The obligation at ``path``, if any consumer depends on it."""
        return next((o for o in self.obligations if o.path == path), None)

    @property
    def holds(self) -> bool:
        """True when every consumer a sample is for accepts it, every sample is for some
        consumer, and every consumer was analysed."""
        return (not any(s.rejected_by or s.unanswered for s in self.samples)
                and not self.not_analysed)


# -- impact -------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Break:
    """An assertion that holds on the old documents and fails on the new ones."""

    consumer: str
    assertion: str
    pattern: str | None
    message: str
    locations: tuple[Location, ...]


@dataclass(frozen=True, slots=True)
class ConsumerImpact:
    """What a change does to one consumer."""

    consumer: str
    old_rejects: int
    new_rejects: int
    breaks: tuple[Break, ...] = ()

    @property
    def broken(self) -> bool:
        """True when the change makes an assertion of this consumer fail."""
        return bool(self.breaks)


@dataclass(frozen=True, slots=True)
class Derivation:
    """How a new-version document was derived from a sample, and what could not be derived."""

    sample: str
    removed: tuple[str, ...] = ()
    added: tuple[str, ...] = ()
    problems: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Impact:
    """What a proposed change does: per consumer, and for consumers validating with the old XSD."""

    consumers: tuple[ConsumerImpact, ...]
    old: tuple[DocumentReport, ...]
    new: tuple[DocumentReport, ...]
    xsd: str | None = None  # the schema XSD-validating consumers hold (new documents checked by it)
    derivations: tuple[Derivation, ...] = ()
    stopped: tuple[str, ...] = ()  # checks stopped at the time or memory limit, one line each
    # With two WSDLs: what changed per operation (cdcxml.wsdl.diff.OperationChange), and its callers.
    operations: tuple = ()
    wsdls: tuple[str, str] | None = None  # (old, new) WSDL names

    @property
    def broken_operations(self) -> tuple:
        """Breaking operation changes that some consumer's interaction calls."""
        return tuple(c for c in self.operations if c.breaking and c.callers)

    @property
    def xsd_breaks_needlessly(self) -> tuple[str, ...]:
        """New documents the old XSD rejects although every contract holds on them."""
        return tuple(d.path for d in self.new if d.error is None and d.xsd is not None
                     and d.unanswered is None and not d.xsd.valid
                     and all(c.valid for c in d.contracts))

    @property
    def xsd_breaks(self) -> tuple[str, ...]:
        """New documents the old XSD rejects."""
        return tuple(d.path for d in self.new if d.xsd is not None and not d.xsd.valid)

    @property
    def unanswered(self) -> tuple[DocumentReport, ...]:
        """Documents (old or new) for no consumer: no contract checked them."""
        return tuple(d for d in (*self.old, *self.new) if d.unanswered is not None)

    @property
    def holds(self) -> bool:
        """True when no consumer breaks, every new document could be checked and every document
        is for some consumer."""
        return (not any(c.broken for c in self.consumers) and all(d.error is None for d in self.new)
                and not self.broken_operations and not self.unanswered)
