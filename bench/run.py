"""The speed benchmark: cdcxml beside lxml parse, lxml XMLSchema, lxml.isoschematron and xmlschema.

``python bench/run.py [--quick] [--dir DIR] [--no-write]`` generates the corpora (bench/corpus.py),
measures every engine on each of them in one run, prints the table and writes it into the "Speed"
section of bench/README.md. Times are CPU seconds of this process (``time.process_time``), so
other work on the machine disturbs them less than wall-clock time; the batch scaling is wall-clock,
as it has to be. Every figure is a ratio to lxml's parse of the same bytes, measured in the same run.
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable
from pathlib import Path

import lxml
import xmlschema
from lxml import etree, isoschematron

sys.path.insert(0, str(Path(__file__).resolve().parent))

import corpus  # noqa: E402
import startup  # noqa: E402
from readme import write_section  # noqa: E402

from cdcxml import load_contract, xmlio  # noqa: E402
from cdcxml.batch import Spec, check_all  # noqa: E402
from cdcxml.limits.guard import MB, Budget  # noqa: E402
from cdcxml.schematron import _CACHE, compile_schematron  # noqa: E402

README = Path(__file__).resolve().parent / "README.md"
HEADING = "## Speed"


def cpu(fn: Callable[[], object], repeat: int) -> float:
    """The best CPU time of ``repeat`` calls."""
    best = float("inf")
    for _ in range(repeat):
        start = time.process_time()
        fn()
        best = min(best, time.process_time() - start)
    return best


def over(datas: list[bytes], check: Callable[[bytes], object]) -> Callable[[], None]:
    def run() -> None:
        for data in datas:
            check(data)
    return run


def engines(folder: Path) -> dict[str, Callable[[bytes], object]]:
    """Each engine as a function from a document's bytes to its verdict (parse included)."""
    consumer = load_contract(folder / "consumer.sch")
    fifty = load_contract(folder / "fifty.sch")
    consumer.compiled()
    fifty.compiled()
    xsd_lxml = etree.XMLSchema(etree.parse(str(folder / "products.xsd")))
    iso_consumer = isoschematron.Schematron(etree.parse(str(folder / "consumer.sch")))
    iso_fifty = isoschematron.Schematron(etree.parse(str(folder / "fifty.sch")))
    xsd_py = xmlschema.XMLSchema10(str(folder / "products.xsd"))
    return {
        "lxml parse (the floor)": etree.fromstring,
        "cdcxml hardened parse alone (xmlio)": xmlio.parse_bytes,
        "cdcxml, consumer contract": consumer.validate,
        "cdcxml, 50-assert contract": fifty.validate,
        "lxml XMLSchema (full XSD)": lambda d: xsd_lxml.validate(etree.fromstring(d)),
        "lxml.isoschematron, consumer contract": lambda d: iso_consumer.validate(etree.fromstring(d)),
        "lxml.isoschematron, 50-assert contract": lambda d: iso_fifty.validate(etree.fromstring(d)),
        "xmlschema (full XSD)": lambda d: _all_errors(xsd_py, etree.fromstring(d)),
    }


def _all_errors(schema: xmlschema.XMLSchemaBase, source) -> int:
    # Every error, as the other engines report every error; is_valid stops at the first.
    return sum(1 for _ in schema.iter_errors(source))


def measure_corpora(folder: Path, quick: bool) -> tuple[dict, dict]:
    """Ratios to the parse per engine and corpus, and the parse's own seconds."""
    found = engines(folder)
    corpora = {
        "small": [p.read_bytes() for p in sorted((folder / "small").glob("*.xml"))],
        "medium": [p.read_bytes() for p in sorted((folder / "medium").glob("*.xml"))],
        "large": [(folder / "large.xml").read_bytes()],
    }
    ratios: dict[str, dict[str, float]] = {name: {} for name in found}
    floors = {}
    for cname, datas in corpora.items():
        repeat = 3 if cname != "large" else 1
        seconds: dict[str, float] = {}
        floor = float("inf")
        for name, check in found.items():
            # The floor again before each engine, its best kept: load on the machine varies.
            floor = min(floor, cpu(over(datas, etree.fromstring), 2))
            if name.startswith("lxml parse"):
                continue
            if name.startswith("xmlschema") and cname == "large" and not quick:
                # xmlschema builds its own tree of a 52 MB document; its lazy mode is the fair one.
                path = str(folder / "large.xml")
                xsd_py = xmlschema.XMLSchema10(str(folder / "products.xsd"))
                seconds[name] = cpu(lambda p=path, x=xsd_py: _all_errors(
                    x, xmlschema.XMLResource(p, lazy=True)), 1)
            else:
                seconds[name] = cpu(over(datas, check),
                                    1 if name.startswith("xmlschema") else repeat)
        floors[cname] = floor
        for name in found:
            ratios[name][cname] = seconds.get(name, floor) / floor
            print(f"  {cname:6s} {name:40s} {seconds.get(name, floor):8.3f} s  "
                  f"{ratios[name][cname]:6.2f}x", flush=True)
    return ratios, floors


