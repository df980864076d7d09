"""Write patterns of rules as an ISO Schematron contract (queryBinding xslt, XPath 1.0)."""

from __future__ import annotations

import re

from lxml import etree

from .names import XSI, Names, local
from .rules import PLACEHOLDER, Pattern
from .xpath import literal_spans, spell_out_groups

SCH = "http://purl.oclc.org/dsdl/schematron"
CDC = "urn:cdcxml:contract:1"
_ID_CHARS = re.compile(r"[^A-Za-z0-9_.-]+")
_LONG_LITERAL = 40


def _q(name: str) -> str:
    return f"{{{SCH}}}{name}"


class _Ids:
    def __init__(self):
        self.used: set[str] = set()

    def make(self, text: str) -> str:
        base = _ID_CHARS.sub("-", text).strip("-.") or "x"
        if not (base[0].isalpha() or base[0] == "_"):
            base = "_" + base
        candidate, n = base, 1
        while candidate in self.used:
            n += 1
            candidate = f"{base}-{n}"
        self.used.add(candidate)
        return candidate


class _Sets:
    """Long character-set literals, bound once as schema-level lets and referred to by name."""

    def __init__(self):
        self.names: dict[str, str] = {}

    def finish(self, expr: str) -> str:
        expr = spell_out_groups(expr)
        spans = [(a, b) for a, b in literal_spans(expr) if b - a - 2 > _LONG_LITERAL]
        for a, b in reversed(spans):
            text = expr[a:b]
            name = self.names.setdefault(text, f"chars-{len(self.names) + 1}")
            expr = expr[:a] + "$" + name + expr[b:]
        return expr


def write(patterns: list[Pattern], names: Names, *, title: str, consumer: str,
          provider: str | None, header: list[str], notes: list[str]) -> bytes:
    """The Schematron document for ``patterns``, as UTF-8 bytes."""
    sets = _Sets()
    root = etree.Element(_q("schema"), nsmap={"sch": SCH, "cdc": CDC})
    root.set("queryBinding", "xslt")
    for line in header:
        root.append(etree.Comment(f" {line} "))
    etree.SubElement(root, _q("title")).text = title
    meta = etree.SubElement(root, f"{{{CDC}}}contract")
    meta.set("consumer", consumer)
    if provider:
        meta.set("provider", provider)
    body = []
    ids = _Ids()
    for pattern in patterns:
        rules = [r for r in pattern.rules if r.checks]
        if not rules:
            continue
        el = etree.Element(_q("pattern"))
        el.set("id", ids.make(pattern.id or local(pattern.element)))
        if pattern.optional:
            # A valid document may hold no element of this kind: matching nothing is no finding.
            el.set(f"{{{CDC}}}optional", "true")
        if pattern.comment:
            el.append(etree.Comment(f" {_comment(pattern.comment)} "))
        for rule in rules:
            for note in rule.notes:
                el.append(etree.Comment(f" not checked: {_comment(note)} "))
            r = etree.SubElement(el, _q("rule"))
            r.set("context", spell_out_groups(rule.context))
            for name, value in rule.lets.items():
                let = etree.SubElement(r, _q("let"))
                let.set("name", name)
                let.set("value", sets.finish(value))
            for check in rule.checks:
                a = etree.SubElement(r, _q("assert"))
                a.set("id", ids.make(f"{rule.stem}.{check.hint}"))
                a.set("test", sets.finish(check.test))
                _message(a, check.message)
        body.append(el)
    if any("xsi:" in r.context or any("xsi:" in c.test for c in r.checks)
           for p in patterns for r in p.rules):
        names.prefix(XSI)
    for prefix, uri in names.declarations():
        ns = etree.SubElement(root, _q("ns"))
        ns.set("prefix", prefix)
        ns.set("uri", uri)
    for text, name in sets.names.items():
        let = etree.SubElement(root, _q("let"))
        let.set("name", name)
        let.set("value", text)
    if notes:
        root.append(etree.Comment(" not checked:\n" + "".join(
            f"       - {_comment(n)}\n" for n in notes) + "  "))
    root.extend(body)
    etree.indent(root, space="  ")
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8") + b"\n"


def _message(a: etree._Element, text: str) -> None:
    """The assertion's text; the element's own name where the message has the placeholder."""
    first, *rest = text.split(PLACEHOLDER)
    a.text = first
    for part in rest:
        name = etree.SubElement(a, _q("name"))
        name.set("path", "local-name()")
        name.tail = part


def _comment(text: str) -> str:
    while "--" in text:
        text = text.replace("--", "- -")
    return text
