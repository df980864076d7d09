"""Human text: value-of, name (with and without path), emph/dir/span, diagnostics and properties,
role/flag/subject and xml:lang, in findings and in SVRL."""

from __future__ import annotations

import pytest
from lxml import etree

from cdcxml.errors import SchematronError

from .engine_support import engine_contract, engine_doc, write_contract

SVRL = "http://purl.oclc.org/dsdl/svrl"
NS = {"svrl": SVRL}
CONTRACT = ("text", "messages.sch")
DOC = engine_doc("text", "orders.xml")


def _by_id():
    return {f.id: f for f in engine_contract(*CONTRACT).validate(DOC).findings}


def _svrl():
    return engine_contract(*CONTRACT).run_svrl(DOC).getroot()


def test_value_of_name_and_name_path_are_expanded():
    f = _by_id()["has-price"]
    assert f.message == "Line W-2 (a line in o1) has no price see the catalogue"


def test_value_of_a_node_set_takes_its_first_node(tmp_path):
    contract = write_contract(tmp_path, """
      <sch:pattern id="p"><sch:rule context="r">
        <sch:report id="first" test="true()"
          >first <sch:value-of select="a"/>; all <sch:value-of select="count(a)"/></sch:report>
      </sch:rule></sch:pattern>""")
    assert contract.validate(b"<r><a>one</a><a>two</a></r>").findings[0].message == "first one; all 2"


def test_name_without_path_gives_the_prefixed_name_of_the_context(tmp_path):
    contract = write_contract(tmp_path, """
      <sch:pattern id="p"><sch:rule context="x:item">
        <sch:report id="n" test="true()"><sch:name/></sch:report>
      </sch:rule></sch:pattern>""", ns={"x": "urn:x"})
    found = contract.validate(b'<q:items xmlns:q="urn:x"><q:item/></q:items>').findings
    # name() is the name as the document writes it
    assert [f.message for f in found] == ["q:item"]


def test_emph_dir_span_become_svrl_markup():
    text = _svrl().find("svrl:failed-assert[@id='has-price']/svrl:text", NS)
    assert text.find("svrl:emph", NS).text == "no"
    assert text.find("svrl:dir", NS).get("dir") == "ltr"
    span = text.find("svrl:span", NS)
    assert (span.get("class"), span.text) == ("hint", "see the catalogue")


def test_role_and_flag_come_from_the_assertion_or_else_the_rule():
    found = _by_id()
    assert (found["has-price"].role, found["has-price"].flag) == ("error", "lines")
    assert (found["positive"].role, found["positive"].flag) == ("warning", "money")


def test_rule_subject_moves_the_location_to_the_selected_node():
    f = _by_id()["order-status"]
    assert f.context == "o:order"
    assert f.location.xpath == "/o:orders[1]/o:order[2]/@id"
    assert f.location.line == 7


def test_assertion_subject_overrides_the_rule_subject():
    f = _by_id()["first-line-qty"]
    assert f.location.xpath == "/o:orders[1]/o:order[2]/o:line[1]"
    assert f.location.line == 8


def test_subject_selecting_nothing_falls_back_to_the_context(tmp_path):
    contract = write_contract(tmp_path, """
      <sch:pattern id="p"><sch:rule context="item" subject="missing">
        <sch:assert id="a" test="false()">no</sch:assert>
      </sch:rule></sch:pattern>""")
    found = contract.validate(b"<r>\n<item/></r>").findings
    assert [(f.location.xpath, f.location.line) for f in found] == [("/r[1]/item[1]", 2)]


def test_subject_in_svrl_location():
    failed = _svrl().find("svrl:failed-assert[@id='order-status']", NS)
    assert failed.get("location") == "/o:orders[1]/o:order[2]/@id"


def test_diagnostics_are_expanded_in_the_context_of_the_finding():
    f = _by_id()["has-price"]
    assert [(d.id, d.text, d.lang) for d in f.diagnostics] == [
        ("price-missing", "add a price to W-2", "en"),
        ("price-missing-de", "Preis für W-2 fehlt", "de"),
    ]


