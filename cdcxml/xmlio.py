"""The one hardened XML loader every input goes through (docs/safety.md).

Bytes are always read by us (size-capped) and handed to libxml2 from memory, so libxml2 never opens a
path or URL itself: no transparent gunzip, no network, no external entities, no DTD loading, no
XInclude, and any DOCTYPE is refused outright.
"""

from __future__ import annotations

import codecs
import functools
import os
import re
import sys
import threading
from dataclasses import dataclass, fields, replace
from pathlib import Path

from lxml import etree

from .errors import ConfigError, InputError, UnsafeXMLError, XMLSyntaxError


@dataclass(frozen=True, slots=True)
class Limits:
    """Bounds on what one XML input may cost; raise them deliberately, by option or config.

    ``max_attributes`` and ``max_namespaces`` count per element; ``huge`` lifts libxml2's own
    limits (nesting depth 256 -> 2048, text nodes 10 MB -> 1 GB).
    """

    max_bytes: int = 512 * 1024 * 1024
    max_elements: int = 10_000_000
    max_attributes: int = 10_000
    max_namespaces: int = 1_000
    huge: bool = False


DEFAULT_LIMITS = Limits()
LIMITS_ENV = "CDCXML_LIMITS"


@functools.lru_cache(maxsize=4)
def limits_from_text(text: str) -> Limits:
    """Limits from ``name=value`` pairs separated by commas, e.g. ``max_bytes=1e9,huge=1``."""
    known = {f.name: f.type for f in fields(Limits)}
    values: dict[str, object] = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        key, sep, raw = item.partition("=")
        key, raw = key.strip().replace("-", "_"), raw.strip()
        if not sep or key not in known:
            raise ConfigError(f"unknown limit {item!r}; known: {', '.join(known)}", path=LIMITS_ENV)
        if key == "huge":
            values[key] = raw.lower() in ("1", "true", "yes", "on")
            continue
        try:
            number = int(float(raw))
        except ValueError:
            raise ConfigError(f"limit {key} must be a number, not {raw!r}", path=LIMITS_ENV) from None
        if number < 1:
            raise ConfigError(f"limit {key} must be at least 1, not {raw!r}", path=LIMITS_ENV)
        values[key] = number
    return replace(DEFAULT_LIMITS, **values)


_configured: Limits | None = None


_from_env: tuple[str | None, Limits] | None = None


def current_limits() -> Limits:
    """The limits in force: those set by :func:`set_limits`, else ``$CDCXML_LIMITS``, else defaults."""
    global _from_env
    if _configured is not None:
        return _configured
    if _from_env is None:  # read once: this runs for every document
        text = os.environ.get(LIMITS_ENV)
        _from_env = (text, limits_from_text(text) if text else DEFAULT_LIMITS)
    return _from_env[1]


def set_limits(limits: Limits | None) -> None:
    """Set the limits every later load uses in this process (None: back to the environment)."""
    global _configured
    _configured = limits


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

class ParserMemoryError(UnsafeXMLError, MemoryError):
    """libxml2 ran out of memory: a document error, and a MemoryError to a guard that counts it."""


_local = threading.local()
_PARSER_OPTIONS = dict(resolve_entities=False, no_network=True, load_dtd=False,
                       dtd_validation=False, remove_blank_text=False)


def _parser(huge: bool) -> etree.XMLParser:
    # lxml parsers are not thread-safe: one per thread (and per huge mode).
    key = "huge" if huge else "parser"
    parser = getattr(_local, key, None)
    if parser is None:
        parser = etree.XMLParser(huge_tree=huge, **_PARSER_OPTIONS)
        parser.resolvers.add(_DenyResolver())
        setattr(_local, key, parser)
    return parser


class _DenyResolver(etree.Resolver):
    """Refuses every external resource libxml2 might ask for."""

    def resolve(self, url, pubid, context):
        raise UnsafeXMLError(f"external resource {url!r} refused")


def _check_encoding(data: bytes, name: str) -> None:
    if data[:1] == b"<" and data[:5] != b"<?xml":
        return  # no byte order mark and no declaration: UTF-8 by definition
    bom_encoding = None if data[:1] == b"<" else next(
        (enc for bom, enc in _BOMS if data.startswith(bom)), None)
    head = data[len(codecs.BOM_UTF8) :] if bom_encoding == "utf-8" else data
    if bom_encoding == "utf-16":
        head = data[:400].decode("utf-16", errors="replace").encode("ascii", errors="replace")
    match = _DECL.match(head, 0, 200)
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


