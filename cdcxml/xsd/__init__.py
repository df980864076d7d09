"""Full XSD validation, loaded safely (docs/safety.md).

Schemas are read with xmlschema, but every schema file — the one named and each one it imports or
includes — is first read and checked by cdcxml's hardened loader and then handed over from memory.
Imports resolve only to files inside the schema's own folder (or, if asked, any local file); a
blocked or missing import is an error, where xmlschema itself would only warn.
"""

from __future__ import annotations

import io
import re
import warnings
from dataclasses import dataclass
from email.message import Message
from pathlib import Path
from urllib.parse import unquote, urlparse
from urllib.request import BaseHandler, OpenerDirector
from urllib.response import addinfourl

import xmlschema
from lxml import etree
from xmlschema.exceptions import (
    XMLResourceBlocked,
    XMLResourceError,
    XMLSchemaException,
    XMLSchemaWarning,
)
from xmlschema.validators.exceptions import XMLSchemaValidatorError

from .. import xmlio
from ..errors import CdcxmlError, InputError, XsdError
from ..fsutil import within
from ..results import Location, XsdIssue, XsdReport

ALLOW_MODES = ("sandbox", "local")


class _LocalFiles(BaseHandler):
    """Serves ``file:`` URLs through the hardened loader and nothing else; with a folder, only
    files inside it (after every symbolic link is resolved)."""

    def __init__(self, seen: dict[str, etree._ElementTree], folder: Path | None):
        self.seen = seen
        self.folder = folder

    def file_open(self, req):
        path = Path(unquote(urlparse(req.full_url).path))
        if self.folder is not None and not within(path, self.folder):
            raise XsdError(f"schema reference to {path} refused: outside the schema's folder")
        data = xmlio.read_bytes(path)
        self.seen[str(path)] = xmlio.parse_bytes(data, str(path))
        headers = Message()
        headers["Content-Type"] = "application/xml"
        return addinfourl(io.BytesIO(data), headers, req.full_url, 200)


def _opener(seen: dict[str, etree._ElementTree], folder: Path | None) -> OpenerDirector:
    opener = OpenerDirector()
    opener.add_handler(_LocalFiles(seen, folder))
    return opener


@dataclass(frozen=True, slots=True)
class Xsd:
    """A loaded XML Schema: validates documents and exposes the xmlschema object it wraps."""

    path: Path
    schema: xmlschema.XMLSchemaBase
    # From a WSDL: the elements its operations' faults carry in their detail (Clark names).
    fault_elements: frozenset[str] = frozenset()

    def validate(self, doc, *, prefixes: dict[str, str] | None = None) -> XsdReport:
        """Validate a document (path, bytes, lxml tree or element) against the whole schema."""
        return validate(self, doc, prefixes=prefixes)


def load_xsd(path: str | Path, *, allow: str = "sandbox") -> Xsd:
    """Load an XSD file; imports may reach only its folder (``sandbox``) or any local file.

    A WSDL given here is read as its ``wsdl:types`` schemas (see :mod:`cdcxml.wsdl`).
    """
    if allow not in ALLOW_MODES:
        raise ValueError(f"allow must be one of {ALLOW_MODES}, not {allow!r}")
    p = Path(path)
    tree = xmlio.parse_file(p)  # refuses DOCTYPEs and bad encodings, with a line number
    if tree.getroot().tag == WSDL_DEFINITIONS:
        from ..wsdl import load_wsdl

        return load_wsdl(p, allow=allow).xsd
    return build_schema([str(p.resolve())], path=p, allow=allow)


WSDL_DEFINITIONS = "{http://schemas.xmlsoap.org/wsdl/}definitions"


def build_schema(sources: list, *, path: Path, allow: str = "sandbox") -> Xsd:
    """Build one schema from ``sources``: file paths, or ``(schema bytes, folder)`` pairs.

    Several sources are one schema of several namespaces, as in a WSDL's ``types``; an in-memory
    schema resolves its imports and includes against its own folder (that of the WSDL it sits
    in). Every import and include is read through the hardened loader, from ``path``'s folder
    only in ``sandbox``.
    """
    name = str(path)
    folder = path.resolve().parent
    seen: dict[str, etree._ElementTree] = {}
    # Local files only; which ones, the opener decides (xmlschema's own sandbox compares paths
    # as strings, so a sibling folder or a link would pass).
    opener = _opener(seen, folder if allow == "sandbox" else None)
    resources = [
        s if isinstance(s, str) else xmlschema.XMLResource(
            io.BytesIO(s[0]), base_url=str(s[1]), allow="local", defuse="always", opener=opener)
        for s in sources
    ]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            schema = xmlschema.XMLSchema10(
                resources if len(resources) > 1 else resources[0],
                base_url=str(folder),
                allow="local",
                defuse="always",
                opener=opener,
                use_fallback=False,
            )
        except CdcxmlError as err:
            raise XsdError(err.message, path=err.path or name, line=err.line) from err
        except XMLSchemaValidatorError as err:
            _raise_import_failure(caught, name)
            where, line = _locate(err, name, seen)
            raise XsdError(f"invalid schema: {_first_line(err.message)}", path=where,
                           line=line) from err
        except XMLResourceBlocked as err:
            raise XsdError(f"schema reference refused: {_first_line(str(err))}",
                           path=name) from err
        except (XMLResourceError, XMLSchemaException, OSError) as err:
            _raise_import_failure(caught, name)
            raise XsdError(f"cannot load schema: {_first_line(str(err))}", path=name) from err
    _raise_import_failure(caught, name)
    return Xsd(path, schema)


