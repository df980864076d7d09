"""Green means checked: a document that gives a consumer nothing it checks fails, in every command.

The ProductSearch example's two consumers against three answers that used to pass: ``<x/>``, a
result whose Product elements were renamed to Item, and a SOAP 1.2 envelope where the consumers
speak SOAP 1.1. Each fails for both consumers in ``validate``, ``verify`` (a provider on 127.0.0.1)
and ``batch``, naming the consumer and what matched nothing; the example's own answers still pass.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from lxml import etree

from cdcxml import load_contract
from cdcxml.contract import contract_from_bytes

from .helpers import cli as cdcxml
from .verify_support import EXAMPLE, FakeProvider, Reply

CONTRACTS = EXAMPLE / "contracts"
RESPONSES = EXAMPLE / "responses"
CONSUMERS = ("marketing", "reseller-web")
# What each consumer's finding names: the pattern that matched nothing, or the envelope check.
PATTERNS = {"marketing": "[search-results]", "reseller-web": "[Validate search results]"}
SOAP11 = b"http://schemas.xmlsoap.org/soap/envelope/"
SOAP12 = b"http://www.w3.org/2003/05/soap-envelope"


def renamed(data: bytes) -> bytes:
    return data.replace(b"<Product>", b"<Item>").replace(b"</Product>", b"</Item>")


BAD = {
    "x": b"<x/>\n",
    "item-renamed": renamed((RESPONSES / "v1.xml").read_bytes()),
    "soap12": (RESPONSES / "soap" / "v1.xml").read_bytes().replace(SOAP11, SOAP12),
}
# verify sends SOAP 1.1 requests, so its provider wraps the renamed result in a 1.1 envelope.
BAD_ANSWERS = {**BAD, "item-renamed": renamed((RESPONSES / "soap" / "v1.xml").read_bytes())}


@pytest.fixture
def bad_files(tmp_path):
    paths = {}
    for name, data in BAD.items():
        paths[name] = tmp_path / f"{name}.xml"
        paths[name].write_bytes(data)
    return paths


# -- validate -----------------------------------------------------------------------------------

@pytest.mark.parametrize("case", sorted(BAD))
def test_validate_fails_every_consumer(case, bad_files):
    result = cdcxml("validate", "-c", CONTRACTS, bad_files[case])
    assert result.exit_code == 1, result.output
    lines = result.stdout.splitlines()
    for consumer in CONSUMERS:
        [line] = [ln for ln in lines if f": {consumer}: " in ln]
        if case == "soap12":
            assert line.endswith("[soap-version]")
            assert "SOAP 1.2 envelope; the contract's requests are SOAP 1.1" in line
        else:
            assert line.endswith(PATTERNS[consumer])
            assert "matched nothing (rule context " in line


def test_the_vacuous_finding_reads_as_documented(bad_files):
    result = cdcxml("validate", "-c", CONTRACTS / "marketing.sch", bad_files["x"])
    assert result.stdout.splitlines()[0] == (
        f"{bad_files['x']}:1: marketing: pattern search-results matched nothing "
        "(rule context p:Product found no node) [search-results]")
    data = json.loads(cdcxml("validate", "--format", "json", "-c", CONTRACTS / "marketing.sch",
                             bad_files["item-renamed"]).stdout)
    [failure] = data["documents"][0]["contracts"][0]["failures"]
    assert (failure["kind"], failure["pattern"], failure["line"]) == ("vacuous", "search-results", 2)


def test_validate_passes_the_examples_own_responses():
    result = cdcxml("validate", "-c", CONTRACTS, RESPONSES / "v1.xml", RESPONSES / "soap" / "v1.xml",
                    RESPONSES / "v2-description.xml")
    assert result.exit_code == 0, result.output


def test_svrl_output_stays_plain_schematron(bad_files):
    result = cdcxml("validate", "--format", "svrl", "-c", CONTRACTS, bad_files["x"])
    assert result.exit_code == 0, result.output
    assert b"vacuous" not in result.stdout_bytes
    assert cdcxml("validate", "--format", "svrl", "--require-match", "-c", CONTRACTS,
                  bad_files["x"]).exit_code == 2


# -- plain Schematron and cdc:optional ----------------------------------------------------------

PLAIN = b"""<schema xmlns="http://purl.oclc.org/dsdl/schematron">
  <pattern id="orders"><rule context="order"><assert test="@id">id</assert></rule></pattern>
