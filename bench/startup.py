"""Start-up: what a user waits for before cdcxml does anything, beside the interpreter's own start.

``python bench/startup.py`` runs each command several times in a fresh process and keeps the best
wall-clock time and the best CPU time (user + system) of the process: ``python -c pass``, the
imports every command needs (click and lxml), ``cdcxml --version``, ``cdcxml --help`` and
``cdcxml validate`` of one small document with the example's marketing contract. The package's
bytecode is compiled first and the commands may use it, as an installed package does (an
environment that sets ``PYTHONDONTWRITEBYTECODE`` would otherwise compile every module at every
start).
"""

from __future__ import annotations

import compileall
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "productsearch"
CDCXML = [sys.executable, "-c", "import sys; from cdcxml.cli import main; sys.argv[0] = 'cdcxml'; "
          "main()"]


ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def commands() -> dict[str, list[str]]:
    """What is timed, by label."""
    return {
        "python -c pass": [sys.executable, "-c", "pass"],
        "import click, lxml.etree": [sys.executable, "-c", "import click, lxml.etree"],
        "cdcxml --version": [*CDCXML, "--version"],
        "cdcxml --help": [*CDCXML, "--help"],
        "cdcxml validate, one small document": [
            *CDCXML, "validate", "-c", str(EXAMPLE / "contracts" / "marketing.sch"),
            str(EXAMPLE / "responses" / "v1.xml")],
    }


def best(args: list[str], repeat: int) -> tuple[float, float]:
    """The best wall-clock and the best CPU seconds of ``repeat`` runs of a command."""
    wall = cpu = float("inf")
    for _ in range(repeat):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        subprocess.run(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True,
                       env=ENV)
        wall = min(wall, time.perf_counter() - start)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = min(cpu, after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return wall, cpu


def measure(repeat: int = 10) -> dict[str, tuple[float, float]]:
    """(wall, CPU) seconds per command, the commands interleaved so load hits them alike."""
    compileall.compile_dir(ROOT / "cdcxml", quiet=1)
    found = {label: (float("inf"), float("inf")) for label in commands()}
    for _ in range(repeat):
        for label, args in commands().items():
            wall, cpu = best(args, 1)
            found[label] = (min(found[label][0], wall), min(found[label][1], cpu))
    return found


def table(found: dict[str, tuple[float, float]]) -> str:
    lines = ["| command | wall | CPU |", "| --- | ---: | ---: |"]
    for label, (wall, cpu) in found.items():
        lines.append(f"| {label} | {wall * 1000:.0f} ms | {cpu * 1000:.0f} ms |")
    return "\n".join(lines)


if __name__ == "__main__":
    print(table(measure()))
