"""Where captured documents come from: files, directories, globs, zip/tar archives and HAR files.

Archives and HAR files are read in memory, one member at a time; nothing is ever extracted to disk.
Every source yields :class:`Capture` values in a stable order; a source or member that cannot be read
becomes a capture carrying an error, so the run goes on and the report says why.
"""

from __future__ import annotations

import base64
import binascii
import bz2
import functools
import glob
import gzip
import lzma
import os
import tarfile
import time
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

from .. import jsonio, xmlio
from ..errors import CdcxmlError, InputError, JsonError
from ..fsutil import walk_files

DOCUMENT_SUFFIXES = (".xml", ".soap")
ZIP_SUFFIXES = (".zip",)
TAR_SUFFIXES = (".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tar.xz")
HAR_SUFFIXES = (".har",)
_GLOB_CHARS = frozenset("*?[")


@dataclass(frozen=True, slots=True)
class ArchiveLimits:
    """Bounds on what one archive or HAR file may hold; a member over them is an error entry.

    Every member counts, documents or not, and so does every byte a compressed tar archive
    inflates to (headers and skipped members included). ``max_ratio`` bounds how far a compressed
    tar archive may inflate (judged past its first 16 MiB), ``max_seconds`` how long reading one
    archive may take, not counting the checks of its documents.
    """

    max_members: int = 1_000_000
    max_name: int = 1024
    max_member_bytes: int = 64 * 1024 * 1024
    max_total_bytes: int = 8 * 1024 * 1024 * 1024
    max_ratio: int = 1000
    max_seconds: float = 120.0


DEFAULT_LIMITS = ArchiveLimits()


@dataclass(frozen=True, slots=True)
class Capture:
    """One captured document: read later from ``path``, or held as ``data``, or an ``error``."""

    name: str
    path: str | None = None
    data: bytes | None = None
    error: str | None = None
    soap_action: str | None = None  # the request's, where a HAR entry recorded it
    request_path: str | None = None  # the request URL's path, where a HAR entry recorded it
    url: str | None = None  # the request URL, where a HAR entry recorded it (named in its errors)

    def read(self) -> bytes:
        """The document's bytes (read from disk when the capture names a file)."""
        if self.data is not None:
            return self.data
        if self.path is None:
            raise CdcxmlError("nothing to read", path=self.name)
        return xmlio.read_bytes(self.path)

    def loaded(self) -> Capture:
        """The same capture with its bytes in memory (for workers on other machines)."""
        if self.data is not None or self.error is not None:
            return self
        try:
            return Capture(self.name, data=self.read(), soap_action=self.soap_action,
                           request_path=self.request_path)
        except CdcxmlError as err:
            return Capture(self.name, error=err.message)


def _has_suffix(name: str, suffixes: tuple[str, ...]) -> bool:
    return name.lower().endswith(suffixes)


def is_container(name: str) -> bool:
    """True for names that hold documents rather than being one (archives, HAR files)."""
    return _has_suffix(name, ZIP_SUFFIXES + TAR_SUFFIXES + HAR_SUFFIXES)


def captures(paths: Iterable[str | Path], *, limits: ArchiveLimits = DEFAULT_LIMITS,
             read: bool = True) -> Iterator[Capture]:
    """Every document the paths name, in order; with ``read=False`` archive bytes are not kept.

    A named path that does not exist (or a pattern matching nothing), and a named directory that
    holds no document, is an InputError, raised before the first document: nothing to check.
    """
    from ..checking import require_inputs

    names = require_inputs(paths, globs=True)
    for name in names:
        if name != "-" and os.path.isdir(name) and not _has_documents(Path(name)):
            raise InputError(NO_DOCUMENTS, path=name)
    for item in names:
        name = str(item)
        if name == "-":
            # Read here: a worker process does not share this process's standard input.
            yield Capture("-", path="-").loaded() if read else Capture("-", data=b"")
            continue
        p = Path(name)
        if p.is_dir():
            yield from _directory(p, limits, read)
        elif p.exists():
            yield from _file(p, name, limits, read)
        elif _GLOB_CHARS & set(name):
            matches = sorted(glob.glob(name, recursive=True))
            if not matches:
                yield Capture(name, error="no file matches this pattern")
            for match in matches:
                mp = Path(match)
                yield from (_directory(mp, limits, read) if mp.is_dir()
                            else _file(mp, match, limits, read))
        else:
            yield Capture(name, error="no such file or directory")


NO_DOCUMENTS = "no documents (*.xml, *.soap, archives, HAR) in this directory"


