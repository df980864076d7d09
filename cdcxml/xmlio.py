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

from .errors import ConfigError, InputError, ParserMemoryError, UnsafeXMLError, XMLSyntaxError
from .fsutil import file_uri


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
_ALLOWED_ASCII = frozenset(e.encode("ascii") for e in _ALLOWED_ENCODINGS)
_UTF16 = frozenset({"utf-16", "utf-16le", "utf-16be", "utf16"})
# The encoding declaration: read whole (libxml2 reads it whole), however much white space it holds.
_DECL = re.compile(rb"""<\?xml\s[^>]*?\bencoding\s*=\s*["']([A-Za-z0-9._-]+)["']""")


_local = threading.local()
# Under these options libxml2 itself loads nothing and expands nothing: no external DTD or entity is
# read (load_dtd, no_network, and a resolver that refuses all), and entity references stay
# references (resolve_entities=False), internal-subset entities included.
_PARSER_OPTIONS = dict(resolve_entities=False, no_network=True, load_dtd=False,
                       dtd_validation=False, attribute_defaults=False, remove_blank_text=False)


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


def _detect(head: bytes) -> str | None:
    """The encoding lxml and libxml2 settle on from the first four bytes, before any declaration.

    The same rules as lxml's UTF-32 byte order marks and libxml2's ``xmlDetectEncoding``:
    ``utf-8`` (a byte order mark), ``utf-16le``/``utf-16be`` (a byte order mark, or ``<?`` in
    UTF-16), ``ucs-4`` (``<`` in UTF-32, any byte order, or a UTF-32 byte order mark), ``ebcdic``;
    None where the declaration (or its absence: UTF-8) decides.
    """
    if head[:4] in (b"\xff\xfe\0\0", b"\0\0\xfe\xff") or head[:4] in _UCS4:
        return "ucs-4"
    if head[:3] == codecs.BOM_UTF8:
        return "utf-8"
    if head[:2] == codecs.BOM_UTF16_LE or head[:4] == b"<\0?\0":
        return "utf-16le"
    if head[:2] == codecs.BOM_UTF16_BE or head[:4] == b"\0<\0?":
        return "utf-16be"
    if head[:4] == b"\x4c\x6f\xa7\x94":
        return "ebcdic"
    return None


_UCS4 = frozenset({b"\0\0\0<", b"<\0\0\0", b"\0\0<\0", b"\0<\0\0"})


def _check_encoding(data: bytes, name: str) -> str | None:
    """Refuse an encoding off the list, decided as libxml2 decides it; return the detected one."""
    if data[:5] == b"<?xml":  # the common start: no byte order mark, an 8-bit encoding
        match = _DECL.match(data)
        if match is None or match.group(1).lower() in _ALLOWED_ASCII:
            return None
        raise UnsafeXMLError(f"encoding {match.group(1).decode('ascii').lower()!r} is not allowed",
                             path=name)
    if data[:1] == b"<" and data[1:2] != b"\0":
        return None  # no byte order mark and no declaration: UTF-8 by definition
    detected = _detect(data)
    if detected in ("ucs-4", "ebcdic"):
        shown = "UTF-32 (UCS-4)" if detected == "ucs-4" else "EBCDIC"
        raise UnsafeXMLError(f"encoding {shown} is not allowed", path=name)
    if detected in ("utf-16le", "utf-16be"):
        # libxml2 reads UTF-16 whatever the declaration says; it must not say otherwise.
        start = 2 if data[:2] in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE) else 0
        head = data[start : start + 1024].decode(detected, errors="replace")
        match = _DECL.match(head.encode("ascii", errors="replace"))
    else:
        match = _DECL.match(data, 3 if detected == "utf-8" else 0)
    declared = match.group(1).decode("ascii").lower() if match else None
    if declared is not None and declared not in _ALLOWED_ENCODINGS:
        raise UnsafeXMLError(f"encoding {declared!r} is not allowed", path=name)
    if detected == "utf-8" and declared not in (None, "utf-8", "utf8"):
        raise UnsafeXMLError(
            f"UTF-8 byte order mark contradicts the declared encoding {declared!r}", path=name
        )
    if detected in ("utf-16le", "utf-16be") and declared not in (None, *_UTF16):
        what = "byte order mark" if start else "content"
        raise UnsafeXMLError(
            f"UTF-16 {what} contradicts the declared encoding {declared!r}", path=name
        )
    return detected


# Where the DOCTYPE of a document libxml2 found one in begins and whether it has an internal
# subset: only comments, processing instructions and white space can come before it.
_PROLOG_DOCTYPE = re.compile(rb"(?>\s|<!--.*?-->|<\?.*?\?>)*+<!DOCTYPE", re.DOTALL)
_LITERAL = rb"""(?:"[^"]*"|'[^']*')"""
_DOCTYPE_END = re.compile(rb"\s+[^\s\[>]+(?:\s+(?:SYSTEM\s*%s|PUBLIC\s*%s\s*%s))?\s*([\[>])"
                          % (_LITERAL, _LITERAL, _LITERAL))


