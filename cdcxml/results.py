"""Results as immutable data: findings, per-contract and per-document reports, a summary."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Location:
    """Where a finding points: the XPath of the node and its line in the source document."""

    xpath: str
    line: int | None = None
    document: str | None = None


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """A diagnostic attached to a finding, with its expanded text."""

    id: str
    text: str
    lang: str | None = None


@dataclass(frozen=True, slots=True)
class Property:
    """A property attached to a finding, with its expanded text."""

    id: str
    text: str
    role: str | None = None
    scheme: str | None = None


@dataclass(frozen=True, slots=True)
class Finding:
    """A failed assert or a successful report."""

    kind: str  # "assert" or "report"
    id: str | None
    pattern: str | None
    context: str
    test: str
    message: str
    location: Location
    role: str | None = None
    flag: str | None = None
    lang: str | None = None
    diagnostics: tuple[Diagnostic, ...] = ()
    properties: tuple[Property, ...] = ()

    INFORMATIONAL_ROLES = frozenset({"info", "information", "informational", "note", "hint"})

    @property
    def informational(self) -> bool:
        """True for findings whose role says they do not break the contract."""
        return (self.role or "").lower() in self.INFORMATIONAL_ROLES

    @property
    def line(self) -> int | None:
        """The line of the node the finding points at."""
        return self.location.line


@dataclass(frozen=True, slots=True)
class ContractReport:
    """The outcome of one contract on one document."""

    consumer: str
    contract: str
    findings: tuple[Finding, ...] = ()
    phase: str | None = None
    svrl: bytes | None = field(default=None, repr=False, compare=False)  # the run as SVRL, if asked
    chosen_by: str | None = None  # why this phase: the interaction it answers, --phase, ...
    # Why the contract was not run: the document answers none of its interactions (it is not a
    # response this consumer receives). None: the contract applies and was run.
    not_applicable: str | None = None

    @property
    def applies(self) -> bool:
        """True when the document is for this consumer and the contract was run on it."""
        return self.not_applicable is None

    @property
    def failures(self) -> tuple[Finding, ...]:
        """Findings that break the contract."""
        return tuple(f for f in self.findings if not f.informational)

    @property
    def reports(self) -> tuple[Finding, ...]:
        """Informational findings."""
        return tuple(f for f in self.findings if f.informational)

    @property
    def valid(self) -> bool:
        """True when no finding breaks the contract."""
        return not self.failures


@dataclass(frozen=True, slots=True)
class XsdIssue:
    """One XSD validation error: what is wrong and where (the offending element, not its parent)."""

    message: str
    location: Location = Location("")

    def __str__(self) -> str:
        line = f"line {self.location.line}: " if self.location.line else ""
        at = f" (at {self.location.xpath})" if self.location.xpath else ""
        return f"{line}{self.message}{at}"


@dataclass(frozen=True, slots=True)
class XsdReport:
    """The outcome of full XSD validation of one document.

    ``schema`` names what judged it: the payload XSD, or for a SOAP fault the SOAP envelope schema
    of its version (a fault is never held to the payload XSD); ``fault`` is then True.
    """

    valid: bool
    errors: tuple[XsdIssue, ...] = ()
    schema: str | None = None
    fault: bool = False


@dataclass(frozen=True, slots=True)
class DocumentReport:
    """Every contract's outcome (and the XSD's) on one document, or why it could not be checked."""

    path: str
    contracts: tuple[ContractReport, ...] = ()
    error: str | None = None
    xsd: XsdReport | None = None
    # Set when no contract applies to the document (it answers no consumer's interactions):
    # nothing was checked, so the document fails with this reason.
    unanswered: str | None = None

    @property
    def applicable(self) -> tuple[ContractReport, ...]:
        """The contracts that apply to the document (those that were run on it)."""
        return tuple(c for c in self.contracts if c.applies)

    @property
    def valid(self) -> bool:
        """True when the document was checked and every contract (and the XSD) holds; a
        document no contract applies to was not checked by any, so it is not valid."""
        if self.error is not None or self.unanswered is not None:
            return False
        if self.xsd is not None and not self.xsd.valid:
            return False
        return all(c.valid for c in self.contracts)


@dataclass(frozen=True, slots=True)
class Summary:
    """Counts over a run."""

    documents: int = 0
    valid: int = 0
    invalid: int = 0
    errors: int = 0

    def add(self, report: DocumentReport) -> Summary:
        """Return a summary that also counts ``report``."""
        return Summary(
            documents=self.documents + 1,
            valid=self.valid + (1 if report.valid else 0),
            invalid=self.invalid + (1 if report.error is None and not report.valid else 0),
            errors=self.errors + (1 if report.error is not None else 0),
        )
