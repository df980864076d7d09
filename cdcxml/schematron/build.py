"""From a loaded Schematron tree to the immutable model: abstract patterns instantiated, abstract
rules expanded, lets scoped and checked, every expression checked for syntax, prefixes and variables.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping

from lxml import etree

from ..errors import QueryBindingError, SchematronError
from . import xpath
from .load import Loaded, sch_ns
from .model import (
    Assertion,
    Diagnostic,
    Let,
    NsMap,
    Pattern,
    Phase,
    Property,
    Rule,
    Schema,
    Text,
    Where,
)
from .ns import SCH, SRC, UNSUPPORTED_BINDINGS, XML, XSL, XSLT1_BINDINGS, sch

LANG = f"{{{XML}}}lang"
# A contract's pattern or rule marked cdc:optional="true" may match nothing (see contract.py).
OPTIONAL = "{urn:cdcxml:contract:1}optional"
BAKED_LANG = f"{{{SRC}}}lang"
TEXT_ATTRS = ("see", "icon", "fpi")


def _local(el: etree._Element) -> str | None:
    if not isinstance(el.tag, str):
        return None
    q = etree.QName(el)
    return q.localname if q.namespace == SCH else None


def _id(el: etree._Element) -> str | None:
    """An element's id: ``@id``, or ``@xml:id`` as includes by fragment use."""
    return el.get("id") or el.get(f"{{{XML}}}id")


def _optional(el: etree._Element) -> bool:
    return (el.get(OPTIONAL) or "").strip() in ("true", "1")


def _children(el: etree._Element, *names: str) -> list[etree._Element]:
    return [c for c in el if _local(c) in names]


