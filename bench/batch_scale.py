"""Batch at scale: the command against a read-and-parse process, growth, Dask, a million documents.

``python bench/batch_scale.py [--quick] [--dir DIR] [--million N] [--no-dask] [--no-write]``
uses the corpora of bench/corpus.py and the consumer contract, and measures:

- ``cdcxml batch -j1 --format jsonl -o FILE`` over the small corpus beside a Python process that
  reads and lxml-parses the same files (wall-clock and CPU seconds of the whole process, best of
  three, interleaved), and ``-j2`` beside ``-j1``; the CPU of each run's processes is counted too,
  since on a machine shared with other work two processes cannot get two cores' worth of wall time;
- growth: the checking CPU time for ten times the documents (a tenth of the small corpus against
  all of it) and for one document ten times the size (590 products against 5,900);
- ``batch`` on a local Dask cluster of two worker processes beside ``-j2``, through the library;
- a run over generated documents (a million by default) streamed through two workers, never
  stored: documents per second and the peak memory of the run's processes.

It writes its table into the "Batch at scale" section of bench/README.md.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import corpus  # noqa: E402
from readme import write_section  # noqa: E402

from cdcxml import load_contract  # noqa: E402
from cdcxml.batch import Spec, check_all  # noqa: E402
from cdcxml.batch.inputs import Capture  # noqa: E402
from cdcxml.batch.run import Tally  # noqa: E402
from cdcxml.batch.workers import run_forked, run_here  # noqa: E402
from cdcxml.limits.guard import MB, Budget  # noqa: E402

README = Path(__file__).resolve().parent / "README.md"
HEADING = "## Batch at scale"
DEFAULT_BUDGET = Budget(60, 4096 * MB)  # the command's default limits
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}

_FLOOR = """
import sys
from pathlib import Path
from lxml import etree
for p in sorted(Path(sys.argv[1]).glob("*.xml")):
    etree.fromstring(p.read_bytes())