def compile_times(folder: Path) -> dict[str, float]:
    """Milliseconds to compile each contract, from scratch and from the cache."""
    out = {}
    for name in ("consumer", "fifty"):
        path = folder / f"{name}.sch"
        source = path.read_bytes()

        def cold(source=source, path=path) -> None:
            _CACHE.clear()
            compile_schematron(source, path=path)

        out[f"{name} cold"] = cpu(cold, 5) * 1000
        compile_schematron(source, path=path)
        out[f"{name} cached"] = cpu(lambda s=source, p=path: [compile_schematron(s, path=p)
                                                              for _ in range(1000)], 3)
    return out


_MEMORY_SCRIPT = """
import sys
from lxml import etree
from cdcxml import load_contract, xmlio
path, mode = sys.argv[1], sys.argv[2]
if mode == "parse":
    tree = etree.parse(path)
elif mode == "cdcxml":
    contract = load_contract(sys.argv[3])
    contract.compiled()
    tree = xmlio.parse_file(path)
    report = contract.validate(tree)
"""


# Run from a small interpreter: a child forked from this process (corpora loaded) would start
# with this process's peak resident set as its own, since the peak survives exec.
_RUNNER = """
import resource, subprocess, sys
code = subprocess.call(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, code)
"""


def peak_rss(args: list[str], ok: tuple[int, ...] = (0,)) -> int:
    """The peak resident set of a command and the processes it waited for, in KiB."""
    out = subprocess.run([sys.executable, "-c", _RUNNER, *args], capture_output=True, text=True,
                         check=True).stdout.split()
    peak, code = int(out[0]), int(out[1])
    if code not in ok:
        raise RuntimeError(f"{args} failed with exit code {code}")
    return peak


def memory(folder: Path) -> dict[str, int]:
    """Peak memory on the large document: interpreter alone, parse alone, parse and validate."""
    large = str(folder / "large.xml")
    base = [sys.executable, "-c", _MEMORY_SCRIPT, large]
    return {
        "interpreter": peak_rss([*base, "none"]),
        "parse": peak_rss([*base, "parse"]),
        "cdcxml": peak_rss([*base, "cdcxml", str(folder / "consumer.sch")]),
    }


def scaling(folder: Path) -> dict[str, float]:
    """Documents per second of a batch run on the small corpus with one and with two processes,
    under the command's default limits (60 s and 4096 MB per document)."""
    spec = Spec.of([load_contract(folder / "consumer.sch")], budget=Budget(60, 4096 * MB))
    best = {1: float("inf"), 2: float("inf")}
    n = 0
    # Interleaved, best of three each: other work on the machine comes and goes during a run.
    for _ in range(3):
        for jobs in (1, 2):
            start = time.monotonic()
            n = sum(1 for _ in check_all([folder / "small"], spec, jobs=jobs))
            best[jobs] = min(best[jobs], time.monotonic() - start)
    return {f"jobs {jobs}": n / seconds for jobs, seconds in best.items()}


def batch_memory(folder: Path) -> dict[str, int]:
    """Peak memory of a batch run's processes over the small corpus once and three times."""
    cli = [sys.executable, "-c", "from cdcxml.cli import main; main()", "batch", "-j", "2",
           "--format", "jsonl", "-o", os.devnull, "-c", str(folder / "consumer.sch")]
    small = str(folder / "small")
    # Exit code 1: some captured documents do not hold, as intended.
    return {"once": peak_rss([*cli, small], (0, 1)),
            "thrice": peak_rss([*cli, small, small, small], (0, 1))}


def table(ratios: dict, floors: dict, sizes: dict) -> str:
    cols = ("small", "medium", "large")
    head = (f"| engine | {sizes['small']:,} small docs | {sizes['medium']} × "
            f"{sizes['medium_kb']:.0f} KB docs | one {sizes['large_mb']:.0f} MB doc |")
    lines = [head, "| --- | ---: | ---: | ---: |"]
    for name, row in ratios.items():
        lines.append(f"| {name} | " + " | ".join(f"{row[c]:.2f}" for c in cols) + " |")
    lines.append("| *lxml parse, CPU seconds* | " + " | ".join(f"{floors[c]:.3f}" for c in cols)
                 + " |")
    return "\n".join(lines)