# Namespaces xmlschema carries itself: an import of them that cannot be fetched loses nothing.
_BUILT_IN = frozenset({
    "http://www.w3.org/XML/1998/namespace",
    "http://www.w3.org/2001/XMLSchema",
    "http://www.w3.org/2001/XMLSchema-instance",
})
_IMPORT_NS = re.compile(r"namespace '([^']*)'")


def _raise_import_failure(caught: list[warnings.WarningMessage], name: str) -> None:
    for warning in caught:
        if issubclass(warning.category, XMLSchemaWarning):
            match = _IMPORT_NS.search(str(warning.message))
            if match and match.group(1) in _BUILT_IN:
                continue
            raise XsdError(f"import or include failed: {_first_line(str(warning.message))}",
                           path=name)


def _first_line(text: str) -> str:
    return text.strip().splitlines()[0].rstrip(":.") if text.strip() else "unknown error"


def _locate(err: XMLSchemaValidatorError, name: str,
            seen: dict[str, etree._ElementTree]) -> tuple[str, int | None]:
    """Find the file and line of the schema component an xmlschema error points at."""
    url = err.schema_url
    where = name
    tree = None
    if url and url.startswith("file:"):
        where = unquote(urlparse(url).path)
        tree = seen.get(where)
    if tree is None:
        try:
            tree = xmlio.parse_file(name)
        except CdcxmlError:
            return where, None
        where = name
    elem = err.elem
    if elem is None:
        return where, None
    matches = [
        e for e in tree.iter(elem.tag)
        if dict(e.attrib) == dict(elem.attrib)
    ]
    return where, matches[0].sourceline if len(matches) == 1 else None


def validate(xsd: Xsd, doc, *, prefixes: dict[str, str] | None = None) -> XsdReport:
    """Validate a document (path, bytes, lxml tree or an element in place) against ``xsd``.

    Every error points at the offending element (an unexpected child, not its parent) by line and
    by an XPath spelled with ``prefixes`` (prefix -> URI; the document's own prefixes, then the
    schema's, fill in the rest).
    """
    if isinstance(doc, etree._Element):
        target, root = doc, doc
    else:
        target = xmlio.load(doc)
        root = target.getroot()
    locate = _Locations(root, xsd, prefixes)
    errors = []
    try:
        for err in xsd.schema.iter_errors(target):
            errors.append(_describe(err, locate))
    except XMLSchemaException as err:
        raise CdcxmlError(f"XSD validation could not run: {_first_line(str(err))}",
                          path=xmlio.display_name(root.getroottree())) from err
    return XsdReport(valid=not errors, errors=tuple(errors), schema=str(xsd.path))


class _Locations:
    """Line and prefixed XPath of the elements errors point at."""

    def __init__(self, root: etree._Element, xsd: Xsd, prefixes: dict[str, str] | None):
        from ..schematron.run import Locator

        ns = dict(prefixes or {})
        taken = set(ns.values())
        for el in (root, *root.iterancestors()):
            for prefix, uri in el.nsmap.items():
                if prefix and uri not in taken:
                    ns.setdefault(prefix, uri)
                    taken.add(uri)
        for prefix, uri in xsd.schema.namespaces.items():
            if prefix and uri not in taken:
                ns.setdefault(prefix, uri)
                taken.add(uri)
        self.locator = Locator(ns)
        self.positions: dict[etree._Element, dict[etree._Element, int]] = {}

    def _position(self, el: etree._Element) -> int:
        parent = el.getparent()
        if parent is None:
            return 1
        known = self.positions.get(parent)
        if known is None:
            counts: dict[str, int] = {}
            known = self.positions[parent] = {}
            for child in parent:
                if isinstance(child.tag, str):
                    counts[child.tag] = counts.get(child.tag, 0) + 1
                    known[child] = counts[child.tag]
        return known.get(el, 1)

    def __call__(self, el) -> Location:
        if not isinstance(el, etree._Element) or not isinstance(el.tag, str):
            return Location("")
        steps = []
        node = el
        while node is not None:
            steps.append(f"{self.locator._name(node.tag)}[{self._position(node)}]")
            node = node.getparent()
        return Location("/" + "/".join(reversed(steps)), el.sourceline)


def _offending(err):
    """The element an error is about: an unexpected child rather than the parent holding it."""
    child = getattr(err, "invalid_child", None)
    if isinstance(child, etree._Element):
        return child
    return getattr(err, "elem", None)


_CLARK = re.compile(r"\{([^}]*)\}(?=[\w.-])")


def _describe(err, locate: _Locations) -> XsdIssue:
    reason = getattr(err, "reason", None) or _first_line(str(err))
    # Names in the message spelled as in the XPath: p:Price rather than {urn:...}Price.
    prefix = locate.locator.prefix
    reason = _CLARK.sub(lambda m: f"{prefix[m.group(1)]}:" if m.group(1) in prefix else m.group(0),
                        reason)
    location = locate(_offending(err))
    if not location.xpath:
        line = getattr(err, "sourceline", None)
        location = Location(getattr(err, "path", None) or "", line)
    return XsdIssue(reason.strip(), location)


__all__ = ["ALLOW_MODES", "InputError", "Xsd", "XsdError", "load_xsd", "validate"]
