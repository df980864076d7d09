"""Mutants of a message: one path removed, emptied, or given a value of the wrong type."""

from __future__ import annotations

import copy
import re
from collections.abc import Iterator

from lxml import etree

from ..xsd.payload import payload_element
from .paths import Path, find, is_attribute

PRESENCE = "presence"
CONTENT = "content"
TYPE = "type"
KINDS = (PRESENCE, CONTENT, TYPE)

_NUMBER = re.compile(r"^\s*[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?\s*$")
_DATE = re.compile(r"^\s*\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?(Z|[+-]\d{2}:\d{2})?\s*$")
_TIME = re.compile(r"^\s*\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})?\s*$")
_BOOLEAN = frozenset({"true", "false"})


def wrong_value(value: str | None) -> str:
    """A value of another lexical kind than ``value``: text for a number, date or boolean, else a number."""
    text = value or ""
    if _NUMBER.match(text):
        return "not-a-number"
    if _DATE.match(text) or _TIME.match(text):
        return "not-a-date"
    if text.strip() in _BOOLEAN:
        return "maybe"
    return "12345"


def applicable(kind: str, path: Path, nodes: list[etree._Element], root: etree._Element) -> bool:
    """Whether ``kind`` means anything for ``path``: the root cannot go; only simple values get retyped."""
    if is_attribute(path):
        return True
    if kind == PRESENCE:
        return nodes[0] is not root
    if kind == TYPE:
        return not any(isinstance(c.tag, str) for el in nodes for c in el)
    return True


def remove_element(el: etree._Element) -> None:
    """Detach ``el`` from its parent, keeping the text that followed it."""
    parent = el.getparent()
    if el.tail and el.tail.strip():
        # Mixed content: the text after the element belongs to its parent; keep it.
        prev = el.getprevious()
        if prev is not None:
            prev.tail = (prev.tail or "") + el.tail
        else:
            parent.text = (parent.text or "") + el.tail
    parent.remove(el)


def _apply(kind: str, path: Path, nodes: list[etree._Element]) -> None:
    if is_attribute(path):
        name = path[-1][1:]
        for el in nodes:
            if kind == PRESENCE:
                del el.attrib[name]
            elif kind == CONTENT:
                el.set(name, "")
            else:
                el.set(name, wrong_value(el.get(name)))
        return
    for el in nodes:
        if kind == PRESENCE:
            remove_element(el)
        elif kind == CONTENT:
            for child in list(el):
                el.remove(child)
            el.text = None
        else:
            value = "".join(el.itertext())
            for child in list(el):
                el.remove(child)  # comments and processing instructions only
            el.text = wrong_value(value)


def kinds(tree: etree._ElementTree, path: Path) -> tuple[str, ...]:
    """The mutation kinds that apply to every node at ``path`` (none when nothing is there)."""
    root = payload_element(tree)
    nodes = find(root, path)
    if not nodes:
        return ()
    return tuple(kind for kind in KINDS if applicable(kind, path, nodes, root))


def mutant(tree: etree._ElementTree, path: Path, kind: str) -> etree._ElementTree:
    """A copy of ``tree`` with the nodes at ``path`` mutated by ``kind``."""
    copied = copy.deepcopy(tree)
    _apply(kind, path, find(payload_element(copied), path))
    return copied


def mutants(tree: etree._ElementTree, path: Path) -> Iterator[tuple[str, etree._ElementTree]]:
    """(kind, mutated copy of ``tree``) for each mutation kind that applies to every node at ``path``."""
    for kind in kinds(tree, path):
        yield kind, mutant(tree, path, kind)
