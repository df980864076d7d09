"""xsd2sch at the size of real schemas: generated schemas of UBL's and CDA's shape.

``python bench/xsd2sch_scale.py [--types N] [--no-write]`` generates, deterministically, two schemas
with hundreds of named types reused at many depths, and a valid instance of each:

- *UBL-shaped*: three namespaces (document, aggregates, basic components); every element global and
  referenced (``ref``) from the aggregates that use it; basic components of simple content with
  attributes; aggregates reused under many parents and nested a few levels deep.
- *CDA-shaped*: one namespace; local element declarations (``id``, ``code``, ``value``...) whose
  names come back in many types with different types, so only the parent tells them apart; a
  data type hierarchy by extension that ``xsi:type`` may pick from; a recursive section; one
  skip wildcard.

For each it measures the generated contract's size against the XSD's, the time to compile it
(cdcxml's engine, from scratch) and to validate the instance against lxml's XMLSchema on the same
instance (CPU time, parse included for both), and checks that the XSD and the contract both accept
the instance. The result goes into the "xsd2sch at scale" section of bench/README.md.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import textwrap
import time
from pathlib import Path

from lxml import etree
from readme import write_section  # noqa: E402 - a sibling in bench/

from cdcxml.contract import contract_from_bytes
from cdcxml.schematron import _CACHE
from cdcxml.xsd2sch import convert

README = Path(__file__).resolve().parent / "README.md"
HEADING = "## xsd2sch at scale"
XS = "http://www.w3.org/2001/XMLSchema"


def cpu(fn, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.process_time()
        fn()
        best = min(best, time.process_time() - start)
    return best


# -- a model of a schema: simple types, types with children, and values ----------------------------

SIMPLE = {
    "Code": ('<xs:restriction base="xs:token"><xs:enumeration value="A1"/>'
             '<xs:enumeration value="B2"/><xs:enumeration value="C3"/></xs:restriction>', "B2"),
    "Ref": ('<xs:restriction base="xs:string"><xs:pattern value="[A-Z]{2}-\\d{3}"/>'
            '</xs:restriction>', "AB-123"),
    "Qty": ('<xs:restriction base="xs:decimal"><xs:minInclusive value="0"/>'
            '<xs:maxInclusive value="99999"/><xs:fractionDigits value="3"/></xs:restriction>', "12.5"),
    "Count": ('<xs:restriction base="xs:nonNegativeInteger"><xs:maxInclusive value="500"/>'
              '</xs:restriction>', "7"),
    "Text": ('<xs:restriction base="xs:string"><xs:maxLength value="80"/></xs:restriction>',
             "some text"),
}
BUILTIN = {"xs:date": "2024-05-01", "xs:boolean": "true", "xs:dateTime": "2024-05-01T10:00:00Z"}


class Shape:
    """Named complex types, each a sequence of (name, type, min, max) children."""

    def __init__(self, rng: random.Random, n: int, *, leaf_names: list[str], local_names: bool):
        self.rng = rng
        self.types: dict[str, list[tuple[str, str, int, int | None]]] = {}
        self.attrs: dict[str, list[tuple[str, str, bool]]] = {}
        self.leaf_names = leaf_names
        self.local_names = local_names
        self.n = n

    def value(self, t: str) -> str:
        return SIMPLE[t][1] if t in SIMPLE else BUILTIN[t]


def ubl(rng: random.Random, n: int) -> tuple[dict[str, bytes], str, bytes]:
    """Files of a UBL-shaped schema, the main file's name, and a valid instance."""
    simple = list(SIMPLE) + list(BUILTIN)
    basics = {f"B{i}": rng.choice(simple) for i in range(n // 2)}  # element -> value type
    basic_attrs = {b: rng.random() < 0.4 for b in basics}
    aggs: dict[str, list[tuple[str, int, int | None]]] = {}
    names = [f"A{i}" for i in range(n // 2)]
    for i, a in enumerate(names):
        kids = []
        for b in rng.sample(sorted(basics), rng.randint(3, 8)):
            kids.append((f"cbc:{b}", rng.choice([0, 0, 1]), rng.choice([1, 1, None])))
        # Aggregates reuse later aggregates: a DAG, deep and wide.
        later = names[i + 1:]
        for a2 in rng.sample(later, min(len(later), rng.randint(0, 3))):
            kids.append((f"cac:{a2}", 0, rng.choice([1, None])))
        aggs[a] = kids
    cbc = [f'<xs:schema xmlns:xs="{XS}" xmlns="urn:bench:cbc" targetNamespace="urn:bench:cbc" '
           'elementFormDefault="qualified" attributeFormDefault="unqualified">']
    for t, (body, _) in SIMPLE.items():
        cbc.append(f'<xs:simpleType name="{t}">{body}</xs:simpleType>')
    for b, t in basics.items():
        base = t if t.startswith("xs:") else t
        attr = ('<xs:attribute name="listID" type="xs:token"/><xs:attribute name="unit" '
                'type="Code" use="required"/>') if basic_attrs[b] else ""
        cbc.append(f'<xs:complexType name="{b}Type"><xs:simpleContent><xs:extension base="{base}">'
                   f'{attr}</xs:extension></xs:simpleContent></xs:complexType>')
        cbc.append(f'<xs:element name="{b}" type="{b}Type"/>')
    cbc.append("</xs:schema>")
    cac = [f'<xs:schema xmlns:xs="{XS}" xmlns="urn:bench:cac" xmlns:cbc="urn:bench:cbc" '
           'xmlns:cac="urn:bench:cac" targetNamespace="urn:bench:cac" '
           'elementFormDefault="qualified"><xs:import namespace="urn:bench:cbc" '
           'schemaLocation="cbc.xsd"/>']
    for a, kids in aggs.items():
        seq = "".join(f'<xs:element ref="{k}" minOccurs="{lo}" maxOccurs="{hi or "unbounded"}"/>'
                      for k, lo, hi in kids)
        cac.append(f'<xs:complexType name="{a}Type"><xs:sequence>{seq}</xs:sequence>'
                   f'</xs:complexType><xs:element name="{a}" type="{a}Type"/>')
    cac.append("</xs:schema>")
    top = rng.sample(names[: len(names) // 3], 12)
    doc_kids = "".join(f'<xs:element ref="cac:{a}" minOccurs="0" maxOccurs="unbounded"/>'
                       for a in top)
    main = (f'<xs:schema xmlns:xs="{XS}" xmlns="urn:bench:doc" xmlns:cac="urn:bench:cac" '
            'xmlns:cbc="urn:bench:cbc" targetNamespace="urn:bench:doc" '
            'elementFormDefault="qualified"><xs:import namespace="urn:bench:cac" '
            'schemaLocation="cac.xsd"/><xs:import namespace="urn:bench:cbc" '
            'schemaLocation="cbc.xsd"/><xs:element name="Invoice" type="InvoiceType"/>'
            '<xs:complexType name="InvoiceType"><xs:sequence><xs:element ref="cbc:B0"/>'
            f'{doc_kids}</xs:sequence></xs:complexType></xs:schema>')

    def basic(b: str) -> str:
        attr = ' unit="A1"' if basic_attrs[b] else ""
        return f"<cbc:{b}{attr}>{_value(basics[b])}</cbc:{b}>"

    def agg(a: str, depth: int) -> str:
        parts = []
        for k, lo, hi in aggs[a]:
            prefix, name = k.split(":")
            count = lo if depth > 4 else max(lo, min(hi or 2, rng.randint(0, 2)))
            for _ in range(count):
                parts.append(basic(name) if prefix == "cbc" else agg(name, depth + 1))
        return f"<cac:{a}>{''.join(parts)}</cac:{a}>"

    body = [basic("B0")]
    for a in top:
        body.extend(agg(a, 1) for _ in range(2))
    doc = ('<Invoice xmlns="urn:bench:doc" xmlns:cac="urn:bench:cac" xmlns:cbc="urn:bench:cbc">'
           + "".join(body) + "</Invoice>")
    files = {"doc.xsd": main.encode(), "cac.xsd": "".join(cac).encode(),
             "cbc.xsd": "".join(cbc).encode()}
    return files, "doc.xsd", doc.encode()


def _value(t: str) -> str:
    return SIMPLE[t][1] if t in SIMPLE else BUILTIN[t]


DATATYPES = """
<xs:complexType name="ANY" abstract="true"/>
<xs:complexType name="II"><xs:complexContent><xs:extension base="ANY">
  <xs:attribute name="root" type="Ref" use="required"/><xs:attribute name="extension" type="xs:string"/>
</xs:extension></xs:complexContent></xs:complexType>
<xs:complexType name="CD"><xs:complexContent><xs:extension base="ANY"><xs:sequence>
  <xs:element name="originalText" type="xs:string" minOccurs="0"/>
  <xs:element name="translation" type="CD" minOccurs="0" maxOccurs="unbounded"/>
</xs:sequence><xs:attribute name="code" type="xs:token"/><xs:attribute name="codeSystem" type="Ref"/>
</xs:extension></xs:complexContent></xs:complexType>
<xs:complexType name="CE"><xs:complexContent><xs:extension base="CD">
  <xs:attribute name="displayName" type="Text"/></xs:extension></xs:complexContent></xs:complexType>
<xs:complexType name="CV"><xs:complexContent><xs:extension base="CE">
  <xs:attribute name="version" type="Count"/></xs:extension></xs:complexContent></xs:complexType>
<xs:complexType name="PQ"><xs:complexContent><xs:extension base="ANY">
  <xs:attribute name="value" type="Qty" use="required"/><xs:attribute name="unit" type="Code"/>
</xs:extension></xs:complexContent></xs:complexType>
<xs:complexType name="TS"><xs:complexContent><xs:extension base="ANY">
  <xs:attribute name="value" type="xs:dateTime"/></xs:extension></xs:complexContent></xs:complexType>
<xs:complexType name="ST"><xs:simpleContent><xs:extension base="Text">
  <xs:attribute name="language" type="xs:language"/></xs:extension></xs:simpleContent></xs:complexType>
<xs:complexType name="Section"><xs:sequence>
  <xs:element name="id" type="II" minOccurs="0"/><xs:element name="code" type="CE"/>
  <xs:element name="title" type="ST" minOccurs="0"/>
  <xs:element name="text" minOccurs="0"><xs:complexType mixed="true"><xs:sequence>
    <xs:any processContents="skip" minOccurs="0" maxOccurs="unbounded"/></xs:sequence>
  </xs:complexType></xs:element>
  <xs:element name="entry" type="Entry" minOccurs="0" maxOccurs="unbounded"/>
  <xs:element name="component" minOccurs="0" maxOccurs="unbounded"><xs:complexType><xs:sequence>
    <xs:element name="section" type="Section"/></xs:sequence></xs:complexType></xs:element>
</xs:sequence></xs:complexType>
"""
DATA_VALUES = {
    "II": '<{n} root="AB-123" extension="x"/>', "CE": '<{n} code="x1" displayName="d"/>',
    "CV": '<{n} code="x1" version="2"/>', "PQ": '<{n} value="3.5" unit="A1"/>',
    "TS": '<{n} value="2024-05-01T10:00:00Z"/>', "ST": "<{n}>text</{n}>",
}


def cda(rng: random.Random, n: int) -> tuple[dict[str, bytes], str, bytes]:
    """A CDA-shaped schema, its file name, and a valid instance."""
    reused = ["id", "code", "value", "effectiveTime", "statusCode", "title", "quantity", "name"]
    data = list(DATA_VALUES)
    classes = [f"C{i}" for i in range(n)]
    model: dict[str, list[tuple[str, str, int, int | None]]] = {}
    for i, c in enumerate(classes):
        kids = []
        for name in rng.sample(reused, rng.randint(2, 5)):
            kids.append((name, rng.choice(data), rng.choice([0, 1]), 1))
        later = classes[i + 1:]
        for j, c2 in enumerate(rng.sample(later, min(len(later), rng.randint(0, 3)))):
            # Role names shared by many classes, pointing at different classes.
            kids.append((rng.choice(["participant", "entryRelationship", "subject", f"r{j}"]),
                         c2, 0, rng.choice([1, None])))
        seen = set()
        model[c] = [k for k in kids if not (k[0] in seen or seen.add(k[0]))]
    parts = [f'<xs:schema xmlns:xs="{XS}" xmlns="urn:bench:v3" targetNamespace="urn:bench:v3" '
             'elementFormDefault="qualified">']
    for t, (body, _) in SIMPLE.items():
        parts.append(f'<xs:simpleType name="{t}">{body}</xs:simpleType>')
    parts.append(DATATYPES)
    for c, kids in model.items():
        seq = "".join(f'<xs:element name="{k}" type="{t}" minOccurs="{lo}" '
                      f'maxOccurs="{hi or "unbounded"}"/>' for k, t, lo, hi in kids)
        parts.append(f'<xs:complexType name="{c}"><xs:sequence>{seq}</xs:sequence>'
                     f'<xs:attribute name="classCode" type="Code"/></xs:complexType>')
    top = classes[: 10]
    entry = "".join(f'<xs:element name="e{i}" type="{c}" minOccurs="0"/>' for i, c in enumerate(top))
    parts.append(f'<xs:complexType name="Entry"><xs:choice>{entry}</xs:choice></xs:complexType>')
    parts.append('<xs:element name="ClinicalDocument"><xs:complexType><xs:sequence>'
                 '<xs:element name="id" type="II"/><xs:element name="code" type="CE"/>'
                 '<xs:element name="section" type="Section" maxOccurs="unbounded"/>'
                 '</xs:sequence></xs:complexType></xs:element></xs:schema>')

    def datum(name: str, t: str) -> str:
        return DATA_VALUES[t].format(n=name)

    def klass(name: str, c: str, depth: int) -> str:
        out = []
        for k, t, lo, hi in model[c]:
            count = lo if depth > 5 else max(lo, min(hi or 2, rng.randint(0, 2)))
            for _ in range(count):
                out.append(klass(k, t, depth + 1) if t in model else datum(k, t))
        return f'<{name} classCode="A1">{"".join(out)}</{name}>'

    def section(depth: int) -> str:
        entries = "".join(f"<entry>{klass(f'e{i}', c, 1)}</entry>" for i, c in enumerate(top))
        inner = f"<component>{section(depth + 1)}</component>" if depth < 2 else ""
        return (f'<section><id root="AB-123"/><code code="s" xsi:type="CV" version="1"/>'
                f'<title>t</title><text>free <b>text</b><id>not an II</id></text>{entries}'
                f"{inner}</section>")

    doc = ('<ClinicalDocument xmlns="urn:bench:v3" '
           'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><id root="AB-123"/>'
           '<code code="c"/>' + section(0) + section(0) + "</ClinicalDocument>")
    return {"cda.xsd": "".join(parts).encode()}, "cda.xsd", doc.encode()


def measure(label: str, files: dict[str, bytes], main: str, doc: bytes, folder: Path) -> dict:
    for name, data in files.items():
        (folder / name).write_bytes(data)
    xsd_path = folder / main
    xsd_bytes = sum(len(d) for d in files.values())
    start = time.process_time()
    conversion = convert(xsd_path)
    write_s = time.process_time() - start
    sch = conversion.schematron

    def compile_once() -> None:
        _CACHE.clear()
        contract_from_bytes(sch, name=label).compiled()

    compile_s = cpu(compile_once, 3)
    contract = contract_from_bytes(sch, name=label)
    contract.compiled()
    xsd = etree.XMLSchema(etree.parse(str(xsd_path)))
    assert xsd.validate(etree.fromstring(doc)), xsd.error_log
    report = contract.validate(doc)
    assert report.valid, [(f.id, f.message) for f in report.failures][:5]
    n = 20
    ours = cpu(lambda: [contract.validate(doc) for _ in range(n)], 3) / n
    lxml_s = cpu(lambda: [xsd.validate(etree.fromstring(doc)) for _ in range(n)], 3) / n
    return {
        "label": label, "xsd_kb": xsd_bytes / 1000, "sch_kb": len(sch) / 1000,
        "ratio": len(sch) / xsd_bytes, "rules": conversion.rules,
        "asserts": conversion.assertions, "write_s": write_s, "compile_s": compile_s,
        "doc_kb": len(doc) / 1000, "ours_ms": ours * 1000, "lxml_ms": lxml_s * 1000,
        "vratio": ours / lxml_s,
    }


def section(rows: list[dict], types: int) -> str:
    lines = ["| schema | XSD | contract | × XSD | rules / asserts | write | compile | instance | "
             "validate | lxml XMLSchema | × lxml |",
             "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for r in rows:
        lines.append(f"| {r['label']} | {r['xsd_kb']:.0f} KB | {r['sch_kb']:.0f} KB | "
                     f"{r['ratio']:.2f} | {r['rules']} / {r['asserts']} | {r['write_s']:.2f} s | "
                     f"{r['compile_s']:.2f} s | {r['doc_kb']:.0f} KB | {r['ours_ms']:.1f} ms | "
                     f"{r['lxml_ms']:.1f} ms | {r['vratio']:.2f} |")
    targets = []
    for r in rows:
        for ok, text in ((r["ratio"] <= 5, f"contract ≤ 5× the XSD: {r['ratio']:.2f}×"),
                         (r["compile_s"] <= 1, f"compile ≤ 1 s: {r['compile_s']:.2f} s"),
                         (r["vratio"] <= 3, f"validate ≤ 3× lxml XMLSchema: {r['vratio']:.2f}×")):
            targets.append(f"- {'met' if ok else '**missed**'}: {r['label']}, {text}")
    intro = textwrap.fill(
        "`python bench/xsd2sch_scale.py` generates a UBL-shaped and a CDA-shaped schema "
        f"(about {types} named types each, reused at many depths; see the script's docstring) "
        "and a valid instance of each, converts the schema in full mode, and measures the "
        "contract's size, its compile time in cdcxml's engine (from scratch) and the CPU time to "
        "parse and validate the instance, beside lxml's XMLSchema parsing and validating the "
        "same instance. Both accept the instance.", width=100)
    return "\n\n".join([HEADING, intro, "\n".join(lines), "Targets:", "\n".join(targets)]) + "\n"


def write_readme(section: str) -> None:
    write_section(HEADING, section)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--types", type=int, default=300, help="named types per schema")
    parser.add_argument("--no-write", action="store_true", help="print only; leave README.md")
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for label, make in (("UBL-shaped", ubl), ("CDA-shaped", cda)):
            folder = Path(tmp) / label
            folder.mkdir()
            files, main_file, doc = make(random.Random(2024), args.types)
            rows.append(measure(label, files, main_file, doc, folder))
            print(rows[-1], file=sys.stderr, flush=True)
    text = section(rows, args.types)
    print(text)
    if not args.no_write:
        write_readme(text)


if __name__ == "__main__":
    main()
