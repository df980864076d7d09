"""Documents for a new schema version, derived from samples of the old one.

Elements and attributes the new schema does not allow where they stand are removed; required ones
it adds are created with a value of their type. What cannot be derived that way (a value no
candidate satisfies, a changed type, a root the schema does not declare) is said, not guessed.
"""

from __future__ import annotations

import copy

from lxml import etree
from xmlschema.validators import XsdAnyElement, XsdElement, XsdGroup

from ..xsd.payload import payload_element
from .mutate import remove_element
from .paths import Path, display
from .results import Derivation

# Tried in order after a type's enumeration: the first one the type accepts is used.
_CANDIDATES = (
    "text", "0", "1", "false", "2000-01-01", "2000-01-01T00:00:00Z", "00:00:00Z", "P1D",
    "2000", "2000-01", "--01-01", "---01", "--01", "AA==", "00", "urn:example", "x:y", "en",
)


def _value(xsd_type) -> str | None:
    simple = xsd_type.content if xsd_type.is_complex() else xsd_type
    if simple is None or isinstance(simple, XsdGroup):
        return ""
    for candidate in (*(getattr(simple, "enumeration", None) or ()), *_CANDIDATES):
        if simple.is_valid(str(candidate)):
            return str(candidate)
    return None


def _type_name(xsd_type) -> str:
    if xsd_type.name:
        return xsd_type.local_name
    base = getattr(xsd_type, "base_type", None)
    return f"an anonymous restriction of {base.local_name}" if base is not None and base.name else (
        "an anonymous type")


def _flatten(group: XsdGroup) -> list:
    out = []
    for item in group:
        out.extend(_flatten(item) if isinstance(item, XsdGroup) else [item])
    return out


def _present(group: XsdGroup, tags: set[str]) -> bool:
    return any(isinstance(p, XsdElement) and p.name in tags for p in _flatten(group))


def _required(group: XsdGroup, tags: set[str]) -> list[XsdElement]:
    """Element particles that must appear and do not, choices resolved to their first branch."""
    if group.min_occurs == 0 and not _present(group, tags):
        return []
    if group.model == "choice":
        if _present(group, tags):
            branch = next(p for p in group if isinstance(p, XsdGroup) and _present(p, tags)
                          or isinstance(p, XsdElement) and p.name in tags)
            return _required(branch, tags) if isinstance(branch, XsdGroup) else []
        first = next(iter(group), None)
        items = [first] if first is not None else []
    else:
        items = list(group)
    out = []
    for p in items:
        if isinstance(p, XsdGroup):
            out.extend(_required(p, tags))
        elif isinstance(p, XsdElement) and p.min_occurs > 0 and p.name not in tags:
            out.append(p)
    return out


class _Deriver:
    def __init__(self):
        self.removed: dict[str, None] = {}
        self.added: dict[str, None] = {}
        self.problems: dict[str, None] = {}

    def attributes(self, el: etree._Element, decl: XsdElement, path: Path) -> None:
        declared = decl.attributes
        wildcard = None in declared
        for name in list(el.attrib):
            if name not in declared and not wildcard and not name.startswith("{http://www.w3.org/"):
                del el.attrib[name]
                self.removed.setdefault(display((*path, "@" + name)))
        for name, attr in declared.items():
            if name and attr.use == "required" and name not in el.attrib:
                value = _value(attr.type)
                where = display((*path, "@" + name))
                if value is None:
                    self.problems.setdefault(f"{where}: no value of {_type_name(attr.type)} "
                                             "could be derived")
                    value = ""
                el.set(name, value)
                self.added.setdefault(where)

    def fix(self, el: etree._Element, decl: XsdElement, path: Path) -> None:
        self.attributes(el, decl, path)
        xsd_type = decl.type
        if not xsd_type.is_complex() or not isinstance(xsd_type.content, XsdGroup):
            return
        group = xsd_type.content
        particles = _flatten(group)
        order = {p.name: i for i, p in enumerate(particles) if isinstance(p, XsdElement)}
        wildcard = any(isinstance(p, XsdAnyElement) for p in particles)
        for child in [c for c in el if isinstance(c.tag, str)]:
            if child.tag in order:
                self.fix(child, particles[order[child.tag]], (*path, child.tag))
            elif not wildcard:
                self.removed.setdefault(display((*path, child.tag)))
                remove_element(child)
        tags = {c.tag for c in el if isinstance(c.tag, str)}
        for particle in _required(group, tags):
            self.insert(el, self.build(particle, (*path, particle.name), set()), order)

    def build(self, decl: XsdElement, path: Path, building: set[int]) -> etree._Element:
        el = etree.Element(decl.name)
        self.added.setdefault(display(path))
        self.attributes(el, decl, path)
        xsd_type = decl.type
        if xsd_type.is_complex() and isinstance(xsd_type.content, XsdGroup):
            if id(xsd_type) in building:
                self.problems.setdefault(f"{display(path)}: a recursive required element "
                                         "could not be derived")
                return el
            order = {p.name: i for i, p in enumerate(_flatten(xsd_type.content))
                     if isinstance(p, XsdElement)}
            for particle in _required(xsd_type.content, set()):
                child = self.build(particle, (*path, particle.name), building | {id(xsd_type)})
                self.insert(el, child, order)
            return el
        value = _value(xsd_type)
        if value is None:
            self.problems.setdefault(f"{display(path)}: no value of {_type_name(xsd_type)} "
                                     "could be derived")
            value = ""
        el.text = value
        return el

    @staticmethod
    def insert(parent: etree._Element, child: etree._Element, order: dict[str, int]) -> None:
        rank = order.get(child.tag, len(order))
        after = None
        for existing in parent:
            if isinstance(existing.tag, str) and order.get(existing.tag, -1) <= rank:
                after = existing
        if after is None:
            child.tail = parent.text
            parent.insert(0, child)
        else:
            child.tail = after.tail
            after.addnext(child)


def derive(name: str, tree: etree._ElementTree, new_xsd) -> tuple[etree._ElementTree, Derivation]:
    """A copy of ``tree`` made to fit ``new_xsd`` (a loaded ``cdcxml.xsd.Xsd``), and how."""
    derived = copy.deepcopy(tree)
    root = payload_element(derived)
    deriver = _Deriver()
    decl = next((e for e in new_xsd.schema.elements.values() if e.name == root.tag), None)
    if decl is None:
        deriver.problems.setdefault(f"the new schema declares no element {display((root.tag,))}")
    else:
        deriver.fix(root, decl, (root.tag,))
    report = new_xsd.validate(payload_element(derived))
    problems = (*deriver.problems, *(f"new schema still rejects it: {e}" for e in report.errors))
    return derived, Derivation(name, tuple(deriver.removed), tuple(deriver.added), problems)
