"""``validate --format svrl`` writes SVRL that the project's SVRL schema accepts."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest
from click.testing import CliRunner
from lxml import etree

from cdcxml.cli import main

from .engine_support import DATA

ROOT = Path(__file__).resolve().parent.parent
SCHEMAS = ROOT / "schemas"
PRODUCTSEARCH = Path(__file__).resolve().parent / "data" / "productsearch"
SVRL = "http://purl.oclc.org/dsdl/svrl"
NS = {"svrl": SVRL}


class _SchemasOnly(etree.Resolver):
    """Lets the SVRL schema import the local xml.xsd and nothing else."""

    def resolve(self, url, pubid, context):
        target = Path(unquote(urlparse(url).path)).resolve()
        if target.is_relative_to(SCHEMAS):
            return self.resolve_filename(str(target), context)
        raise etree.XMLSchemaParseError(f"refused to load {url}")


@pytest.fixture(scope="module")
def svrl_schema() -> etree.XMLSchema:
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    parser.resolvers.add(_SchemasOnly())
    source = (SCHEMAS / "svrl.xsd").read_bytes()
    return etree.XMLSchema(etree.fromstring(source, parser,
                                            base_url=(SCHEMAS / "svrl.xsd").as_uri()).getroottree())


CASES = [
    # (contract, documents, phase, expected exit code)
    (DATA / "svrl" / "rich.sch", [DATA / "svrl" / "orders.xml"], None, 1),
    (DATA / "svrl" / "rich.sch", [DATA / "svrl" / "good.xml"], None, 0),
    (DATA / "rules" / "first-match.sch", [DATA / "rules" / "items.xml"], None, 1),
    (DATA / "contexts" / "node-kinds.sch", [DATA / "contexts" / "orders.xml"], None, 1),
    (DATA / "abstract" / "patterns.sch", [DATA / "abstract" / "orders.xml"], None, 1),
    (DATA / "include" / "main.sch", [DATA / "include" / "orders.xml"], None, 1),
    (DATA / "phases" / "phases.sch", [DATA / "phases" / "orders.xml"], "strict", 1),
    (DATA / "documents" / "catalogue.sch", [DATA / "documents" / "instance" / "orders.xml"],
     None, 1),
    (PRODUCTSEARCH / "contracts" / "reseller-web.sch",
     [PRODUCTSEARCH / "responses" / "v1.xml",
      PRODUCTSEARCH / "responses" / "broken-no-price.xml"], None, 1),
    (PRODUCTSEARCH / "contracts" / "marketing.sch", [PRODUCTSEARCH / "responses" / "v1.xml"],
     None, 0),
]


def _run(contract: Path, docs: list[Path], phase: str | None):
    args = ["validate", "--format", "svrl", "-c", str(contract)]
    if phase:
        args += ["--phase", phase]
    return CliRunner().invoke(main, [*args, *map(str, docs)], catch_exceptions=False)


def _reports(output: bytes) -> list[etree._Element]:
    root = etree.fromstring(output)
    if root.tag == f"{{{SVRL}}}schematron-output":
        return [root]
    return list(root.iter(f"{{{SVRL}}}schematron-output"))


@pytest.mark.parametrize(("contract", "docs", "phase", "code"), CASES,
                         ids=[f"{c.parent.name}/{c.name}-{d[0].stem}" for c, d, _, _ in CASES])
def test_svrl_output_is_valid_svrl(svrl_schema, contract, docs, phase, code):
    result = _run(contract, docs, phase)
    assert result.exit_code == code, result.output
    reports = _reports(result.stdout_bytes)
    assert len(reports) == len(docs)
    for report in reports:
        copy = etree.fromstring(etree.tostring(report))
        assert svrl_schema.validate(copy), [e.message for e in svrl_schema.error_log]


@pytest.mark.parametrize(("contract", "docs", "phase", "code"), CASES,
                         ids=[f"{c.parent.name}/{c.name}-{d[0].stem}" for c, d, _, _ in CASES])
def test_active_patterns_and_fired_rules_are_reported(contract, docs, phase, code):
    for report in _reports(_run(contract, docs, phase).stdout_bytes):
        assert report.findall("svrl:active-pattern", NS)
        assert report.findall("svrl:fired-rule", NS)
        if code == 0:
            assert not report.findall("svrl:failed-assert", NS)


def test_each_pattern_is_followed_by_its_own_fired_rules():
    (report,) = _reports(_run(DATA / "svrl" / "rich.sch", [DATA / "svrl" / "orders.xml"],
                              None).stdout_bytes)
    sequence = []
    for el in report:
        local = etree.QName(el).localname
        if local == "active-pattern":
            sequence.append((el.get("id"), []))
        elif local == "fired-rule":
            sequence[-1][1].append(el.get("context"))
    assert sequence == [("lines", ["o:line", "o:line"]), ("orders", ["o:order", "o:order"]),
                        ("nothing-fires", [])]


def test_failed_assert_carries_location_test_and_references():
    (report,) = _reports(_run(DATA / "svrl" / "rich.sch", [DATA / "svrl" / "orders.xml"],
                              None).stdout_bytes)
    failed = report.find("svrl:failed-assert[@id='has-price']", NS)
    assert failed.get("location") == "/o:orders[1]/o:order[1]/o:line[2]"
    assert failed.get("test") == "o:price"
    assert (failed.get("role"), failed.get("flag")) == ("error", "lines")
    assert failed.find("svrl:diagnostic-reference", NS).get("diagnostic") == "price-missing"
    assert failed.find("svrl:property-reference", NS).get("scheme") == "urn:example:sku"
    ns = {p.get("prefix"): p.get("uri")
          for p in report.findall("svrl:ns-prefix-in-attribute-values", NS)}
    assert ns == {"o": "urn:example:orders"}
    assert report.get("title") == "Orders: rich SVRL"
    assert report.get("schemaVersion") == "2.1"


def test_several_documents_are_wrapped_one_report_each(tmp_path):
    out = tmp_path / "report.svrl"
    result = CliRunner().invoke(main, [
        "validate", "--format", "svrl", "-o", str(out),
        "-c", str(PRODUCTSEARCH / "contracts" / "reseller-web.sch"),
        "-c", str(PRODUCTSEARCH / "contracts" / "marketing.sch"),
        str(PRODUCTSEARCH / "responses" / "v1.xml"),
        str(PRODUCTSEARCH / "responses" / "broken-no-price.xml")])
    assert result.exit_code == 1
    root = etree.fromstring(out.read_bytes())
    items = [(Path(i.get("document")).name, i.get("consumer")) for i in root]
    # documents in the order given, each with the contracts in the order given
    assert items == [("v1.xml", "reseller-web"), ("v1.xml", "marketing"),
                     ("broken-no-price.xml", "reseller-web"), ("broken-no-price.xml", "marketing")]


def test_an_informational_report_alone_does_not_fail(tmp_path):
    doc = tmp_path / "big.xml"
    doc.write_text('<orders xmlns="urn:example:orders"><order id="a" status="s">'
                   '<line sku="x" qty="9"><price>1</price></line></order></orders>')
    result = _run(DATA / "svrl" / "rich.sch", [doc], None)
    assert result.exit_code == 0, result.output
    (report,) = _reports(result.stdout_bytes)
    assert report.find("svrl:successful-report[@id='big']", NS).get("role") == "info"
