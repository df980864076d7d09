"""The engine's own benchmarks: rule contexts that must stay linear, and compiling a large schema.

``python bench/engine_bench.py [--no-write]`` prints its figures and writes them into the "Engine"
section of bench/README.md. Times are CPU seconds (``time.process_time``), best of a few runs.

- Contexts: a contract whose rule context is ``*//p:Product`` (as the ProductSearch example writes
  it) against the same contract with ``p:Product``, on SOAP responses of 10,000 and 40,000
  products, all valid (the pre-check settles them) and with 1% broken (the stylesheet runs).
- Compile: a generated schema of C-CDA R2.1's shape (433 patterns, 2,484 asserts, 554 extends of
  abstract rules, 50 of them across patterns, two phases), compiled from scratch by cdcxml and by
  lxml.isoschematron (which turns it into XSLT with the ISO skeleton and compiles that).
"""

from __future__ import annotations

import argparse
import random
import sys
import textwrap
import time
import warnings
from collections.abc import Callable
from pathlib import Path

from lxml import etree, isoschematron

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from readme import write_section  # noqa: E402 - a sibling in bench/

from cdcxml.schematron import _CACHE, compile_schematron, xpath  # noqa: E402

README = Path(__file__).resolve().parent / "README.md"
HEADING = "## Engine"
NS = "urn:example.com:productsearch:products"
SCH = "http://purl.oclc.org/dsdl/schematron"


def cpu(fn: Callable[[], object], repeat: int = 3) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.process_time()
        fn()
        best = min(best, time.process_time() - start)
    return best


# -- contexts ---------------------------------------------------------------------------------
def contract(context: str) -> bytes:
    return f"""<sch:schema xmlns:sch="{SCH}" queryBinding="xslt">
  <sch:ns prefix="p" uri="{NS}"/>
  <sch:pattern id="products">
    <sch:rule context="{context}">
      <sch:assert id="price" test="p:Price">a product has a price</sch:assert>
      <sch:assert id="number" test="number(p:Price) = number(p:Price)">the price is a number</sch:assert>
      <sch:assert id="name" test="string-length(p:Name) &gt; 0">a product has a name</sch:assert>
    </sch:rule>
  </sch:pattern>
</sch:schema>""".encode()


def response(products: int, broken: float, seed: int = 1) -> bytes:
    rng = random.Random(seed)
    items = []
    for n in range(products):
        price = "" if rng.random() < broken else f"<Price>{rng.randint(1, 999)}.00</Price>"
        items.append(f"<Product><CatalogueID>{n}</CatalogueID><Name>Item {n}</Name>{price}"
                     "<InStock>Yes</InStock></Product>")
    body = "\n".join(items)
    return (f'<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body>'
            f'<SearchResponse xmlns="{NS}"><Products>\n{body}\n</Products></SearchResponse>'
            "</s:Body></s:Envelope>").encode()


def contexts() -> dict[str, float]:
    out = {}
    for label, broken in (("valid", 0.0), ("1% broken", 0.01)):
        trees = {n: etree.fromstring(response(n, broken), etree.XMLParser(huge_tree=True))
                 .getroottree() for n in (10_000, 40_000)}
        for context in ("*//p:Product", "p:Product"):
            compiled = compile_schematron(contract(context))
            for n, tree in trees.items():
                out[f"{context} {label} {n}"] = cpu(lambda c=compiled, t=tree: c.run(t))
    return out


# -- compile ----------------------------------------------------------------------------------
def ccda_like(patterns: int = 433, asserts: int = 2484, extends: int = 554,
              cross: int = 50) -> bytes:
    """A schema of C-CDA R2.1's shape: templates as patterns, shared abstract rules, two phases."""
    rng = random.Random(7)
    per_pattern = [asserts // patterns + (1 if i < asserts % patterns else 0)
                   for i in range(patterns)]
    # Patterns with an abstract rule and concrete rules extending it; the last `cross` extends
    # name an abstract rule of another pattern.
    same = [(extends - cross) // patterns + (1 if i < (extends - cross) % patterns else 0)
            for i in range(patterns)]
    crossing = {i: (i * 7 + 3) % patterns for i in rng.sample(range(patterns), cross)}
    out = [f'<sch:schema xmlns:sch="{SCH}" queryBinding="xslt" defaultPhase="errors">',
           '<sch:ns prefix="cda" uri="urn:hl7-org:v3"/>',
           '<sch:ns prefix="sdtc" uri="urn:hl7-org:sdtc"/>']
    ids = [f"t{i}" for i in range(patterns)]
    for phase, pick in (("errors", range(0, patterns, 2)), ("warnings", range(1, patterns, 2))):
        out.append(f'<sch:phase id="{phase}">')
        out.extend(f'<sch:active pattern="{ids[i]}"/>' for i in pick)
        out.append("</sch:phase>")
    for i in range(patterns):
        oid = f"2.16.840.1.113883.10.20.22.4.{i}"
        body = []
        for a in range(per_pattern[i]):
            test = rng.choice([
                f"count(cda:templateId[@root='{oid}'])=1",
                f"cda:code[@code='{rng.randint(1000, 9999)}']",
                "count(cda:effectiveTime)=1 and not(cda:effectiveTime/@nullFlavor)",
                "cda:statusCode[@code='completed' or @code='active']",
                "not(cda:value) or cda:value[@*[local-name()='type']='CD' or @nullFlavor]",
            ])
            body.append(f'<sch:assert id="a{i}-{a}" test="{test}">SHALL contain {a} '
                        f"(CONF:{i}-{a}).</sch:assert>")
        out.append(f'<sch:pattern id="{ids[i]}">')
        out.append(f'<sch:rule id="{ids[i]}-abstract" abstract="true">{"".join(body)}</sch:rule>')
        contexts = [f"cda:*[cda:templateId[@root='{oid}']]",
                    f"cda:*[cda:templateId[@root='{oid}.2']]"]
        for k in range(same[i]):
            out.append(f'<sch:rule context="{contexts[k % 2]}"><sch:extends rule="{ids[i]}-abstract"/>'
                       "</sch:rule>")
        if i in crossing:  # an abstract rule of another pattern, as 50 of C-CDA's extends do
            out.append(f'<sch:rule context="cda:observation[@classCode=\'{i}\']">'
                       f'<sch:extends rule="{ids[crossing[i]]}-abstract"/></sch:rule>')
        out.append("</sch:pattern>")
    out.append("</sch:schema>")
    return "\n".join(out).encode()


