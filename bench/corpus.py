"""The speed benchmark's corpora, generated deterministically into a cache folder.

``python bench/corpus.py [--dir DIR] [--quick]`` writes (or reuses, when already there):

- ``small/``: 10,000 small ProductSearch responses (1 to 4 products, under 1 KB each);
- ``medium/``: 200 responses of about 98 KB (about 590 products each);
- ``large.xml``: one response of about 52 MB;
- ``consumer.sch``: the one-consumer contract (marketing, from the ProductSearch example);
- ``fifty.sch``: a contract of 50 asserts in 11 patterns over the same messages;
- ``products.xsd``: the provider's XSD (ProductSearch v1).

About 3% of products in the small and medium corpora break something (no Price, a Price that is
not a number), 0.1% in the large one, so every engine reports failures, as on real traffic.
``--quick`` makes a tenth of each corpus.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import tempfile
from pathlib import Path

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "productsearch"
NS = "urn:example.com:productsearch:products"
VERSION = 3  # bump when the generated files change, so cached corpora are rebuilt
# A 52 MB response is mostly right: a few hundred broken products, not ten thousand.
LARGE_BROKEN_RATE = 0.001

SIZES = {
    "full": {"small": 10_000, "medium": 200, "medium_products": 590, "large_products": 320_000},
    "quick": {"small": 1_000, "medium": 20, "medium_products": 590, "large_products": 32_000},
}


def default_dir() -> Path:
    """Where corpora are kept between runs."""
    return Path(tempfile.gettempdir()) / "cdcxml-bench"


def _product(rng: random.Random, n: int, broken_rate: float = 0.03) -> str:
    broken = rng.random()
    price = f"{rng.randint(1, 999)}.{rng.randint(0, 99):02d}"
    if broken < broken_rate / 2:
        price_el = ""
    elif broken < broken_rate:
        price_el = "<Price>n/a</Price>"
    else:
        price_el = f"<Price>{price}</Price>"
    return (f"<Product><CatalogueID>{n}</CatalogueID><Name>Item {n} {rng.choice(NAMES)}</Name>"
            f"{price_el}<Manufacturer>Company {rng.choice('ABCDEFG')}</Manufacturer>"
            f"<InStock>{rng.choice(('Yes', 'No'))}</InStock></Product>")


NAMES = ("Widget", "Fooble", "Gizmo", "Sprocket", "Doohickey", "Thingamajig", "Gadget")


def document(rng: random.Random, products: int, start: int = 1) -> bytes:
    """A ProductSearch response with ``products`` products, pretty-printed one per line."""
    lines = [f'<?xml version="1.0" encoding="utf-8"?>\n<Products xmlns="{NS}">']
    lines.extend("  " + _product(rng, start + i) for i in range(products))
    lines.append("</Products>\n")
    return "\n".join(lines).encode("utf-8")


def _write_large(path: Path, rng: random.Random, products: int) -> None:
    with path.open("wb") as fh:
        fh.write(f'<?xml version="1.0" encoding="utf-8"?>\n<Products xmlns="{NS}">\n'.encode())
        for i in range(products):
            fh.write(("  " + _product(rng, i + 1, LARGE_BROKEN_RATE) + "\n").encode("utf-8"))
        fh.write(b"</Products>\n")


# Eleven patterns, fifty asserts: what a demanding consumer might check of a search response.
FIFTY = {
    "root": ("p:Products", [
        "count(p:Product) >= 0", "not(text()[normalize-space()])", "not(@*)",
        "namespace-uri() = 'urn:example.com:productsearch:products'"]),
    "product": ("p:Product", [
        "p:CatalogueID", "p:Name", "p:Price", "p:Manufacturer", "p:InStock",
        "count(p:CatalogueID) = 1", "count(p:Name) = 1", "count(p:Price) <= 1",
        "count(*) <= 8"]),
    "identity": ("p:Product/p:CatalogueID", [
        "string(number(.)) != 'NaN'", "number(.) > 0", "number(.) = floor(number(.))",
        "string-length(normalize-space(.)) <= 12", "not(*)"]),
    "name": ("p:Product/p:Name", [
        "normalize-space(.) != ''", "string-length(.) <= 200", "not(*)",
        "not(contains(., '<'))"]),
    "price": ("p:Product/p:Price", [
        "number(.) = number(.)", "number(.) >= 0", "number(.) < 100000", "not(*)",
        "not(starts-with(normalize-space(.), '-'))"]),
    "currency": ("p:Price/@currency", [
        "string-length(.) = 3", "translate(., 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', '') = ''"]),
    "maker": ("p:Product/p:Manufacturer", [
        "normalize-space(.) != ''", "string-length(.) <= 100", "not(*)",
        "starts-with(., 'Company')"]),
    "stock": ("p:Product/p:InStock", [
        ". = 'Yes' or . = 'No'", "not(*)", "count(../p:InStock) = 1"]),
    "order": ("p:Product/p:Name", [
        "preceding-sibling::*[1][self::p:CatalogueID]",
        "not(following-sibling::p:CatalogueID)", "following-sibling::p:Manufacturer"]),
    "text": ("p:Product/*", [
        "string-length(.) > 0", "not(@xsi:nil = 'true')", "not(processing-instruction())",
        "not(comment())"]),
    "extension": ("p:Product/p:Extension", [
        "p:Description", "not(p:Extension)", "count(*) <= 10", "string-length(.) < 2000",
        "not(@*)", "normalize-space(p:Description) != ''", "count(p:Description) = 1"]),
}


def fifty_contract() -> str:
    """The 50-assert, 11-pattern contract."""
    parts = ['<?xml version="1.0" encoding="utf-8"?>',
             '<sch:schema xmlns:sch="http://purl.oclc.org/dsdl/schematron" queryBinding="xslt">',
             f'  <sch:ns prefix="p" uri="{NS}"/>',
             '  <sch:ns prefix="xsi" uri="http://www.w3.org/2001/XMLSchema-instance"/>']
    for pid, (context, tests) in FIFTY.items():
        parts.append(f'  <sch:pattern id="{pid}">\n    <sch:rule context="{context}">')
        for i, test in enumerate(tests, start=1):
            escaped = test.replace("&", "&amp;").replace("<", "&lt;").replace('"', "&quot;")
            parts.append(f'      <sch:assert id="{pid}-{i}" test="{escaped}">{pid} check {i} '
                         f'failed at <sch:name/></sch:assert>')
        parts.append("    </sch:rule>\n  </sch:pattern>")
    parts.append("</sch:schema>\n")
    return "\n".join(parts)


def assert_count() -> tuple[int, int]:
    """(asserts, patterns) of the generated contract."""
    return sum(len(t) for _, t in FIFTY.values()), len(FIFTY)


def build(root: Path | None = None, *, quick: bool = False) -> Path:
    """Generate the corpora (or reuse them) and return their folder."""
    mode = "quick" if quick else "full"
    folder = (root or default_dir()) / mode
    stamp = folder / "corpus.json"
    sizes = SIZES[mode]
    want = {"version": VERSION, **sizes}
    if stamp.is_file() and json.loads(stamp.read_text()) == want:
        return folder
    if folder.exists():
        shutil.rmtree(folder)
    (folder / "small").mkdir(parents=True)
    (folder / "medium").mkdir()
    rng = random.Random(20240501)
    for i in range(sizes["small"]):
        (folder / "small" / f"{i:05d}.xml").write_bytes(document(rng, rng.randint(1, 4)))
    for i in range(sizes["medium"]):
        (folder / "medium" / f"{i:03d}.xml").write_bytes(
            document(rng, sizes["medium_products"], start=i * 1000))
    _write_large(folder / "large.xml", rng, sizes["large_products"])
    shutil.copy(EXAMPLE / "contracts" / "marketing.sch", folder / "consumer.sch")
    shutil.copytree(EXAMPLE / "contracts" / "requests", folder / "requests")
    (folder / "fifty.sch").write_text(fifty_contract(), encoding="utf-8")
    shutil.copy(EXAMPLE / "schemas" / "products-v1.xsd", folder / "products.xsd")
    stamp.write_text(json.dumps(want))
    return folder


def main() -> None:
    """Build the corpora and say where they are."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dir", type=Path, help="cache folder (default: the system temp folder)")
    parser.add_argument("--quick", action="store_true", help="a tenth of each corpus")
    args = parser.parse_args()
    folder = build(args.dir, quick=args.quick)
    print(folder)


if __name__ == "__main__":
    main()
