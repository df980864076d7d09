"""A one-XPath pre-check: does any assert of the compiled phase fail, or any report fire?

Most captured messages hold. For them the answer "no finding" costs one XPath evaluation instead
of an XSLT transform, whose fixed cost alone is larger than parsing a small document. Only schemas
whose meaning a plain XPath can carry get a pre-check: no variables, keys, subordinate documents,
``from`` selections or XSLT-only functions, and within a pattern rules that cannot match the same
node (so "first matching rule" needs no bookkeeping). Anything else returns None and always runs
the stylesheet; a document the pre-check flags runs the stylesheet too, which reports the findings.
"""

from __future__ import annotations

import re

from lxml import etree

from . import xpath
from .model import Pattern, Phase, Rule, Schema

# XPath 1.0 core functions whose value does not depend on XSLT's context (current(), keys,
# documents) nor on the position of the node among the candidates (position(), last()).
_SAFE_FUNCTIONS = frozenset({
    "boolean", "ceiling", "concat", "contains", "count", "false", "floor", "lang", "local-name",
    "name", "namespace-uri", "normalize-space", "not", "number", "round", "starts-with", "string",
    "string-length", "substring", "substring-after", "substring-before", "sum", "translate", "true",
})
_SAFE_IN_CONTEXT = _SAFE_FUNCTIONS | {"position", "last"}


def precheck(schema: Schema, phase: Phase | None, patterns: list[Pattern]) -> etree.XPath | None:
    """An XPath true when some finding would be reported, or None when the schema needs XSLT."""
    if schema.keys or schema.lets or (phase is not None and (phase.lets or phase.from_)):
        return None
    ns: dict[str, str] = {}
    parts = []
    for pattern in patterns:
        if pattern.documents or pattern.lets or not _disjoint(pattern):
            return None
        for rule in pattern.rules:
            part = _rule(rule, ns)
            if part is None:
                return None
            if part:
                parts.append(part)
    if not parts:
        return etree.XPath("false()")
    try:
        return etree.XPath(" or ".join(parts), namespaces=ns or None)
    except etree.XPathSyntaxError:
        return None


def fired(patterns: list[Pattern]) -> etree.XPath | None:
    """An XPath whose value has a character per pattern: 1 if a required rule matches a node,
    0 if none does, - if the pattern requires nothing.

    For documents the pre-check settles, which the stylesheet (that records the same) never sees;
    only built where :func:`precheck` is, so every context is a plain XPath over one document.
    """
    ns: dict[str, str] = {}
    digits = []
    for pattern in patterns:
        tests = []
        for rule in pattern.required_rules:
            if not _bind(ns, rule.ns):
                return None
            for alt in xpath.split_union(rule.context):
                expr = xpath.alternative_expression(alt)
                if expr is None:
                    return None  # no linear expression: the stylesheet records what fired
                tests.append(f"boolean(({expr})[1])")
        digits.append(f"number({' or '.join(tests)})" if tests else "'-'")
    try:
        return etree.XPath(f"concat('', {', '.join(digits) or repr('')}, '')",
                           namespaces=ns or None)
    except etree.XPathSyntaxError:
        return None


_ELEMENT_NAME = re.compile(rf"(?://)?(?:({xpath.NCNAME}):)?({xpath.NCNAME})")


def fired_names(patterns: list[Pattern]) -> tuple[tuple[str, ...] | None, ...] | None:
    """The element names (Clark) each pattern's required rules match, None for a pattern that
    requires nothing; None when some required rule's context is more than element names.

    Where it is not None it says what :func:`fired` says, without an XPath: a pattern fired when
    the document holds an element of one of its names, which lxml finds by ``iter``.
    """
    out: list[tuple[str, ...] | None] = []
    for pattern in patterns:
        names: list[str] = []
        for rule in pattern.required_rules:
            bound = dict(rule.ns)
            for alt in xpath.split_union(rule.context):
                m = _ELEMENT_NAME.fullmatch(alt.strip())
                if m is None:
                    return None
                prefix, local = m.groups()
                if prefix is None:
                    names.append(local)
                elif prefix in bound:
                    names.append(f"{{{bound[prefix]}}}{local}")
                else:
                    return None
        out.append(tuple(names) if names else None)
    return tuple(out)


def _bind(ns: dict[str, str], bindings) -> bool:
    # One prefix bound to two namespaces: the parts cannot share one XPath.
    return all(ns.setdefault(prefix, uri) == uri for prefix, uri in bindings)


def _safe(expr: str, allowed: frozenset[str]) -> bool:
    if xpath.variables(expr) or xpath.syntax_error(expr):
        return False
    return all(f in allowed for f in xpath.functions(expr))


def _rule(rule: Rule, ns: dict[str, str]) -> str | None:
    if rule.lets or not _safe(rule.context, _SAFE_IN_CONTEXT) or not _bind(ns, rule.ns):
        return None
    if any(alt.startswith(("key(", "id(")) for alt in xpath.split_union(rule.context)):
        return None
    tests = []
    for a in rule.assertions:
        if not _safe(a.test, _SAFE_FUNCTIONS) or not _bind(ns, a.ns or rule.ns):
            return None
        tests.append(f"not({a.test})" if a.kind == "assert" else f"boolean({a.test})")
    if not tests:
        return ""
    # One part per alternative: a union of large node-sets costs libxml2 quadratic time, and "any
    # finding?" needs no document order. A context with no linear translation runs the stylesheet.
    parts = []
    for alt in xpath.split_union(rule.context):
        expr = xpath.alternative_expression(alt)
        if expr is None:
            return None
        # "[1]": libxml2 stops at the first node that fails instead of collecting them all.
        parts.append(f"boolean((({expr})[{' or '.join(tests)}])[1])")
    return " or ".join(parts)


def _disjoint(pattern: Pattern) -> bool:
    """True when no node can match two rules of the pattern (or every rule fires anyway)."""
    if not pattern.first_match or len(pattern.rules) < 2:
        return True
    seen: list[xpath.StepTest] = []
    for rule in pattern.rules:
        steps = xpath.final_steps(rule.context, dict(rule.ns).get)
        if any(_overlap(a, b) for a in steps for b in seen):
            return False
        seen.extend(steps)
    return True


def _overlap(a: xpath.StepTest, b: xpath.StepTest) -> bool:
    """Whether one node could pass both step tests."""
    if "any" in (a.kind, b.kind):
        return True
    if a.kind != b.kind:
        return False
    if a.name is None or b.name is None or a.name == b.name:
        return True
    return _wildcard_covers(a.name, b.name) or _wildcard_covers(b.name, a.name)


def _wildcard_covers(pattern: str, name: str) -> bool:
    return pattern.endswith("}*") and name.startswith(pattern[:-1])