def _wanted(name: str) -> bool:
    return _has_suffix(os.path.basename(name), DOCUMENT_SUFFIXES) or is_container(name)


def _has_documents(root: Path) -> bool:
    """Whether a directory holds a document or container outside hidden folders, as
    :func:`_directory` finds them; stops at the first."""
    for _folder, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        if any(not f.startswith(".") and _wanted(f) for f in files):
            return True
    return False


def _directory(root: Path, limits: ArchiveLimits, read: bool) -> Iterator[Capture]:
    found = [f for f in walk_files(root) if _wanted(f)]
    if not found:  # a directory a pattern matched: a capture that could not be checked
        yield Capture(str(root), error=NO_DOCUMENTS)
    for f in found:
        if is_container(f):
            yield from _file(Path(f), f, limits, read)
        else:
            yield Capture(f, path=f)


def _file(p: Path, name: str, limits: ArchiveLimits, read: bool) -> Iterator[Capture]:
    if _has_suffix(name, ZIP_SUFFIXES):
        yield from _zip(p, name, limits, read)
    elif _has_suffix(name, TAR_SUFFIXES):
        yield from _tar(p, name, limits, read)
    elif _has_suffix(name, HAR_SUFFIXES):
        yield from _har(p, name, limits, read)
    else:
        yield Capture(name, path=name)


class _Budget:
    """Counts members and bytes of one archive against its limits."""

    def __init__(self, archive: str, limits: ArchiveLimits):
        self.archive = archive
        self.limits = limits
        self.members = 0
        self.total = 0
        self.inflated = 0  # bytes a compressed stream gave, headers and skipped members included
        self.spent = 0.0  # seconds spent reading the archive, while the generator ran
        self.since: float | None = None

    def resume(self) -> None:
        self.since = time.monotonic()

    def pause(self) -> None:
        if self.since is not None:
            self.spent += time.monotonic() - self.since
            self.since = None

    def admit(self) -> Capture | None:
        """None while another member may be read; else the error capture that ends the archive."""
        self.members += 1
        if self.members > self.limits.max_members:
            return Capture(self.archive, error=f"more than {self.limits.max_members} members "
                                               "(limit max_members); the rest were not read")
        return self.clock()

    def clock(self) -> Capture | None:
        """The error capture that ends the archive once reading it took too long."""
        spent = self.spent + (time.monotonic() - self.since if self.since is not None else 0.0)
        if spent > self.limits.max_seconds:
            return Capture(self.archive, error=f"reading the archive took more than "
                                               f"{self.limits.max_seconds:g} s (limit max_seconds); "
                                               "the rest were not read")
        return None

    def inflate(self, count: int, compressed: int) -> None:
        """Count bytes a compressed stream gave; raise :class:`_Over` past a limit."""
        self.inflated += count
        limits = self.limits
        if self.inflated > limits.max_total_bytes:
            raise _Over(f"archive inflates to more than {limits.max_total_bytes} bytes "
                        "(limit max_total_bytes)")
        if self.inflated > _RATIO_GRACE and self.inflated > limits.max_ratio * max(compressed, 1):
            raise _Over(f"archive inflates more than {limits.max_ratio} times its size "
                        "(limit max_ratio)")
        stop = self.clock()
        if stop is not None:
            raise _Over(stop.error or "")

    def member(self, member: str, size: int | None) -> str | None:
        """An error message when a member's name or announced size is over the limits."""
        if len(member) > self.limits.max_name:
            return f"member name longer than {self.limits.max_name} characters"
        if size is not None and size > self.limits.max_member_bytes:
            return f"member is larger than the limit of {self.limits.max_member_bytes} bytes"
        return None

    def take(self, data: bytes) -> str | None:
        """Count a member's bytes; an error message once the archive is over its total."""
        if len(data) > self.limits.max_member_bytes:
            return f"member is larger than the limit of {self.limits.max_member_bytes} bytes"
        self.total += len(data)
        if self.total > self.limits.max_total_bytes:
            return f"archive holds more than {self.limits.max_total_bytes} bytes"
        return None


_RATIO_GRACE = 16 * 1024 * 1024


class _Over(Exception):
    """An archive went over a limit while being read; the message names the limit."""


