"""Load a Schematron file: upgrade Schematron 1.5, resolve ``include`` and ``extends/@href``.

Inclusion happens in Python, on the tree, so no XSLT-level include ever reads a file; every file
reached must lie inside the schema's own folder, and depth and count are bounded.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlparse

from lxml import etree

from .. import xmlio
from ..errors import SchematronError
from ..fsutil import within
from .lenient import Lenience
from .ns import SCH, SCH15, SRC, XML, sch

MAX_INCLUDE_DEPTH = 32
MAX_INCLUDES = 1000
BASE_ATTR = f"{{{XML}}}base"
LANG_ATTR = f"{{{XML}}}lang"


@dataclass
class Loaded:
    """A schema tree with its inclusions resolved, and the namespace bindings of each file."""

    root: etree._Element
    main: str  # display name of the main file
    main_uri: str | None
    file_ns: dict[str, dict[str, str]] = field(default_factory=dict)
    lenience: Lenience = field(default_factory=Lenience)

    def file_of(self, el: etree._Element) -> str:
        """Display name of the file an element came from."""
        uri = el.base
        if not uri or uri == self.main_uri:
            return self.main
        return display(uri)


def display(uri: str) -> str:
    """A file URI as a path for messages."""
    if uri.startswith("file:"):
        return unquote(urlparse(uri).path)
    return uri


def _path_of(uri: str) -> Path:
    return Path(unquote(urlparse(uri).path))


def load(source: bytes, *, path: Path | None = None, lenience: Lenience | None = None) -> Loaded:
    """Parse a Schematron file and resolve everything it pulls in."""
    lenience = lenience or Lenience()
    name = str(path) if path else "<schema>"
    uri = path.resolve().as_uri() if path else None
    tree = xmlio.parse_bytes(source, name, base_url=uri)
    root = tree.getroot()
    ns = etree.QName(root).namespace
    if ns == SCH15:
        _upgrade_15(root)
    elif ns != SCH:
        raise SchematronError(
            f"root element {_named(root)} is not a Schematron schema (expected sch:schema in "
            f"{SCH} or {SCH15})", path=name, line=root.sourceline)
    if etree.QName(root).localname != "schema":
        raise SchematronError(
            f"root element is sch:{etree.QName(root).localname}, expected sch:schema",
            path=name, line=root.sourceline)
    loaded = Loaded(root, name, uri, lenience=lenience)
    if uri:
        loaded.file_ns[uri] = sch_ns(root, name, lenience)
    folder = path.resolve().parent if path else None
    _Resolver(loaded, folder).run()
    return loaded


def _named(el: etree._Element) -> str:
    """An element's name as written: ``local`` without a namespace, ``{ns}local`` with one."""
    q = etree.QName(el)
    return f"{{{q.namespace}}}{q.localname}" if q.namespace else q.localname


def _upgrade_15(root: etree._Element) -> None:
    """Schematron 1.5 elements become their ISO equivalents (same local names)."""
    for el in root.iter():
        if isinstance(el.tag, str) and el.tag.startswith(f"{{{SCH15}}}"):
            el.tag = sch(etree.QName(el).localname)
    root.set(f"{{{SRC}}}edition", "1.5")


def sch_ns(root: etree._Element, name: str, lenience: Lenience | None = None) -> dict[str, str]:
    """The ``sch:ns`` bindings of a schema; the ``xml`` prefix is built in and never rebound."""
    found = {}
    for el in root.iterchildren(sch("ns")):
        prefix, uri = el.get("prefix"), el.get("uri")
        if prefix is None or uri is None:
            raise SchematronError("sch:ns needs a prefix and a uri", path=name, line=el.sourceline)
        if prefix != "xml" and uri == XML:
            raise SchematronError(
                f"sch:ns binds {prefix!r} to the XML namespace, which only the prefix xml may "
                "name", path=name, line=el.sourceline)
        if prefix == "xml" and uri != XML:
            (lenience or Lenience()).allow(
                name, el.sourceline, f"sch:ns binds the prefix xml to {uri!r}, but xml always "
                f"names {XML}", "the binding is ignored")
        if prefix != "xml":
            found[prefix] = uri
    return found


