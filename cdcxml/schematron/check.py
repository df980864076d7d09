"""Static checks the standard makes errors: let collisions, undefined variables, unbound prefixes,
XPath syntax. They run on the patterns of the phase being compiled."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from lxml import etree

from ..errors import SchematronError
from . import xpath
from .lenient import Lenience
from .model import Let, NsMap, Pattern, Phase, Schema, Text, Where
from .ns import SCH, XSL

ALWAYS_BOUND = frozenset({"xml"})


def content_expressions(text: Text) -> Iterator[tuple[str, str, dict[str, str]]]:
    """(what, expression, in-scope xmlns) for every XPath inside human text."""
    holder = etree.fromstring(text.content)
    for el in holder.iter():
        if not isinstance(el.tag, str):
            continue
        q = etree.QName(el)
        if q.namespace == SCH and q.localname == "value-of" and el.get("select") is not None:
            yield "value-of select", el.get("select"), dict(el.nsmap)
        elif q.namespace == SCH and q.localname == "name" and el.get("path") is not None:
            yield "name path", el.get("path"), dict(el.nsmap)
        elif q.namespace == XSL:
            for attr in ("select", "test"):
                if el.get(attr) is not None:
                    yield f"xsl:{q.localname} {attr}", el.get(attr), dict(el.nsmap)


class Checker:
    """Checks one phase's patterns; raises SchematronError on the first problem."""

    def __init__(self, schema: Schema, phase: Phase | None, patterns: Iterable[Pattern],
                 lenience: Lenience | None = None):
        self.schema = schema
        self.phase = phase
        self.patterns = list(patterns)
        self.lenience = lenience or Lenience()
        self.xmlns_only = set(schema.xmlns_only)

    def run(self) -> None:
        globals_: list[Let] = list(self.schema.lets)
        if self.phase is not None:
            globals_ += self.phase.lets
            if self.phase.from_:
                self.expr(self.phase.from_, "phase from", self.phase.where or self.schema.where,
                          self.schema.ns, {g.name for g in globals_})
        # A phase's variable may shadow the schema's (ISO 2016 §3.26); otherwise the schema's,
        # the phase's and the patterns' variables are one namespace of globals.
        phase_names = {let.name for let in self.phase.lets} if self.phase else set()
        globals_ = [let for let in self.schema.lets if let.name not in phase_names]
        globals_ += self.phase.lets if self.phase else []
        seen: set[str] = set()
        for let in self.schema.lets:  # shadowing is between scopes, never within the schema's
            if let.name in seen:
                raise self._err(let.where, f"let {let.name!r} is defined twice among the schema, "
                                "phase and pattern variables")
            seen.add(let.name)
        for pattern in self.patterns:
            globals_ += pattern.lets
        gnames: set[str] = set()
        for let in globals_:
            if let.name in gnames:
                raise self._err(let.where, f"let {let.name!r} is defined twice among the schema, "
                                "phase and pattern variables")
            gnames.add(let.name)
        for let in globals_:
            self.let(let, gnames)
        for pattern in self.patterns:
            self.pattern(pattern, gnames)

    @staticmethod
    def _err(where: Where, message: str) -> SchematronError:
        return SchematronError(message, path=where.file, line=where.line)

    def expr(self, expr: str, what: str, where: Where, ns: NsMap, scope: set[str],
             extra_ns: dict[str, str] | None = None) -> None:
        why = xpath.syntax_error(expr)
        if why is not None:
            raise self._err(where, f"{what} {expr!r} is not a valid XPath expression ({why})")
        bindings = dict(ns)
        bound = set(bindings) | ALWAYS_BOUND | set(extra_ns or ())
        for prefix in sorted(xpath.prefixes(expr)):
            if prefix not in bound:
                raise self._err(where, f"{what} {expr!r} uses the prefix {prefix!r}, which no "
                                "sch:ns declares")
            if (prefix, bindings.get(prefix)) in self.xmlns_only and prefix not in (extra_ns or ()):
                self.lenience.allow(where.file, where.line,
                                    f"the prefix {prefix!r} is declared by xmlns only, not by "
                                    "sch:ns", f"it names {bindings[prefix]!r} as xmlns says")
        for fn in xpath.functions(expr):
            if ":" not in fn and fn not in xpath.XPATH_FUNCTIONS:
                raise self._err(where, f"{what} {expr!r} calls the unknown function {fn}()")
        for name in xpath.variables(expr):
            if name not in scope:
                raise self._err(where, f"{what} {expr!r} references the undefined variable "
                                f"${name}")

    def let(self, let: Let, scope: set[str]) -> None:
        if let.value is not None:
            self.expr(let.value, f"let {let.name!r} value", let.where, let.ns, scope)

    def text(self, text: Text, where: Where, ns: NsMap, scope: set[str]) -> None:
        for what, expr, xmlns in content_expressions(text):
            self.expr(expr, what, where, ns, scope, xmlns)

    def pattern(self, pattern: Pattern, gnames: set[str]) -> None:
        if pattern.documents:
            self.expr(pattern.documents, "pattern documents", pattern.where, self.schema.ns, gnames)
        scope = gnames
        diags = {d.id: d for d in (*self.schema.diagnostics, *pattern.diagnostics)}
        props = {p.id: p for p in (*self.schema.properties, *pattern.properties)}
        for rule in pattern.rules:
            self.expr(rule.context, "rule context", rule.where, rule.ns, scope)
            if rule.subject:
                self.expr(rule.subject, "rule subject", rule.where, rule.ns, scope)
            local = set(scope)
            for let in rule.lets:
                if let.name in local:
                    raise self._err(let.where, f"let {let.name!r} collides with a let of the "
                                    "same name in an enclosing scope")
                self.let(let, local)
                local.add(let.name)
            for a in rule.assertions:
                self.expr(a.test, f"{a.kind} test", a.where, a.ns, local)
                if a.subject:
                    self.expr(a.subject, f"{a.kind} subject", a.where, a.ns, local)
                self.text(a.text, a.where, a.ns, local)
                for did in a.diagnostics:
                    if did not in diags:
                        raise self._err(a.where, f"{a.kind} refers to the undefined diagnostic "
                                        f"{did!r}")
                    self.text(diags[did].text, a.where, a.ns, local)
                for pid in a.properties:
                    if pid not in props:
                        raise self._err(a.where, f"{a.kind} refers to the undefined property "
                                        f"{pid!r}")
                    self.text(props[pid].text, a.where, a.ns, local)