# A DOCTYPE can only come before the root element, after comments, PIs and white space.
_PROLOG_DOCTYPE = re.compile(rb"(?>\s|<!--.*?-->|<\?.*?\?>)*+<!DOCTYPE", re.DOTALL)
_BARE_DOCTYPE = re.compile(rb"\s+[^\s\[>]+\s*>")
_PROLOG_SCAN = 1024 * 1024


def _check_doctype(data: bytes, name: str) -> bool:
    """Refuse a DOCTYPE with content before libxml2 reads any of it (entities, subsets, PEs).

    Returns whether the prolog holds a bare ``<!DOCTYPE name>``, which is refused after parsing.
    """
    if data[:2] in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE):
        head = data[2:_PROLOG_SCAN].decode("utf-16-le" if data[:2] == codecs.BOM_UTF16_LE
                                           else "utf-16-be", errors="replace")
        head_bytes, start = head.encode("utf-8", errors="replace"), 0
    elif data.find(b"<!DOCTYPE", 0, _PROLOG_SCAN) < 0:
        return False
    else:
        head_bytes, start = data, 3 if data.startswith(codecs.BOM_UTF8) else 0
    match = _PROLOG_DOCTYPE.match(head_bytes, start, start + _PROLOG_SCAN)
    if match is None:
        return False
    # A bare <!DOCTYPE name> declares nothing: libxml2 may read it (an HTML page then gets its
    # own syntax error) and it is refused after parsing.
    if not _BARE_DOCTYPE.match(head_bytes, match.end()):
        line = head_bytes[start : match.end()].count(b"\n") + 1
        raise UnsafeXMLError("DOCTYPE not allowed", path=name, line=line)
    return True


class _Counter:
    """A parser target that counts what a document holds, building no tree, and stops at a limit."""

    def __init__(self, limits: Limits, name: str):
        self.limits = limits
        self.name = name
        self.elements = 0
        self.namespaces = 0

    def start_ns(self, prefix, uri) -> None:
        self.namespaces += 1

    def start(self, tag, attrib) -> None:
        self.elements += 1
        if self.elements > self.limits.max_elements:
            raise _Refused(f"more than {self.limits.max_elements} elements (limit max_elements)")
        if len(attrib) > self.limits.max_attributes:
            raise _Refused(f"an element with more than {self.limits.max_attributes} attributes "
                           "(limit max_attributes)")
        if self.namespaces > self.limits.max_namespaces:
            raise _Refused(f"an element with more than {self.limits.max_namespaces} namespace "
                           "declarations (limit max_namespaces)")
        self.namespaces = 0

    def end(self, tag) -> None:
        pass

    def close(self) -> None:
        return None


class _Refused(Exception):
    pass


@functools.lru_cache(maxsize=8)
def _long_tag_run(limits: Limits) -> int:
    # An attribute takes at least 5 bytes (' a=""') and a namespace declaration 11 (' xmlns:a=""'),
    # and no '<' can occur inside a tag: a tag over a limit needs this long a run without '<'.
    return min(5 * limits.max_attributes, 11 * limits.max_namespaces)


@functools.lru_cache(maxsize=8)
def _long_tag(limits: Limits) -> re.Pattern[bytes]:
    return re.compile(rb"<[^<]{%d}" % _long_tag_run(limits))


def _check_counts(data: bytes, name: str, limits: Limits) -> None:
    """Enforce the count limits; cheap upper bounds on the bytes spare the exact pass."""
    wide = data[:2] in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE) or b"\0" in data[:4]
    if not wide and data.count(b"<") <= limits.max_elements and (
            len(data) <= _long_tag_run(limits) or not _long_tag(limits).search(data)):
        return
    counter = _Counter(limits, name)
    parser = etree.XMLParser(target=counter, huge_tree=limits.huge, **_PARSER_OPTIONS)
    parser.resolvers.add(_DenyResolver())
    try:
        etree.fromstring(data, parser)
    except _Refused as err:
        raise UnsafeXMLError(f"refused: {err}", path=name) from None
    except (etree.XMLSyntaxError, UnsafeXMLError):
        pass  # the real parse below reports it, with its line


