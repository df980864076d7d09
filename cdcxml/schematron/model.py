"""The resolved Schematron schema as immutable data: what the compiler turns into XSLT."""

from __future__ import annotations

from dataclasses import dataclass

NsMap = tuple[tuple[str, str], ...]


@dataclass(frozen=True, slots=True)
class Where:
    """A place in a Schematron file, for error messages."""

    file: str
    line: int | None

    def __str__(self) -> str:
        return f"{self.file}:{self.line}" if self.line else self.file


@dataclass(frozen=True, slots=True)
class Let:
    """A variable: an XPath ``value`` or literal element ``content`` (serialised XML)."""

    name: str
    value: str | None
    content: bytes | None
    where: Where
    ns: NsMap = ()


@dataclass(frozen=True, slots=True)
class Text:
    """Human text with its presentation attributes; ``content`` is the serialised element."""

    content: bytes
    lang: str | None = None
    see: str | None = None
    icon: str | None = None
    fpi: str | None = None


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """A ``sch:diagnostic``."""

    id: str
    text: Text
    role: str | None = None
    where: Where | None = None


@dataclass(frozen=True, slots=True)
class Property:
    """A ``sch:property``."""

    id: str
    text: Text
    role: str | None = None
    scheme: str | None = None
    where: Where | None = None


@dataclass(frozen=True, slots=True)
class Assertion:
    """An ``assert`` (fires when its test is false) or a ``report`` (fires when true)."""

    kind: str  # "assert" | "report"
    test: str
    text: Text
    where: Where
    id: str | None = None
    role: str | None = None
    flag: str | None = None
    subject: str | None = None
    diagnostics: tuple[str, ...] = ()
    properties: tuple[str, ...] = ()
    ns: NsMap = ()


@dataclass(frozen=True, slots=True)
class Rule:
    """A rule: a context, its lets and its assertions (abstract rules already expanded)."""

    context: str
    where: Where
    ns: NsMap
    lets: tuple[Let, ...] = ()
    assertions: tuple[Assertion, ...] = ()
    id: str | None = None
    role: str | None = None
    flag: str | None = None
    subject: str | None = None
    lang: str | None = None
    see: str | None = None
    icon: str | None = None
    fpi: str | None = None
    optional: bool = False  # cdc:optional="true": matching nothing is acceptable


@dataclass(frozen=True, slots=True)
class Pattern:
    """A pattern (abstract patterns already instantiated); ``first_match`` is False for groups."""

    id: str | None
    name: str | None
    where: Where
    rules: tuple[Rule, ...] = ()
    lets: tuple[Let, ...] = ()
    documents: str | None = None
    role: str | None = None
    first_match: bool = True
    diagnostics: tuple[Diagnostic, ...] = ()
    properties: tuple[Property, ...] = ()
    optional: bool = False  # cdc:optional="true": matching nothing is acceptable

    @property
    def required_rules(self) -> tuple[Rule, ...]:
        """The rules of which one must fire for the pattern to have checked anything."""
        return () if self.optional else tuple(r for r in self.rules if not r.optional)


@dataclass(frozen=True, slots=True)
class Phase:
    """A phase: which patterns run, with its own lets and an optional ``from`` selection."""

    id: str
    active: tuple[str, ...]
    lets: tuple[Let, ...] = ()
    from_: str | None = None
    where: Where | None = None


@dataclass(frozen=True, slots=True)
class Schema:
    """A resolved schema, ready to compile for one phase."""

    title: str | None
    query_binding: str
    schema_version: str | None
    default_phase: str | None
    ns: NsMap
    lets: tuple[Let, ...]
    patterns: tuple[Pattern, ...]
    phases: tuple[Phase, ...]
    diagnostics: tuple[Diagnostic, ...]
    properties: tuple[Property, ...]
    keys: tuple[bytes, ...]
    where: Where
    edition: str = "iso"
    xmlns_only: tuple[tuple[str, str], ...] = ()  # bound by xmlns alone, not by sch:ns
    warnings: tuple = ()  # Leniency: what was run although ISO forbids it

    def phase(self, phase_id: str) -> Phase | None:
        """The phase with this id."""
        return next((p for p in self.phases if p.id == phase_id), None)
