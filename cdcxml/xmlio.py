"""The one hardened XML loader every input goes through (DESIGN.md §11).

Bytes are always read by us (size-capped) and handed to libxml2 from memory, so libxml2 never opens a
path or URL itself: no transparent gunzip, no network, no external entities, no DTD loading, no
XInclude, and any DOCTYPE is refused outright.
"""

from __future__ import annotations

import codecs
import re
import sys
import threading
from dataclasses import dataclass
from pathlib import Path

from lxml import etree

from .errors import InputError, UnsafeXMLError, XMLSyntaxError


@dataclass(frozen=True, slots=True)
class Limits:
    """Bounds on what one XML input may cost; raise them deliberately, by option or config."""

    max_bytes: int = 512 * 1024 * 1024


DEFAULT_LIMITS = Limits()

_ALLOWED_ENCODINGS = frozenset(
    {
        "utf-8", "utf8", "utf-16", "utf-16le", "utf-16be", "us-ascii", "ascii",
        "iso-8859-1", "latin-1", "latin1", "iso-8859-15", "windows-1252", "cp1252",
    }
)
_DECL = re.compile(rb"""^<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9._-]+)["']""")
_BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)

_local = threading.local()


def _parser() -> etree.XMLParser:
    # lxml parsers are not thread-safe: one per thread.
    parser = getattr(_local, "parser", None)
    if parser is None:
        parser = etree.XMLParser(
            resolve_entities=False,
            no_network=True,
            load_dtd=False,
            dtd_validation=False,
            huge_tree=False,
            remove_blank_text=False,
        )
        parser.resolvers.add(_DenyResolver())
        _local.parser = parser
    return parser


class _DenyResolver(etree.Resolver):
    """Refuses every external resource libxml2 might ask for."""

    def resolve(self, url, pubid, context):
        raise UnsafeXMLError(f"external resource {url!r} refused")


def _check_encoding(data: bytes, name: str) -> None:
    bom_encoding = next((enc for bom, enc in _BOMS if data.startswith(bom)), None)
    head = data[len(codecs.BOM_UTF8) :] if bom_encoding == "utf-8" else data
    if bom_encoding == "utf-16":
        head = data[:400].decode("utf-16", errors="replace").encode("ascii", errors="replace")
    match = _DECL.match(head[:200])
    declared = match.group(1).decode("ascii").lower() if match else None
    if declared is not None and declared not in _ALLOWED_ENCODINGS:
        raise UnsafeXMLError(f"encoding {declared!r} is not allowed", path=name)
    if bom_encoding == "utf-8" and declared not in (None, "utf-8", "utf8"):
        raise UnsafeXMLError(
            f"UTF-8 byte order mark contradicts the declared encoding {declared!r}", path=name
        )
    if bom_encoding == "utf-16" and declared not in (None, "utf-16", "utf-16le", "utf-16be"):
        raise UnsafeXMLError(
            f"UTF-16 byte order mark contradicts the declared encoding {declared!r}", path=name
        )


def parse_bytes(data: bytes, name: str = "<bytes>", *, base_url: str | None = None,
                limits: Limits = DEFAULT_LIMITS) -> etree._ElementTree:
    """Parse XML bytes safely; ``name`` is used in error messages."""
    if len(data) > limits.max_bytes:
        raise UnsafeXMLError(
            f"document is larger than the limit of {limits.max_bytes} bytes", path=name
        )
    if not data.strip():
        raise XMLSyntaxError("document is empty", path=name)
    _check_encoding(data, name)
    try:
        root = etree.fromstring(data, _parser(), base_url=base_url)
    except etree.XMLSyntaxError as err:
        line = err.lineno if err.lineno and err.lineno > 0 else None
        msg = _clean_libxml_message(err.msg or str(err))
        if "safety limit" in msg:
            raise UnsafeXMLError(f"refused: {msg}", path=name, line=line) from err
        raise XMLSyntaxError(f"not well-formed: {msg}", path=name, line=line) from err
    except UnsafeXMLError as err:
        raise UnsafeXMLError(err.message, path=name) from err
    if root is None:
        raise XMLSyntaxError("document has no root element", path=name)
    tree = root.getroottree()
    info = tree.docinfo
    if info.doctype or info.internalDTD is not None or info.externalDTD is not None:
        raise UnsafeXMLError("DOCTYPE not allowed", path=name, line=1)
    return tree


_LIMITS = (
    ("Excessive depth", "elements nested deeper than the safety limit (256)"),
    ("Text node too long", "a text node longer than the safety limit (10 MB)"),
    ("Resource limit exceeded", "a safety limit of the parser was exceeded"),
    ("XML_PARSE_HUGE", "a safety limit of the parser was exceeded"),
)


def _clean_libxml_message(msg: str) -> str:
    msg = re.sub(r",\s*line \d+, column \d+$", "", msg.strip())
    for needle, ours in _LIMITS:
        if needle in msg:
            return ours
    return msg


def read_bytes(path: str | Path, *, limits: Limits = DEFAULT_LIMITS) -> bytes:
    """Read a file's bytes, refusing anything over the size limit before reading it whole."""
    name = str(path)
    if name == "-":
        data = sys.stdin.buffer.read(limits.max_bytes + 1)
    else:
        p = Path(path)
        try:
            with p.open("rb") as fh:
                data = fh.read(limits.max_bytes + 1)
        except IsADirectoryError as err:
            raise InputError("is a directory", path=name) from err
        except FileNotFoundError as err:
            raise InputError("no such file", path=name) from err
        except PermissionError as err:
            raise InputError("permission denied", path=name) from err
        except OSError as err:
            raise InputError(err.strerror or str(err), path=name) from err
    if len(data) > limits.max_bytes:
        raise UnsafeXMLError(
            f"document is larger than the limit of {limits.max_bytes} bytes", path=name
        )
    return data


def parse_file(path: str | Path, *, limits: Limits = DEFAULT_LIMITS) -> etree._ElementTree:
    """Read and parse an XML file (or ``-`` for standard input) safely."""
    name = str(path)
    data = read_bytes(path, limits=limits)
    base = None if name == "-" else Path(path).resolve().as_uri()
    return parse_bytes(data, name, base_url=base, limits=limits)


def load(doc, *, name: str | None = None, limits: Limits = DEFAULT_LIMITS) -> etree._ElementTree:
    """Turn a path, bytes, str, element or tree into a parsed tree, safely."""
    if isinstance(doc, etree._ElementTree):
        return doc
    if isinstance(doc, etree._Element):
        return doc.getroottree()
    if isinstance(doc, bytes | bytearray | memoryview):
        return parse_bytes(bytes(doc), name or "<bytes>", limits=limits)
    if isinstance(doc, Path) or (isinstance(doc, str) and not doc.lstrip().startswith("<")):
        return parse_file(doc, limits=limits)
    if isinstance(doc, str):
        return parse_bytes(doc.encode("utf-8"), name or "<string>", limits=limits)
    raise TypeError(f"cannot load XML from {type(doc).__name__}")


def display_name(tree: etree._ElementTree, fallback: str = "<document>") -> str:
    """A short name for a parsed document: its path if it came from a file."""
    url = tree.docinfo.URL
    if not url:
        return fallback
    if url.startswith("file://"):
        from urllib.parse import unquote, urlparse

        return unquote(urlparse(url).path)
    return url
