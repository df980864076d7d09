"""File-system helpers: atomic writes (a crash never leaves a half-written file) and the one
containment check for paths an input names or a write goes through."""

from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path


def write_atomic(path: str | Path, data: bytes | str) -> None:
    """Write ``data`` to ``path`` through a temporary file in the same folder, then rename.

    A symbolic link is replaced, never written through (a planted link must not redirect a report
    onto another file); a device or a pipe (``/dev/null``, a FIFO) is written in place, since
    renaming over it would replace it.
    """
    target = Path(path)
    payload = data.encode("utf-8") if isinstance(data, str) else data
    if not target.is_symlink() and target.exists() and not target.is_file():
        with open(target, "wb") as fh:
            fh.write(payload)
        return
    folder = target.parent if str(target.parent) else Path(".")
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=folder)
    try:
        # mkstemp makes the file private; the result gets the mode the file had, or a new file's.
        if hasattr(os, "fchmod"):
            os.fchmod(fd, file_mode(target))
        with os.fdopen(fd, "wb") as fh:
            fh.write(payload)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def file_mode(target: Path) -> int:
    """The permissions a file written to ``target`` should get: those it has, or a new file's."""
    try:
        return target.stat().st_mode & 0o7777
    except OSError:
        umask = os.umask(0o022)
        os.umask(umask)
        return 0o666 & ~umask


def within(path: str | Path, folder: str | Path) -> bool:
    """Whether ``path`` lies inside ``folder`` once every symbolic link in both is resolved.

    The comparison is by path components, never by string prefix: ``schemas-private/x.xsd`` is
    not inside ``schemas``. The one containment check for everything an input may reach (contract
    includes, ``document()``, request bodies, XSD and WSDL imports).
    """
    try:
        return Path(path).resolve().is_relative_to(Path(folder).resolve())
    except (OSError, RuntimeError, ValueError):  # a link loop, a NUL byte: not inside
        return False


def unsafe_component(root: Path, rel: str | Path) -> tuple[str, str] | None:
    """The first part of ``root/rel`` below ``root`` that a write must not go through, or None.

    Before deleting or writing ``root/rel`` in a folder others can change (a clone of a shared
    repository, a shared publish folder), every part of the path that exists must be a real
    folder (the last may be a file), not a symbolic link, so nothing is deleted or written outside
    ``root``. Returns that part relative to ``root`` (POSIX form) and what it is instead.
    """
    parts = Path(rel).parts
    current = root
    for i, part in enumerate(parts):
        current = current / part
        shown = "/".join(parts[: i + 1])
        try:
            info = current.lstat()
        except OSError:  # missing (created later) or unreadable: the write itself says so
            return None
        if stat.S_ISLNK(info.st_mode):
            return shown, "a symbolic link"
        if i < len(parts) - 1 and not stat.S_ISDIR(info.st_mode):
            return shown, "a file, not a folder"
    return None


def contained_path(target: str | Path, folder: str | Path, *, what: str, path: str | None = None,
                   line: int | None = None, error: type | None = None) -> Path:
    """``target`` resolved, if it lies :func:`within` ``folder``; else ``error`` in one line.

    ``error`` is a :class:`~cdcxml.errors.CdcxmlError` subclass naming ``path`` and ``line``.
    """
    from .errors import InputError

    if not within(target, folder):
        raise (error or InputError)(f"{what} of {str(target)!r} refused: it leaves the folder "
                                    f"{Path(folder).name}/", path=path, line=line)
    return Path(target).resolve()


def walk_files(root: str | Path) -> list[str]:
    """Every entry under the folder ``root`` that is not a folder, hidden files and folders left
    out, spelled as ``root/...`` (as ``Path(root) / ...`` spells it) and sorted part by part as
    paths sort. Links to folders are not followed.

    One ``os.walk``: for a folder of many documents this costs a fraction of ``Path.rglob``.
    """
    top = str(Path(root))
    prefix = "" if top == "." else top
    found = []
    for folder, dirs, files in os.walk(top):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        rel = folder[len(top):].lstrip(os.sep)
        base = os.path.join(prefix, rel) if rel else prefix
        found.extend(os.path.join(base, f) if base else f for f in files if not f.startswith("."))
    found.sort(key=lambda name: name.split(os.sep))
    return found


_real_folders: dict[str, str] = {}


def file_uri(path: str) -> str:
    """The ``file:`` URI of a file by its real path (as ``Path(path).resolve().as_uri()``), each
    folder's real path worked out once: resolving every document of a large folder anew costs
    more than checking it."""
    from urllib.parse import quote_from_bytes

    folder, name = os.path.split(path)
    real = _real_folders.get(folder)
    if real is None:
        if len(_real_folders) > 4096:
            _real_folders.clear()
        real = _real_folders[folder] = str(Path(folder or ".").resolve())
    full = os.path.join(real, name)
    if not name or name in (".", "..") or os.path.islink(full):
        return Path(path).resolve().as_uri()
    return "file://" + quote_from_bytes(os.fsencode(full))
