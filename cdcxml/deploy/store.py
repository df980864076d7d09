"""Where records live: the contracts' git repository (a ``verifications/`` and a ``deployments/``
tree beside the published contracts), or a plain folder.

Reading clones the repository with symbolic links off (a link in someone else's repository is
checked out as a plain file) and refuses a history in which any record was ever changed, moved or
deleted. Adding records writes new files only, never through a link and never over an existing
file, commits them and pushes without force; when someone pushed meanwhile, the commit is made
again on top of theirs.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from ..fsutil import unsafe_component
from ..sources.publish import _identity, clone_untrusted, git_url, is_git_target, is_link_in_index
from ..sources.repository import run_git
from .records import DEPLOYMENTS, VERIFICATIONS, RecordError, TamperedRecordError

PUSH_ATTEMPTS = 5


@dataclass(frozen=True, slots=True)
class Opened:
    """A store opened for reading: a folder, and the repository it was cloned from, if any."""

    root: Path
    name: str
    git: bool
    scratch: Path | None = None  # a temporary folder for snapshots of tagged contracts

    def tags(self, pattern: str) -> list[str]:
        """The repository's tags matching a glob (none in a folder store)."""
        if not self.git:
            return []
        listed = run_git(["tag", "--list", "--", pattern], cwd=self.root).stdout
        return sorted(t for t in listed.splitlines() if t)

    def commit_of(self, tag: str) -> str:
        """The commit a tag points at."""
        return run_git(["rev-parse", f"refs/tags/{tag}^{{commit}}"], cwd=self.root).stdout.strip()


def _refuse_rewritten(work: Path, name: str) -> None:
    """Refuse a repository whose history ever changed, moved or deleted a record."""
    if run_git(["rev-parse", "-q", "--verify", "HEAD"], cwd=work, check=False).returncode != 0:
        return
    changed = run_git(["log", "--format=", "--name-only", "--no-renames", "--diff-filter=MDT",
                       "--", VERIFICATIONS, DEPLOYMENTS], cwd=work).stdout
    first = next((line for line in changed.splitlines() if line.strip()), None)
    if first is not None:
        raise TamperedRecordError(f"{name}: record {first} was changed after it was written "
                                  "(records are never rewritten); refused")


@contextlib.contextmanager
def opened(target: str) -> Iterator[Opened]:
    """The store ``target`` names (a git repository or a folder), ready to read."""
    if not is_git_target(target):
        yield Opened(Path(target), target, False)
        return
    with tempfile.TemporaryDirectory(prefix="cdcxml-records-") as tmp:
        work = Path(tmp) / "store"
        clone_untrusted(git_url(target), work)
        _refuse_rewritten(work, target)
        yield Opened(work, target, True, Path(tmp) / "snapshots")


def add(target: str, make: Callable[[Path], list], message: str) -> list[str]:
    """Add new record files to the store; the paths written.

    ``make(root)`` gives the records (objects with ``path`` and ``dumps()``) to add to the store
    as it is at ``root``; it is called again when the push has to be made again on top of
    someone else's.
    """
    if not is_git_target(target):
        root = Path(target)
        records = make(root)
        for r in records:
            _refuse_unsafe(root, r.path, target)
        for r in records:
            _write_new(root, r.path, r.dumps(), target)
        return [r.path for r in records]
    with tempfile.TemporaryDirectory(prefix="cdcxml-records-") as tmp:
        work = Path(tmp) / "store"
        clone_untrusted(git_url(target), work)
        identity = _identity(work)
        branch = run_git(["symbolic-ref", "--short", "HEAD"], cwd=work).stdout.strip()
        for attempt in range(PUSH_ATTEMPTS):
            _refuse_rewritten(work, target)
            records = make(work)
            if not records:
                return []
            for r in records:
                _refuse_unsafe(work, r.path, target)
            for r in records:
                _write_new(work, r.path, r.dumps(), target)
            run_git(["add", "--", *(r.path for r in records)], cwd=work)
            run_git([*identity, "commit", "-q", "-m", message], cwd=work)
            # No "+": a push that would drop someone else's commit is refused by git.
            pushed = run_git(["push", "-q", "origin", f"HEAD:refs/heads/{branch}"], cwd=work,
                             check=False)
            if pushed.returncode == 0:
                return [r.path for r in records]
            if attempt == PUSH_ATTEMPTS - 1:
                detail = (pushed.stderr.strip().splitlines() or ["push refused"])[-1]
                raise RecordError(f"{target}: records could not be pushed: {detail}")
            # Someone pushed meanwhile: start again from their commit.
            run_git(["fetch", "-q", "origin", f"refs/heads/{branch}"], cwd=work)
            run_git(["reset", "-q", "--hard", "FETCH_HEAD"], cwd=work)
    raise AssertionError("unreachable")


def next_number(target_root: Path, folder: str) -> int:
    """The number the next record in ``folder`` (deployments/<env>/<name>) gets."""
    top = target_root / folder
    if not top.is_dir() or top.is_symlink():
        return 1
    numbers = [int(p.stem) for p in top.iterdir() if p.suffix == ".json" and p.stem.isdigit()]
    return max(numbers, default=0) + 1


def _refuse_unsafe(root: Path, rel: str, name: str) -> None:
    """Refuse to write ``root/rel`` through a link, a file posing as a folder, or over a file."""
    found = unsafe_component(root, rel)
    if found is not None:
        part, what = found
        if (root / ".git").is_dir() and is_link_in_index(root, part):
            what = "a symbolic link"
        raise RecordError(f"{name}: {part} is {what} there; records are written only through "
                          "real folders, so nothing was recorded")
    if os.path.lexists(root / rel):
        raise RecordError(f"{name}: record {rel} already exists and records are never "
                          "rewritten; nothing was recorded")


def _write_new(root: Path, rel: str, text: str, name: str) -> None:
    """Write a new file; never over an existing one (a hard link of a temporary file)."""
    target = root / rel
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".record.", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(text.encode("utf-8"))
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o644)
        try:
            os.link(tmp, target)
        except FileExistsError:
            raise RecordError(f"{name}: record {rel} already exists and records are never "
                              "rewritten") from None
    finally:
        Path(tmp).unlink(missing_ok=True)

