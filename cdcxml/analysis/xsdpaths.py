"""The element and attribute paths an XSD declares, from its global elements down."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from xmlschema.validators import XsdElement, XsdGroup

from .paths import Path


def _elements(group: XsdGroup) -> Iterator[XsdElement]:
    """The element particles of a model group, nested groups flattened, wildcards left out."""
    for item in group:
        if isinstance(item, XsdGroup):
            yield from _elements(item)
        elif isinstance(item, XsdElement):
            yield item


def _walk(element: XsdElement, path: Path, types_on_path: frozenset[int]) -> Iterator[Path]:
    yield path
    for name in getattr(element, "attributes", {}) or {}:
        if name:  # None keys an attribute wildcard
            yield (*path, "@" + name)
    xsd_type = element.type
    if not xsd_type.is_complex() or id(xsd_type) in types_on_path:
        return  # recursive types stop at their first repeat
    content = xsd_type.content
    if not isinstance(content, XsdGroup):
        return  # simple content
    inner = types_on_path | {id(xsd_type)}
    for particle in _elements(content):
        yield from _walk(particle, (*path, particle.name), inner)


def declared_paths(schema, roots: Iterable[str] | None = None) -> list[Path]:
    """Declared paths under the schema's global elements (only ``roots`` among them, when given)."""
    wanted = set(roots or ())
    globals_ = [e for e in schema.elements.values() if not wanted or e.name in wanted]
    if wanted and not globals_:
        globals_ = list(schema.elements.values())
    out: dict[Path, None] = {}
    for element in globals_:
        for p in _walk(element, (element.name,), frozenset()):
            out.setdefault(p)
    return list(out)