</schema>"""


def test_plain_schematron_keeps_standard_semantics_unless_asked(tmp_path, bad_files):
    sch = tmp_path / "plain.sch"
    sch.write_bytes(PLAIN)
    assert cdcxml("validate", "-c", sch, bad_files["x"]).exit_code == 0
    strict = cdcxml("validate", "--require-match", "-c", sch, bad_files["x"])
    assert strict.exit_code == 1
    assert "pattern orders matched nothing (rule context order found no node) [orders]" in (
        strict.stdout)


def _contract(body: str) -> bytes:
    return f"""<sch:schema xmlns:sch="http://purl.oclc.org/dsdl/schematron"
        xmlns:cdc="urn:cdcxml:contract:1">
      <cdc:contract consumer="c"/>
      {body}
    </sch:schema>""".encode()


@pytest.mark.parametrize(("body", "vacuous"), [
    ('<sch:pattern id="p"><sch:rule context="order"><sch:assert test="@id">i</sch:assert>'
     '</sch:rule></sch:pattern>', ["p"]),
    ('<sch:pattern id="p" cdc:optional="true"><sch:rule context="order">'
     '<sch:assert test="@id">i</sch:assert></sch:rule></sch:pattern>', []),
    # An optional rule does not count; the pattern's other rule still must match.
    ('<sch:pattern id="p"><sch:rule context="order" cdc:optional="true">'
     '<sch:assert test="@id">i</sch:assert></sch:rule><sch:rule context="x">'
     '<sch:assert test="true()">t</sch:assert></sch:rule></sch:pattern>', []),
    ('<sch:pattern id="p"><sch:rule context="order" cdc:optional="true">'
     '<sch:assert test="@id">i</sch:assert></sch:rule><sch:rule context="invoice">'
     '<sch:assert test="true()">t</sch:assert></sch:rule></sch:pattern>', ["p"]),
    # With a variable no pre-check applies: the stylesheet records what fired.
    ('<sch:let name="n" value="1"/><sch:pattern id="p"><sch:rule context="order">'
     '<sch:assert test="$n = 1">i</sch:assert></sch:rule></sch:pattern>', ["p"]),
    ('<sch:phase id="only"><sch:active pattern="q"/></sch:phase>'
     '<sch:pattern id="p"><sch:rule context="order"><sch:assert test="@id">i</sch:assert>'
     '</sch:rule></sch:pattern><sch:pattern id="q"><sch:rule context="x">'
     '<sch:assert test="true()">t</sch:assert></sch:rule></sch:pattern>', []),
])
def test_which_patterns_are_vacuous(body, vacuous):
    contract = contract_from_bytes(_contract(body))
    phase = "only" if "sch:phase" in body else None
    report = contract.validate(etree.ElementTree(etree.fromstring(b"<x/>")), phase=phase)
    assert [f.pattern for f in report.findings if f.kind == "vacuous"] == vacuous
    assert report.valid is (not vacuous)


def test_a_subordinate_document_pattern_must_match_in_that_document(tmp_path):
    (tmp_path / "other.xml").write_bytes(b"<other><order/></other>")
    body = ('<sch:pattern id="p" documents="\'other.xml\'"><sch:rule context="{}">'
            '<sch:assert test="true()">t</sch:assert></sch:rule></sch:pattern>')
    for context, vacuous in (("order", []), ("invoice", ["p"])):
        sch = tmp_path / f"{context}.sch"
        sch.write_bytes(_contract(body.format(context)))
        doc = etree.fromstring(b"<x/>", base_url=(tmp_path / "doc.xml").as_uri())
        report = load_contract(sch).validate(etree.ElementTree(doc))
        assert [f.pattern for f in report.findings if f.kind == "vacuous"] == vacuous


def test_lint_with_samples_reports_vacuous_patterns(bad_files):
    result = cdcxml("lint", "--sample", bad_files["x"], CONTRACTS / "marketing.sch")
    assert result.exit_code == 1
    assert "error: pattern search-results matches nothing in the sample documents" in (
        result.stdout)
    clean = cdcxml("lint", "--sample", RESPONSES / "v1.xml", CONTRACTS / "marketing.sch")
    assert clean.exit_code == 0, clean.output


# -- verify -------------------------------------------------------------------------------------

@pytest.fixture
def provider():
    p = FakeProvider().start()
    yield p
    p.close()


@pytest.mark.parametrize("case", sorted(BAD_ANSWERS))
def test_verify_fails_every_consumer(case, provider):
    provider.routes["/ProductSearch"] = Reply(200, BAD_ANSWERS[case])
    result = cdcxml("verify", "--base-url", provider.url, "-c", CONTRACTS)
    assert result.exit_code == 1, result.output
    out = result.stdout
    for consumer in CONSUMERS:
        assert f"FAIL  {consumer} / search-widgets" in out
    if case == "soap12":
        assert out.count("      a SOAP 1.1 request was answered by a SOAP 1.2 envelope\n") == 2
    elif case == "x":
        assert out.count("      a SOAP 1.1 request was answered by 'x', not a SOAP envelope\n") == 2
    if case != "soap12":
        assert "search-results (line " in out and ": pattern search-results matched nothing" in out
        assert ": pattern Validate search results matched nothing" in out


def test_verify_passes_the_examples_own_response(provider):
    provider.routes["/ProductSearch"] = Reply(200, (RESPONSES / "soap" / "v1.xml").read_bytes())
    result = cdcxml("verify", "--base-url", provider.url, "-c", CONTRACTS)
    assert result.exit_code == 0, result.output


def test_verify_requires_a_match_even_without_cdc_contract(tmp_path, provider):
    # A file used as a contract by verify must match, whatever it declares.
    sch = tmp_path / "bare.sch"
    sch.write_bytes(b"""<sch:schema xmlns:sch="http://purl.oclc.org/dsdl/schematron"
        xmlns:cdc="urn:cdcxml:contract:1">
      <cdc:interaction id="get"><cdc:request method="GET" path="/thing"/></cdc:interaction>
      <sch:pattern id="things"><sch:rule context="thing"><sch:assert test="@id">id</sch:assert>
      </sch:rule></sch:pattern></sch:schema>""")
    provider.routes["/thing"] = Reply(200, b"<nothing/>", "application/xml")
    result = cdcxml("verify", "--base-url", provider.url, "-c", sch)
    assert result.exit_code == 1
    assert "pattern things matched nothing" in result.stdout


# -- batch --------------------------------------------------------------------------------------

def test_batch_fails_every_consumer_on_each_bad_document(bad_files):
    result = cdcxml("batch", "--format", "jsonl", "-j", "1", "-c", CONTRACTS,
                    *bad_files.values())
    assert result.exit_code == 1, result.output
    docs = {Path(d["path"]).stem: d for d in map(json.loads, result.stdout.splitlines())}
    for case in BAD:
        assert docs[case]["valid"] is False
        for c in docs[case]["contracts"]:
            assert c["consumer"] in CONSUMERS and not c["valid"]
            [failure] = c["failures"]
            assert failure["kind"] == ("envelope" if case == "soap12" else "vacuous")


def test_batch_passes_the_examples_own_responses():
    result = cdcxml("batch", "-j", "1", "-c", CONTRACTS, RESPONSES / "v1.xml",
                    RESPONSES / "soap" / "v1.xml")
    assert result.exit_code == 0, result.output


MIXED = b"""<sch:schema xmlns:sch="http://purl.oclc.org/dsdl/schematron" queryBinding="xslt">
  <sch:ns prefix="p" uri="urn:example.com:productsearch:products"/>
  <sch:pattern id="names"><sch:rule context="p:Product | //p:Name">
    <sch:assert test="true()">x</sch:assert></sch:rule></sch:pattern>
  <sch:pattern id="plain"><sch:rule context="Product">
    <sch:assert test="true()">x</sch:assert></sch:rule></sch:pattern>
  <sch:pattern id="paths"><sch:rule context="p:Products/p:Product">
    <sch:assert test="true()">x</sch:assert></sch:rule></sch:pattern>