class Builder:
    """Builds a :class:`Schema` from a :class:`Loaded` tree."""

    def __init__(self, loaded: Loaded):
        self.loaded = loaded
        self.root = loaded.root
        self.lenience = loaded.lenience
        self.main_ns = dict(loaded.file_ns.get(loaded.main_uri or "", {}))
        if not loaded.main_uri:
            self.main_ns = sch_ns(self.root, loaded.main, self.lenience)
        # Prefixes only an xmlns declaration binds: usable, with a warning where used (check.py).
        self.xmlns_only: set[tuple[str, str]] = set()

    # -- helpers --------------------------------------------------------------------------------
    def where(self, el: etree._Element) -> Where:
        return Where(self.loaded.file_of(el), el.sourceline)

    def error(self, el: etree._Element, message: str) -> SchematronError:
        return SchematronError(message, path=self.loaded.file_of(el), line=el.sourceline)

    def ns_of(self, el: etree._Element) -> NsMap:
        """Namespace bindings for expressions on ``el``: its file's sch:ns over the main ones."""
        found = dict(self.main_ns)
        base = el.base
        if base and base != self.loaded.main_uri:
            found.update(self.loaded.file_ns.get(base, {}))
        for prefix, uri in el.nsmap.items():
            if prefix and prefix not in found and prefix != "xml":
                found[prefix] = uri
                self.xmlns_only.add((prefix, uri))
        return tuple(sorted(found.items()))

    # -- entry ----------------------------------------------------------------------------------
    def build(self) -> Schema:
        root = self.root
        binding = (root.get("queryBinding") or "").strip().lower()
        if binding in UNSUPPORTED_BINDINGS:
            raise QueryBindingError(
                f"queryBinding {binding!r} is not supported: cdcxml runs XPath 1.0 / XSLT 1.0 "
                "(use xslt, xslt1, exslt or xpath)", path=self.loaded.main, line=root.sourceline)
        if binding not in XSLT1_BINDINGS:
            raise QueryBindingError(f"unknown queryBinding {binding!r}", path=self.loaded.main,
                                    line=root.sourceline)
        _flatten(root, "library")
        _bake_lang(root, root.get(LANG))
        title_el = next(iter(_children(root, "title")), None)
        title = " ".join("".join(title_el.itertext()).split()) if title_el is not None else None
        diagnostic_els = _grouped(root, "diagnostics", "diagnostic")
        property_els = _grouped(root, "properties", "property")
        diagnostics = tuple(self.diagnostic(d) for d in diagnostic_els)
        properties = tuple(self.property(p) for p in property_els)
        _unique_ids(self, diagnostic_els, "diagnostic")
        _unique_ids(self, property_els, "property")
        self.global_rules = {
            _id(r): r for rs in _children(root, "rules") for r in _children(rs, "rule")
            if r.get("abstract") == "true" and _id(r)
        }
        # Abstract rules of every pattern: an extends may name one of another pattern (leniency).
        self.pattern_rules: dict[str, tuple[etree._Element, etree._Element]] = {}
        for p in _children(root, "pattern", "group"):
            for holder in (p, *_children(p, "rules")):
                for r in _children(holder, "rule"):
                    if r.get("abstract") == "true" and _id(r):
                        self.pattern_rules.setdefault(_id(r), (r, p))
        abstract = {}
        for p in _children(root, "pattern", "group"):
            if p.get("abstract") == "true":
                if not p.get("id"):
                    raise self.error(p, "an abstract pattern needs an id")
                abstract[p.get("id")] = p
        self.abstract_patterns = abstract
        self.diagnostic_els = {d.get("id"): d for d in diagnostic_els}
        self.property_els = {p.get("id"): p for p in property_els}
        patterns = []
        for p in _children(root, "pattern", "group"):
            if p.get("abstract") == "true":
                continue
            patterns.append(self.pattern(p))
        ids = [p.id for p in patterns if p.id]
        dup = {i for i in ids if ids.count(i) > 1}
        if dup:
            raise SchematronError(f"pattern id {sorted(dup)[0]!r} is used twice",
                                  path=self.loaded.main)
        phases = tuple(self.phase(ph) for ph in _children(root, "phase"))
        keys = tuple(self.key(k) for k in root if isinstance(k.tag, str)
                     and (k.tag == f"{{{XSL}}}key" or k.tag == sch("key")))
        for el in root:
            if isinstance(el.tag, str) and etree.QName(el).namespace == XSL \
                    and etree.QName(el).localname not in ("key",):
                raise self.error(el, f"xsl:{etree.QName(el).localname} is not allowed at the top "
                                 "of a schema (only xsl:key)")
        return Schema(
            title=title,
            query_binding=binding or "xslt",
            schema_version=root.get("schemaVersion"),
            default_phase=root.get("defaultPhase"),
            ns=tuple(sorted(self.main_ns.items())),
            lets=self.lets(root),
            patterns=tuple(patterns),
            phases=phases,
            diagnostics=diagnostics,
            properties=properties,
            keys=keys,
            where=self.where(root),
            edition=root.get(f"{{{SRC}}}edition", "iso"),
            xmlns_only=tuple(sorted(self.xmlns_only)),
            warnings=tuple(self.lenience.found),
        )

    # -- pieces ---------------------------------------------------------------------------------
    def key(self, el: etree._Element) -> bytes:
        name, match = el.get("name"), el.get("match")
        use = el.get("use") if el.tag == f"{{{XSL}}}key" else el.get("path") or el.get("use")
        if not (name and match and use):
            raise self.error(el, "a key needs name, match and use")
        key = etree.Element(f"{{{XSL}}}key", nsmap=dict(self.ns_of(el)) | {"xsl": XSL})
        key.set("name", name)
        key.set("match", match)
        key.set("use", use)
        return etree.tostring(key)

    def lets(self, parent: etree._Element) -> tuple[Let, ...]:
        out = [self.let(el) for el in _children(parent, "let")]
        _unique_lets(out, "scope")
        return tuple(out)

    def let(self, el: etree._Element) -> Let:
        name = el.get("name")
        if not name:
            raise self.error(el, "let needs a name")
        value = el.get("value")
        content = None if value is not None else _content(el)
        return Let(name, value, content, self.where(el), self.ns_of(el))

    def text(self, el: etree._Element) -> Text:
        return Text(_content(el), el.get(BAKED_LANG),
                    *(el.get(a) for a in TEXT_ATTRS))

    def diagnostic(self, el: etree._Element) -> Diagnostic:
        if not el.get("id"):
            raise self.error(el, "diagnostic needs an id")
        return Diagnostic(el.get("id"), self.text(el), el.get("role"), self.where(el))

    def property(self, el: etree._Element) -> Property:
        if not el.get("id"):
            raise self.error(el, "property needs an id")
        return Property(el.get("id"), self.text(el), el.get("role"), el.get("scheme"),
                        self.where(el))

    def phase(self, el: etree._Element) -> Phase:
        pid = el.get("id")
        if not pid:
            raise self.error(el, "phase needs an id")
        active = tuple(a.get("pattern") for a in _children(el, "active"))
        return Phase(pid, active, self.lets(el), el.get("from"), self.where(el))

    def pattern(self, el: etree._Element) -> Pattern:
        local_diag: dict[str, Diagnostic] = {}
        local_prop: dict[str, Property] = {}
        if el.get("is-a"):
            source = self.abstract_patterns.get(el.get("is-a"))
            if source is None:
                isa = el.get("is-a")
                if any(p.get("id") == isa for p in _children(self.root, "pattern", "group")):
                    raise self.error(el, f"is-a {isa!r} names a pattern that is not abstract")
                raise self.error(el, f"is-a {isa!r}: no abstract pattern with id {isa!r} in this "
                                 "schema or the files it includes (an include is missing?); "
                                 "its checks cannot run")
            params = {p.get("name"): p.get("value", "") for p in _children(source, "param")
                      if p.get("name")}
            params.update({p.get("name"): p.get("value", "") for p in _children(el, "param")
                           if p.get("name")})
            body = copy.deepcopy(source)
            for p in _children(body, "param"):
                body.remove(p)
            _substitute(body, params)
            ref_d, ref_p = _references(body)
            for did in ref_d:
                d = self.diagnostic_els.get(did)
                if d is not None and params:
                    d = copy.deepcopy(d)
                    _substitute(d, params)
                    local_diag[did] = self.diagnostic(d)
            for pid in ref_p:
                p = self.property_els.get(pid)
                if p is not None and params:
                    p = copy.deepcopy(p)
                    _substitute(p, params)
                    local_prop[pid] = self.property(p)
            pid_attr = el.get("id")
            documents = body.get("documents")
            first_match = _local(source) != "group"
            where_el = body
        else:
            body = el
            pid_attr = el.get("id")
            documents = el.get("documents")
            first_match = _local(el) != "group"
            where_el = el
        _flatten(body, "rules")
        abstract_rules = {_id(r): r for r in _children(body, "rule")
                          if r.get("abstract") == "true" and _id(r)}
        concrete = {_id(r): r for r in _children(body, "rule")
                    if r.get("abstract") != "true" and _id(r)}
        rules = []
        for r in _children(body, "rule"):
            if r.get("abstract") == "true":
                if not _id(r):
                    raise self.error(r, "an abstract rule needs an id")
                continue
            rules.append(self.rule(r, abstract_rules, concrete))
        name = body.get("name") or el.get("name")
        title = next(iter(_children(body, "title")), None)
        if name is None and title is not None:
            name = " ".join("".join(title.itertext()).split()) or None
        return Pattern(
            id=pid_attr,
            name=name,
            where=self.where(where_el),
            rules=tuple(rules),
            lets=self.lets(body),
            documents=documents,
            role=body.get("role"),
            first_match=first_match,
            diagnostics=tuple(local_diag.values()),
            properties=tuple(local_prop.values()),
            optional=_optional(el) or _optional(body),
        )

    def rule(self, el: etree._Element, abstract: Mapping[str, etree._Element],
             concrete: Mapping[str, etree._Element]) -> Rule:
        context = el.get("context")
        if not context:
            raise self.error(el, "a rule that is not abstract needs a context")
        lets: list[Let] = []
        assertions: list[Assertion] = []
        self._rule_body(el, abstract, concrete, lets, assertions, ())
        _unique_lets(lets, "rule")
        return Rule(
            context=context,
            where=self.where(el),
            ns=self.ns_of(el),
            lets=tuple(lets),
            assertions=tuple(assertions),
            id=el.get("id"),
            role=el.get("role"),
            flag=el.get("flag"),
            subject=el.get("subject"),
            lang=el.get(BAKED_LANG),
            see=el.get("see"),
            icon=el.get("icon"),
            fpi=el.get("fpi"),
            optional=_optional(el),
        )

    def _rule_body(self, el, abstract, concrete, lets, assertions, stack) -> None:
        for child in el:
            kind = _local(child)
            if kind == "let":
                lets.append(self.let(child))
            elif kind in ("assert", "report"):
                assertions.append(self.assertion(child, kind))
            elif kind == "extends":
                rid = child.get("rule")
                if not rid:
                    raise self.error(child, "extends needs a rule (or an href)")
                target = abstract.get(rid)
                if target is None:
                    target = self.global_rules.get(rid)
                if target is None and rid in concrete:
                    raise self.error(child, f"extends rule {rid!r}: that rule is not abstract")
                if target is None and rid in self.pattern_rules:
                    target, owner = self.pattern_rules[rid]
                    if owner.get("abstract") == "true":
                        raise self.error(child, f"extends rule {rid!r}: that rule belongs to the "
                                         f"abstract pattern {owner.get('id')!r}, whose parameters "
                                         "it may use")
                    self.lenience.allow(
                        self.loaded.file_of(child), child.sourceline,
                        f"extends rule {rid!r} names an abstract rule of another pattern "
                        f"({owner.get('id')!r}), not of this one",
                        "the rule is used as defined there")
                if target is None:
                    raise self.error(child, f"extends rule {rid!r}: no abstract rule with that id "
                                     "in this pattern")
                if rid in stack:
                    raise self.error(child, f"extends rule {rid!r} extends itself")
                self._rule_body(target, abstract, concrete, lets, assertions, (*stack, rid))

    def assertion(self, el: etree._Element, kind: str) -> Assertion:
        test = el.get("test")
        if test is None:
            raise self.error(el, f"{kind} needs a test")
        return Assertion(
            kind=kind,
            test=test,
            text=self.text(el),
            where=self.where(el),
            id=el.get("id"),
            role=el.get("role"),
            flag=el.get("flag"),
            subject=el.get("subject"),
            diagnostics=tuple((el.get("diagnostics") or "").split()),
            properties=tuple((el.get("properties") or "").split()),
            ns=self.ns_of(el),
        )