def test_properties_carry_role_scheme_and_expanded_text():
    f = _by_id()["has-price"]
    assert [(p.id, p.text, p.role, p.scheme) for p in f.properties] == [
        ("sku", "W-2", "key", "urn:example:sku"),
        ("severity", "high", "level", None),
    ]


def test_svrl_diagnostic_reference_has_see_icon_fpi_and_lang():
    failed = _svrl().find("svrl:failed-assert[@id='has-price']", NS)
    refs = failed.findall("svrl:diagnostic-reference", NS)
    assert [r.get("diagnostic") for r in refs] == ["price-missing", "price-missing-de"]
    first = refs[0].find("svrl:text", NS)
    assert first.get("see") == "https://example.com/prices"
    assert first.get("icon") == "warning.png"
    assert first.get("fpi") == "-//example//prices"
    assert first.text == "add a price to W-2"
    assert refs[1].find("svrl:text", NS).get("{http://www.w3.org/XML/1998/namespace}lang") == "de"


def test_svrl_property_reference_with_copy_of():
    failed = _svrl().find("svrl:failed-assert[@id='has-price']", NS)
    props = {p.get("property"): p for p in failed.findall("svrl:property-reference", NS)}
    assert (props["sku"].get("role"), props["sku"].get("scheme")) == ("key", "urn:example:sku")
    assert props["sku"].findtext("svrl:text", namespaces=NS) == "W-2"
    severity = props["severity"].find("svrl:text", NS)
    assert severity.get("qty") == "3"  # the attribute xsl:copy-of copied
    assert severity.text == "high"


def test_xml_lang_is_inherited_from_schema_and_pattern_and_overridden_per_assertion():
    found = _by_id()
    assert found["has-price"].lang == "en"
    assert found["count"].lang == "fr"
    assert found["count-de"].lang == "de"
    svrl = _svrl()
    lang = "{http://www.w3.org/XML/1998/namespace}lang"
    assert svrl.find("svrl:successful-report[@id='count']", NS).get(lang) == "fr"
    assert svrl.find("svrl:successful-report[@id='count-de']", NS).get(lang) == "de"


def test_informational_role_makes_a_report_not_a_failure():
    report = engine_contract(*CONTRACT).validate(DOC)
    assert {f.id for f in report.reports} == {"count", "count-de"}
    assert {f.id for f in report.failures} == {"has-price", "positive", "order-status",
                                              "first-line-qty"}


def test_whitespace_in_messages_is_normalised(tmp_path):
    contract = write_contract(tmp_path, """
      <sch:pattern id="p"><sch:rule context="r">
        <sch:assert id="a" test="false()">
            spread   over
            lines
        </sch:assert>
      </sch:rule></sch:pattern>""")
    assert contract.validate(b"<r/>").findings[0].message == "spread over lines"


def test_foreign_elements_in_text_are_copied_literally_never_run(tmp_path):
    contract = write_contract(tmp_path, """
      <sch:pattern id="p"><sch:rule context="r">
        <sch:assert id="a" test="false()">see <b xmlns="urn:html">{bold}</b> text</sch:assert>
      </sch:rule></sch:pattern>""")
    assert contract.validate(b"<r/>").findings[0].message == "see {bold} text"


def test_forbidden_xsl_in_text_is_an_error(tmp_path):
    contract = write_contract(tmp_path, """
      <sch:pattern id="p"><sch:rule context="r">
        <sch:assert id="a" test="false()" xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
          >x<xsl:message terminate="yes">stop</xsl:message></sch:assert>
      </sch:rule></sch:pattern>""")
    with pytest.raises(SchematronError, match="xsl:message is not allowed"):
        contract.check()


def test_undefined_diagnostic_is_an_error(tmp_path):
    contract = write_contract(tmp_path, """
      <sch:pattern id="p"><sch:rule context="r">
        <sch:assert id="a" test="false()" diagnostics="nope">x</sch:assert>
      </sch:rule></sch:pattern>""")
    with pytest.raises(SchematronError, match="undefined diagnostic 'nope'") as err:
        contract.check()
    assert err.value.line == 5


def test_svrl_text_markup_is_well_formed_xml():
    raw = etree.tostring(engine_contract(*CONTRACT).run_svrl(DOC))
    assert etree.fromstring(raw).tag == f"{{{SVRL}}}schematron-output"
