"""File-system helpers: atomic writes, so a crash never leaves a half-written file."""

from __future__ import annotations

import os
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


def contained_path(target: str | Path, folder: str | Path, *, what: str, path: str | None = None,
                   line: int | None = None, error: type | None = None) -> Path:
    """``target`` resolved, if it lies inside ``folder`` (compared by path parts, links followed).

    A reference that leaves the folder, directly or through a symbolic link, is refused with
    ``error`` (a :class:`~cdcxml.errors.CdcxmlError` subclass) naming ``path`` and ``line``.
    """
    from .errors import InputError

    resolved = Path(target).resolve()
    if not resolved.is_relative_to(Path(folder).resolve()):
        raise (error or InputError)(f"{what} of {str(target)!r} refused: it leaves the folder "
                                    f"{Path(folder).name}/", path=path, line=line)
    return resolved