def targets(ratios: dict, comp: dict, mem: dict, scale: dict, bmem: dict,
            start: dict) -> list[str]:
    """Each target of the speed work, met or missed, in one line."""
    consumer = ratios["cdcxml, consumer contract"]
    fifty = ratios["cdcxml, 50-assert contract"]
    xsd = ratios["lxml XMLSchema (full XSD)"]
    mem_ratio = mem["cdcxml"] / mem["parse"]
    speedup = scale["jobs 2"] / scale["jobs 1"]
    growth = bmem["thrice"] / bmem["once"]
    version = start["cdcxml --version"]
    one = start["cdcxml validate, one small document"]
    checks = [
        (consumer["small"] <= 1.5, f"consumer contract on small docs ≤ 1.5× parse: "
                                   f"{consumer['small']:.2f}×"),
        (consumer["small"] < xsd["small"], f"consumer contract on small docs below lxml's full "
                                           f"XSD validation: {consumer['small']:.2f}× against "
                                           f"{xsd['small']:.2f}×"),
        (fifty["small"] <= 5.0, f"50-assert contract on small docs ≤ 5×: {fifty['small']:.2f}×"),
        (consumer["large"] <= 2.5, f"large doc ≤ 2.5× parse: {consumer['large']:.2f}×"),
        (mem_ratio <= 1.2, f"peak memory on the large doc ≤ 1.2× the parsed tree: {mem_ratio:.2f}× "
                           f"({mem['cdcxml'] // 1024} MiB vs {mem['parse'] // 1024} MiB; "
                           f"interpreter alone {mem['interpreter'] // 1024} MiB)"),
        (speedup >= 1.8, f"batch on two cores ≥ 1.8× one core: {speedup:.2f}× "
                         f"({scale['jobs 1']:,.0f} → {scale['jobs 2']:,.0f} docs/s, wall-clock "
                         "on cores other work shares)"),
        (growth <= 1.1, f"batch memory flat: peak of the batch's processes {bmem['once'] // 1024} "
                        f"MiB over the corpus once, {bmem['thrice'] // 1024} MiB over it three "
                        "times"),
        (comp["consumer cold"] <= 10, f"compile the consumer contract ≤ 10 ms: "
                                      f"{comp['consumer cold']:.1f} ms"),
        (comp["consumer cached"] <= 1, f"cached compile ≤ 1 ms: {comp['consumer cached']:.3f} ms"),
        (version[0] <= 0.12, f"`cdcxml --version` ≤ 0.12 s wall: {version[0]:.3f} s "
                             f"({version[1]:.3f} s CPU)"),
        (one[0] <= 0.25, f"`cdcxml validate` of one small document ≤ 0.25 s wall: {one[0]:.3f} s "
                         f"({one[1]:.3f} s CPU)"),
    ]
    return [f"- {'met' if ok else '**missed**'}: {text}" for ok, text in checks]


def floor_parts(folder: Path) -> dict[str, float]:
    """CPU time of the XPath evaluations a document that holds costs, on already-parsed small
    documents, as ratios to lxml's parse of the same documents."""
    consumer = load_contract(folder / "consumer.sch")
    compiled = consumer.compiled()
    datas = [p.read_bytes() for p in sorted((folder / "small").glob("*.xml"))]
    trees = [xmlio.parse_bytes(d) for d in datas]
    parse = cpu(over(datas, etree.fromstring), 3)
    out = {"precheck": cpu(lambda: [compiled.precheck(t) for t in trees], 3) / parse}
    if compiled.fired is not None:
        out["fired"] = cpu(lambda: [compiled.fired(t) for t in trees], 3) / parse
    out["flagged"] = sum(1 for t in trees if compiled.precheck(t)) / len(trees)
    return out