"""


def _children_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def process(args: list[str], repeat: int = 3) -> tuple[float, float]:
    """Best wall-clock and best CPU seconds (the process and those it waited for) of a command."""
    wall = cpu = float("inf")
    for _ in range(repeat):
        before, start = _children_cpu(), time.monotonic()
        subprocess.run(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=ENV)
        wall = min(wall, time.monotonic() - start)
        cpu = min(cpu, _children_cpu() - before)
    return wall, cpu


def command_runs(folder: Path) -> dict[str, tuple[float, float]]:
    """The floor process and the batch command at one and two jobs, interleaved."""
    small = str(folder / "small")
    out = str(Path(tempfile.gettempdir()) / "cdcxml-bench-batch.jsonl")
    cli = [sys.executable, "-c", "from cdcxml.cli import main; main()", "batch", "-c",
           str(folder / "consumer.sch"), "--format", "jsonl", "-o", out]
    runs = {"read and parse (Python, lxml)": [sys.executable, "-c", _FLOOR, small],
            "cdcxml batch -j1": [*cli, "-j1", small],
            "cdcxml batch -j2": [*cli, "-j2", small]}
    found = {k: (float("inf"), float("inf")) for k in runs}
    for _ in range(3):
        for label, args in runs.items():
            wall, cpu = process(args, 1)
            found[label] = (min(found[label][0], wall), min(found[label][1], cpu))
    return found


def _check_cpu(spec: Spec, captures: list[Capture]) -> float:
    """CPU seconds to check captures in this process."""
    start = time.process_time()
    for _ in run_here(spec, iter(captures)):
        pass
    return time.process_time() - start


def growth(folder: Path) -> dict[str, float]:
    """CPU seconds for a tenth and all of the small corpus, and for a document and one 10x it."""
    spec = Spec.of([load_contract(folder / "consumer.sch")])
    small = sorted((folder / "small").glob("*.xml"))
    docs = [Capture(p.name, data=p.read_bytes()) for p in small]
    rng = random.Random(7)
    one = [Capture("one.xml", data=corpus.document(rng, 590))]
    ten = [Capture("ten.xml", data=corpus.document(rng, 5900))]

    def best(items: list[Capture], repeat: int = 3) -> float:
        return min(_check_cpu(spec, items) for _ in range(repeat))

    return {"docs 1x": best(docs[: len(docs) // 10]), "docs 10x": best(docs),
            "size 1x": best(one * 10), "size 10x": best(ten * 10)}


def on_dask(folder: Path) -> dict[str, float] | None:
    """Documents per second on a local Dask cluster of two worker processes, and with -j2."""
    try:
        from distributed import LocalCluster
    except ImportError:
        return None
    spec = Spec.of([load_contract(folder / "consumer.sch")], budget=DEFAULT_BUDGET)
    small = [folder / "small"]
    # -j2 first: a process that has run a cluster keeps threads, and then forks no workers.
    best_j2 = float("inf")
    for _ in range(2):
        start = time.monotonic()
        sum(1 for _ in check_all(small, spec, jobs=2))
        best_j2 = min(best_j2, time.monotonic() - start)
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                      dashboard_address=None) as cluster:
        best_dask = float("inf")
        n = 0
        for _ in range(2):
            start = time.monotonic()
            n = sum(1 for _ in check_all(small, spec, scheduler=cluster.scheduler_address))
            best_dask = min(best_dask, time.monotonic() - start)
    return {"dask": n / best_dask, "j2": n / best_j2}


def million(count: int) -> dict[str, float]:
    """A streamed run of ``count`` generated documents on two workers: rate and peak memory."""
    spec = Spec.of([load_contract(corpus.EXAMPLE / "contracts" / "marketing.sch")],
                   budget=DEFAULT_BUDGET)
    rng = random.Random(11)
    # A pool of generated documents, each handed out under its own name: generating a new one
    # per capture would cost more than checking it.
    pool = [corpus.document(rng, rng.randint(1, 4)) for _ in range(1000)]
    captures = (Capture(f"gen/{i:07d}.xml", data=pool[i % len(pool)]) for i in range(count))
    tally = Tally()
    start = time.monotonic()
    for report in run_forked(spec, captures, jobs=2, chunk_size=64):
        tally.add(report)
    seconds = time.monotonic() - start
    me = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return {"documents": tally.summary.documents, "seconds": seconds,
            "rate": tally.summary.documents / seconds, "parent MiB": me / 1024,
            "worker MiB": kids / 1024}


def write_readme(section: str) -> None:
    write_section(HEADING, section)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="the quick corpora")
    parser.add_argument("--dir", type=Path, help="corpus cache folder")
    parser.add_argument("--million", type=int, default=1_000_000, metavar="N",
                        help="documents in the streamed run (0: skip it)")
    parser.add_argument("--no-dask", action="store_true", help="skip the Dask cluster")
    parser.add_argument("--no-write", action="store_true", help="print only; leave README.md")
    args = parser.parse_args()
    load = os.getloadavg()[0]
    folder = corpus.build(args.dir, quick=args.quick)
    n = len(list((folder / "small").glob("*.xml")))
    runs = command_runs(folder)
    print(runs, flush=True)
    grown = growth(folder)
    print(grown, flush=True)
    big = million(args.million) if args.million else None
    print(big, flush=True)
    dask = None if args.no_dask else on_dask(folder)  # last: a cluster leaves threads behind
    print(dask, flush=True)
    floor_wall, floor_cpu = runs["read and parse (Python, lxml)"]
    lines = ["| run | wall | × read+parse | CPU of its processes | × read+parse |",
             "| --- | ---: | ---: | ---: | ---: |"]
    for label, (wall, cpu) in runs.items():
        lines.append(f"| {label} | {wall:.2f} s | {wall / floor_wall:.2f} | {cpu:.2f} s | "
                     f"{cpu / floor_cpu:.2f} |")
    j1, j2 = runs["cdcxml batch -j1"], runs["cdcxml batch -j2"]
    # What two idle cores would give: the work of -j2's processes spread over both.
    ideal = j1[1] / (j2[1] / 2)
    facts = [
        f"`-j2` ÷ `-j1`, wall: {j1[0] / j2[0]:.2f}× on this run; the CPU of `-j2`'s processes is "
        f"{j2[1] / j1[1]:.2f}× that of `-j1`'s, so two idle cores would give at most "
        f"{ideal:.2f}×.",
        f"Growth: 10× the documents costs {grown['docs 10x'] / grown['docs 1x']:.2f}× the CPU "
        f"time; a document 10× the size costs {grown['size 10x'] / grown['size 1x']:.2f}×.",
    ]
    if dask:
        facts.append(f"Local Dask cluster, two worker processes: {dask['dask']:,.0f} documents/s "
                     f"against {dask['j2']:,.0f} with `-j2` (the same run's best of two each).")
    if big:
        facts.append(f"Streamed run: {big['documents']:,} generated documents on two workers in "
                     f"{big['seconds']:.0f} s, {big['rate']:,.0f} documents/s; peak memory "
                     f"{big['parent MiB']:.0f} MiB in the parent, {big['worker MiB']:.0f} MiB in "
                     "the largest worker.")
    intro = (f"`python bench/batch_scale.py` ({'quick' if args.quick else 'full'} corpora, {n:,} "
             f"small documents, consumer contract, the command's default limits; 2 cores shared "
             f"with other work, load average {load:.1f} at the start).")
    section = "\n\n".join([HEADING, textwrap.fill(intro, width=100), "\n".join(lines),
                           "\n".join(f"- {textwrap.fill(f, width=98, subsequent_indent='  ')}"
                                     for f in facts)]) + "\n"
    print(section)
    if not args.no_write:
        write_readme(section)


if __name__ == "__main__":
    main()
