"""Obligations on 50 generated ProductSearch samples × 3 contracts: how long the mutation matrix takes.

Run from anywhere: ``python bench/obligations_bench.py [--samples N]``. Prints one result line.
"""

from __future__ import annotations

import argparse
import random
import time
from pathlib import Path

from cdcxml import xmlio
from cdcxml.analysis import find_obligations
from cdcxml.contract import contract_from_bytes, load_contract

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "productsearch"

STOCK_CONTRACT = b"""<?xml version="1.0" encoding="utf-8"?>
<sch:schema xmlns:sch="http://purl.oclc.org/dsdl/schematron" queryBinding="xslt">
  <sch:ns prefix="p" uri="urn:example.com:productsearch:products"/>
  <sch:pattern id="stock">
    <sch:rule context="p:Product">
      <sch:assert id="in-stock" test="p:InStock = 'Yes' or p:InStock = 'No'">InStock is Yes or No</sch:assert>
      <sch:assert id="currency" test="not(p:Price/@currency) or string-length(p:Price/@currency) = 3"
        >A currency is a three-letter code</sch:assert>
    </sch:rule>
  </sch:pattern>
</sch:schema>
"""


def sample(rng: random.Random, index: int) -> bytes:
    """A search result of 5 to 20 products, some with a currency and a Description."""
    products = []
    for n in range(rng.randint(5, 20)):
        currency = ' currency="EUR"' if rng.random() < 0.5 else ""
        extension = ("<Extension><Description>Item {n}</Description></Extension>"
                     if rng.random() < 0.3 else "")
        products.append(
            f"<Product><CatalogueID>{index * 100 + n}</CatalogueID><Name>Item {n}</Name>"
            f"<Price{currency}>{rng.randint(1, 999)}.{rng.randint(0, 99):02d}</Price>"
            f"<Manufacturer>Company {rng.choice('ABC')}</Manufacturer>"
            f"<InStock>{rng.choice(['Yes', 'No'])}</InStock>{extension}</Product>")
    body = "".join(products)
    return (f'<Products xmlns="urn:example.com:productsearch:products">{body}</Products>').encode()


def main() -> None:
    """Generate the samples, run the analysis once, print the time."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=50)
    args = parser.parse_args()
    rng = random.Random(5)
    samples = [(f"sample-{i}.xml", xmlio.parse_bytes(sample(rng, i), f"sample-{i}.xml"))
               for i in range(args.samples)]
    contracts = [load_contract(EXAMPLE / "contracts" / "marketing.sch"),
                 load_contract(EXAMPLE / "contracts" / "reseller-web.sch"),
                 contract_from_bytes(STOCK_CONTRACT, name="stock-checker")]
    start = time.perf_counter()
    for c in contracts:
        c.compiled(None)
    compiled = time.perf_counter()
    result = find_obligations(contracts, samples)
    done = time.perf_counter()
    elements = sum(1 for _, tree in samples for _ in tree.iter())
    print(f"obligations: {len(samples)} samples ({elements} elements) x {len(contracts)} contracts, "
          f"{len(result.paths)} paths: {done - start:.2f} s "
          f"(compile {compiled - start:.2f} s, mutate and re-run {done - compiled:.2f} s)")


if __name__ == "__main__":
    main()
