"""Helpers every test module may use: the command line in-process, and git in a tmp repository."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from click.testing import CliRunner, Result

from cdcxml.cli import main

# Commits in test repositories need an author; the machine's git configuration may have none.
GIT_IDENTITY = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.org",
                "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.org"}


def cli(*args, input: str | bytes | None = None, catch_exceptions: bool = True) -> Result:
    """Run ``cdcxml ARGS...`` in this process (arguments may be paths); stdout and stderr apart."""
    return CliRunner().invoke(main, [str(a) for a in args], input=input,
                              catch_exceptions=catch_exceptions)


def git(*args, cwd: Path | None = None) -> str:
    """Run git (with a test identity); its standard output, stripped. A failure raises."""
    done = subprocess.run(["git", *map(str, args)], cwd=cwd, env={**os.environ, **GIT_IDENTITY},
                          capture_output=True, text=True, check=True)
    return done.stdout.strip()