class _Metered:
    """A decompressed stream that counts what it gives against the archive's limits.

    The decompressors are asked for at most what tar asks for, so a stream that inflates a
    thousandfold never sits in memory whole.
    """

    def __init__(self, stream, raw: _Consumed, budget: _Budget):
        self.stream = stream
        self.raw = raw
        self.budget = budget

    def read(self, size: int = -1) -> bytes:
        data = self.stream.read(size if size is not None and size >= 0 else 1024 * 1024)
        self.budget.inflate(len(data), self.raw.consumed)
        return data

    def close(self) -> None:
        self.stream.close()
        self.raw.close()

    def __enter__(self) -> _Metered:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class _Consumed:
    """The archive file as the decompressor reads it, counting the compressed bytes read so far."""

    def __init__(self, fh):
        self.fh = fh
        self.consumed = 0

    def read(self, size: int = -1) -> bytes:
        data = self.fh.read(size)
        self.consumed += len(data)
        return data

    def readable(self) -> bool:
        return True

    def close(self) -> None:
        self.fh.close()


_MAGIC = ((b"\x1f\x8b", gzip.open), (b"BZh", bz2.open), (b"\xfd7zXZ\x00", lzma.open))


def _open_tar(p: Path, budget: _Budget) -> tuple[tarfile.TarFile, _Metered]:
    """A streaming reader of a tar archive, compressed or not, every byte counted (the stream
    is the caller's to close: tar does not close a file it was handed)."""
    with p.open("rb") as fh:
        head = fh.read(6)
    opener = next((open_ for magic, open_ in _MAGIC if head.startswith(magic)), None)
    raw = _Consumed(p.open("rb"))
    stream = opener(raw, "rb") if opener else raw
    metered = _Metered(stream, raw, budget)
    try:
        return tarfile.open(fileobj=metered, mode="r|"), metered
    except BaseException:
        metered.close()
        raise


def _member_name(archive: str, member: str, limit: int) -> str:
    return f"{archive}!{member[:limit]}"


def _zip(p: Path, name: str, limits: ArchiveLimits, read: bool) -> Iterator[Capture]:
    try:
        zf = zipfile.ZipFile(p)
    except (OSError, zipfile.BadZipFile, ValueError) as err:
        yield Capture(name, error=f"not a readable zip archive: {err}")
        return
    with zf:
        entries = ((i.filename, not i.is_dir(), i.file_size, functools.partial(_zip_read, zf, i))
                   for i in zf.infolist())
        yield from _members(entries, name, _Budget(name, limits), read)


class _Unreadable(Exception):
    """One archive member could not be read; the archive goes on."""


def _zip_read(zf: zipfile.ZipFile, info: zipfile.ZipInfo, limit: int) -> bytes:
    try:
        with zf.open(info) as fh:
            # The announced size may lie; never read more than the limit allows.
            return fh.read(limit)
    except (OSError, zipfile.BadZipFile, ValueError, RuntimeError, EOFError) as err:
        raise _Unreadable(str(err)) from err


def _tar_read(tf: tarfile.TarFile, info: tarfile.TarInfo, limit: int) -> bytes:
    fh = tf.extractfile(info)
    return fh.read(limit) if fh is not None else b""


def _members(entries, name: str, budget: _Budget, read: bool) -> Iterator[Capture]:
    """The captures of an archive's entries, each ``(name, is a file, announced size, reader)``.

    Every entry counts against the member limit, documents or not; only documents are read, and
    no more of each than the limits allow.
    """
    limits = budget.limits
    for entry, is_file, size, read_member in entries:
        stop = budget.admit()
        if stop:
            yield stop
            return
        if not is_file or not _has_suffix(entry, DOCUMENT_SUFFIXES):
            continue
        member = _member_name(name, entry, limits.max_name)
        problem = budget.member(entry, size)
        if problem:
            yield Capture(member, error=problem)
            continue
        if not read:
            yield Capture(member, data=b"")
            continue
        try:
            data = read_member(limits.max_member_bytes + 1)
        except _Unreadable as err:
            yield Capture(member, error=f"cannot read archive member: {err}")
            continue
        problem = budget.take(data)
        if problem:
            yield Capture(member, error=problem)
            if budget.total > limits.max_total_bytes:
                return
            continue
        yield Capture(member, data=data)


def _tar(p: Path, name: str, limits: ArchiveLimits, read: bool) -> Iterator[Capture]:
    budget = _Budget(name, limits)
    budget.resume()
    try:
        # Stream mode: members are read in order, compressed archives are never seeked.
        tf, stream = _open_tar(p, budget)
    except _Over as err:
        budget.pause()
        yield Capture(name, error=str(err))
        return
    except (OSError, tarfile.TarError, EOFError, ValueError, lzma.LZMAError) as err:
        budget.pause()
        yield Capture(name, error=f"not a readable tar archive: {err}")
        return
    with stream, tf:
        for capture in _tar_members(tf, name, budget, read):
            budget.pause()
            yield capture
            budget.resume()
            if capture.name == name:  # the archive's own error ends it
                return


