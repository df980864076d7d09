"""Element and attribute paths of a message, by qualified name, shown in local names."""

from __future__ import annotations

from collections.abc import Iterator

from lxml import etree

# A path is a tuple of steps: an element step is its Clark name ("{ns}local"), an attribute step the
# same prefixed with "@". Qualified steps keep same-named elements of different namespaces apart.
Path = tuple[str, ...]


def is_attribute(path: Path) -> bool:
    """True when the path ends at an attribute."""
    return path[-1].startswith("@")


def _split(step: str) -> tuple[str | None, str]:
    name = step[1:] if step.startswith("@") else step
    q = etree.QName(name)
    return q.namespace, q.localname


def namespace(path: Path) -> str | None:
    """The namespace of the path's last step (None for unqualified names)."""
    return _split(path[-1])[0]


def display(path: Path) -> str:
    """``/Products/Product/Price``, ``/Products/Product/@id``: the path in local names."""
    return "/" + "/".join(("@" if s.startswith("@") else "") + _split(s)[1] for s in path)


def element_paths(root: etree._Element) -> Iterator[Path]:
    """Every element and attribute path under ``root`` (included), in document order, with repeats."""
    stack: list[tuple[etree._Element, Path]] = [(root, (root.tag,))]
    while stack:
        el, path = stack.pop()
        yield path
        for name in el.attrib:
            yield (*path, "@" + name)
        children = [c for c in el if isinstance(c.tag, str)]
        stack.extend((c, (*path, c.tag)) for c in reversed(children))


def distinct_paths(root: etree._Element) -> list[Path]:
    """The distinct paths under ``root``, in the order they first occur."""
    return list(dict.fromkeys(element_paths(root)))


def find(root: etree._Element, path: Path) -> list[etree._Element]:
    """The elements at ``path`` (for an attribute path: the elements carrying the attribute)."""
    if root.tag != path[0]:
        return []
    found = [root]
    for step in path[1:]:
        if step.startswith("@"):
            return [el for el in found if step[1:] in el.attrib]
        found = [c for el in found for c in el.iterchildren(step)]
    return found


def is_below(path: Path, ancestor: Path) -> bool:
    """True when ``path`` lies strictly inside ``ancestor``."""
    return len(path) > len(ancestor) and path[: len(ancestor)] == ancestor