class _Resolver:
    def __init__(self, loaded: Loaded, folder: Path | None):
        self.loaded = loaded
        self.folder = folder
        self.count = 0
        self.docs: dict[str, etree._Element] = {}

    def run(self) -> None:
        self._resolve(self.loaded.root, ())

    def _resolve(self, node: etree._Element, stack: tuple[str, ...]) -> list[etree._Element]:
        """The nodes that stand for ``node`` once its includes and extends are resolved."""
        if node.tag == sch("include"):
            target, key = self._target(node, stack)
            return self._resolve(self._copy(target, target.base), (*stack, key))
        if node.tag == sch("extends") and node.get("href") is not None:
            target, key = self._target(node, stack)
            if target.tag != sch("rule"):
                raise self._error(node, f"extends href {node.get('href')!r} does not point at "
                                  "a sch:rule")
            out = []
            for item in target:
                if isinstance(item.tag, str):
                    out.extend(self._resolve(self._copy(item, target.base), (*stack, key)))
            return out
        for child in list(node):
            if not isinstance(child.tag, str):
                continue
            replacement = self._resolve(child, stack)
            if replacement != [child]:
                index = node.index(child)
                node.remove(child)
                for offset, new in enumerate(replacement):
                    node.insert(index + offset, new)
        return [node]

    @staticmethod
    def _copy(el: etree._Element, base: str | None) -> etree._Element:
        new = copy.deepcopy(el)
        new.tail = None
        if base:
            new.set(BASE_ATTR, base)
        # The language the definition has where it is written (its own xml:lang or an
        # ancestor's, up to the included file's schema) travels with it.
        if new.get(LANG_ATTR) is None:
            lang = next((a.get(LANG_ATTR) for a in el.iterancestors()
                         if a.get(LANG_ATTR) is not None), None)
            if lang is not None:
                new.set(LANG_ATTR, lang)
        return new

    def _error(self, el: etree._Element, message: str) -> SchematronError:
        return SchematronError(message, path=self.loaded.file_of(el), line=el.sourceline)

    def _target(self, el: etree._Element, stack: tuple[str, ...]) -> tuple[etree._Element, str]:
        href = el.get("href")
        what = etree.QName(el).localname
        if not href:
            raise self._error(el, f"{what} needs an href")
        self.count += 1
        if self.count > MAX_INCLUDES:
            raise self._error(el, f"more than {MAX_INCLUDES} includes")
        if len(stack) >= MAX_INCLUDE_DEPTH:
            raise self._error(el, f"includes nested deeper than {MAX_INCLUDE_DEPTH}")
        file_part, _, fragment = href.partition("#")
        base = el.base or self.loaded.main_uri
        if file_part:
            if self.folder is None or not base:
                raise self._error(el, f"{what} href {href!r} needs the schema to be a file")
            scheme = urlparse(file_part).scheme
            if scheme == "file":
                target_path = _path_of(file_part).resolve()
            elif len(scheme) > 1:  # a one-letter scheme is a Windows drive
                raise self._error(el, f"{what} href {href!r} refused: only files inside the "
                                  "schema's folder may be included")
            else:
                target_path = (_path_of(base).parent / unquote(file_part)).resolve()
            if not within(target_path, self.folder):
                raise self._error(el, f"{what} href {href!r} points outside the schema's folder")
            doc_root = self._document(target_path, el)
            key = target_path.as_uri()
        else:
            doc_root = el.getroottree().getroot() if not base or base == self.loaded.main_uri \
                else self.docs[base]
            key = base or ""
        key = f"{key}#{fragment}"
        if key in stack:
            raise self._error(el, f"{what} href {href!r} includes itself")
        if not fragment:
            return doc_root, key
        for cand in doc_root.iter():
            if cand.get(f"{{{XML}}}id") == fragment or cand.get("id") == fragment:
                return cand, key
        raise self._error(el, f"{what} href {href!r}: no element with id {fragment!r}")

    def _document(self, path: Path, el: etree._Element) -> etree._Element:
        uri = path.as_uri()
        found = self.docs.get(uri)
        if found is not None:
            return found
        try:
            data = xmlio.read_bytes(path)
        except Exception as err:
            raise self._error(el, f"cannot read included file {display(uri)}: "
                              f"{getattr(err, 'message', err)}") from err
        tree = xmlio.parse_bytes(data, str(path), base_url=uri)
        root = tree.getroot()
        if etree.QName(root).namespace == SCH15:
            _upgrade_15(root)
        self.docs[uri] = root
        if etree.QName(root).localname == "schema":
            self.loaded.file_ns[uri] = sch_ns(root, str(path), self.loaded.lenience)
        return root