def _tar_members(tf: tarfile.TarFile, name: str, budget: _Budget,
                 read: bool) -> Iterator[Capture]:
    try:
        # A stream of empty members is no cheaper: every one counts (see _members).
        entries = ((i.name, i.isfile(), i.size, functools.partial(_tar_read, tf, i)) for i in tf)
        yield from _members(entries, name, budget, read)
    except _Over as err:
        yield Capture(name, error=f"{err}; the rest were not read")
    except (OSError, tarfile.TarError, EOFError, ValueError, lzma.LZMAError) as err:
        yield Capture(name, error=f"tar archive is damaged: {err}")


XML_MEDIA_TYPES = frozenset({"text/xml", "application/xml", "application/soap+xml"})


def is_xml_media_type(value: str | None) -> bool:
    """True for XML content types: text/xml, application/xml, application/soap+xml, */*+xml."""
    if not value:
        return False
    media = value.split(";", 1)[0].strip().lower()
    return media in XML_MEDIA_TYPES or media.endswith("+xml")


def _har(p: Path, name: str, limits: ArchiveLimits, read: bool) -> Iterator[Capture]:
    try:
        raw = xmlio.read_bytes(p)
        har = jsonio.loads(raw, name=name)
        entries = har["log"]["entries"]
        if not isinstance(entries, list):
            raise TypeError("log.entries is not a list")
    except JsonError as err:
        yield Capture(name, error=f"not a HAR file: {err.local}")
        return
    except CdcxmlError as err:
        yield Capture(name, error=err.message)
        return
    except (ValueError, KeyError, TypeError) as err:
        yield Capture(name, error=f"not a HAR file: {_json_reason(err)}")
        return
    del raw
    budget = _Budget(name, limits)
    for index, entry in enumerate(entries):
        capture = _har_entry(name, index, entry, budget, read)
        if capture is None:
            continue
        stop = budget.admit()
        if stop:
            yield stop
            return
        yield capture
        if budget.total > limits.max_total_bytes:
            return


def _json_reason(err: Exception) -> str:
    if isinstance(err, KeyError):
        return f"no {err.args[0]!r} member"
    return str(err)


def _har_entry(har: str, index: int, entry, budget: _Budget, read: bool) -> Capture | None:
    """The capture of one HAR entry whose response has an XML content type, else None."""
    if not isinstance(entry, dict):
        return None
    response = entry.get("response") or {}
    content = response.get("content") or {}
    if not isinstance(content, dict):
        return None
    media = content.get("mimeType") or _header(response, "content-type")
    if not is_xml_media_type(media):
        return None
    url = str((entry.get("request") or {}).get("url") or "")[:budget.limits.max_name]
    # NAME#INDEX (the entry's index in log.entries): no colon, so "name:line:" stays parseable.
    member = f"{har}#{index}"
    said = f"response to {url}: " if url else ""
    text = content.get("text")
    if text is None:
        return Capture(member, error=f"{said}body was not recorded in the HAR file")
    if not isinstance(text, str):
        return Capture(member, error=f"{said}body is not a string")
    if not read:
        return Capture(member, data=b"")
    if content.get("encoding") == "base64":
        try:
            data = base64.b64decode(text, validate=True)
        except (binascii.Error, ValueError):
            return Capture(member, error=f"{said}body is not valid base64")
    else:
        data = text.encode("utf-8", "surrogatepass")
    problem = budget.take(data)
    if problem:
        return Capture(member, error=f"{said}{problem}")
    request = entry.get("request") or {}
    return Capture(member, data=data, soap_action=_soap_action(request),
                   request_path=urlparse(url).path or None, url=url or None)


def _soap_action(request: dict) -> str | None:
    """SOAP 1.1's SOAPAction header, or SOAP 1.2's action parameter of the Content-Type."""
    if not isinstance(request, dict):
        return None
    action = _header(request, "soapaction")
    if action:
        return action.strip().strip('"') or None
    media = _header(request, "content-type") or ""
    for param in media.split(";")[1:]:
        name, _, value = param.partition("=")
        if name.strip().lower() == "action":
            return value.strip().strip('"') or None
    return None


def _header(response: dict, wanted: str) -> str | None:
    for h in response.get("headers") or ():
        if isinstance(h, dict) and str(h.get("name", "")).lower() == wanted:
            return str(h.get("value", ""))
    return None


def count(paths: Iterable[str | Path], *, limits: ArchiveLimits = DEFAULT_LIMITS) -> int:
    """How many captures the paths name, without keeping their bytes (for a progress bar)."""
    return sum(1 for _ in captures(paths, limits=limits, read=False))