def why(ratios: dict, parts: dict) -> str:
    """What the figures say about the ratios that stay above their targets."""
    parse = ratios["cdcxml hardened parse alone (xmlio)"]
    consumer = ratios["cdcxml, consumer contract"]
    xsd = ratios["lxml XMLSchema (full XSD)"]
    xpaths = parts["precheck"] + parts.get("fired", 0.0)
    return textwrap.fill(
        "Where the time goes, for the consumer contract on small documents, in units of lxml's "
        f"parse: the hardened parse costs {parse['small']:.2f} (the encoding declaration, the "
        "DOCTYPE verdict, the count limits and the Python around libxml2's parse). A document "
        "that holds is settled by one XPath, the pre-check, instead of an XSLT transform; "
        f"libxml2 alone takes {parts['precheck']:.2f} to evaluate it on the parsed documents "
        "(every assert's test is a child step, a node-set per product), and the vacuity "
        f"check's XPath (did each pattern match anything) {parts.get('fired', 0.0):.2f}. "
        f"Those evaluations alone put the contract at {parse['small'] + xpaths:.2f} before "
        "any of cdcxml's Python runs, against the target of 1.5 and lxml's full XSD validation "
        f"at {xsd['small']:.2f}, whose validator walks the tree once in C without building "
        "node-sets: that is the floor of evaluating Schematron with libxml2's XPath, and the "
        f"rest of the {consumer['small']:.2f} is the {parts['flagged']:.0%} of documents with a "
        "finding, which run the XSLT transform (about 40 µs each, a third of it lxml calling "
        "cdcxml's Python location function) and build findings, plus the reports. The 50-assert "
        "contract evaluates 50 XPath tests per product in libxml2, which no compilation "
        "strategy avoids; lxml.isoschematron on the same contract is the comparison that "
        "measures the compiler. Batch scaling is wall-clock time on two cores that other work "
        "shares; \"Batch at scale\" below counts the CPU of each run's processes, which says "
        "what two idle cores give. Memory is flat because reports stream out and the summary "
        "keeps counts per consumer and assertion, not per document.", width=100) + "\n"


def write_readme(section: str) -> None:
    write_section(HEADING, section)


def main() -> None:
    """Run every measurement, print the table, write it into bench/README.md."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a tenth of each corpus (~1 minute)")
    parser.add_argument("--dir", type=Path, help="corpus cache folder")
    parser.add_argument("--no-write", action="store_true", help="print only; leave README.md")
    args = parser.parse_args()
    started = time.monotonic()
    load = os.getloadavg()[0]
    folder = corpus.build(args.dir, quick=args.quick)
    mode = "quick" if args.quick else "full"
    medium = sorted((folder / "medium").glob("*.xml"))
    sizes = {
        "small": len(list((folder / "small").glob("*.xml"))),
        "medium": len(medium),
        "medium_kb": sum(p.stat().st_size for p in medium) / len(medium) / 1000,
        "large_mb": (folder / "large.xml").stat().st_size / 1e6,
    }
    print(f"corpora in {folder}", flush=True)
    ratios, floors = measure_corpora(folder, args.quick)
    comp = compile_times(folder)
    parts = floor_parts(folder)
    start_up = startup.measure()
    mem = memory(folder)
    scale = scaling(folder)
    bmem = batch_memory(folder)
    asserts, patterns = corpus.assert_count()
    elapsed = time.monotonic() - started
    intro = (
        "`python bench/run.py` (`--quick` for a tenth of each corpus, about a minute) generates "
        "the corpora with `bench/corpus.py`: deterministic ProductSearch responses with 3% of "
        "products broken (0.1% in the large one). It measures, in one run, each engine's CPU time "
        "to parse and check every document, as a ratio to lxml's parse of the same bytes. The "
        "consumer contract is the marketing contract of the ProductSearch example (5 asserts); "
        f"the 50-assert contract has {asserts} asserts in {patterns} patterns. cdcxml's rows "
        "include its hardened parse, also shown alone. xmlschema reads the large document in its "
        f"lazy mode. This run: {mode} corpora, {platform.python_implementation()} "
        f"{platform.python_version()}, lxml {lxml.__version__}, xmlschema {xmlschema.__version__}, "
        f"{os.cpu_count()} cores shared with other work (load average {load:.1f} at the start), "
        f"{elapsed:.0f} s.")
    compiled = (
        f"Compile: consumer contract {comp['consumer cold']:.1f} ms "
        f"({comp['consumer cached']:.3f} ms cached), 50-assert contract "
        f"{comp['fifty cold']:.1f} ms ({comp['fifty cached']:.3f} ms cached).")
    section = "\n\n".join([
        HEADING, textwrap.fill(intro, width=100), table(ratios, floors, sizes),
        textwrap.fill(compiled, width=100),
        "Start-up (`bench/startup.py`, best of ten, wall-clock and CPU of the process):",
        startup.table(start_up), "Targets:",
        "\n".join(targets(ratios, comp, mem, scale, bmem, start_up)),
        why(ratios, parts).rstrip("\n"),
    ]) + "\n"
    print()
    print(section)
    if not args.no_write:
        write_readme(section)


if __name__ == "__main__":
    main()
