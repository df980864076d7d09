"""Static checks on a contract (``cdcxml lint``) beyond what compiling already refuses."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from lxml import etree

from . import xmlio
from .contract import CDC_NS, Contract
from .schematron import parse_schematron, select_phase
from .schematron import xpath as xp
from .schematron.check import content_expressions
from .schematron.model import Pattern, Schema, Where

SCHEMA_DIRS = (Path(__file__).resolve().parent / "_schemas",
               Path(__file__).resolve().parent.parent / "schemas")


@dataclass(frozen=True, slots=True)
class Problem:
    """One lint finding."""

    where: Where
    level: str  # "error" | "warning"
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.level}: {self.message}"


def schema_file(name: str) -> Path:
    """A file of the project's own ``schemas/`` folder (installed or in a checkout)."""
    for folder in SCHEMA_DIRS:
        if (folder / name).is_file():
            return folder / name
    raise FileNotFoundError(name)


def lint(contract: Contract, samples: Sequence[etree._ElementTree] = ()) -> list[Problem]:
    """Every problem found in one contract; compile errors raise SchematronError first."""
    schema = parse_schematron(contract.source, path=contract.path)
    phases = [None] + [p.id for p in schema.phases]
    for phase in phases:
        contract.compiled(phase)
    # What compiling ran although ISO forbids it is an error to fix (``--strict`` refuses it).
    problems: list[Problem] = [Problem(w.where, "error", w.message) for w in contract.warnings]
    problems += _cdc_metadata(contract)
    problems += _phases_of_interactions(contract, schema)
    problems += _unused(schema)
    problems += _shadowed(schema)
    if samples:
        problems += _unmatched(schema, samples)
        problems += _vacuous(contract, schema, samples)
    return problems


def _phases_of_interactions(contract: Contract, schema: Schema) -> list[Problem]:
    """An interaction whose phase the schema does not have would fail every verify run."""
    known = {p.id for p in schema.phases}
    problems = []
    for inter in contract.interactions:
        if inter.phase is not None and inter.phase not in known | {"#ALL", "#DEFAULT"}:
            listed = ", ".join(sorted(known)) or "none"
            problems.append(Problem(Where(contract.name, inter.line), "error",
                                    f"interaction {inter.id!r} names the phase {inter.phase!r}, "
                                    f"which the contract does not have (phases: {listed})"))
    return problems


def _vacuous(contract: Contract, schema: Schema, samples: Sequence[etree._ElementTree]
             ) -> list[Problem]:
    """Patterns that match nothing in any sample: on such a document they check nothing."""
    silent: set[int] | None = None
    compiled = contract.compiled("#ALL")
    for sample in samples:
        quiet = set(compiled.run(sample, silent=True).silent or ())
        silent = quiet if silent is None else silent & quiet
    problems = []
    for index in sorted(silent or ()):
        pattern = compiled.plan.patterns[index]
        label = pattern.id or pattern.name or f"#{index + 1}"
        level = "error" if contract.info.require_match else "warning"
        problems.append(Problem(pattern.where, level,
                                f"pattern {label} matches nothing in the sample documents (a "
                                "document like them fails it as vacuous; mark it "
                                "cdc:optional=\"true\" if that is acceptable)"))
    return problems


def _cdc_metadata(contract: Contract) -> list[Problem]:
    tree = xmlio.parse_bytes(contract.source, contract.name)
    cdc = [el for el in tree.getroot() if isinstance(el.tag, str)
           and etree.QName(el).namespace == CDC_NS]
    if not cdc:
        return []
    xsd = etree.XMLSchema(xmlio.parse_file(schema_file("cdc-contract.xsd")))
    problems = []
    for el in cdc:
        # Validated in place, so each error keeps its own line in the contract file.
        if not xsd.validate(el):
            for e in xsd.error_log:
                problems.append(Problem(Where(contract.name, e.line or el.sourceline), "error",
                                        f"cdc metadata: {e.message}"))
    return problems


def _unused(schema: Schema) -> list[Problem]:
    used_vars: set[str] = set()
    used_diag: set[str] = set()
    used_prop: set[str] = set()
    exprs: list[str] = []
    for let in (*schema.lets, *(x for ph in schema.phases for x in ph.lets)):
        if let.value:
            exprs.append(let.value)
    for p in schema.patterns:
        exprs += [x.value for x in p.lets if x.value]
        if p.documents:
            exprs.append(p.documents)
        for r in p.rules:
            exprs.append(r.context)
            exprs += [x.value for x in r.lets if x.value]
            for a in r.assertions:
                exprs.append(a.test)
                exprs += [e for _, e, _ in content_expressions(a.text)]
                used_diag.update(a.diagnostics)
                used_prop.update(a.properties)
    for d in (*schema.diagnostics, *schema.properties):
        exprs += [e for _, e, _ in content_expressions(d.text)]
    for e in exprs:
        used_vars.update(xp.variables(e))
    problems = []
    all_lets = [*schema.lets, *(x for ph in schema.phases for x in ph.lets),
                *(x for p in schema.patterns for x in p.lets),
                *(x for p in schema.patterns for r in p.rules for x in r.lets)]
    for let in all_lets:
        if let.name not in used_vars:
            problems.append(Problem(let.where, "warning", f"let {let.name!r} is never used"))
    for d in schema.diagnostics:
        if d.id not in used_diag:
            problems.append(Problem(d.where or schema.where, "warning",
                                    f"diagnostic {d.id!r} is never referenced"))
    for p in schema.properties:
        if p.id not in used_prop:
            problems.append(Problem(p.where or schema.where, "warning",
                                    f"property {p.id!r} is never referenced"))
    return problems


def _covers(earlier: str, later: str) -> bool:
    """True when every node ``later`` can match is matched by ``earlier`` (a safe approximation)."""
    e, la = earlier.strip(), later.strip()
    if e == la:
        return True
    covered = {"*": {"element"}, "node()": {"element", "text", "comment", "pi"}}.get(e)
    if covered is None or xp.variables(la):
        return False
    return all(step.kind in covered for step in xp.final_steps(la, lambda _prefix: ""))


def _shadowed(schema: Schema) -> list[Problem]:
    problems = []
    for p in schema.patterns:
        if not p.first_match:
            continue
        for i, later in enumerate(p.rules):
            for earlier in p.rules[:i]:
                if _covers(earlier.context, later.context):
                    problems.append(Problem(
                        later.where, "warning",
                        f"rule {later.context!r} never fires: the earlier rule "
                        f"{earlier.context!r} of the same pattern matches first"))
                    break
    return problems


def _unmatched(schema: Schema, samples: Iterable[etree._ElementTree]) -> list[Problem]:
    samples = list(samples)
    problems = []
    for p in _all_patterns(schema):
        for r in p.rules:
            if xp.variables(r.context):
                continue
            exprs = [xp.alternative_expression(alt) for alt in xp.split_union(r.context)]
            if any(e is None for e in exprs):
                continue  # no linear expression finds its nodes: not worth a slow guess
            try:
                finders = [etree.XPath(e, namespaces=dict(r.ns)) for e in exprs]
                hit = any(f(s) for f in finders for s in samples)
            except etree.XPathError:
                continue
            if not hit:
                problems.append(Problem(r.where, "warning",
                                        f"rule context {r.context!r} matches nothing in the "
                                        "sample documents"))
    return problems


def _all_patterns(schema: Schema) -> list[Pattern]:
    _, _, patterns = select_phase(schema, "#ALL")
    return patterns
