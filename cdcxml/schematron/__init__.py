"""The Schematron engine: parse → resolve → check → compile to XSLT 1.0 → run with lxml."""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from pathlib import Path

from ..errors import SchematronError
from .build import Builder
from .check import Checker
from .compile import Compiler
from .lenient import Lenience, Leniency
from .load import load
from .model import Pattern, Phase, Schema
from .precheck import fired, fired_names, precheck
from .run import Compiled, Outcome

__all__ = ["Compiled", "Leniency", "Outcome", "Schema", "compile_schematron", "parse_schematron",
           "select_phase"]

_CACHE: OrderedDict[tuple, Compiled] = OrderedDict()
_CACHE_SIZE = 64


def parse_schematron(source: bytes, *, path: Path | None = None,
                     lenience: Lenience | None = None) -> Schema:
    """Parse and resolve a Schematron file into the immutable model (its ``warnings`` say what
    was run although ISO forbids it; a strict ``lenience`` refuses that instead)."""
    return Builder(load(source, path=path, lenience=lenience or Lenience())).build()


def select_phase(schema: Schema, phase: str | None, lenience: Lenience | None = None
                 ) -> tuple[str | None, Phase | None, list[Pattern]]:
    """The phase id, phase and active patterns for a requested phase (None: the default)."""
    wanted = phase
    if wanted is None or wanted == "#DEFAULT":
        wanted = schema.default_phase
        if wanted not in (None, "#ALL") and schema.phase(wanted) is None:
            known = ", ".join(p.id for p in schema.phases) or "none"
            (lenience or Lenience()).allow(
                schema.where.file, schema.where.line,
                f"defaultPhase {wanted!r} names no phase (phases: {known})", "every pattern runs")
            wanted = "#ALL"
    if wanted in (None, "#ALL"):
        return wanted, None, list(schema.patterns)
    found = schema.phase(wanted)
    if found is None:
        known = ", ".join(p.id for p in schema.phases) or "none"
        raise SchematronError(f"no phase {wanted!r} (phases: {known})", path=schema.where.file)
    ids = {p.id for p in schema.patterns}
    for pid in found.active:
        if pid not in ids:
            raise SchematronError(f"phase {wanted!r} activates the unknown pattern {pid!r}",
                                  path=found.where.file if found.where else schema.where.file,
                                  line=found.where.line if found.where else None)
    return wanted, found, [p for p in schema.patterns if p.id in found.active]


def compile_schematron(source: bytes, *, path: Path | None = None, phase: str | None = None,
                       svrl: bool = False, strict: bool = False) -> Compiled:
    """Compile Schematron bytes for a phase; cached by content hash, path and phase.

    What other engines run although ISO forbids it (a wrong ``xml`` binding, prefixes bound by
    xmlns only, extends across patterns, a defaultPhase naming no phase) runs too, listed in the
    result's ``warnings``; ``strict`` refuses it instead.
    """
    key = (hashlib.sha256(source).hexdigest(), str(path.resolve()) if path else None, phase, svrl,
           strict)
    found = _CACHE.get(key)
    if found is not None:
        _CACHE.move_to_end(key)
        return found
    lenience = Lenience(strict)
    schema = parse_schematron(source, path=path, lenience=lenience)
    phase_id, phase_obj, patterns = select_phase(schema, phase, lenience)
    Checker(schema, phase_obj, patterns, lenience).run()
    tree, plan = Compiler(schema, phase_obj, patterns, svrl=svrl, phase_id=phase_id).compile()
    compiled = Compiled(schema, plan, tree, path.resolve().parent if path else None)
    compiled.warnings = tuple(lenience.found)
    if not svrl:  # SVRL lists fired rules, which only the stylesheet knows
        compiled.precheck = precheck(schema, phase_obj, patterns)
        if compiled.precheck is not None:
            compiled.fired = fired(patterns)
            if compiled.fired is not None:
                compiled.fired_names = fired_names(patterns)
    _CACHE[key] = compiled
    if len(_CACHE) > _CACHE_SIZE:
        _CACHE.popitem(last=False)
    return compiled