def _doctype(data: bytes, detected: str | None) -> tuple[bool, int | None]:
    """Whether the prolog's DOCTYPE has an internal subset (True where it cannot be told), and
    the line it starts on; (False, None) where the prolog holds no DOCTYPE.

    Read in the encoding libxml2 read the document in: the single-byte encodings on the list and
    UTF-8 keep markup bytes as they are; UTF-16 is decoded first.
    """
    if detected in ("utf-16le", "utf-16be"):
        data = data.decode("utf-16" if data[:2] in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
                           else detected, errors="replace").encode("utf-8")
        start = 0
    else:
        start = 3 if detected == "utf-8" else 0
    match = _PROLOG_DOCTYPE.match(data, start)
    if match is None:
        return False, None
    line = data.count(b"\n", 0, match.end()) + 1
    end = _DOCTYPE_END.match(data, match.end())
    return end is None or end.group(1) == b"[", line


def _check_doctype(dtd: etree.DTD, parser: etree.XMLParser, data: bytes, name: str,
                   detected: str | None) -> None:
    """Accept a DOCTYPE that only names a DTD (never loaded); refuse one with an internal subset.

    Runs only for a document libxml2 found a DOCTYPE in; libxml2 has then recorded every entity
    and element the subset declared, and warned of every entity it could not know.
    """
    subset, line = _doctype(data, detected)
    declared = [e.name for e in dtd.iterentities()]
    if subset or declared or any(True for _ in dtd.iterelements()):
        what = f" (it declares the entity {declared[0]!r})" if declared else ""
        raise UnsafeXMLError(f"DOCTYPE not allowed with an internal subset{what}",
                             path=name, line=line)
    for entry in parser.error_log:
        if entry.type == etree.ErrorTypes.WAR_UNDECLARED_ENTITY:
            entity = re.search(r"Entity '([^']*)'", entry.message)
            shown = f"&{entity.group(1)};" if entity else "an entity"
            raise XMLSyntaxError(
                f"entity {shown} is not defined: the DTD that would define it is never loaded "
                "(write the character itself or a character reference such as &#160;)",
                path=name, line=entry.line or None)


_WIDE_STARTS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)


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


_tag_bounds: tuple[Limits, int, re.Pattern[bytes]] | None = None


def _long_tag(limits: Limits) -> tuple[int, re.Pattern[bytes]]:
    """How long a run without '<' a tag over a limit needs, and the pattern that finds one.

    An attribute takes at least 5 bytes (' a=""') and a namespace declaration 11 (' xmlns:a=""'),
    and no '<' can occur inside a tag. Kept for the last limits asked about: this runs for every
    document, and hashing the limits would cost more than the check.
    """
    global _tag_bounds
    found = _tag_bounds
    if found is None or found[0] is not limits:
        run = min(5 * limits.max_attributes, 11 * limits.max_namespaces)
        found = _tag_bounds = (limits, run, re.compile(rb"<[^<]{%d}" % run))
    return found[1], found[2]


def _check_counts(data: bytes, name: str, limits: Limits) -> None:
    """Enforce the count limits; cheap upper bounds on the bytes spare the exact pass."""
    run, long_tag = _long_tag(limits)
    size = len(data)
    # An element takes at least 4 bytes ('<a/>'): a short document cannot hold too many.
    if data[:2] not in _WIDE_STARTS and b"\0" not in data[:4] and (
            size <= 4 * limits.max_elements or data.count(b"<") <= limits.max_elements) and (
            size <= run or not long_tag.search(data)):
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
    detected = _check_encoding(data, name)
    _check_counts(data, name, limits)
    parser = _parser(limits.huge)
    try:
        root = etree.fromstring(data, parser, base_url=base_url)
    except etree.XMLSyntaxError as err:
        if err.code == _ERR_NO_MEMORY:
            raise ParserMemoryError("not enough memory to parse the document", path=name) from err
        subset, at = _doctype(data, detected) if b"<!DOCTYPE" in data else (False, None)
        if subset:  # the more basic refusal: this document would be refused however it ended
            raise UnsafeXMLError("DOCTYPE not allowed with an internal subset", path=name,
                                 line=at) from err
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
    dtd = tree.docinfo.internalDTD
    if dtd is not None:
        _check_doctype(dtd, parser, data, name, detected)
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
        try:
            with open(path, "rb") as fh:
                data = _read_capped(fh, limits.max_bytes)
        except IsADirectoryError as err:
            raise InputError("is a directory", path=name) from err
        except FileNotFoundError as err:
            raise InputError("no such file or directory", path=name) from err
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
    base = None if name == "-" else file_uri(name)
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