def parse_bytes(data: bytes, name: str = "<bytes>", *, base_url: str | None = None,
                limits: Limits | None = None) -> etree._ElementTree:
    """Parse XML bytes safely; ``name`` is used in error messages."""
    limits = limits or current_limits()
    if len(data) > limits.max_bytes:
        raise UnsafeXMLError(
            f"document is larger than the limit of {limits.max_bytes} bytes (limit max_bytes)",
            path=name,
        )
    if not data or data.isspace():
        raise XMLSyntaxError("document is empty", path=name)
    _check_encoding(data, name)
    bare_doctype = _check_doctype(data, name)
    _check_counts(data, name, limits)
    try:
        root = etree.fromstring(data, _parser(limits.huge), base_url=base_url)
    except etree.XMLSyntaxError as err:
        if err.code == _ERR_NO_MEMORY:
            raise ParserMemoryError("not enough memory to parse the document", path=name) from err
        line = err.lineno if err.lineno and err.lineno > 0 else None
        msg = _clean_libxml_message(err.msg or str(err), limits)
        if "safety limit" in msg:
            raise UnsafeXMLError(f"refused: {msg}", path=name, line=line) from err
        raise XMLSyntaxError(f"not well-formed: {msg}", path=name, line=line) from err
    except UnsafeXMLError as err:
        raise UnsafeXMLError(err.message, path=name) from err
    if root is None:
        raise XMLSyntaxError("document has no root element", path=name)
    tree = root.getroottree()
    if bare_doctype:
        info = tree.docinfo
        if info.doctype or info.internalDTD is not None or info.externalDTD is not None:
            raise UnsafeXMLError("DOCTYPE not allowed", path=name, line=1)
    return tree


_ERR_NO_MEMORY = 2

_LIBXML_LIMITS = (
    ("Excessive depth", "elements nested deeper than the safety limit of {depth}{lift}"),
    ("Text node too long", "a text node longer than the safety limit of {text}{lift}"),
    ("Buffer size limit", "a name, value or text longer than the safety limit of {text}{lift}"),
    ("Resource limit exceeded", "a safety limit of the parser was exceeded{lift}"),
    ("XML_PARSE_HUGE", "a safety limit of the parser was exceeded{lift}"),
    ("amplification factor", "entity expansion beyond the safety limit"),
)


def _clean_libxml_message(msg: str, limits: Limits = DEFAULT_LIMITS) -> str:
    msg = re.sub(r",\s*line \d+, column \d+$", "", msg.strip())
    sizes = {"depth": 2048 if limits.huge else 256, "text": "1 GB" if limits.huge else "10 MB",
             "lift": "" if limits.huge else " (limit huge lifts it)"}
    for needle, ours in _LIBXML_LIMITS:
        if needle in msg:
            return ours.format(**sizes)
    return msg


def read_bytes(path: str | Path, *, limits: Limits | None = None) -> bytes:
    """Read a file's bytes, refusing anything over the size limit before reading it whole."""
    limits = limits or current_limits()
    name = str(path)
    if name == "-":
        data = _read_capped(sys.stdin.buffer, limits.max_bytes)
    else:
        p = Path(path)
        try:
            with p.open("rb") as fh:
                data = _read_capped(fh, limits.max_bytes)
        except IsADirectoryError as err:
            raise InputError("is a directory", path=name) from err
        except FileNotFoundError as err:
            raise InputError("no such file", path=name) from err
        except PermissionError as err:
            raise InputError("permission denied", path=name) from err
        except OSError as err:
            raise InputError(err.strerror or str(err), path=name) from err
    if data is None or len(data) > limits.max_bytes:
        raise UnsafeXMLError(
            f"document is larger than the limit of {limits.max_bytes} bytes (limit max_bytes)",
            path=name,
        )
    return data


_CHUNK = 1024 * 1024


def _read_capped(fh, limit: int) -> bytes | None:
    """At most ``limit + 1`` bytes (None for a file known to be larger), asking for no more memory
    than the data needs.

    (``read(n)`` allocates ``n`` bytes up front, so reading "the limit plus one" at once would
    reserve the whole limit for every small file.)
    """
    try:
        size = os.fstat(fh.fileno()).st_size
    except (OSError, ValueError, AttributeError):
        size = 0
    if size > limit:
        return None
    data = fh.read(size) if size else b""
    rest = bytearray()
    while len(data) + len(rest) <= limit:
        chunk = fh.read(min(_CHUNK, limit + 1 - len(data) - len(rest)))
        if not chunk:
            break
        rest += chunk
    return data + bytes(rest) if rest else data


def parse_file(path: str | Path, *, limits: Limits | None = None) -> etree._ElementTree:
    """Read and parse an XML file (or ``-`` for standard input) safely."""
    name = str(path)
    data = read_bytes(path, limits=limits)
    base = None if name == "-" else Path(path).resolve().as_uri()
    return parse_bytes(data, name, base_url=base, limits=limits)


def load(doc, *, name: str | None = None, limits: Limits | None = None) -> etree._ElementTree:
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
