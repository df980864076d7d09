"""Query bindings, Schematron 1.5 (the seed article's contract), sch:group and xsl:key."""

from __future__ import annotations

from pathlib import Path

import pytest

from cdcxml import load_contract
from cdcxml.errors import QueryBindingError, SchematronError

from .engine_support import engine_contract, engine_doc, write_contract

PRODUCTSEARCH = Path(__file__).resolve().parent / "data" / "productsearch"
BODY = """
  <sch:pattern id="p">
    <sch:rule context="item">
      <sch:assert id="priced" test="exsl:object-type(price) = 'node-set' and price">no price</sch:assert>
    </sch:rule>
  </sch:pattern>"""
EXSL_NS = {"exsl": "http://exslt.org/common"}


@pytest.mark.parametrize("binding", [None, "xslt", "xslt1", "exslt", "xpath"])
def test_xpath_1_bindings_run(tmp_path, binding):
    body = BODY if binding != "xpath" else BODY.replace(
        "exsl:object-type(price) = 'node-set' and price", "price")
    contract = write_contract(tmp_path, body, binding=binding, ns=EXSL_NS)
    report = contract.validate(b"<r><item><price>1</price></item><item/></r>")
    assert [(f.id, f.location.xpath) for f in report.findings] == [("priced", "/r[1]/item[2]")]


@pytest.mark.parametrize("binding", ["xslt2", "xslt3", "xpath2", "xpath3", "xpath31"])
def test_xpath_2_and_later_bindings_are_refused_by_name(tmp_path, binding):
    contract = write_contract(tmp_path, BODY, binding=binding, ns=EXSL_NS)
    with pytest.raises(QueryBindingError) as err:
        contract.validate(b"<r/>")
    assert f"queryBinding {binding!r} is not supported" in err.value.message
    assert err.value.path.endswith("contract.sch") and err.value.line == 1


@pytest.mark.parametrize("binding", ["javascript", "xslt4", "sql"])
def test_unknown_bindings_are_refused_by_name(tmp_path, binding):
    contract = write_contract(tmp_path, BODY, binding=binding, ns=EXSL_NS)
    with pytest.raises(QueryBindingError, match=f"unknown queryBinding '{binding}'"):
        contract.check()


def test_binding_errors_are_schematron_errors():
    assert issubclass(QueryBindingError, SchematronError)


# -- Schematron 1.5: the seed article's reseller contract, verbatim ------------------------------

RESELLER = PRODUCTSEARCH / "contracts" / "reseller-web.sch"


def test_seed_contract_is_schematron_1_5_as_the_article_wrote_it():
    text = RESELLER.read_text(encoding="utf-8")
    assert 'xmlns="http://www.ascc.net/xml/schematron"' in text
    assert '<pattern name="Validate search results">' in text
    assert '<rule context="*//p:Product">' in text


def test_seed_contract_reports_the_missing_price_of_the_second_product():
    report = load_contract(RESELLER).validate(PRODUCTSEARCH / "responses" / "broken-no-price.xml")
    assert not report.valid
    (f,) = report.findings
    assert f.message == "Must contain Price node"
    assert f.test == "p:Price"
    assert f.location.xpath == "/p:Products[1]/p:Product[2]"
    assert f.location.line == 10


@pytest.mark.parametrize("doc", ["v1.xml", "v2-description.xml", "v3-no-instock.xml"])
def test_seed_contract_passes_documents_with_every_field_it_needs(doc):
    report = load_contract(RESELLER).validate(PRODUCTSEARCH / "responses" / doc)
    assert report.valid and report.findings == ()


def test_seed_contract_pattern_name_and_title_survive_the_upgrade():
    compiled = load_contract(RESELLER).compiled()
    assert compiled.schema.edition == "1.5"
    assert compiled.schema.title == "ProductSearch"
    assert [p.name for p in compiled.schema.patterns] == ["Validate search results"]


def test_schematron_1_5_report_and_diagnostics(tmp_path):
    path = tmp_path / "old.sch"
    path.write_text("""<schema xmlns="http://www.ascc.net/xml/schematron">
  <ns uri="urn:x" prefix="x"/>
  <pattern name="Legacy">
    <rule context="x:item">
      <report test="@old" diagnostics="why">item <value-of select="@id"/> is old</report>
    </rule>
  </pattern>
  <diagnostics><diagnostic id="why">drop <name/></diagnostic></diagnostics>
</schema>""")
    report = load_contract(path).validate(b'<x:r xmlns:x="urn:x"><x:item id="a" old="1"/></x:r>')
    (f,) = report.findings
    assert (f.kind, f.message) == ("report", "item a is old")
    assert [d.text for d in f.diagnostics] == ["drop x:item"]


def test_a_root_in_another_namespace_is_not_a_schema(tmp_path):
    path = tmp_path / "wrong.sch"
    path.write_text('<schema xmlns="urn:not-schematron"/>')
    with pytest.raises(SchematronError, match="is not a Schematron schema"):
        load_contract(path).check()


# -- sch:group and xsl:key -------------------------------------------------------------------------

def test_in_a_group_every_matching_rule_fires():
    found = engine_contract("groups", "group.sch").validate(engine_doc("groups", "orders.xml")).findings
    group = sorted((f.id, f.location.line) for f in found if f.pattern == "every-rule")
    assert group == [("any-element", 3), ("any-element", 4), ("any-line", 3), ("any-line", 4),
                     ("big-line", 4)]


def test_a_pattern_beside_the_group_keeps_first_match():
    found = engine_contract("groups", "group.sch").validate(engine_doc("groups", "orders.xml")).findings
    assert [f.id for f in found if f.pattern == "first-only"] == ["pattern-line", "pattern-line"]


def test_xsl_key_in_tests_and_contexts():
    found = engine_contract("keys", "keys.sch").validate(engine_doc("keys", "orders.xml")).findings
    assert sorted((f.id, f.message, f.location.line) for f in found) == [
        ("flagship", "flagship product listed", 4),
        ("known-product", "line refers to the unknown product W-7", 9),
    ]


def test_other_xslt_at_the_top_of_a_schema_is_refused(tmp_path):
    contract = write_contract(tmp_path, """
      <xsl:template xmlns:xsl="http://www.w3.org/1999/XSL/Transform" match="/"/>
      <sch:pattern id="p"><sch:rule context="r">
        <sch:assert test="true()">x</sch:assert></sch:rule></sch:pattern>""")
    with pytest.raises(SchematronError, match="xsl:template is not allowed") as err:
        contract.check()
    assert err.value.line == 4