def compile_bench(folder: Path) -> dict[str, float]:
    source = ccda_like()
    path = folder / "ccda-like.sch"
    path.write_bytes(source)

    def ours() -> None:
        _CACHE.clear()  # from scratch: no compiled schema, no expression read before
        xpath._tokens.cache_clear()
        xpath.syntax_error.cache_clear()
        compile_schematron(source, path=path, phase="#ALL")

    def theirs() -> None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            isoschematron.Schematron(etree.fromstring(source), phase="#ALL")

    ours()
    out = {"cdcxml": cpu(ours), "lxml.isoschematron": cpu(theirs)}
    out["cdcxml cached"] = cpu(lambda: [compile_schematron(source, path=path, phase="#ALL")
                                        for _ in range(1000)]) / 1000
    return out


# -- report -----------------------------------------------------------------------------------
def section(ctx: dict[str, float], comp: dict[str, float]) -> str:
    lines = [HEADING, "", textwrap.fill(
        "`python bench/engine_bench.py` measures what the engine itself must keep: rule contexts "
        "that libxml2 evaluates in linear time, and compiling a schema of C-CDA R2.1's shape. "
        "CPU seconds of `Compiled.run` on a parsed SOAP response (parse excluded), best of three.",
        width=100), "",
        "| context | documents | 10,000 products | 40,000 products | 40k / 10k |",
        "| --- | --- | ---: | ---: | ---: |"]
    for label in ("valid", "1% broken"):
        for context in ("*//p:Product", "p:Product"):
            a, b = ctx[f"{context} {label} 10000"], ctx[f"{context} {label} 40000"]
            lines.append(f"| `{context}` | {label} | {a:.3f} s | {b:.3f} s | {b / a:.2f} |")
    lines.append("")
    targets = []
    for label in ("valid", "1% broken"):
        star, plain = ctx[f"*//p:Product {label} 40000"], ctx[f"p:Product {label} 40000"]
        growth = star / ctx[f"*//p:Product {label} 10000"]
        targets.append(f"- {'met' if growth <= 4.4 else '**missed**'}: `*//p:Product` ({label}) "
                       f"40k / 10k ≤ 4.4: {growth:.2f}")
        targets.append(f"- {'met' if star <= 1.3 * plain else '**missed**'}: `*//p:Product` "
                       f"({label}) within 1.3× of `p:Product`: {star / plain:.2f}×")
    lines += ["Targets:", "", *targets, ""]
    lines.append(textwrap.fill(
        "Compile of the C-CDA-shaped schema (433 patterns, 2,484 asserts, 554 extends of which 50 "
        "cross patterns, two phases; all patterns compiled): "
        f"cdcxml {comp['cdcxml'] * 1000:.0f} ms ({comp['cdcxml cached'] * 1000:.3f} ms cached), "
        f"lxml.isoschematron {comp['lxml.isoschematron'] * 1000:.0f} ms "
        f"({comp['cdcxml'] / comp['lxml.isoschematron']:.2f}× lxml's time). SchXslt is not "
        "available here as data, so lxml.isoschematron is the comparison.", width=100))
    lines += ["", textwrap.fill(
        "Before: the pre-check read `*//p:Product` as `//*//p:Product`, which libxml2 evaluated "
        "in 4.45 s at 40,000 products against 0.15 s at 10,000 (×29), and unions of two rules' "
        "scans (`//a | //b`) took 54 s at 40,000; the C-CDA-shaped compile took 593 ms, most of "
        "it lexing each expression three times. Exact lines cost nothing until a document with "
        "findings has a start tag over several lines or more than 65,534 lines; then one scan "
        "of its bytes (about 0.8 s for the 53 MB document of the Speed section).", width=100)]
    return "\n".join(lines) + "\n"


def write_readme(section: str) -> None:
    write_section(HEADING, section)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-write", action="store_true", help="print only; leave README.md")
    args = parser.parse_args()
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        comp = compile_bench(Path(tmp))
    ctx = contexts()
    text = section(ctx, comp)
    print(text)
    if not args.no_write:
        write_readme(text)


if __name__ == "__main__":
    main()