def _content(el: etree._Element) -> bytes:
    """An element's content (text and children) serialised inside a neutral wrapper."""
    holder = etree.Element("content")
    holder.text = el.text
    for c in el:
        holder.append(copy.deepcopy(c))
    return etree.tostring(holder)


def _flatten(el: etree._Element, container: str) -> None:
    """Replace container elements (``sch:rules``, ``sch:library``) by their children."""
    for c in list(el):
        if _local(c) == container and not (container == "rules" and el is not None
                                           and _local(el) == "schema"):
            index = el.index(c)
            el.remove(c)
            for offset, item in enumerate(list(c)):
                el.insert(index + offset, item)


def _bake_lang(el: etree._Element, inherited: str | None) -> None:
    lang = el.get(LANG, inherited)
    if lang and _local(el) in ("assert", "report", "rule", "diagnostic", "property", "pattern"):
        el.set(BAKED_LANG, lang)
    for c in el:
        if isinstance(c.tag, str):
            _bake_lang(c, lang)


def _substitute(el: etree._Element, params: Mapping[str, str]) -> None:
    if not params:
        return
    for node in el.iter():
        if not isinstance(node.tag, str):
            continue
        for attr, value in node.attrib.items():
            if "$" in value:
                node.set(attr, xpath.substitute_params(value, params))


def _references(el: etree._Element) -> tuple[set[str], set[str]]:
    diags, props = set(), set()
    for node in el.iter(sch("assert"), sch("report")):
        diags.update((node.get("diagnostics") or "").split())
        props.update((node.get("properties") or "").split())
    return diags, props


def _grouped(root: etree._Element, container: str, item: str) -> list[etree._Element]:
    """The ``item`` children of every ``container`` child of the schema, in document order."""
    return [el for group in _children(root, container) for el in _children(group, item)]


def _unique_lets(lets: Iterable[Let], where: str) -> None:
    seen = set()
    for let in lets:
        if let.name in seen:
            raise SchematronError(f"let {let.name!r} is declared twice in the same {where}",
                                  path=let.where.file, line=let.where.line)
        seen.add(let.name)


def _unique_ids(builder: Builder, els: Iterable[etree._Element], what: str) -> None:
    seen = set()
    for el in els:
        i = el.get("id")
        if i in seen:
            raise builder.error(el, f"{what} id {i!r} is used twice")
        seen.add(i)