</sch:schema>"""


@pytest.mark.parametrize("document", sorted(RESPONSES.glob("*.xml")), ids=lambda p: p.name)
def test_patterns_found_by_element_name_fire_as_their_xpath_says(document):
    """A context of element names is answered by lxml's iter: the same patterns are silent as
    with the XPath, on every example response and on one that holds no product."""
    contract = contract_from_bytes(MIXED, name="mixed").requiring_match()
    one = contract_from_bytes(MIXED.replace(b' id="paths"', b' id="p2"').replace(
        b"p:Products/p:Product", b"p:Product"), name="names-only").requiring_match()
    for c in (contract, one):
        compiled = c.compiled()
        assert compiled.fired is not None
        tree = etree.parse(str(document))
        empty = etree.ElementTree(etree.fromstring(
            b'<Products xmlns="urn:example.com:productsearch:products"/>'))
        for t in (tree, empty):
            by_names = compiled._silent_by_xpath(t)
            names, compiled.fired_names = compiled.fired_names, None
            try:
                assert compiled._silent_by_xpath(t) == by_names
            finally:
                compiled.fired_names = names
    assert contract.compiled().fired_names is None  # a path is not an element name
    assert one.compiled().fired_names is not None
    assert [f.id for f in one.validate(empty).findings if f.kind == "vacuous"] == ["names", "plain",
                                                                                   "p2"]
