"""Where a batch report goes: standard output, or a file written in place or renamed into place.

A report file is written beside its target and renamed over it when finished, so a run that
fails half way leaves the previous report as it was; a JSON lines report (resumable) and a
device or pipe are written in place.
"""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
from pathlib import Path

from ..fsutil import file_mode


class ReportSink:
    """Standard output, or a file: written in place (jsonl, resumable) or renamed into place."""

    def __init__(self, output: str | None, *, append: bool, direct: bool):
        self.output = output
        self.tmp: str | None = None
        if output is None:
            self.stream = sys.stdout
            self.to_terminal = sys.stdout.isatty()
            return
        self.to_terminal = False
        target = Path(output)
        # A device or pipe (/dev/stdout, a FIFO) is written as it is, never renamed over.
        special = target.exists() and not target.is_file()
        if direct or special:
            self.stream = open(target, "a" if append or special else "w",  # noqa: SIM115
                               encoding="utf-8")
            return
        folder = target.parent if str(target.parent) else Path(".")
        fd, self.tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=folder)
        os.fchmod(fd, file_mode(target))
        self.stream = os.fdopen(fd, "w", encoding="utf-8")

    def close(self) -> None:
        """Finish the report: flush standard output, or move the file into place."""
        if self.output is None:
            self.stream.flush()
            return
        self.stream.flush()
        if self.tmp is not None:
            os.fsync(self.stream.fileno())
        self.stream.close()
        if self.tmp is not None:
            os.replace(self.tmp, self.output)

    def discard(self) -> None:
        """Drop a half-written report file after an error."""
        if self.tmp is not None:
            # The write that failed fails again on close; the file goes anyway.
            with contextlib.suppress(OSError):
                self.stream.close()
            Path(self.tmp).unlink(missing_ok=True)
